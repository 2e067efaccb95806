"""The guard service in virtual time: wiring, feed, hot reload, restart, checkpoints, drill."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from riskbus.core.clock import SECOND, Simulator
from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.core.messages import Message
from riskbus.model.enums import TradingState
from riskbus.model.events.market import QuoteTick
from riskbus.model.events.risk import LockoutStarted, RiskConfigRejected, RiskConfigReloaded
from riskbus.risk.checkpoints import CHECKPOINTS, CheckpointPass, CheckpointTracker
from riskbus.risk.config import RiskConfigError, parse_config
from riskbus.risk.drill import BreachDrill, breach_checks, drill_market, plan_breach
from riskbus.risk.reload import RELOAD_RESULT_KEY, request_reload
from riskbus.risk.service import GuardOptions, GuardService, default_symbols, reference_price
from riskbus.risk.smoke import SMOKE_START, run_smoke
from riskbus.store import Store, open_store

CONFIG = """\
account: {id: paper, currency: USD, timezone: America/Chicago}
schedule: {daily_reset: "17:00"}
rules:
  daily_realized_loss: {limit: -500}
  max_contracts: {limit: 10}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "risk.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'guard.db'}")
    yield opened
    opened.close()


class Guard:
    """A guard service on a simulator, its checkpoints and events recorded."""

    def __init__(
        self, config: Path, store: Store, *, symbols: tuple[str, ...] = ("MNQ",), **kw: object
    ) -> None:
        self.sim = Simulator(SMOKE_START)
        self.passes: list[CheckpointPass] = []
        self.events: list[Message] = []
        options = GuardOptions(
            config=config,
            symbols=symbols,
            dry_run=True,
            poll_interval=SECOND,
            tick_interval=SECOND,
        )
        self.service = GuardService(
            options,
            clock=self.sim.clock,
            store=store,
            on_checkpoint=self.passes.append,
            on_event=self.events.append,
            **kw,  # type: ignore[arg-type]
        )

    def start(self) -> GuardService:
        self.service.open().start()
        self.sim.run_until(self.sim.now())
        return self.service

    def of(self, kind: type[Message]) -> list[Message]:
        return [e for e in self.events if isinstance(e, kind)]


def test_start_passes_checkpoints_1_to_5_in_order_and_stop_restores_the_logger(
    config_file: Path, store: Store
) -> None:
    logger = logging.getLogger("riskbus.risk")
    level = logger.level
    guard = Guard(config_file, store)
    service = guard.start()
    assert [p.number for p in guard.passes] == [1, 2, 3, 4, 5]
    assert guard.passes[0].message == "guard service start (simulated)"
    assert "config loaded from risk.yaml: account paper" in guard.passes[1].message
    assert guard.passes[2].message == "venue connected (venue=simulated)"
    assert service.tracker.last is not None and service.tracker.last.number == 5
    assert service.tracker.missing() == [6, 7, 8]
    assert service.manager.state is TradingState.ACTIVE
    assert service.summary().checkpoints == [1, 2, 3, 4, 5]
    service.stop()
    service.stop()  # idempotent
    assert logger.level == level and service.tracker not in logger.handlers


def test_the_feed_moves_the_simulated_market_and_publishes_quotes(
    config_file: Path, store: Store
) -> None:
    guard = Guard(config_file, store, symbols=("MNQ", "ES"))
    service = guard.start()
    quotes: list[QuoteTick] = []
    service.bus.subscribe(QuoteTick, quotes.append)
    guard.sim.run_for(3 * SECOND)
    assert [q.symbol for q in quotes] == ["MNQ", "ES"] * 3
    assert service.venue.step == 3
    assert quotes[0].ts == SMOKE_START + SECOND
    service.stop()


