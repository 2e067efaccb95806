"""The guard service: one account's live risk guard, from config file to event loop.

:class:`GuardService` wires, on one bus and one injected clock:

* the risk config (:func:`~riskbus.risk.config.load_config`; an invalid file stops the start
  with a :class:`~riskbus.risk.config.RiskConfigError` naming key and line);
* the store (``--database`` / ``RISKBUS_DATABASE_URL``, SQLite by default), through which
  P&L, lockouts, timers and rule state survive a restart;
* the venue: the simulated exchange (dry run, or no exchange given) over a seeded market
  path per symbol, or a ccxt venue by id with API keys from the environment (never logged);
* the :class:`~riskbus.risk.manager.RiskManager` (it logs the 8 checkpoints);
* the :class:`~riskbus.risk.reload.RiskConfigReloader`: file watch plus the store request
  channel that ``riskbus admin config reload`` writes to;
* a market-data feed: every ``tick_interval`` the simulated market moves one step and its
  quotes are published (``QuoteTick``); a ccxt venue is asked for its prices (``FetchPrice``)
  and, without ``--bridge``, for the account's fills it has not reported yet
  (``FetchFills``: resting orders filled since, trades of other programs or by hand; the
  first ask takes the fills so far as the starting state), which the account books and
  the rules see like any other fill.

Lifecycle: :meth:`open` (checkpoints 1 and 2, store, bus, venue) → ``await``
:meth:`connect` (ccxt only: load the markets) → :meth:`start` (the manager: checkpoints 3 to
5, restart recovery; the reloader; the feed) → events → :meth:`stop` (rule state saved,
timers cancelled, store closed). :meth:`run` does all of it on a live asyncio loop until
``duration`` passes or SIGINT/SIGTERM arrives. :attr:`tracker` exposes the checkpoint
progress (:class:`~riskbus.risk.checkpoints.CheckpointTracker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Clock
from riskbus.core.errors import InvalidValueError
from riskbus.core.messages import Message
from riskbus.exchange.base import ExchangeClient
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market import PricePath
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import FetchFills, FetchPrice
from riskbus.model.events.account import (
    PositionChanged,
    PositionClosed,
    PositionOpened,
    TradingStateChanged,
)
from riskbus.model.events.market import Bar, MarketPriceFetched, QuoteTick, TradeTick
from riskbus.model.events.orders import OrderDenied, OrderFilled, OrderRejected
from riskbus.model.events.risk import (
    EnforcementTriggered,
    LockoutEnded,
    LockoutStarted,
    RiskConfigRejected,
    RiskConfigReloaded,
    RuleViolated,
)
from riskbus.risk.checkpoints import CheckpointPass, CheckpointTracker
from riskbus.risk.config import RiskConfig, load_config
from riskbus.risk.guard_options import (
    GuardOptions,
    GuardSummary,
    ccxt_venue,
    default_symbols,
    reference_price,
    simulated_venue,
)
from riskbus.risk.manager import RiskManager
from riskbus.risk.reload import RiskConfigReloader
from riskbus.store import Store, open_store

if TYPE_CHECKING:
    from riskbus.bridge import StreamConsumer

__all__ = [
    "BRIDGED",
    "NOTIFIED",
    "GuardOptions",
    "GuardService",
    "GuardSummary",
    "default_symbols",
    "reference_price",
]

log = logging.getLogger("riskbus.risk")

#: The events a guard reports to its ``on_event`` callback (the CLI prints them): denials,
#: venue rejections, trading state changes, violations, enforcements, lockouts, reloads.
NOTIFIED: tuple[type[Message], ...] = (
    OrderDenied,
    OrderRejected,
    TradingStateChanged,
    RuleViolated,
    EnforcementTriggered,
    LockoutStarted,
    LockoutEnded,
    RiskConfigReloaded,
    RiskConfigRejected,
)

#: What a guard takes from bots in other processes through the Redis Streams bridge: their
#: fills, positions and prices, which the P&L tracker and the rules evaluate here. (The
#: guard enforces through its own connection to the account, which the bots share.)
BRIDGED: tuple[type[Message], ...] = (
    OrderFilled,
    PositionOpened,
    PositionChanged,
    PositionClosed,
    QuoteTick,
    TradeTick,
    Bar,
)

_FEED = "guard:feed"
_ZERO = Decimal(0)


class GuardService:
    """One account's risk guard (see the module docstring).

    Args:
        options: what to run.
        clock: the clock (a ``LiveClock`` live, a ``VirtualClock`` in the smoke test).
        config: the config already loaded from ``options.config`` (default: load it).
        store: an open store to use (default: open ``options.database``; then it is
            closed on stop).
        market: price paths of the simulated venue by symbol, replacing the generated ones.
        on_checkpoint: called with each checkpoint the first time it passes.
        on_event: called with every violation, enforcement, lockout and reload event.
        environ: where a ccxt venue's API keys are read (default ``os.environ``).
    """

    def __init__(
        self,
        options: GuardOptions,
        *,
        clock: Clock,
        config: RiskConfig | None = None,
        store: Store | None = None,
        market: Mapping[str, PricePath] | None = None,
        on_checkpoint: Callable[[CheckpointPass], None] | None = None,
        on_event: Callable[[Message], None] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options
        self.clock = clock
        self.tracker = CheckpointTracker(clock, on_checkpoint)
        self.bus = EventBus(clock)
        self._config = config
        self._store = store
        self._own_store = store is None
        self._market = dict(market or {})
        self._on_event = on_event
        self._environ = environ
        self._venue: ExchangeClient | None = None
        self._manager: RiskManager | None = None
        self._reloader: RiskConfigReloader | None = None
        self._registry: InstrumentRegistry | None = None
        self.symbols: tuple[str, ...] = ()
        self.counts = {"violations": 0, "enforcements": 0}
        self._started_at: int | None = None
        self._stopped = False
        self._stop: asyncio.Event | None = None
        self._fills_read_at: int | None = None  # when the feed last asked for new fills
        #: The bridge consumer (with ``options.bridge_url``), connected by :meth:`start`.
        self.bridge: StreamConsumer | None = None

    # -- parts ------------------------------------------------------------------------------

    @property
    def config(self) -> RiskConfig:
        """The config in force (after a hot reload: the reloaded one)."""
        if self._reloader is not None:
            return self._reloader.config
        if self._config is None:
            raise RuntimeError("the guard is not open")
        return self._config

    @property
    def store(self) -> Store:
        """The store."""
        if self._store is None:
            raise RuntimeError("the guard is not open")
        return self._store

    @property
    def venue(self) -> ExchangeClient:
        """The exchange client."""
        if self._venue is None:
            raise RuntimeError("the guard is not open")
        return self._venue

    @property
    def manager(self) -> RiskManager:
        """The risk manager."""
        if self._manager is None:
            raise RuntimeError("the guard has not started")
        return self._manager

    @property
    def registry(self) -> InstrumentRegistry:
        """The instruments."""
        if self._registry is None:
            raise RuntimeError("the guard is not open")
        return self._registry

    # -- lifecycle --------------------------------------------------------------------------

    def open(self) -> GuardService:
        """Load the config, open the store, build the venue (checkpoints 1 and 2).

        Raises:
            RiskConfigError: the config file is invalid (file, key and line).
            ConfigError: the store cannot be opened.
            InvalidValueError: a symbol or the venue id is unknown.
        """
        self.tracker.install()
        mode = "simulated" if self.options.simulated else f"ccxt:{self.options.exchange}"
        log.info("guard service start (%s)", mode, extra={"checkpoint": 1, "mode": mode})
        config = self._config or load_config(self.options.config)
        self._config = config
        log.info(
            "config loaded from %s: %s",
            Path(self.options.config).name,
            config.summary(),
            extra={"checkpoint": 2, "rules": list(config.enabled_rules())},
        )
        if self._store is None:
            self._store = open_store(self.options.database)
        self._registry = config.registry()
        self._venue = self._build_venue(config)
        return self

    async def connect(self) -> None:
        """Connect a ccxt venue (load its markets); nothing to do for the simulated one."""
        from riskbus.exchange.ccxt_client import CcxtClient

        venue = self.venue
        if isinstance(venue, CcxtClient):
            await venue.connect()
            for instrument in venue.registry:
                self.registry.add(instrument, replace=True)
            self.symbols = self._pick_symbols(self.config)

    def start(self) -> GuardService:
        """Start the risk manager (checkpoints 3 to 5, recovery), the reloader and the feed."""
        config, simulated = self.config, self.options.simulated
        balances = {config.account.currency: self.options.balance} if simulated else None
        self._manager = RiskManager(
            self.bus,
            self.clock,
            self.registry,
            config.build_rules(),
            exchange=self.venue,
            store=self.store,
            account=config.account.id,
            balances=balances,
            currency=config.account.currency,
            reset=config.reset_config(),
        )
        self._started_at = self.clock.now()
        for kind in NOTIFIED:
            self.bus.subscribe(kind, self._notify, component="guard")
        self._manager.start()
        reloader = RiskConfigReloader(
            self.options.config,
            apply=self._manager.apply_config,
            clock=self.clock,
            bus=self.bus,
            store=self.store,
            poll_interval=self.options.poll_interval,
            actor="riskbus-guard",
        )
        reloader.start(current=config)
        self._reloader = reloader
        if not simulated:
            self.bus.subscribe(MarketPriceFetched, self._on_price, component="guard")
        if self.options.tick_interval is not None:
            self.clock.set_timer(_FEED, self.options.tick_interval, self.tick)
        if self.options.bridge_url is not None:
            from riskbus.bridge import StreamConsumer  # redis: only when bridged

            self.bridge = StreamConsumer(
                self.bus,
                self.options.bridge_url,
                prefix=self.options.bridge_prefix,
                group="guard",
                consumer=self.options.bridge_consumer,
                event_types=BRIDGED,
            ).connect()
        return self

    def stop(self) -> None:
        """Stop the feed, the reloader and the manager (state saved), close the store."""
        if self._stopped:
            return
        self._stopped = True
        self.clock.cancel(_FEED)
        if self.bridge is not None:
            self.bridge.stop()
        if self._reloader is not None:
            self._reloader.stop()
        if self._manager is not None and self._manager.running:
            self._manager.stop()
        self.tracker.uninstall()
        if self._own_store and self._store is not None:
            self._store.close()

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop (what SIGINT and SIGTERM do)."""
        if self._stop is not None:
            self._stop.set()

    async def run(
        self,
        *,
        duration: float | None = None,
        on_started: Callable[[GuardService], None] | None = None,
    ) -> GuardSummary:
        """Run on the live asyncio loop until ``duration`` seconds pass or a signal arrives.

        Args:
            duration: stop after that many seconds (``None``: until SIGINT/SIGTERM).
            on_started: called once everything has started (on the loop).
        """
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, self.request_stop)
        try:
            self.open()
            await self.connect()
            self.start()
            if self.bridge is not None:
                self.bridge.start(loop=loop)  # delivers on this loop, where the bus lives
            if on_started is not None:
                on_started(self)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), duration)
            return self.summary()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            self.stop()
            await self._close_venue()

    # -- feed -------------------------------------------------------------------------------

    def tick(self) -> None:
        """One market-data tick: move the simulated market and publish its quotes; on a
        live venue, ask for the prices and (unless bridged) the account's new fills."""
        venue = self.venue
        if isinstance(venue, SimulatedExchange):
            venue.advance()
            self.publish_quotes()
            return
        now = self.clock.now()
        # Bridged bots' fills arrive through the bridge; the venue's history would count
        # them again whenever an order answer listed no trade ids.
        every = self.options.fills_interval
        fills = self.options.bridge_url is None and (
            every is None or self._fills_read_at is None or now - self._fills_read_at >= every
        )
        if fills:
            self._fills_read_at = now
        for symbol in self.symbols:
            self.bus.send(FetchPrice(ts=now, symbol=symbol, cycle_id="guard"))
            if fills:
                self.bus.send(FetchFills(ts=now, symbol=symbol, request_id="guard"))

    def publish_quotes(self) -> None:
        """Publish the simulated venue's current quote of every watched symbol."""
        venue = self.venue
        assert isinstance(venue, SimulatedExchange)
        for symbol in self.symbols:
            quote = venue.quote(symbol)
            self.bus.publish(
                QuoteTick(
                    ts=self.clock.now(),
                    symbol=symbol,
                    bid=quote.bid,
                    ask=quote.ask,
                    bid_size=_ZERO,
                    ask_size=_ZERO,
                )
            )

    def _on_price(self, event: MarketPriceFetched) -> None:
        if event.cycle_id == "guard" and event.pair in self.symbols:
            self.bus.publish(
                QuoteTick(
                    ts=event.ts,
                    symbol=event.pair,
                    bid=event.current_sell_price,
                    ask=event.current_buy_price,
                    bid_size=_ZERO,
                    ask_size=_ZERO,
                )
            )

    # -- views ------------------------------------------------------------------------------

    def summary(self) -> GuardSummary:
        """What the guard did so far."""
        manager = self.manager
        started = self._started_at if self._started_at is not None else self.clock.now()
        events = self.tracker.passes.get(6)
        return GuardSummary(
            venue=self.venue.venue,
            account=manager.account,
            state=manager.state,
            seconds=(self.clock.now() - started) / SECOND,
            events=events.count if events is not None else 0,
            evaluated=manager.engine.evaluated,
            violations=self.counts["violations"],
            enforcements=self.counts["enforcements"],
            lockouts=[
                {"id": lock.id, "rule": lock.rule, "reason": lock.reason, "until": lock.until}
                for lock in manager.active_lockouts()
            ],
            checkpoints=sorted(self.tracker.passes),
        )

    # -- internals --------------------------------------------------------------------------

    def _notify(self, event: Message) -> None:
        if isinstance(event, RuleViolated):
            self.counts["violations"] += 1
        elif isinstance(event, EnforcementTriggered):
            self.counts["enforcements"] += 1
        if self._on_event is not None:
            self._on_event(event)

    def _pick_symbols(self, config: RiskConfig) -> tuple[str, ...]:
        registry = self.registry
        if self.options.symbols:
            for symbol in self.options.symbols:
                if registry.find(symbol) is None:
                    raise InvalidValueError.for_value(
                        "--symbols", symbol, "is not an instrument of this venue or config"
                    )
            return self.options.symbols
        return default_symbols(config, registry)

    def _build_venue(self, config: RiskConfig) -> ExchangeClient:
        if not self.options.simulated:
            return ccxt_venue(self.options, self.bus, self.clock, self._environ)
        self.symbols = self._pick_symbols(config)
        return simulated_venue(
            self.options,
            config,
            bus=self.bus,
            clock=self.clock,
            registry=self.registry,
            symbols=self.symbols,
            market=self._market,
        )

    async def _close_venue(self) -> None:
        from riskbus.exchange.ccxt_client import CcxtClient

        if isinstance(self._venue, CcxtClient):
            await self._venue.close()
