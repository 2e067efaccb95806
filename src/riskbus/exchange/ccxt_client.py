"""The live exchange client: any ccxt venue (binance, coinbase, kraken, ...) behind the bus.

The client follows the same contract as the simulated exchange: the bus routes the cancel
and query commands to it, the order gateway hands it ``SubmitOrder`` through
:meth:`CcxtClient.submit`, and it answers only with events. Handlers are synchronous, so
each command starts an asyncio task on the :class:`~riskbus.core.clock.LiveClock`'s loop;
the task awaits the venue through ``ccxt.async_support`` and publishes its events from the
loop thread, where the same synchronous handlers run as in simulation.

A live cycle::

    LiveClock timer -> bot sends FetchPrice -> CcxtClient.fetch_price starts a task
      -> await exchange.fetch_ticker (+ fetch_ohlcv) -> bus.publish(MarketPriceFetched)

Errors are translated at this boundary (:mod:`riskbus.exchange._ccxt_errors`): a refused
order is ``OrderRejected`` with a reason code, a timeout or 5xx while placing or cancelling
is ``OrderStatusUnknown`` (the reconciler settles it), a failed price fetch is
``MarketPriceFetchFailed``, and a failed balance, order or position query is a
``HandlerFailed`` event (the query events have no failure form). Every text that leaves
the boundary is redacted: API keys are read from the environment
(``RISKBUS_<VENUE>_API_KEY`` / ``_SECRET`` / ``_PASSWORD`` / ``_UID``) and never appear in a
log line, a ``repr``, an error or an event.

Safety defaults: ccxt's rate limiter is always on (``enableRateLimit``), ``sandbox=True``
switches to the venue's test URLs (``set_sandbox_mode``), and ``api_base_url`` points every
REST section at another host (the riskbus exchange server, or a test double).

Not done here: fills of resting orders after the submit answer arrive only through
``FetchOpenOrders`` and the reconciler (no user-data stream yet).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock
from riskbus.core.errors import (
    InvalidValueError,
    OperationalError,
    OutcomeUnknownError,
    RiskbusError,
)
from riskbus.core.messages import Event, HandlerFailed
from riskbus.exchange._ccxt_config import (
    CcxtConfig,
    build_exchange,
    ccxt_venue_ids,
    unknown_venue_error,
)
from riskbus.exchange._ccxt_errors import Operation, map_error
from riskbus.exchange._ccxt_markets import candle_from_row, instruments_from_markets, to_decimal
from riskbus.exchange._ccxt_orders import (
    order_events,
    order_report,
    order_request,
    position_report,
)
from riskbus.exchange._ccxt_secrets import Credentials, Redactor
from riskbus.exchange._ccxt_trades import FillLedger
from riskbus.exchange.base import ExchangeClient
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
from riskbus.model.events.account import (
    Balance,
    BalancesFetched,
    FillsFetched,
    OpenOrdersReport,
    OrderStatusReported,
    PositionsReport,
)
from riskbus.model.events.market import Candle, MarketPriceFetched, MarketPriceFetchFailed
from riskbus.model.events.orders import (
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
)
from riskbus.model.reasons import format_reason

__all__ = ["CcxtClient", "CcxtConfig", "Credentials", "ccxt_venue_ids", "unknown_venue_error"]

log = logging.getLogger("riskbus.exchange.ccxt")


class CcxtClient(ExchangeClient):
    """A ccxt venue as an exchange client on the bus.

    Args:
        bus: where the events go.
        clock: the live clock; its loop runs the I/O tasks and stamps the events.
        config: the venue and how to reach it.
        credentials: the API keys (default: read from the environment).
        environ: the environment to read credentials from (default ``os.environ``).

    Raises:
        InvalidValueError: the venue id is unknown (the message lists close ids).
        ConfigError: ``sandbox`` is asked for and the venue has no test environment.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: LiveClock,
        config: CcxtConfig,
        *,
        credentials: Credentials | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.venue = config.venue
        self.bus = bus
        self.clock = clock
        self.config = config
        if credentials is None:
            credentials = Credentials.from_env(config.venue, environ, prefix=config.env_prefix)
        self._credentials = credentials
        self._redact = Redactor(credentials.values())
        self.registry = InstrumentRegistry()
        self.skipped_markets: dict[str, str] = {}
        self.last_error: RiskbusError | None = None
        self._venue_order_ids: dict[str, str] = {}
        self._fills = FillLedger()
        self._tasks: set[asyncio.Task[None]] = set()
        self._connected = False
        self._closed = False
        self._connect_lock: asyncio.Lock | None = None
        self._connect_failure: str | None = None
        self._exchange: Any = build_exchange(config, credentials, self._redact)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the markets are loaded and the client is not closed."""
        return self._connected and not self._closed

    @property
    def has_credentials(self) -> bool:
        """Whether an API key was given (the values are never shown)."""
        return self._credentials.present

    async def connect(self) -> None:
        """Load the venue's markets into :attr:`registry` (once).

        Raises:
            RiskbusError: the mapped venue error (``TransientError`` for a network fault,
                ``AuthenticationError``, ...), redacted.
        """
        _ = self.clock.loop  # pin the loop the I/O runs on (connect runs on it)
        if self._connected:
            return
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:
            if self._connected:
                return
            try:
                await self._exchange.load_markets()
            except Exception as exc:
                error, self._connect_failure = self._reason(exc, "connect")
                raise error from None
            self._connect_failure = None
            instruments, skipped = instruments_from_markets(
                self._exchange.markets or {}, int(self._exchange.precisionMode), self.venue
            )
            self.registry = InstrumentRegistry(instruments)
            self.skipped_markets = skipped
            self._connected = True
            log.info(
                "connected to %s: %d instruments, %d markets skipped",
                self.venue,
                len(instruments),
                len(skipped),
            )

    async def drain(self) -> None:
        """Wait until every task started so far (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Let the pending requests finish, then release ccxt's HTTP session."""
        await self.drain()
        self._closed = True
        await self._exchange.close()

    def __repr__(self) -> str:
        return (
            f"CcxtClient(venue={self.venue!r}, sandbox={self.config.sandbox}, "
            f"connected={self.connected}, credentials={self._credentials!r})"
        )

    # -- commands -------------------------------------------------------------------------

    def submit(self, command: SubmitOrder) -> None:
        """Place the order in a task; the outcome arrives as order events."""
        self._spawn(self._submit(command))

    def cancel_order(self, command: CancelOrder) -> None:
        """Cancel one order in a task; answered by ``OrderCanceled`` or a refusal."""
        self._spawn(self._cancel(command))

    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel every open order (of ``command.symbol`` when given), one by one."""
        self._spawn(self._cancel_all(command))

    def fetch_price(self, command: FetchPrice) -> None:
        """Answer with ``MarketPriceFetched`` (with candles when asked) or the failure."""
        self._spawn(self._fetch_price(command))

    def fetch_balances(self, command: FetchBalances) -> None:
        """Answer with ``BalancesFetched``."""
        self._spawn(self._query("FetchBalances", lambda: self._fetch_balances(command.request_id)))

    def fetch_open_orders(self, command: FetchOpenOrders) -> None:
        """Answer with ``OpenOrdersReport``."""
        self._spawn(self._query("FetchOpenOrders", lambda: self._fetch_open_orders(command)))

    def fetch_order(self, command: FetchOrder) -> None:
        """Answer with ``OrderStatusReported`` (``report`` None when the venue has no such
        client order id)."""
        self._spawn(self._query("FetchOrder", lambda: self._fetch_order(command)))

    def fetch_positions(self, command: FetchPositions) -> None:
        """Answer with ``PositionsReport`` (empty for a venue without derivatives)."""
        self._spawn(
            self._query("FetchPositions", lambda: self._fetch_positions(command.request_id))
        )

    def fetch_fills(self, command: FetchFills) -> None:
        """Publish the symbol's fills not reported yet (from the account's trade history:
        resting orders filled since, orders placed elsewhere), then ``FillsFetched``; see
        :mod:`riskbus.exchange._ccxt_trades`."""
        self._spawn(self._query("FetchFills", lambda: self._fetch_fills(command)))

    # -- tasks ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        try:
            loop = self.clock.loop  # the clock's loop, or the running one (then pinned)
        except RuntimeError:
            coroutine.close()
            raise OperationalError(
                f"{self.venue}: the live clock has no event loop yet; give LiveClock its loop "
                "or connect() the client on it before sending commands from other threads"
            ) from None
        if running is loop:
            self._track(loop.create_task(coroutine))
        else:  # called from another thread: start the task on the loop's own thread
            loop.call_soon_threadsafe(lambda: self._track(loop.create_task(coroutine)))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _reason(self, exc: BaseException, operation: Operation) -> tuple[RiskbusError, str]:
        """Map ``exc``; log it (redacted); return the error and a ``CODE: key=value`` reason."""
        error, rule = map_error(exc, venue=self.venue, operation=operation, redact=self._redact)
        self.last_error = error
        log.warning("%s", error)
        return error, format_reason(rule.code, venue=self.venue, error=type(exc).__name__)

    async def _ready(self) -> str | None:
        """Connect if needed; return the refusal reason when the venue cannot be reached."""
        if self._closed:
            return format_reason("CLIENT_CLOSED", venue=self.venue)
        try:
            await self.connect()
        except RiskbusError as error:
            return self._connect_failure or format_reason(
                "VENUE_ERROR", venue=self.venue, error=type(error).__name__
            )
        return None

    def _publish(self, events: list[Event] | Event) -> None:
        for event in events if isinstance(events, list) else [events]:
            self.bus.publish(event)

    async def _submit(self, command: SubmitOrder) -> None:
        refusal = await self._ready()
        instrument = self.registry.find(command.symbol)
        if refusal is None and instrument is None:
            refusal = format_reason("UNKNOWN_SYMBOL", symbol=command.symbol, venue=self.venue)
        if refusal is None and instrument is not None:
            try:
                request = order_request(command, instrument, self.venue)
            except InvalidValueError as error:
                refusal = format_reason("INVALID_ORDER", field=error.field, value=error.value)
        if refusal is not None or instrument is None:
            self._reject(command, refusal or "")
            return
        try:
            raw = await self._exchange.create_order(
                request.symbol,
                request.type,
                request.side,
                request.amount,
                request.price,
                request.params,
            )
        except asyncio.CancelledError:
            self._unknown(command.client_order_id, command.symbol, "submit", "CANCELLED")
            raise
        except Exception as exc:
            mapped, reason = self._reason(exc, "submit")
            if isinstance(mapped, OutcomeUnknownError):
                self._unknown(command.client_order_id, command.symbol, "submit", reason)
            else:
                self._reject(command, reason)
            return
        events = order_events(raw, command, instrument, self.clock.now(), self.venue)
        venue_order_id = raw.get("id")
        if venue_order_id is not None:
            self._venue_order_ids[command.client_order_id] = str(venue_order_id)
            fills = [event for event in events if isinstance(event, OrderFilled)]
            self._fills.placed(command, str(venue_order_id), fills)
        self._publish(events)

    def _reject(self, command: SubmitOrder, reason: str) -> None:
        self.bus.publish(
            OrderRejected(
                ts=self.clock.now(),
                client_order_id=command.client_order_id,
                symbol=command.symbol,
                code=reason.partition(":")[0].strip(),
                reason=reason,
            )
        )

    def _unknown(self, client_order_id: str, symbol: str, operation: str, error: str) -> None:
        self.bus.publish(
            OrderStatusUnknown(
                ts=self.clock.now(),
                client_order_id=client_order_id,
                symbol=symbol,
                operation=operation,
                error=error,
            )
        )

    async def _cancel(self, command: CancelOrder) -> None:
        refusal = await self._ready()
        venue_order_id = command.venue_order_id or self._venue_order_ids.get(
            command.client_order_id
        )
        if refusal is not None:
            self._cancel_rejected(command.client_order_id, command.symbol, refusal, venue_order_id)
            return
        await self._cancel_one(
            command.client_order_id, command.symbol, venue_order_id, command.reason
        )

    async def _cancel_one(
        self, client_order_id: str, symbol: str, venue_order_id: str | None, reason: str
    ) -> None:
        params: dict[str, Any] = {} if venue_order_id else {"clientOrderId": client_order_id}
        try:
            raw = await self._exchange.cancel_order(venue_order_id, symbol, params)
        except asyncio.CancelledError:
            self._unknown(client_order_id, symbol, "cancel", "CANCELLED")
            raise
        except Exception as exc:
            error, why = self._reason(exc, "cancel")
            if isinstance(error, OutcomeUnknownError):
                self._unknown(client_order_id, symbol, "cancel", why)
            else:
                self._cancel_rejected(client_order_id, symbol, why, venue_order_id)
            return
        answered_id = raw.get("id") if isinstance(raw, Mapping) else None
        self.bus.publish(
            OrderCanceled(
                ts=self.clock.now(),
                client_order_id=client_order_id,
                symbol=symbol,
                reason=reason or "CANCELED",
                venue_order_id=str(answered_id) if answered_id is not None else venue_order_id,
            )
        )

    def _cancel_rejected(
        self, client_order_id: str, symbol: str, reason: str, venue_order_id: str | None
    ) -> None:
        self.bus.publish(
            OrderCancelRejected(
                ts=self.clock.now(),
                client_order_id=client_order_id,
                symbol=symbol,
                reason=reason,
                venue_order_id=venue_order_id,
            )
        )

    async def _cancel_all(self, command: CancelAllOrders) -> None:
        async def cancel_each() -> Event | None:
            raw_orders = await self._exchange.fetch_open_orders(command.symbol)
            for raw in raw_orders:
                report = order_report(raw, self.registry.find(str(raw.get("symbol"))))
                await self._cancel_one(
                    report.client_order_id,
                    report.symbol,
                    report.venue_order_id,
                    command.reason,
                )
            return None

        await self._query("CancelAllOrders", cancel_each)

    async def _fetch_price(self, command: FetchPrice) -> None:
        failure = await self._ready()
        if failure is None and command.symbol not in self.registry:
            failure = format_reason("UNKNOWN_SYMBOL", symbol=command.symbol, venue=self.venue)
        if failure is None:
            try:
                event = await self._price(command)
            except Exception as exc:
                failure = self._reason(exc, "fetch")[1]
            else:
                self.bus.publish(event)
                return
        self.bus.publish(
            MarketPriceFetchFailed(
                ts=self.clock.now(),
                cycle_id=command.cycle_id,
                pair=command.symbol,
                error_message=failure or "",
            )
        )

    async def _price(self, command: FetchPrice) -> MarketPriceFetched | MarketPriceFetchFailed:
        ticker = await self._exchange.fetch_ticker(command.symbol)
        last = to_decimal(ticker.get("last")) or to_decimal(ticker.get("close"))
        bid = to_decimal(ticker.get("bid")) or last
        ask = to_decimal(ticker.get("ask")) or last
        if last is None and bid is not None and ask is not None:
            last = (bid + ask) / 2
        if last is None or bid is None or ask is None:
            return MarketPriceFetchFailed(
                ts=self.clock.now(),
                cycle_id=command.cycle_id,
                pair=command.symbol,
                error_message=format_reason("NO_PRICE", symbol=command.symbol, venue=self.venue),
            )
        candles: tuple[Candle, ...] = ()
        if command.candle_count > 0:
            rows = await self._exchange.fetch_ohlcv(
                command.symbol, self.config.candle_timeframe, None, command.candle_count
            )
            candles = tuple(c for c in map(candle_from_row, rows) if c is not None)
        return MarketPriceFetched(
            ts=self.clock.now(),
            cycle_id=command.cycle_id,
            pair=command.symbol,
            current_price=last,
            current_buy_price=ask,
            current_sell_price=bid,
            candles=candles,
        )

    async def _query(self, name: str, run: Callable[[], Awaitable[Event | None]]) -> None:
        """Run a query; publish its event, or ``HandlerFailed`` when the venue fails."""
        failure = await self._ready()
        if failure is None:
            try:
                event = await run()
            except Exception as exc:
                error = self._reason(exc, "fetch")[0]
                failure = str(error)
                error_type = type(error).__name__
            else:
                if event is not None:
                    self.bus.publish(event)
                return
        else:
            error_type = "OperationalError"
        self.bus.publish(
            HandlerFailed(
                ts=self.clock.now(),
                handler=f"exchange:{self.venue}",
                message_name=name,
                error_type=error_type,
                error=failure,
            )
        )

    async def _fetch_balances(self, request_id: str) -> BalancesFetched:
        raw = await self._exchange.fetch_balance()
        totals: Mapping[str, Any] = raw.get("total") or {}
        frees: Mapping[str, Any] = raw.get("free") or {}
        rows = []
        for currency in sorted(totals):
            total = to_decimal(totals[currency])
            if total is None or total == 0:
                continue
            free = to_decimal(frees.get(currency))
            rows.append(
                Balance(currency=currency, total=total, free=total if free is None else free)
            )
        return BalancesFetched(ts=self.clock.now(), balances=tuple(rows), request_id=request_id)

    async def _fetch_open_orders(self, command: FetchOpenOrders) -> OpenOrdersReport:
        raw_orders = await self._exchange.fetch_open_orders(command.symbol)
        orders = tuple(
            order_report(raw, self.registry.find(str(raw.get("symbol")))) for raw in raw_orders
        )
        return OpenOrdersReport(
            ts=self.clock.now(),
            orders=orders,
            symbol=command.symbol,
            request_id=command.request_id,
        )

    async def _fetch_order(self, command: FetchOrder) -> OrderStatusReported:
        import ccxt.async_support as ccxt_async

        instrument = self.registry.find(command.symbol)
        try:
            raw = await self._exchange.fetch_order(
                None,
                command.symbol,
                {"clientOrderId": command.client_order_id},  # what ccxt maps per venue
            )
        except ccxt_async.OrderNotFound:
            report = None
        else:
            report = order_report(raw, instrument)
        return OrderStatusReported(
            ts=self.clock.now(),
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            report=report,
            request_id=command.request_id,
        )

    async def _fetch_fills(self, command: FetchFills) -> FillsFetched:
        instrument = self.registry.get(command.symbol)
        ledger = self._fills
        raw = await self._exchange.fetch_my_trades(command.symbol, ledger.since(command.symbol))
        fills, baseline = ledger.read(command.symbol, raw, instrument, self.clock.now(), self.venue)
        for fill in fills:
            self.bus.publish(fill)
        return FillsFetched(
            ts=self.clock.now(),
            symbol=command.symbol,
            count=len(fills),
            baseline=baseline,
            request_id=command.request_id,
        )

    async def _fetch_positions(self, request_id: str) -> PositionsReport:
        derivatives = [i.symbol for i in self.registry if i.is_derivative]
        rows = []
        if derivatives and self._exchange.has.get("fetchPositions"):
            for raw in await self._exchange.fetch_positions(derivatives):
                report = position_report(raw)
                if report is not None:
                    rows.append(report)
        return PositionsReport(
            ts=self.clock.now(),
            positions=tuple(sorted(rows, key=lambda r: r.symbol)),
            request_id=request_id,
        )
