"""Matching, costs and the fill model of the simulated exchange.

* Costs: a taker buys at the ask and sells at the bid, moved against it by a seeded share
  of ``slippage_bps`` (never beyond a limit price); a resting (maker) limit fills at its
  price. Fees are ``maker_fee``/``taker_fee`` of the notional (× multiplier), in the quote.
* Volume: every order may take ``max_volume_share × volume_per_step`` per step; the rest
  waits for later steps (a partial fill), is canceled (IOC) or cancels the order (FOK).
* Queue: a resting limit first works off ``queue_ahead``; then it fills with probability
  ``limit_fill_probability`` at each step its price is crossed.
* Funds: spot buys need the quote cash (fee included), spot sells the base asset,
  derivatives ``margin_rate`` of the notional. ``INSUFFICIENT_BALANCE`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from riskbus.core.ids import IdGenerator
from riskbus.core.seeds import Seeds
from riskbus.exchange.book import SimOrder, crosses, is_immediate, triggered
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.events.orders import OrderFilled, OrderTriggered
from riskbus.model.fills import Fill
from riskbus.model.instruments import Instrument
from riskbus.model.reasons import format_reason

if TYPE_CHECKING:
    from riskbus.exchange.simulated import SimulatedExchange

__all__ = ["Matcher", "Quote"]

_BPS = Decimal(10_000)
_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT)


@dataclass(frozen=True, slots=True)
class Quote:
    """The venue's quote of one symbol: last price, best bid and best ask."""

    price: Decimal
    bid: Decimal
    ask: Decimal