def test_a_file_edit_is_applied_and_an_invalid_one_rejected_keeping_the_rules(
    config_file: Path, store: Store
) -> None:
    guard = Guard(config_file, store)
    service = guard.start()
    config_file.write_text(CONFIG.replace("limit: 10", "limit: 3"))
    guard.sim.run_for(2 * SECOND)
    [reloaded] = guard.of(RiskConfigReloaded)
    assert reloaded.trigger == "watch"
    assert service.config.rules["max_contracts"].model_dump()["limit"] == 3
    limits = {r.name: r.config.model_dump().get("limit") for r in service.manager.engine.rules}
    assert limits["max_contracts"] == 3
    config_file.write_text(CONFIG.replace("limit: 10", "limit: -3"))
    guard.sim.run_for(2 * SECOND)
    [rejected] = guard.of(RiskConfigRejected)
    assert "rules.max_contracts.limit" in rejected.error
    assert rejected.line == 5
    assert service.config.rules["max_contracts"].model_dump()["limit"] == 3
    service.stop()


def test_an_admin_request_in_the_store_is_answered(config_file: Path, store: Store) -> None:
    guard = Guard(config_file, store)
    service = guard.start()
    request = request_reload(store, ts=guard.sim.now(), requested_by="ops", reason="test")
    guard.sim.run_for(2 * SECOND)
    raw = store.checkpoints.get(RELOAD_RESULT_KEY)
    assert raw is not None
    answer = json.loads(raw)
    assert (answer["id"], answer["outcome"]) == (request.id, "applied")
    [reloaded] = guard.of(RiskConfigReloaded)
    assert reloaded.requested_by == "ops"
    service.stop()


