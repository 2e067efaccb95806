"""Decision execution: a strategy's decision becomes an order (GPT-Trader's ``execute_decision``).

Rules, as in the original:

* HOLD does nothing.
* The product must be known and the mark price > 0; CLOSE needs an open position. Anything
  else is refused with a logged ``CODE: key=value`` reason and the bot goes on.
* CLOSE closes the whole position on the opposite side, reduce-only.
* Otherwise the quantity is the decision's own, or its target notional divided by the mark
  (and the contract multiplier), rounded down to the instrument's step.
* Reduce-only is honoured: the decision's flag, the executor's global reduce-only mode, or
  CLOSE.
* Dry run logs ``DRY RUN: would submit ...`` and submits nothing.
* Statistics: attempted, successful (accepted or filled) and failed (rejected or denied).

Client order ids are derived from (strategy, decision time, sequence), so the same run gives
the same ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.errors import InvalidValueError
from riskbus.core.ids import derive_id
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderType, TimeInForce
from riskbus.model.events.orders import OrderAccepted, OrderDenied, OrderFilled, OrderRejected
from riskbus.model.portfolio import Portfolio
from riskbus.model.reasons import format_reason

__all__ = ["Action", "Decision", "DecisionExecutor", "OrderStats"]

log = logging.getLogger("riskbus.bot.decisions")


class Action(StrEnum):
    """What a strategy decided."""

    BUY = "BUY"
    SELL = "SELL"
    CLOSE = "CLOSE"
    HOLD = "HOLD"


@dataclass(frozen=True, kw_only=True)
class Decision:
    """A strategy's decision for one symbol.

    Attributes:
        action: BUY, SELL, CLOSE or HOLD.
        symbol: the product.
        target_notional: the order size in quote currency (used when ``quantity`` is None).
        quantity: an explicit order quantity.
        reduce_only: the order may only reduce the position.
        reason: why the strategy decided this (logged and carried to the order's strategy).
        order_type: market by default; limit and stop orders need their prices.
        limit_price: the limit price, for limit and stop-limit orders.
        stop_price: the trigger, for stop and stop-limit orders.
        time_in_force: GTC, IOC or FOK (default: the executor's).
    """

    action: Action
    symbol: str
    target_notional: Decimal | None = None
    quantity: Decimal | None = None
    reduce_only: bool = False
    reason: str = ""
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce | None = None


@dataclass
class OrderStats:
    """Counts of the orders the executor sent and how they ended."""

    attempted: int = 0
    successful: int = 0
    failed: int = 0
    refused: int = 0
    dry_run: int = 0
    refusals: list[str] = field(default_factory=list)


class DecisionExecutor:
    """Turns decisions into ``SubmitOrder`` commands on the bus.

    Args:
        bus: where orders are sent and outcomes observed.
        clock: the time of each order.
        registry: the known products.
        portfolio: the positions (for CLOSE and reduce-only sizing).
        strategy: the name carried by every order.
        dry_run: log the intended orders and submit nothing.
        reduce_only_mode: every order is reduce-only (set by guards and kill switches too).
        time_in_force: the default time in force.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        registry: InstrumentRegistry,
        portfolio: Portfolio,
        *,
        strategy: str,
        dry_run: bool = False,
        reduce_only_mode: bool = False,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.registry = registry
        self.portfolio = portfolio
        self.strategy = strategy
        self.dry_run = dry_run
        self.reduce_only_mode = reduce_only_mode
        self.time_in_force = time_in_force
        self.stats = OrderStats()
        self.intended: list[SubmitOrder] = []
        self._pending: set[str] = set()
        self._sequence = 0
        for success in (OrderAccepted, OrderFilled):
            bus.subscribe(success, self._on_success, component="DecisionExecutor")
        for failure in (OrderRejected, OrderDenied):
            bus.subscribe(failure, self._on_failure, component="DecisionExecutor")

    def execute(self, decision: Decision, mark: Decimal | None) -> SubmitOrder | None:
        """Send the order for ``decision`` at ``mark``; return it, or None if none was sent."""
        if decision.action is Action.HOLD:
            return None
        command = self._build(decision, mark)
        if command is None:
            return None
        if self.dry_run:
            self.stats.dry_run += 1
            self.intended.append(command)
            log.info(
                "DRY RUN: would submit %s %s %s (%s)",
                command.side,
                command.quantity,
                command.symbol,
                decision.reason or decision.action,
            )
            return command
        self.stats.attempted += 1
        self._pending.add(command.client_order_id)
        self.bus.send(command)
        return command

    def _build(self, decision: Decision, mark: Decimal | None) -> SubmitOrder | None:
        symbol = decision.symbol
        try:
            instrument = self.registry.get(symbol)
        except InvalidValueError:
            return self._refuse(format_reason("NO_PRODUCT", symbol=symbol))
        if mark is None or not mark.is_finite() or mark <= 0:
            return self._refuse(format_reason("INVALID_MARK", symbol=symbol, mark=mark))
        position = self.portfolio.position(symbol)
        held = position.quantity if position is not None else Decimal(0)
        if decision.action is Action.CLOSE:
            if held == 0:
                return self._refuse(format_reason("NO_POSITION", symbol=symbol))
            side = OrderSide.SELL if held > 0 else OrderSide.BUY
            quantity = abs(held)
        else:
            side = OrderSide.BUY if decision.action is Action.BUY else OrderSide.SELL
            quantity = self._quantity(decision, mark, instrument.multiplier)
            quantity = instrument.quantize_quantity(quantity) if quantity > 0 else quantity
            if quantity <= 0:
                return self._refuse(
                    format_reason("QUANTITY_TOO_SMALL", symbol=symbol, quantity=quantity)
                )
        reduce_only = decision.reduce_only or self.reduce_only_mode
        reduce_only = reduce_only or decision.action is Action.CLOSE
        if reduce_only and decision.action is not Action.CLOSE:
            increases = (held >= 0 and side is OrderSide.BUY) or (
                held <= 0 and side is OrderSide.SELL
            )
            if increases:
                return self._refuse(format_reason("REDUCE_ONLY", symbol=symbol, side=side))
            quantity = min(quantity, abs(held))
        self._sequence += 1
        now = self.clock.now()
        return SubmitOrder(
            ts=now,
            client_order_id=derive_id(self.strategy, now, self._sequence, prefix="rb-"),
            symbol=symbol,
            side=side,
            quantity=quantity,
            order_type=decision.order_type,
            price=decision.limit_price,
            stop_price=decision.stop_price,
            time_in_force=decision.time_in_force or self.time_in_force,
            reduce_only=reduce_only,
            strategy=self.strategy,
        )

    @staticmethod
    def _quantity(decision: Decision, mark: Decimal, multiplier: Decimal) -> Decimal:
        if decision.quantity is not None:
            return decision.quantity
        if decision.target_notional is None:
            return Decimal(0)
        return decision.target_notional / (mark * multiplier)

    def _refuse(self, reason: str) -> SubmitOrder | None:
        self.stats.refused += 1
        self.stats.refusals.append(reason)
        log.warning("decision refused: %s", reason)
        return None

    def _on_success(self, event: OrderAccepted | OrderFilled) -> None:
        if event.client_order_id in self._pending:
            self._pending.discard(event.client_order_id)
            self.stats.successful += 1

    def _on_failure(self, event: OrderRejected | OrderDenied) -> None:
        if event.client_order_id in self._pending:
            self._pending.discard(event.client_order_id)
            self.stats.failed += 1
