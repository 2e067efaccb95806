"""Matching, costs, funds and the fill model of the simulated exchange.

* Costs: a taker buys at the ask and sells at the bid, moved against it by a seeded share
  of ``slippage_bps`` (never beyond a limit price); a resting (maker) limit fills at its
  price. Fees are ``maker_fee``/``taker_fee`` of the notional (× multiplier), in the quote.
* Volume: all orders on a symbol share ``max_volume_share × volume_per_step`` per market
  step, in time priority (resting orders by age, then new orders as they arrive); what
  does not fill waits for later steps (a partial fill), is canceled (IOC) or cancels the
  order (FOK).
* Queue: a resting limit first works off ``queue_ahead`` from the volume left at its turn
  (other traders' orders: this does not use up the shared volume); then it fills with
  probability ``limit_fill_probability`` at each step its price is crossed.
* Funds: spot buys need the quote cash (price × quantity plus the highest fee), spot sells
  the base asset, derivatives ``margin_rate`` of the notional plus the fee, all measured
  against the *free* balance (total − what open orders lock); ``INSUFFICIENT_BALANCE``
  otherwise. An order that stays open locks that amount for its open quantity until it
  fills, is canceled or expires. A fill is checked again against the free balance plus
  the order's own lock (a stop may fill above its trigger).
"""

from __future__ import annotations

import itertools
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from riskbus.core.seeds import Seeds
from riskbus.exchange._symbols import Quote, SymbolState
from riskbus.exchange.book import SimOrder, crosses, is_immediate, triggered
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.events.orders import OrderFilled, OrderTriggered
from riskbus.model.reasons import format_reason

if TYPE_CHECKING:
    from riskbus.exchange.simulated import SimulatedExchange

__all__ = ["Matcher", "Quote", "order_is_limit"]