def test_an_invalid_config_stops_the_start_after_checkpoint_1(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  daily_realized_loss: {limit: 500}\n")
    guard = Guard(path, store)
    with pytest.raises(RiskConfigError, match=r"bad\.yaml:2 rules\.daily_realized_loss\.limit"):
        guard.service.open()
    assert guard.service.tracker.last is not None and guard.service.tracker.last.number == 1
    guard.service.stop()
    with pytest.raises(RuntimeError, match="not open"):
        _ = guard.service.venue


def test_an_unknown_symbol_is_refused_naming_the_option(config_file: Path, store: Store) -> None:
    guard = Guard(config_file, store, symbols=("XYZ",))
    with pytest.raises(InvalidValueError, match="--symbols") as caught:
        guard.service.open()
    assert "XYZ" in str(caught.value)
    guard.service.stop()


def test_a_ccxt_venue_needs_the_live_clock(config_file: Path, store: Store) -> None:
    options = GuardOptions(config=config_file, exchange="binance")
    service = GuardService(options, clock=Simulator().clock, store=store)
    with pytest.raises(InvalidValueError, match="LiveClock"):
        service.open()
    service.stop()


def test_default_symbols_are_those_quoted_in_the_account_currency() -> None:
    usd = parse_config(CONFIG)
    assert default_symbols(usd, usd.registry()) == ("MNQ", "NQ", "MES")
    usdt = parse_config(
        "account: {currency: USDT}\ninstruments: {DOGE/USDT: {kind: spot, tick_size: 0.00001}}\n"
    )
    assert default_symbols(usdt, usdt.registry()) == ("DOGE/USDT", "BTC/USDT", "ETH/USDT")
    assert reference_price("ETH/USDT") == Decimal(3000)
    assert reference_price("DOGE/USDT") == Decimal(100)


def test_the_drill_breaches_and_a_restarted_guard_comes_back_locked(
    config_file: Path, store: Store
) -> None:
    config = parse_config(CONFIG)
    plan = plan_breach(config, config.registry(), "MNQ")
    assert (plan.entry, plan.exit, plan.loss) == (Decimal(20000), Decimal(19725), Decimal(-550))
    guard = Guard(config_file, store, market={"MNQ": drill_market(plan)})
    service = guard.start()
    assert BreachDrill(service, plan).run() == ["open", "rest", "move", "realize"]
    guard.sim.run_for(SECOND)
    assert breach_checks(service, plan) == dict.fromkeys(breach_checks(service, plan), True)
    [lock] = guard.of(LockoutStarted)
    assert lock.rule == "daily_realized_loss"
    assert service.tracker.complete and service.tracker.missing() == []
    summary = service.summary()
    assert (summary.violations, summary.enforcements) == (1, 1)
    assert [lock["rule"] for lock in summary.lockouts] == ["daily_realized_loss"]
    service.stop()
    again = Guard(config_file, store)
    restarted = again.start()
    assert restarted.manager.state is TradingState.HALTED
    assert [lock.rule for lock in restarted.manager.active_lockouts()] == ["daily_realized_loss"]
    assert restarted.summary().as_dict()["state"] == "HALTED"
    restarted.stop()


def test_the_drill_plan_needs_the_daily_loss_rule_and_a_reachable_price() -> None:
    config = parse_config("rules:\n  max_contracts: {limit: 3}\n")
    with pytest.raises(BadInputError, match=r"needs rules\.daily_realized_loss"):
        plan_breach(config, config.registry(), "MNQ")
    huge = parse_config("rules:\n  daily_realized_loss: {limit: -50000}\n")
    with pytest.raises(BadInputError, match="too large a loss") as caught:
        plan_breach(huge, huge.registry(), "MNQ")
    assert caught.value.field == "rules.daily_realized_loss.limit"
    spot = parse_config(
        "account: {currency: USDT}\nrules:\n  daily_realized_loss: {limit: -2000}\n"
    )
    plan = plan_breach(spot, spot.registry(), "BTC/USDT")
    assert plan.loss <= plan.limit and plan.exit < plan.entry


def test_the_tracker_keeps_the_first_record_and_counts_repeats() -> None:
    sim = Simulator(0)
    seen: list[int] = []
    tracker = CheckpointTracker(sim.clock, lambda p: seen.append(p.number)).install()
    log = logging.getLogger("riskbus.risk.test")
    try:
        log.info("one", extra={"checkpoint": 1})
        log.info("stop", extra={"checkpoint": 1, "stop": True})
        log.debug("two", extra={"checkpoint": 2})
        log.debug("two again", extra={"checkpoint": 2})
        log.info("four", extra={"checkpoint": 4, "venue": "x"})
        log.info("no checkpoint")
        log.info("out of range", extra={"checkpoint": 9})
    finally:
        tracker.uninstall()
    assert seen == [1, 2, 4]
    assert tracker.passes[2].count == 2 and tracker.passes[2].message == "two"
    assert tracker.passes[4].message == "four (venue=x)"
    assert tracker.last is not None and tracker.last.number == 2  # 3 never passed
    rows = tracker.rows()
    assert [r["passed"] for r in rows] == [True, True, False, True] + [False] * 4
    assert [r["name"] for r in rows] == list(CHECKPOINTS.values())


def test_smoke_passes_all_8_checkpoints_and_enforces_the_breach() -> None:
    result = run_smoke()
    assert result.passed
    assert [row["checkpoint"] for row in result.checkpoints if row["passed"]] == list(range(1, 9))
    assert all(result.checks.values()) and len(result.checks) == 5
    assert result.steps == ["open", "rest", "move", "realize"]
    assert [lock["rule"] for lock in result.lockouts] == ["daily_realized_loss"]
    assert result.as_dict()["loss"] == "-550.00"


@pytest.mark.parametrize(
    ("stop_after", "last"),
    [(0, "5 (event loop running)"), (1, "7 (rule evaluated)"), (3, "7 (rule evaluated)")],
)
def test_smoke_stopped_early_stalls_naming_the_last_checkpoint(stop_after: int, last: str) -> None:
    result = run_smoke(stop_after=stop_after, timeout=5)
    assert not result.passed
    assert result.stall_message().startswith(f"stalled: last checkpoint reached {last}")
    assert "8 (enforcement triggered)" in result.stall_message()
    assert result.virtual_seconds == 5.0


def test_smoke_refuses_a_stop_after_out_of_range() -> None:
    with pytest.raises(ValueError, match="stop_after must be 0 to 4"):
        run_smoke(stop_after=5)