class Matcher:
    """Matches orders of one :class:`SimulatedExchange` against its quotes.

    Args:
        exchange: the venue whose quotes, account and bus are used.
        seeds: the run's seeds (streams ``slippage`` and ``fills``).
        config: costs and the fill model.
    """

    def __init__(
        self, exchange: SimulatedExchange, seeds: Seeds, config: SimulatedExchangeConfig
    ) -> None:
        self._exchange = exchange
        self._config = config
        self._slippage_rng = seeds.stream("slippage")
        self._fill_rng = seeds.stream("fills")
        self._fill_ids = IdGenerator("SIMT")
        self.fills: list[OrderFilled] = []

    def check_funds(
        self, command: SubmitOrder, instrument: Instrument, reference: Decimal
    ) -> str | None:
        """Return ``INSUFFICIENT_BALANCE: ...`` when the account cannot pay for the order."""
        if command.reduce_only:
            return None
        account = self._exchange.account
        price = command.price or command.stop_price or reference
        notional = command.quantity * price * instrument.multiplier
        fee = notional * max(self._config.taker_fee, self._config.maker_fee, Decimal(0))
        if instrument.is_derivative:
            currency, required = instrument.quote, notional * self._config.margin_rate + fee
        elif command.side is OrderSide.BUY:
            currency, required = instrument.quote, notional + fee
        else:
            currency, required = instrument.base, command.quantity
        available = account.balance(currency)
        if required > available:
            return format_reason(
                "INSUFFICIENT_BALANCE", currency=currency, required=required, available=available
            )
        return None

    def work(self, order: SimOrder) -> None:
        """Trigger, fill, rest or cancel ``order`` at the current quote."""
        exchange = self._exchange
        command = order.command
        quote = exchange.quote(command.symbol)
        if command.order_type in _STOPS and not order.triggered:
            if not triggered(command, quote.price):
                return
            order.triggered = True
            order.status = OrderStatus.TRIGGERED
            exchange.bus.publish(
                OrderTriggered(
                    ts=exchange.clock.now(),
                    client_order_id=command.client_order_id,
                    symbol=command.symbol,
                    venue_order_id=order.venue_order_id,
                )
            )
        instrument = exchange.registry.get(command.symbol)
        available = self._available(instrument)
        if order.working_type is OrderType.MARKET:
            price, liquidity = self._taker_price(command, quote, instrument), LiquiditySide.TAKER
        elif order.resting:
            if not crosses(command, quote.bid, quote.ask):
                return
            available = self._after_queue(order, available)
            price, liquidity = command.price or quote.price, LiquiditySide.MAKER
        elif crosses(command, quote.bid, quote.ask):
            price, liquidity = self._taker_price(command, quote, instrument), LiquiditySide.TAKER
        else:
            order.resting = True
            if is_immediate(command):
                exchange.cancel(order, format_reason("NOT_MARKETABLE", tif=command.time_in_force))
            return
        self._execute(order, instrument, min(order.leaves, available), price, liquidity)

    def _execute(
        self,
        order: SimOrder,
        instrument: Instrument,
        quantity: Decimal,
        price: Decimal,
        liquidity: LiquiditySide,
    ) -> None:
        command = order.command
        if command.time_in_force is TimeInForce.FOK and quantity < order.leaves:
            reason = format_reason("FOK_NOT_FILLED", available=quantity, quantity=order.leaves)
            self._exchange.cancel(order, reason)
            return
        if quantity > 0:
            self._fill(order, instrument, quantity, price, liquidity)
        if order.leaves and order.status is not OrderStatus.CANCELED:
            if command.time_in_force is TimeInForce.IOC:
                self._exchange.cancel(order, format_reason("IOC_REMAINDER", leaves=order.leaves))
            elif command.price is not None:
                order.resting = True

    def _available(self, instrument: Instrument) -> Decimal:
        share = self._config.volume_per_step * self._config.max_volume_share
        return (share / instrument.step_size).to_integral_value(ROUND_DOWN) * instrument.step_size

    def _after_queue(self, order: SimOrder, available: Decimal) -> Decimal:
        if order.queue_ahead:
            used = min(order.queue_ahead, available)
            order.queue_ahead -= used
            available -= used
        probability = self._config.limit_fill_probability
        if probability < 1.0 and self._fill_rng.random() >= probability:
            return Decimal(0)
        return available

    def _taker_price(self, command: SubmitOrder, quote: Quote, instrument: Instrument) -> Decimal:
        buy = command.side is OrderSide.BUY
        price = quote.ask if buy else quote.bid
        if self._config.slippage_bps:
            share = Decimal(self._slippage_rng.random()) * self._config.slippage_bps / _BPS
            price *= 1 + share if buy else 1 - share
            price = instrument.quantize_price(price, ROUND_CEILING if buy else ROUND_FLOOR)
        if command.price is not None and order_is_limit(command):
            price = min(price, command.price) if buy else max(price, command.price)
        return price

    def _fill(
        self,
        order: SimOrder,
        instrument: Instrument,
        quantity: Decimal,
        price: Decimal,
        liquidity: LiquiditySide,
    ) -> None:
        exchange = self._exchange
        command = order.command
        rate = (
            self._config.maker_fee if liquidity is LiquiditySide.MAKER else self._config.taker_fee
        )
        fee = quantity * price * instrument.multiplier * rate
        shortfall = self._shortfall(command, instrument, quantity, quantity * price + fee)
        if shortfall is not None:
            exchange.cancel(order, shortfall)
            return
        order.filled += quantity
        order.notional += quantity * price
        order.status = OrderStatus.FILLED if not order.leaves else OrderStatus.PARTIALLY_FILLED
        event = OrderFilled(
            ts=exchange.clock.now(),
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            side=command.side,
            fill_id=self._fill_ids.next(),
            last_qty=quantity,
            last_price=price,
            cum_qty=order.filled,
            leaves_qty=order.leaves,
            fee=fee,
            fee_currency=instrument.quote,
            liquidity=liquidity,
            venue_order_id=order.venue_order_id,
            strategy=command.strategy,
        )
        exchange.account.apply_fill(Fill.from_event(event))
        self.fills.append(event)
        exchange.bus.publish(event)

    def _shortfall(
        self, command: SubmitOrder, instrument: Instrument, quantity: Decimal, cost: Decimal
    ) -> str | None:
        """Check a spot fill against the cash or asset it needs at fill time."""
        if instrument.is_derivative:
            return None
        account = self._exchange.account
        if command.side is OrderSide.BUY:
            currency, required = instrument.quote, cost
        else:
            currency, required = instrument.base, quantity
        available = account.balance(currency)
        if required > available:
            return format_reason(
                "INSUFFICIENT_BALANCE", currency=currency, required=required, available=available
            )
        return None


def order_is_limit(command: SubmitOrder) -> bool:
    """Whether the order carries a limit price (limit or stop-limit)."""
    return command.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
