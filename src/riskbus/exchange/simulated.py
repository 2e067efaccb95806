"""The simulated exchange: a synchronous venue over price paths, latency via the clock.

Walk of one order: :meth:`SimulatedExchange.submit` waits its seeded latency on the clock,
then consults the fault hooks, validates the order (size, step, tick, notional, funds
against the *free* balance), matches it against the current quote and locks the funds of
what stays open; only then does it publish what happened (``OrderAccepted``, or
``OrderStatusUnknown`` when the ack is lost, then the fills or cancels), so a handler that
reacts always sees the venue settled. :meth:`advance` moves the market one step and
matches the resting orders again, oldest first; all orders on a symbol share the step's
volume. Fills are booked in the venue's own :class:`~riskbus.model.portfolio.Portfolio`
(``account``), which also holds the locked amounts (``free = total − locked``).

The common case, a spot market order that fills whole at once with no fault armed and
no slippage, takes a fast path (``_submit_now``): the same checks, ids, values and events,
written out without the general path's layers. Anything else goes the general way
(``_place``); ``tests/unit/exchange/test_fast_path.py`` holds the two equal.

Simplifications: a stop order waits for its trigger whatever its time in force; margin is
locked only for open derivative orders, not for positions; ``Fetch{Balances,OpenOrders,
Positions}`` are answered even during an outage (the model has no failure event for them).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.messages import Event
from riskbus.core.seeds import Seeds
from riskbus.exchange import reports
from riskbus.exchange._symbols import Quote, SymbolState
from riskbus.exchange.base import ExchangeClient
from riskbus.exchange.book import SimOrder
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.faults import Faults
from riskbus.exchange.matching import Matcher
from riskbus.market.path import PricePath
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    FetchBalances,
    FetchFills,
    FetchOpenOrders,
    FetchOrder,
    FetchPositions,
    FetchPrice,
    SubmitOrder,
)
from riskbus.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType
from riskbus.model.events.account import OrderReport
from riskbus.model.events.market import Candle
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
)
from riskbus.model.money import MoneyInput
from riskbus.model.portfolio import Portfolio
from riskbus.model.reasons import format_reason, reason_code

__all__ = ["SimulatedExchange"]


class SimulatedExchange(ExchangeClient):
    """A deterministic venue for simulation and tests.

    Args:
        bus: where the events go.
        clock: the clock latency and fault windows run on.
        seeds: the run's seeds (streams ``latency``, ``slippage`` and ``fills``).
        registry: the instruments it trades.
        market: one price path per symbol; step ``k`` of every path is current together.
        balances: the account's opening balances.
        config: costs, fill model and latency.
        currency: the account currency.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        seeds: Seeds,
        registry: InstrumentRegistry,
        market: Mapping[str, PricePath],
        *,
        balances: Mapping[str, MoneyInput] | None = None,
        config: SimulatedExchangeConfig | None = None,
        currency: str = "USDT",
    ) -> None:
        self.config = config or SimulatedExchangeConfig()
        self.venue = self.config.venue
        self.bus = bus
        self.clock = clock
        self.registry = registry
        self.market = dict(market)
        self.account = Portfolio(registry, balances, currency=currency)
        self.faults = Faults(clock)
        self.step = 0
        self._latency_rng = seeds.stream("latency")
        self._orders: dict[str, SimOrder] = {}
        self._queue_ahead = self.config.queue_ahead
        self._open: dict[str, SimOrder] = {}
        self._symbols: dict[str, SymbolState] = {}
        #: Events of the operation under way, published once it has settled (see ``emit``).
        self.outbox: list[Event] = []
        self._matcher = matcher = Matcher(self, seeds, self.config)
        latency = self.config.latency
        self._instant = not self.config.latency_jitter and not latency.get("submit", 0)
        # What the market-order fast path of ``_submit_now`` reads on every order.
        self._fills = matcher.fills
        self._fill_numbers = matcher.fill_numbers
        self._venue_numbers = itertools.count(1)
        self._instruments = registry.index()  # live: a replaced instrument is seen at once
        self._record_fill = self.account.record_fill
        self._balances, self._locks = self.account.funds()
        self._taker_fee = self.config.taker_fee

    # -- market ---------------------------------------------------------------------------

    def quote(self, symbol: str) -> Quote:
        """Return the venue's current quote of ``symbol`` (faults applied).

        Raises:
            InvalidValueError: the symbol is unknown.
            KeyError: no price path is loaded for the symbol.
        """
        return self._require(symbol).quote(self.step, self.faults)

    def candles(self, symbol: str, count: int | None = None) -> tuple[Candle, ...]:
        """Return the last ``count`` candles of ``symbol`` up to the current step, oldest first.

        ``count`` defaults to ``config.candles_history``. The last candle closes at the
        current quote's price (stale prices and price gaps applied like the quote's).

        Raises:
            InvalidValueError: the symbol is unknown.
            KeyError: no price path is loaded for the symbol.
        """
        state = self._require(symbol)
        number = self.config.candles_history if count is None else count
        k = state.price_step(self.step, self.faults)
        gap = self.faults.gap if self.faults.active else Decimal(0)
        return state.candles(k, number, gap)

    def _require(self, symbol: str) -> SymbolState:
        state = self._state(symbol)
        if state is None:
            self.registry.get(symbol)  # raises InvalidValueError for an unknown instrument
            raise KeyError(symbol)
        return state

    def _state(self, symbol: str) -> SymbolState | None:
        """Return the state of ``symbol``, or None if it has no instrument or no path."""
        state = self._symbols.get(symbol)
        instrument = self.registry.find(symbol)
        path = self.market.get(symbol)
        if state is not None and state.instrument is instrument and state.path is path:
            return state
        if instrument is None or path is None:
            return None
        matcher = self._matcher
        state = self._symbols[symbol] = SymbolState(
            instrument,
            path,
            self.config,
            buy_factor=matcher.buy_factor,
            slippage_bps=matcher.slippage_bps,
        )
        return state

    def advance(self, steps: int = 1) -> None:
        """Move the market ``steps`` steps, matching the resting orders after each.

        Resting orders are matched oldest first and share each step's volume.
        """
        for _ in range(steps):
            self.step += 1
            for order in list(self._open.values()):
                if order.status in _OPEN:
                    state = self._state(order.command.symbol)
                    if state is not None:
                        self._matcher.work(order, state)
            self._prune()
            self._flush()

    # -- queries --------------------------------------------------------------------------

    def order_status(self, client_order_id: str) -> OrderReport | None:
        """Return the venue's report of an order, or None if it never reached the venue."""
        order = self._orders.get(client_order_id)
        return order.report() if order is not None else None

    def open_orders(self, symbol: str | None = None) -> tuple[OrderReport, ...]:
        """Return the reports of the open orders (of ``symbol`` when given), oldest first."""
        return tuple(
            order.report()
            for order in self._open.values()
            if order.status in _OPEN and symbol in (None, order.command.symbol)
        )

    @property
    def trades(self) -> tuple[OrderFilled, ...]:
        """Return every fill the venue made, oldest first."""
        return tuple(self._matcher.fills)

    # -- commands -------------------------------------------------------------------------

    def submit(self, command: SubmitOrder) -> None:
        """Place the order after the ``submit`` latency; the outcome arrives as events."""
        if self._instant:
            self._submit_now(command)
        else:
            self._later("submit", lambda: self._submit_now(command))

    def cancel_order(self, command: CancelOrder) -> None:
        """Cancel one order after the ``cancel`` latency."""
        self._later("cancel", lambda: self._cancel_now(command))

    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel every open order (of ``command.symbol`` when given) after the latency."""
        self._later("cancel", lambda: self._cancel_all_now(command))

    def fetch_price(self, command: FetchPrice) -> None:
        """Answer with the current quote and candles (``MarketPriceFetched``) after the latency."""
        self._later("fetch", lambda: self.bus.publish(reports.price(self, command)))

    def fetch_balances(self, command: FetchBalances) -> None:
        """Answer with ``BalancesFetched`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.balances(self, command)))

    def fetch_open_orders(self, command: FetchOpenOrders) -> None:
        """Answer with ``OpenOrdersReport`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.open_orders(self, command)))

    def fetch_order(self, command: FetchOrder) -> None:
        """Answer with ``OrderStatusReported`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.order_status(self, command)))

    def fetch_fills(self, command: FetchFills) -> None:
        """Answer ``FillsFetched`` with 0 after the ``fetch`` latency: every fill was
        published when it was made."""
        self._later("fetch", lambda: self.bus.publish(reports.fills(self, command)))

    def fetch_positions(self, command: FetchPositions) -> None:
        """Answer with ``PositionsReport`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.positions(self, command)))

    # -- used by the matcher --------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Queue ``event``; it is published once the current operation has settled."""
        self.outbox.append(event)

    def hold(self, order: SimOrder, leaves: Decimal) -> None:
        """Lock what ``leaves`` open quantity of ``order`` needs (less, more, or nothing)."""
        target = leaves * order.hold_rate if leaves else _ZERO
        change = target - order.held
        if change > 0:
            self.account.reserve(order.hold_currency, change)
        elif change < 0:
            self.account.release(order.hold_currency, -change)
        order.held = target

    def cancel(self, order: SimOrder, reason: str) -> None:
        """Cancel ``order`` now, release its lock and publish ``OrderCanceled``."""
        self.drop(order, reason)
        self._flush()

    def drop(self, order: SimOrder, reason: str) -> None:
        """Cancel ``order`` now, release its lock and queue ``OrderCanceled`` (see :meth:`emit`)."""
        order.status = OrderStatus.CANCELED
        if order.held:
            self.hold(order, _ZERO)
        self.emit(
            OrderCanceled(
                ts=self.clock.now(),
                client_order_id=order.command.client_order_id,
                symbol=order.command.symbol,
                reason=reason,
                venue_order_id=order.venue_order_id,
            )
        )

    # -- internals ------------------------------------------------------------------------

    def _flush(self) -> None:
        outbox = self.outbox
        if outbox:
            # Cleared before publishing: a handler that submits again flushes its own events.
            events = outbox.copy()
            outbox.clear()
            publish = self.bus.publish
            for event in events:
                publish(event)

    def _later(self, kind: str, action: Callable[[], None]) -> None:
        delay = self.config.latency.get(kind, 0)
        if self.config.latency_jitter:
            delay += self._latency_rng.randint(0, self.config.latency_jitter)
        if delay:
            self.clock.call_later(delay, action)
        else:
            action()

    def call_refused(self) -> str | None:
        """Count one call; return why an outage or the rate limit refuses it, if they do."""
        if not self.faults.active:
            return None
        if self.faults.in_outage():
            return format_reason("VENUE_UNAVAILABLE", venue=self.venue)
        if not self.faults.take_rate_slot():
            return format_reason("RATE_LIMITED", venue=self.venue)
        return None

    def _reject(self, command: SubmitOrder, reason: str) -> None:
        self.bus.publish(
            OrderRejected(
                ts=self.clock.now(),
                client_order_id=command.client_order_id,
                symbol=command.symbol,
                code=reason_code(reason),
                reason=reason,
            )
        )

    def _refusal(self, command: SubmitOrder) -> str | SymbolState:
        """Return the symbol's state if the venue takes ``command``, else why not."""
        if self.faults.active:
            refused = self.call_refused()
            if refused is not None:
                return refused
            if self.faults.take_reject():
                return format_reason("REJECTED_BY_VENUE", venue=self.venue)
        if command.client_order_id in self._orders:
            return format_reason("DUPLICATE_ORDER", client_order_id=command.client_order_id)
        symbol = command.symbol
        state = self._symbols.get(symbol)
        if (
            state is None
            or state.instrument is not self.registry.find(symbol)
            or state.path is not self.market.get(symbol)  # the path was replaced
        ):
            state = self._state(symbol)
            if state is None:
                return format_reason("UNKNOWN_SYMBOL", symbol=symbol)
        return state

    def _submit_now(self, command: SubmitOrder) -> None:
        """Place ``command`` now: the fast path of a plain market order, else :meth:`_place`.

        The fast path is the general path of a spot market order that fills at once and
        whole, written out: the same checks (the size, the notional, the free balance),
        ids, values (down to each Decimal's exponent) and events in the same order.
        Anything else (faults armed, a rejection, slippage, a derivative, a partial fill,
        a price on the order, ...) goes the general way.
        """
        symbol = command.symbol
        state = self._symbols.get(symbol)
        client_order_id = command.client_order_id
        if (
            state is None
            or not state.fast
            or command.order_type is not _MARKET
            or command.price is not None
            or command.stop_price is not None
            or self.faults.active
            or self.outbox
            or client_order_id in self._orders
            or state.instrument is not self._instruments.get(symbol)
            or state.path is not self.market.get(symbol)
        ):
            self._place(command)
            return
        step = self.step
        if state.fresh_step != step:
            state.quote(step, self.faults)
        quote = state.fresh
        assert quote is not None  # set by state.quote
        quantity = command.quantity
        # The fill quantities, as _place's arithmetic writes them: the fill is what the
        # order leaves open (quantity - 0), cum = 0 + fill, leaves = quantity - cum.
        sized = state.sized
        if sized is None or (
            quantity is not sized[0]
            and (type(quantity) is not Decimal or quantity.compare_total(sized[0]))
        ):
            if type(quantity) is not Decimal or not state.known_size(quantity):
                self._place(command)  # rejected there, with its reason
                return
            fill_qty = quantity - _ZERO
            cum_qty = _ZERO + fill_qty
            sized = state.sized = (quantity, fill_qty, cum_qty, quantity - cum_qty)
        _, fill_qty, cum_qty, leaves_qty = sized
        if step != state.pool_step:
            state.pool_step = step
            state.pool_left = state.cap
        if fill_qty > state.pool_left:
            self._place(command)  # a partial fill
            return
        buy = command.side is _BUY
        if buy:
            price = quote.ask
            currency = state.quote_currency
            rate = state.buy_rate
        else:
            price = quote.bid
            currency = state.base
            rate = _ONE
        value = fill_qty * price
        fee = value * self._taker_fee
        if command.reduce_only:
            # locks nothing; its fill is checked against the free cash (cost and fee) or asset
            needed = value + fee if buy else quantity
            lock_currency, rate = "", _ZERO
        else:
            needed = quantity * rate if buy else quantity
            lock_currency = currency
        free = self._balances.get(currency, _ZERO)  # Portfolio.free, inline
        locked = self._locks.get(currency)
        if locked is not None:
            free -= locked
        if value < state.min_notional or needed > free:
            self._place(command)  # rejected or canceled there, with its reason
            return
        venue_order_id = "SIM-" + str(next(self._venue_numbers)).zfill(6)
        self._orders[client_order_id] = SimOrder(
            command,
            venue_order_id,
            _FILLED,
            cum_qty,
            _ZERO + value,
            False,
            self._queue_ahead,
            False,
            _ZERO,
            lock_currency,
            rate,
            None,
        )
        state.pool_left -= fill_qty
        ts = self.clock.now()
        accepted = OrderAccepted(
            ts=ts, client_order_id=client_order_id, symbol=symbol, venue_order_id=venue_order_id
        )
        filled = OrderFilled(
            ts=ts,
            client_order_id=client_order_id,
            symbol=symbol,
            side=command.side,
            fill_id="SIMT-" + str(next(self._fill_numbers)).zfill(6),
            last_qty=fill_qty,
            last_price=price,
            cum_qty=cum_qty,
            leaves_qty=leaves_qty,
            fee=fee,
            fee_currency=state.quote_currency,
            liquidity=_TAKER,
            venue_order_id=venue_order_id,
            strategy=command.strategy,
        )
        self._record_fill(filled, state.instrument)
        self._fills.append(filled)
        publish = self.bus.publish
        publish(accepted)
        publish(filled)

    def _place(self, command: SubmitOrder) -> None:
        """Place ``command`` now, the general way (see the module docstring)."""
        faults = self.faults
        symbol = command.symbol
        state = self._symbols.get(symbol)
        if (
            faults.active
            or state is None
            or command.client_order_id in self._orders
            or state.instrument is not self.registry.find(symbol)
            or state.path is not self.market.get(symbol)
        ):
            refused = self._refusal(command)
            if isinstance(refused, str):
                self._reject(command, refused)
                return
            state = refused
        quote = state.quote(self.step, faults)
        reference = quote.ask if command.side is _BUY else quote.bid
        order = SimOrder(command, "")
        reason = state.check_size(command, reference) or self._matcher.check_funds(
            order, state, reference
        )
        if reason is not None:
            self._reject(command, reason)
            return
        # the ids of IdGenerator("SIM"), without its per-call overhead
        order.venue_order_id = venue_order_id = "SIM-" + str(next(self._venue_numbers)).zfill(6)
        order.queue_ahead = self._queue_ahead
        client_order_id = command.client_order_id
        self._orders[client_order_id] = order
        ts = self.clock.now()
        if faults.active and faults.take_lost_ack():
            self.outbox.append(
                OrderStatusUnknown(
                    ts=ts,
                    client_order_id=client_order_id,
                    symbol=command.symbol,
                    operation="submit",
                    error="acknowledgement lost",
                )
            )
        else:
            self.outbox.append(
                OrderAccepted(
                    ts=ts,
                    client_order_id=client_order_id,
                    symbol=command.symbol,
                    venue_order_id=venue_order_id,
                )
            )
        self._matcher.work(order, state, quote)
        order.checked_price = None
        status = order.status
        if status is not _FILLED and status in _OPEN:
            self._open[client_order_id] = order
            if order.hold_currency:
                self.hold(order, order.leaves)
        self._flush()

    def _cancel_now(self, command: CancelOrder) -> None:
        order = self._orders.get(command.client_order_id)
        reason = self.call_refused()
        if reason is None and (order is None or order.status not in _OPEN):
            reason = format_reason("ORDER_NOT_OPEN", client_order_id=command.client_order_id)
        if reason is not None or order is None:
            self._cancel_rejected(command.client_order_id, command.symbol, reason or "")
        else:
            self.drop(order, command.reason or "CANCELED")
        self._flush()

    def _cancel_rejected(self, client_order_id: str, symbol: str, reason: str) -> None:
        order = self._orders.get(client_order_id)
        self.emit(
            OrderCancelRejected(
                ts=self.clock.now(),
                client_order_id=client_order_id,
                symbol=symbol,
                reason=reason,
                venue_order_id=order.venue_order_id if order is not None else None,
            )
        )

    def _cancel_all_now(self, command: CancelAllOrders) -> None:
        refused = self.call_refused()
        for order in list(self._open.values()):
            if order.status not in _OPEN or command.symbol not in (None, order.command.symbol):
                continue
            if refused is None:
                self.drop(order, command.reason or "CANCELED")
            else:
                self._cancel_rejected(order.command.client_order_id, order.command.symbol, refused)
        self._prune()
        self._flush()

    def _prune(self) -> None:
        self._open = {key: o for key, o in self._open.items() if o.status in _OPEN}


_BUY = OrderSide.BUY
_MARKET = OrderType.MARKET
_FILLED = OrderStatus.FILLED
_OPEN = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.TRIGGERED)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_TAKER = LiquiditySide.TAKER
