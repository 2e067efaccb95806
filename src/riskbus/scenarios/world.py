"""The world a scenario runs in: simulator, seeds, venue, bot, risk manager, store.

:class:`World` builds, on one :class:`~riskbus.core.clock.Simulator` and one bus:

* the market: a seeded path of ``setup.exchange.scenario`` (``Seeds(seed).numpy("market")``)
  or the candles of ``setup.exchange.data``, one step per ``poll_interval``;
* the :class:`~riskbus.exchange.simulated.SimulatedExchange` over it (streams ``latency``,
  ``slippage``, ``fills`` of the same seed) with the bot's capital as its balance;
* the order path: an :class:`~riskbus.risk.gate.OrderGateway`, the account tracker and,
  with ``setup.risk``, a :class:`~riskbus.risk.manager.RiskManager` gating it;
* the :class:`~riskbus.bot.runner.BotRunner` with the configured strategy; it advances the
  venue's path one step before each cycle, so cycle ``n`` sees step ``n``.

:meth:`World.restart` stops the bot and the risk manager, removes their subscriptions and
builds new ones that load their state from the store (a SQLite file when the scenario has a
``restart`` fault; the bot's pools and cycle count, the risk manager's P&L, lockouts and
timers), then starts them again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from riskbus.bot.pools import PoolRepository
from riskbus.bot.runner import BotConfig, BotRunner
from riskbus.bot.strategies import resolve_strategy
from riskbus.bot.strategy import Strategy
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator, seconds
from riskbus.core.errors import BadInputError, ScenarioError
from riskbus.core.seeds import Seeds
from riskbus.core.yamlconf import problems_from
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market import PricePath, generate, load_path
from riskbus.model.catalogue import InstrumentRegistry, default_registry
from riskbus.risk.gate import OrderGateway
from riskbus.scenarios.schema import LoadedScenario, Restart, ScenarioFileError
from riskbus.store.pools import InMemoryPoolRepository

__all__ = ["World", "build_risk_config"]


def build_risk_config(loaded: LoadedScenario) -> Any:
    """Return the scenario's :class:`~riskbus.risk.config.RiskConfig`, or None.

    Raises:
        ScenarioFileError: an inline config is invalid (lines of the scenario file).
        RiskConfigError: a referenced risk file is invalid.
    """
    raw = loaded.scenario.setup.risk
    if raw is None:
        return None
    from riskbus.risk.config import RiskConfig, load_config

    if isinstance(raw, str):
        return load_config(loaded.resolve(raw))
    from riskbus.core.yamlconf import ConfigProblem
    from riskbus.risk.config import _typed_rules

    prefix = ("setup", "risk")
    lines = {key[2:]: line for key, line in loaded.lines.items() if key[:2] == prefix}
    problems: list[ConfigProblem] = []
    data = dict(raw)
    rules = data.get("rules")
    if isinstance(rules, dict):  # each rule by its own config type, as in a risk file
        data["rules"] = _typed_rules(rules, lines, problems)
    try:
        config = RiskConfig.model_validate(data)
    except ValidationError as e:
        problems += problems_from(e, (), RiskConfig, lines)
    if problems:
        located = [
            ConfigProblem(f"setup.risk.{p.key}" if p.key else "setup.risk", p.line, p.message)
            for p in problems
        ]
        raise ScenarioFileError(loaded.source, located)
    return config


class World:
    """Everything one scenario run needs (see the module docstring).

    Args:
        loaded: the validated scenario.
        seed: the root seed of every random stream.
        cycles: how many market steps to generate (at least the cycles the steps can run).
    """

    def __init__(self, loaded: LoadedScenario, seed: int, *, cycles: int) -> None:
        scenario = loaded.scenario
        setup = scenario.setup
        self.loaded = loaded
        self.seed = seed
        self.simulator = Simulator()
        self.clock = clock = self.simulator.clock
        self.start_ts = clock.now()
        self.bus = bus = EventBus(clock)
        self.seeds = Seeds(seed)
        self.risk_config = build_risk_config(loaded)
        self.registry: InstrumentRegistry = (
            self.risk_config.registry() if self.risk_config is not None else default_registry()
        )
        exchange_setup = setup.exchange
        self.symbol = symbol = exchange_setup.symbol
        try:
            instrument = self.registry.get(symbol)
        except BadInputError as e:
            raise ScenarioError(
                str(e),
                source=loaded.source,
                field="setup.exchange.pair",
                line=loaded.line("setup", "exchange"),
            ) from None
        self.quote_currency = quote = instrument.quote
        self.poll = seconds(setup.bot.poll_interval)
        self.path = self._market(cycles)
        self.capital: Decimal = setup.bot.initial_capital
        self.exchange = SimulatedExchange(
            bus,
            clock,
            self.seeds,
            self.registry,
            {symbol: self.path},
            balances={quote: self.capital},
            config=_venue_config(exchange_setup.taker_fee),
            currency=quote,
        )
        self.exchange.attach(bus)
        self.gateway = OrderGateway(bus, clock, self.exchange.submit, registry=self.registry)
        self.gateway.attach()
        self.tracker = AccountTracker(
            bus, clock, self.registry, {quote: self.capital}, currency=quote
        ).attach()
        self.strategy_class = self._strategy_class()
        self.uses_store = any(isinstance(a, Restart) for a in scenario.chaos or [])
        self._tmp: str | None = None
        self.store: Any = None
        self.repository: PoolRepository = InMemoryPoolRepository()
        if self.uses_store:
            from riskbus.store import SqlPoolRepository, open_store

            self._tmp = tempfile.mkdtemp(prefix="riskbus-scenario-")
            self.store = open_store(f"sqlite:///{self._tmp}/scenario.db")
            self.repository = SqlPoolRepository(self.store)
        self.risk: Any = None
        self.runner = self._build_bot()
        self.restarts = 0
        self.started = False
        self.cycles_started = 0
        bus.subscribe("BotMonitoringCycleStarted", self._count_cycle, component="ScenarioWorld")

    # -- building ---------------------------------------------------------------------------

    def _market(self, cycles: int) -> PricePath:
        setup = self.loaded.scenario.setup.exchange
        try:
            if setup.data is not None:
                return load_path(self.loaded.resolve(setup.data), spread_bps=setup.spread_bps)
            return generate(
                setup.scenario,
                max(cycles, 2) + 1,
                self.seed,
                initial_price=setup.initial_price,
                volatility_multiplier=setup.volatility_multiplier,
                spread_bps=setup.spread_bps,
                step=self.poll,
                start=self.start_ts,
                **setup.params,
            )
        except BadInputError as e:
            key = "data" if setup.data else "scenario"
            raise ScenarioError(
                str(e) if setup.data else e.message,  # a data error names its file and row
                source=self.loaded.source,
                field=f"setup.exchange.{key}",
                line=self.loaded.line("setup", "exchange", key)
                or self.loaded.line("setup", "exchange"),
            ) from None

    def _strategy_class(self) -> type[Strategy]:
        bot = self.loaded.scenario.setup.bot
        try:
            return resolve_strategy(bot.strategy)
        except BadInputError as e:
            raise ScenarioError(
                e.message,
                source=self.loaded.source,
                field="setup.bot.strategy",
                line=self.loaded.line("setup", "bot", "strategy"),
            ) from None

    def _bot_config(self) -> BotConfig:
        bot = self.loaded.scenario.setup.bot
        try:
            return BotConfig(
                symbol=self.symbol,
                initial_capital=bot.initial_capital,
                pool_count=bot.pool_count,
                poll_interval=bot.poll_interval,
                **bot.config,
            )
        except ValidationError as e:
            problems = problems_from(e, ("setup", "bot", "config"), BotConfig, self.loaded.lines)
            raise ScenarioFileError(self.loaded.source, problems) from None

    def _strategy(self) -> Strategy:
        params = self.loaded.scenario.setup.bot.params
        try:
            return self.strategy_class(params=params)
        except ValidationError as e:
            problems = problems_from(e, ("setup", "bot", "params"), _Empty, self.loaded.lines)
            raise ScenarioFileError(self.loaded.source, problems) from None

    def _build_bot(self) -> BotRunner:
        if self.risk_config is not None:
            from riskbus.risk.manager import RiskManager

            self.risk = RiskManager(
                self.bus,
                self.clock,
                self.registry,
                self.risk_config.build_rules(),
                exchange=self.exchange,
                store=self.store,
                account=self.risk_config.account.id,
                currency=self.quote_currency,
                reset=self.risk_config.reset_config(),
                tracker=self.tracker,
                gateway=self.gateway,
            )
        runner = BotRunner(
            self.bus,
            self.clock,
            self._strategy(),
            self.registry,
            config=self._bot_config(),
            repository=self.repository,
            portfolio=self.tracker.portfolio,
            before_cycle=self._advance,
        )
        runner.attach()
        return runner

    def _advance(self) -> None:
        self.exchange.advance()

    def _count_cycle(self, _event: object) -> None:
        self.cycles_started += 1

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the risk manager (if any) and the bot's cycle timer."""
        if self.risk is not None:
            self.risk.start()
        self.exchange.step = self.runner.cycle
        self.runner.start()
        self.started = True

    def stop(self) -> None:
        """Stop the bot and the risk manager."""
        if self.runner.running:
            self.runner.stop("scenario ended")
        if self.risk is not None and self.risk.running:
            self.risk.stop()
        self.started = False

    def crash(self) -> None:
        """Stop the bot and the risk manager and unplug them from the bus (a process exit)."""
        self.stop()
        owners: set[int] = {id(self.runner), id(self.runner.host), id(self.runner.executor)}
        if self.risk is not None:
            risk = self.risk
            owners |= {
                id(risk),
                id(risk.engine),
                id(risk.pnl),
                id(risk.lockouts),
                id(risk.enforcement),
                id(risk.schedule),
            }
        for subscription in list(self.bus._subscriptions):
            handler: Callable[..., Any] = subscription.handler
            if id(getattr(handler, "__self__", None)) in owners:
                subscription.cancel()

    def boot(self) -> None:
        """Build a new bot and risk manager from the store and start them (after :meth:`crash`)."""
        self.restarts += 1
        self.runner = self._build_bot()
        self.start()

    def close(self) -> None:
        """Release the store and its temporary folder."""
        if self.store is not None:
            dispose = getattr(self.store, "close", None) or getattr(self.store, "dispose", None)
            if callable(dispose):
                dispose()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # -- views ------------------------------------------------------------------------------

    def elapsed(self) -> float:
        """Virtual seconds since the world was built."""
        return (self.clock.now() - self.start_ts) / 1e9

    def equity(self) -> Decimal:
        """The bot's equity at the venue's current bid."""
        quote = self.exchange.quote(self.symbol)
        return self.runner.equity(quote.bid)


def _venue_config(taker_fee: Decimal | None) -> SimulatedExchangeConfig:
    """The venue's configuration: no candle history (the bot computes its indicators)."""
    if taker_fee is None:
        return SimulatedExchangeConfig(candles_history=0)
    return SimulatedExchangeConfig(candles_history=0, taker_fee=taker_fee)


class _Empty(BaseModel):
    """Stands for a strategy's parameters in error messages (keys are not listed)."""
