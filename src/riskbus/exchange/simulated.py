"""The simulated exchange: a synchronous venue over price paths, latency via the clock.

Walk of one order: :meth:`SimulatedExchange.submit` waits its seeded latency on the clock,
then consults the fault hooks, validates the order (size, step, tick, notional, funds),
acknowledges it (``OrderAccepted``, or ``OrderStatusUnknown`` when the ack is lost) and
matches it against the current quote. What does not fill rests; :meth:`advance` moves the
market one step and matches the resting orders again. Fills are booked in the venue's own
:class:`~riskbus.model.portfolio.Portfolio` (``account``).

Simplifications: resting orders do not lock funds (a spot fill that the account can no
longer pay for cancels the order with ``INSUFFICIENT_BALANCE``); each order gets its own
volume share per step (orders do not compete for volume); a stop order waits for its
trigger whatever its time in force; ``Fetch{Balances,OpenOrders,Positions}`` are answered
even during an outage (the model has no failure event for them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.ids import IdGenerator
from riskbus.core.seeds import Seeds
from riskbus.exchange import reports
from riskbus.exchange.base import ExchangeClient
from riskbus.exchange.book import SimOrder, check_order
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.faults import Faults
from riskbus.exchange.matching import Matcher, Quote
from riskbus.market.path import PricePath
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    FetchBalances,
    FetchOpenOrders,
    FetchPositions,
    FetchPrice,
    SubmitOrder,
)
from riskbus.model.enums import OrderStatus
from riskbus.model.events.account import (
    OrderReport,
)
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
        self._venue_ids = IdGenerator("SIM")
        self._open: dict[str, SimOrder] = {}
        self._quotes: dict[str, tuple[tuple[int, Decimal], Quote]] = {}
        self._matcher = Matcher(self, seeds, self.config)

    # -- market ---------------------------------------------------------------------------

    def quote(self, symbol: str) -> Quote:
        """Return the venue's current quote of ``symbol`` (faults applied).

        Raises:
            InvalidValueError: the symbol is unknown.
            KeyError: no price path is loaded for the symbol.
        """
        path = self.market[symbol]
        k = min(self.faults.price_step(self.step), len(path) - 1)
        key = (k, self.faults.gap)
        cached = self._quotes.get(symbol)
        if cached is not None and cached[0] == key:
            return cached[1]
        quote = self._read_quote(symbol, path, k)
        self._quotes[symbol] = (key, quote)
        return quote

    def _read_quote(self, symbol: str, path: PricePath, k: int) -> Quote:
        instrument = self.registry.get(symbol)
        raw = path.quote_at(k)
        if self.faults.gap:
            factor = 1 + self.faults.gap / 100
            return Quote(
                price=instrument.quantize_price(raw.price * factor),
                bid=instrument.quantize_price(raw.sell * factor),
                ask=instrument.quantize_price(raw.buy * factor),
            )
        tick = instrument.tick_size
        quantized = path.quote_at(k, tick)
        return Quote(price=quantized.price, bid=quantized.sell, ask=quantized.buy)

    def advance(self, steps: int = 1) -> None:
        """Move the market ``steps`` steps, matching the resting orders after each."""
        for _ in range(steps):
            self.step += 1
            for order in list(self._open.values()):
                if order.status in _OPEN:
                    self._matcher.work(order)
            self._prune()

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
        self._later("submit", lambda: self._submit_now(command))

    def cancel_order(self, command: CancelOrder) -> None:
        """Cancel one order after the ``cancel`` latency."""
        self._later("cancel", lambda: self._cancel_now(command))

    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel every open order (of ``command.symbol`` when given) after the latency."""
        self._later("cancel", lambda: self._cancel_all_now(command))

    def fetch_price(self, command: FetchPrice) -> None:
        """Answer with the current quote (``MarketPriceFetched``) after the latency."""
        self._later("fetch", lambda: self.bus.publish(reports.price(self, command)))

    def fetch_balances(self, command: FetchBalances) -> None:
        """Answer with ``BalancesFetched`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.balances(self, command)))

    def fetch_open_orders(self, command: FetchOpenOrders) -> None:
        """Answer with ``OpenOrdersReport`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.open_orders(self, command)))

    def fetch_positions(self, command: FetchPositions) -> None:
        """Answer with ``PositionsReport`` after the ``fetch`` latency."""
        self._later("fetch", lambda: self.bus.publish(reports.positions(self, command)))

    # -- internals ------------------------------------------------------------------------

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

    def _refusal(self, command: SubmitOrder) -> str | None:
        refused = self.call_refused()
        if refused is not None:
            return refused
        if self.faults.active and self.faults.take_reject():
            return format_reason("REJECTED_BY_VENUE", venue=self.venue)
        if command.client_order_id in self._orders:
            return format_reason("DUPLICATE_ORDER", client_order_id=command.client_order_id)
        instrument = self.registry.find(command.symbol)
        if instrument is None or command.symbol not in self.market:
            return format_reason("UNKNOWN_SYMBOL", symbol=command.symbol)
        quote = self.quote(command.symbol)
        reference = quote.ask if command.side.sign > 0 else quote.bid
        return check_order(command, instrument, reference) or self._matcher.check_funds(
            command, instrument, reference
        )

    def _submit_now(self, command: SubmitOrder) -> None:
        reason = self._refusal(command)
        if reason is not None:
            self._reject(command, reason)
            return
        order = SimOrder(command=command, venue_order_id=self._venue_ids.next())
        order.queue_ahead = self.config.queue_ahead
        self._orders[command.client_order_id] = order
        ts = self.clock.now()
        if self.faults.active and self.faults.take_lost_ack():
            self.bus.publish(
                OrderStatusUnknown(
                    ts=ts,
                    client_order_id=command.client_order_id,
                    symbol=command.symbol,
                    operation="submit",
                    error="acknowledgement lost",
                )
            )
        else:
            self.bus.publish(
                OrderAccepted(
                    ts=ts,
                    client_order_id=command.client_order_id,
                    symbol=command.symbol,
                    venue_order_id=order.venue_order_id,
                )
            )
        self._matcher.work(order)
        if order.status in _OPEN:
            self._open[command.client_order_id] = order

    def _cancel_now(self, command: CancelOrder) -> None:
        order = self._orders.get(command.client_order_id)
        reason = self.call_refused()
        if reason is None and (order is None or order.status not in _OPEN):
            reason = format_reason("ORDER_NOT_OPEN", client_order_id=command.client_order_id)
        if reason is not None or order is None:
            self._cancel_rejected(command.client_order_id, command.symbol, reason or "")
            return
        self.cancel(order, command.reason or "CANCELED")

    def _cancel_rejected(self, client_order_id: str, symbol: str, reason: str) -> None:
        order = self._orders.get(client_order_id)
        self.bus.publish(
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
                self.cancel(order, command.reason or "CANCELED")
            else:
                self._cancel_rejected(order.command.client_order_id, order.command.symbol, refused)
        self._prune()

    def _prune(self) -> None:
        self._open = {key: o for key, o in self._open.items() if o.status in _OPEN}

    def cancel(self, order: SimOrder, reason: str) -> None:
        """Cancel ``order`` now and publish ``OrderCanceled`` (used by the matcher too)."""
        order.status = OrderStatus.CANCELED
        self.bus.publish(
            OrderCanceled(
                ts=self.clock.now(),
                client_order_id=order.command.client_order_id,
                symbol=order.command.symbol,
                reason=reason,
                venue_order_id=order.venue_order_id,
            )
        )


_OPEN = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.TRIGGERED)