_BPS = Decimal(10_000)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT)
_MARKET = OrderType.MARKET
_BUY = OrderSide.BUY
_TAKER = LiquiditySide.TAKER
_MAKER = LiquiditySide.MAKER
_FILLED = OrderStatus.FILLED
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
_CANCELED = OrderStatus.CANCELED


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
        #: The numbers of the fill ids (``SIMT-000001``, ...), shared with the venue's fast path.
        self.fill_numbers = itertools.count(1)
        self._maker_fee = config.maker_fee
        self._taker_fee = config.taker_fee
        #: The most a taker fill is moved against the order, in bps.
        self.slippage_bps = config.slippage_bps
        self._max_fee = config.max_fee
        #: The lock per unit price of a spot buy: 1 + the highest fee.
        self.buy_factor = 1 + self._max_fee
        self._account = exchange.account
        self._outbox = exchange.outbox  # the same list object for the venue's life
        self.fills: list[OrderFilled] = []

    # -- funds ----------------------------------------------------------------------------

    def check_funds(self, order: SimOrder, state: SymbolState, reference: Decimal) -> str | None:
        """Set ``order``'s lock terms; return ``INSUFFICIENT_BALANCE: ...`` if it cannot pay.

        The whole quantity is measured at the limit price, else the stop price, else
        ``reference`` (the side of the quote a market order takes) against the free balance.
        The lock per unit (``hold_rate``) is price × (1 + highest fee) of the quote for a
        spot buy, 1 base unit for a spot sell, and margin plus fee of the notional for a
        derivative. Reduce-only orders are not checked and lock nothing.
        """
        command = order.command
        if command.reduce_only:
            return None
        price = command.price or command.stop_price or reference
        if state.is_derivative:  # margin and fee on the notional, either side
            per_unit = price * state.multiplier
            rate = per_unit * self._config.margin_rate + per_unit * self._max_fee
            currency = state.quote_currency
        elif command.side is _BUY:
            currency, rate = state.quote_currency, price * self.buy_factor
        else:
            currency, rate = state.base, _ONE
        order.hold_currency = currency
        order.hold_rate = rate
        order.checked_price = price
        needed = command.quantity * rate
        account = self._account
        reserved = account.reserved(currency)
        available = account.balance(currency)
        if reserved:
            available -= reserved
        if needed > available:
            return _insufficient(currency, needed, available, reserved)
        return None

    # -- matching -------------------------------------------------------------------------

    def work(self, order: SimOrder, state: SymbolState, quote: Quote | None = None) -> None:
        """Trigger, fill, rest or cancel ``order`` at the current quote."""
        exchange = self._exchange
        command = order.command
        step = exchange.step
        if quote is None:
            quote = state.quote(step, exchange.faults)
        if command.order_type is _MARKET:
            if self.slippage_bps:
                price = self._taker_price(command, quote, state)
            else:
                price = quote.ask if command.side is _BUY else quote.bid
            self._execute(order, state, state.available(step), price, _TAKER)
            return
        if command.order_type in _STOPS and not order.triggered:
            if not triggered(command, quote.price):
                return
            order.triggered = True
            order.status = OrderStatus.TRIGGERED
            exchange.emit(
                OrderTriggered(
                    ts=exchange.clock.now(),
                    client_order_id=command.client_order_id,
                    symbol=command.symbol,
                    venue_order_id=order.venue_order_id,
                )
            )
        available = state.available(step)
        if order.working_type is _MARKET:
            price, liquidity = self._taker_price(command, quote, state), _TAKER
        elif order.resting:
            if not crosses(command, quote.bid, quote.ask):
                return
            available = self._after_queue(order, available)
            price, liquidity = command.price or quote.price, _MAKER
        elif crosses(command, quote.bid, quote.ask):
            price, liquidity = self._taker_price(command, quote, state), _TAKER
        else:
            order.resting = True
            if is_immediate(command):
                exchange.drop(order, format_reason("NOT_MARKETABLE", tif=command.time_in_force))
            return
        self._execute(order, state, available, price, liquidity)

    def _execute(
        self,
        order: SimOrder,
        state: SymbolState,
        available: Decimal,
        price: Decimal,
        liquidity: LiquiditySide,
    ) -> None:
        command = order.command
        leaves = command.quantity - order.filled
        quantity = leaves if leaves <= available else available
        tif = command.time_in_force
        if tif is TimeInForce.FOK and quantity < leaves:
            reason = format_reason("FOK_NOT_FILLED", available=quantity, quantity=leaves)
            self._exchange.drop(order, reason)
            return
        if quantity > 0:
            leaves = self._fill(order, state, quantity, price, liquidity)
        if leaves and order.status is not _CANCELED:
            if tif is TimeInForce.IOC:
                self._exchange.drop(order, format_reason("IOC_REMAINDER", leaves=leaves))
            elif command.price is not None:
                order.resting = True

    def _after_queue(self, order: SimOrder, available: Decimal) -> Decimal:
        if order.queue_ahead:
            used = min(order.queue_ahead, available)
            order.queue_ahead -= used
            available -= used
        probability = self._config.limit_fill_probability
        if probability < 1.0 and self._fill_rng.random() >= probability:
            return _ZERO
        return available

    def _taker_price(self, command: SubmitOrder, quote: Quote, state: SymbolState) -> Decimal:
        buy = command.side is _BUY
        price = quote.ask if buy else quote.bid
        slippage = self._config.slippage_bps
        if slippage:
            share = Decimal(self._slippage_rng.random()) * slippage / _BPS
            price *= 1 + share if buy else 1 - share
            price = state.instrument.quantize_price(price, ROUND_CEILING if buy else ROUND_FLOOR)
        if command.price is not None and order_is_limit(command):
            price = min(price, command.price) if buy else max(price, command.price)
        return price

    def _fill(
        self,
        order: SimOrder,
        state: SymbolState,
        quantity: Decimal,
        price: Decimal,
        liquidity: LiquiditySide,
    ) -> Decimal:
        """Book one fill (or cancel the order when it cannot pay); return what is left."""
        exchange = self._exchange
        command = order.command
        rate = self._maker_fee if liquidity is _MAKER else self._taker_fee
        value = quantity * price
        fee = (value if state.unit_multiplier else value * state.multiplier) * rate
        checked = order.checked_price
        # A fill right after the order's funds check, at that price or better, passes it
        # again (nothing ran in between, the check used the highest fee, a sell needs the
        # same base at any price): skip the second check.
        prechecked = checked is not None and (command.side is not _BUY or price <= checked)
        if not state.is_derivative and not prechecked:
            shortfall = self._shortfall(order, state, quantity, value + fee)
            if shortfall is not None:
                exchange.drop(order, shortfall)
                return command.quantity - order.filled
        filled = order.filled = order.filled + quantity
        order.notional += value
        leaves = command.quantity - filled
        order.status = _PARTIALLY_FILLED if leaves else _FILLED
        state.pool_left -= quantity
        event = OrderFilled(
            ts=exchange.clock.now(),
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            side=command.side,
            fill_id="SIMT-" + str(next(self.fill_numbers)).zfill(6),  # as IdGenerator("SIMT")
            last_qty=quantity,
            last_price=price,
            cum_qty=filled,
            leaves_qty=leaves,
            fee=fee,
            fee_currency=state.quote_currency,
            liquidity=liquidity,
            venue_order_id=order.venue_order_id,
            strategy=command.strategy,
        )
        self._account.record_fill(event, state.instrument)
        if order.held:
            exchange.hold(order, leaves)
        self.fills.append(event)
        self._outbox.append(event)
        return leaves

    def _shortfall(
        self, order: SimOrder, state: SymbolState, quantity: Decimal, cost: Decimal
    ) -> str | None:
        """Check a spot fill against the free cash or asset plus the order's own lock."""
        if order.command.side is _BUY:
            currency, needed = state.quote_currency, cost
        else:
            currency, needed = state.base, quantity
        account = self._account
        available = account.free(currency)
        if order.held and currency == order.hold_currency:
            available += order.held
        if needed > available:
            return _insufficient(currency, needed, available, account.reserved(currency))
        return None


def _insufficient(currency: str, needed: Decimal, available: Decimal, reserved: Decimal) -> str:
    return format_reason(
        "INSUFFICIENT_BALANCE",
        currency=currency,
        needed=needed,
        available=available,
        reserved=reserved,
    )


def order_is_limit(command: SubmitOrder) -> bool:
    """Whether the order carries a limit price (limit or stop-limit)."""
    return command.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
