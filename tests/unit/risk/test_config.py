"""The risk config file: shape, errors naming file, key and line, and hot reload."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.errors import BadInputError, ConfigError
from riskbus.model.commands import ReloadRiskConfig
from riskbus.model.events.risk import RiskConfigRejected, RiskConfigReloaded
from riskbus.risk.config import (
    RiskConfig,
    RiskConfigError,
    Weekday,
    load_config,
    parse_config,
    rule_names,
)
from riskbus.risk.reload import (
    AUDIT_ACTION,
    RELOAD_RESULT_KEY,
    RiskConfigReloader,
    request_reload,
)
from riskbus.store import Store, open_store

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "risk"

VALID = """\
account: {id: acc-1, currency: USD, timezone: America/Chicago}
schedule:
  daily_reset: 17:00
rules:
  daily_realized_loss:
    limit: -500.10
  max_contracts: {limit: 5}
"""


def problem_of(text: str, source: str = "risk.yaml") -> str:
    with pytest.raises(RiskConfigError) as caught:
        parse_config(text, source=source)
    return str(caught.value)


# -- the shape ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["futures.yaml", "crypto.yaml"])
def test_the_examples_are_valid(name: str) -> None:
    config = load_config(EXAMPLES / name)
    assert config.rules and config.enabled_rules()
    assert set(config.rules) <= set(rule_names())
    registry = config.registry()
    for symbol in config.instruments:
        assert registry.get(symbol).symbol == symbol
    codes = [rule.code for rule in config.build_rules()]
    assert codes == sorted(codes) and len(codes) == len(config.rules)


def test_futures_example_holds_the_account_the_author_described() -> None:
    config = load_config(EXAMPLES / "futures.yaml")
    assert config.account.currency == "USD"
    assert config.timezone == "America/Chicago"
    assert config.schedule.daily_reset == dt.time(17, 0)
    assert config.schedule.weekly_reset is not None
    assert config.schedule.weekly_reset.day is Weekday.SUNDAY
    assert dt.date(2026, 12, 25) in config.schedule.holidays
    reset = config.reset_config()  # what the reset scheduler takes
    assert (reset.daily_time, reset.timezone, reset.weekly_day) == (
        dt.time(17, 0),
        "America/Chicago",
        6,
    )
    assert reset.days == frozenset({6, 0, 1, 2, 3}) and dt.date(2026, 1, 1) in reset.holidays
    loss = config.rules["daily_realized_loss"]
    assert loss.model_dump()["limit"] == Decimal(-500)
    assert config.admin_unlock("daily_realized_loss") is False
    assert config.registry().get("MYM").tick_value == Decimal("0.50")
    assert config.registry().get("MNQ").multiplier == 2  # the built-in stays


def test_futures_example_configures_all_13_original_rules() -> None:
    config = load_config(EXAMPLES / "futures.yaml")
    codes = {rule.code for rule in config.build_rules()}
    assert {f"{n:03d}" for n in range(1, 14)} <= codes
    session = config.rules["session_block_outside"].model_dump()
    assert (session["start"], session["end"]) == (dt.time(8, 30), dt.time(15, 0))
    assert set(session["holidays"]) == set(config.schedule.holidays)  # one YAML anchor


def test_crypto_example_is_a_utc_account_in_usdt() -> None:
    config = load_config(EXAMPLES / "crypto.yaml")
    assert (config.account.currency, config.timezone) == ("USDT", "UTC")
    assert config.schedule.daily_reset == dt.time(0, 0)
    for name in ("trailing_drawdown", "max_exposure", "order_rate", "symbol_blocks"):
        assert name in config.enabled_rules()
    assert "daily_realized_profit" not in config.enabled_rules()  # configured, disabled
    doge = config.registry().get("DOGE/USDT")
    assert (doge.base, doge.quote, doge.step_size) == ("DOGE", "USDT", 1)


def test_unquoted_times_stay_times_and_numbers_stay_exact() -> None:
    config = parse_config(VALID)
    assert config.schedule.daily_reset == dt.time(17, 0)  # not 1020, YAML 1.1's base 60
    assert config.rules["daily_realized_loss"].model_dump()["limit"] == Decimal("-500.10")
    assert config.timezone == "America/Chicago"  # the schedule follows the account


def test_an_empty_rule_entry_means_the_rule_s_defaults() -> None:
    name = next(
        n for n in rule_names() if _defaults_ok(n)
    )  # any registered rule whose settings all have defaults
    config = parse_config(f"rules:\n  {name}:\n")
    assert config.rules[name].enabled is True


def _defaults_ok(name: str) -> bool:
    from riskbus.risk.rules import RULES

    try:
        RULES[name].config_type()
    except ValueError:
        return False
    return True


def test_a_rule_s_admin_unlock_comes_from_the_file_then_its_default() -> None:
    config = parse_config("rules:\n  max_contracts: {limit: 1, admin_unlock: false}\n")
    assert config.admin_unlock("max_contracts") is False
    assert config.admin_unlock("daily_realized_loss") is False  # its config's default
    assert config.admin_unlock("no_such_rule") is False
    assert parse_config("account: {}\n").admin_unlock("max_contracts") is True


def test_a_file_instrument_replaces_the_built_in_of_that_symbol() -> None:
    text = "instruments:\n  MNQ: {kind: future, tick_size: 0.25, multiplier: 5}\n"
    assert parse_config(text).registry().get("MNQ").tick_value == Decimal("1.25")


def test_config_is_frozen() -> None:
    config = parse_config(VALID)
    with pytest.raises(ValueError):
        config.account = config.account  # type: ignore[misc]


# -- errors name the file, the key path and the line ----------------------------------------

CASES = [
    ("unknown top-level key", "acount: {id: x}\n", 1, "acount", "did you mean 'account'"),
    (
        "unknown key in a rule",
        "rules:\n  daily_realized_loss:\n    limit: -5\n    limt: 3\n",
        4,
        "rules.daily_realized_loss.limt",
        "unknown key 'limt'; did you mean 'limit'?",
    ),
    (
        "wrong type",
        "rules:\n  max_contracts:\n    limit: many\n",
        3,
        "rules.max_contracts.limit",
        "decimal",
    ),
    (
        "positive loss limit",
        "account: {id: a}\nrules:\n  daily_realized_loss:\n    limit: 500\n",
        4,
        "rules.daily_realized_loss.limit",
        "less than 0 (got 500)",
    ),
    (
        "reset time 25:00",
        "schedule:\n  timezone: UTC\n  daily_reset: 25:00\n",
        3,
        "schedule.daily_reset",
        "'25:00' is not a time of day",
    ),
    (
        "reset time not a time",
        "schedule:\n  daily_reset: soon\n",
        2,
        "schedule.daily_reset",
        "HH:MM",
    ),
    (
        "unknown time zone",
        "account:\n  id: a\n  timezone: America/Chicgo\n",
        3,
        "account.timezone",
        "unknown time zone 'America/Chicgo'",
    ),
    (
        "unknown rule",
        "rules:\n  max_contracts: {limit: 2}\n  max_contractz: {limit: 5}\n",
        3,
        "rules.max_contractz",
        "did you mean 'max_contracts'? valid rules: ",
    ),
    (
        "rule code instead of name",
        "rules:\n  '003': {limit: -5}\n",
        2,
        "rules.003",
        "write the rule's name 'daily_realized_loss'",
    ),
    (
        "missing required setting",
        "rules:\n  daily_realized_loss:\n    enabled: true\n",
        2,
        "rules.daily_realized_loss.limit",
        "Field required",
    ),
    (
        "bad holiday",
        "schedule:\n  holidays:\n    - 2026-01-01\n    - 2026-13-01\n",
        4,
        "schedule.holidays.1",
        "date",
    ),
    (
        "impossible instrument",
        "instruments:\n  X: {kind: future, tick_size: 1, tick_value: 2, multiplier: 2}\n",
        2,
        "instruments.X",
        "tick_value or multiplier, not both",
    ),
    ("duplicate key", "account: {id: a}\naccount: {id: b}\n", 2, "account", "duplicate key"),
    ("rules not a mapping", "rules: [max_contracts]\n", 1, "rules", "valid dictionary"),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_error_names_file_key_and_line(text: str, line: int, key: str, fragment: str) -> None:
    message = problem_of(text, source="conf/risk.yaml")
    assert message.startswith(f"conf/risk.yaml:{line} {key}: "), message
    assert fragment in message


def test_the_unknown_rule_message_lists_every_valid_rule() -> None:
    message = problem_of("rules:\n  nope: {}\n")
    assert all(name in message for name in rule_names())


def test_every_problem_is_reported_in_line_order_and_nothing_is_returned() -> None:
    text = (
        "account:\n  timezone: Nowhere/Town\n"
        "schedule:\n  daily_reset: 24:00\n"
        "rules:\n  daily_realized_loss: {limit: 1}\n"
    )
    with pytest.raises(RiskConfigError) as caught:
        parse_config(text, source="r.yaml")
    error = caught.value
    assert [(p.key, p.line) for p in error.problems] == [
        ("account.timezone", 2),
        ("schedule.daily_reset", 4),
        ("rules.daily_realized_loss.limit", 6),
    ]
    assert (error.source, error.field, error.line) == ("r.yaml", "account.timezone", 2)
    assert len(str(error).splitlines()) == 3
    assert isinstance(error, ConfigError) and isinstance(error, BadInputError)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "the file is empty"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("account:\n  id: [a\n", 3, "expected"),
    ],
)
def test_files_that_are_not_a_config_mapping(text: str, line: int, fragment: str) -> None:
    message = problem_of(text, source="f.yaml")
    assert message.startswith(f"f.yaml:{line}"), message
    assert fragment in message


def test_an_unreadable_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(RiskConfigError, match=r"missing\.yaml: cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_a_config_built_in_python_validates_its_rules_too() -> None:
    config = RiskConfig.model_validate({"rules": {"max_contracts": {"limit": 3}}})
    assert config.enabled_rules() == ("max_contracts",)
    with pytest.raises(ValueError, match="unknown rule"):
        RiskConfig.model_validate({"rules": {"nope": {}}})


# -- hot reload -----------------------------------------------------------------------------


class Guard:
    """A reloader on a simulator, recording what was applied and published."""

    def __init__(self, tmp_path: Path, store: Store | None, text: str = VALID) -> None:
        self.path = tmp_path / "risk.yaml"
        self.path.write_text(text)
        self.sim = Simulator()
        self.bus = EventBus(self.sim.clock)
        self.applied: list[RiskConfig] = []
        self.refusal: str | None = None
        self.events: list[RiskConfigReloaded | RiskConfigRejected] = []
        self.bus.subscribe(RiskConfigReloaded, self.events.append)
        self.bus.subscribe(RiskConfigRejected, self.events.append)
        self.store = store
        self.reloader = RiskConfigReloader(
            self.path,
            apply=self.apply,
            clock=self.sim.clock,
            bus=self.bus,
            store=store,
            poll_interval=SECOND,
        )

    def apply(self, config: RiskConfig) -> None:
        if self.refusal is not None:
            raise ConfigError(self.refusal)
        self.applied.append(config)

    def write(self, text: str) -> None:
        self.path.write_text(text)
        stamp = self.sim.now() + 10 * SECOND  # mtime must move even on coarse filesystems
        os.utime(self.path, ns=(stamp, stamp))

    def audit(self) -> list[tuple[str, str]]:
        assert self.store is not None
        entries = self.store.audit.entries()
        return [
            (e.outcome, e.details.get("trigger", "")) for e in entries if e.action == AUDIT_ACTION
        ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def test_start_applies_the_file_then_a_valid_change_applies_without_restart(
    tmp_path: Path, store: Store
) -> None:
    guard = Guard(tmp_path, store)
    first = guard.reloader.start()
    assert guard.applied == [first]
    guard.write(VALID.replace("limit: 5", "limit: 2"))
    guard.sim.run_for(2 * SECOND)
    assert len(guard.applied) == 2
    assert guard.reloader.config.rules["max_contracts"].model_dump()["limit"] == 2
    [event] = guard.events
    assert isinstance(event, RiskConfigReloaded) and event.trigger == "watch"
    assert event.rules == ("daily_realized_loss", "max_contracts")
    assert event.digest == guard.reloader.digest
    assert guard.audit() == [("applied", "watch")]


def test_an_invalid_change_is_rejected_audited_once_and_the_previous_config_stays(
    tmp_path: Path, store: Store
) -> None:
    guard = Guard(tmp_path, store)
    first = guard.reloader.start()
    guard.write(VALID.replace("-500.10", "500"))
    guard.sim.run_for(5 * SECOND)  # five polls, one rejection
    assert guard.applied == [first]
    assert guard.reloader.config is first
    [event] = guard.events
    assert isinstance(event, RiskConfigRejected)
    assert (event.field, event.line) == ("rules.daily_realized_loss.limit", 6)
    assert "less than 0" in event.error and str(guard.path) in event.error
    assert guard.audit() == [("rejected", "watch")]
    [entry] = store.audit.entries()
    assert "rules.daily_realized_loss.limit" in entry.details["error"]
    guard.write(VALID)  # fixed again: applied
    guard.sim.run_for(2 * SECOND)
    assert len(guard.applied) == 2 and guard.audit()[-1] == ("applied", "watch")


def test_touching_the_file_without_changing_it_does_not_reload(
    tmp_path: Path, store: Store
) -> None:
    guard = Guard(tmp_path, store)
    guard.reloader.start()
    guard.write(VALID)
    guard.sim.run_for(3 * SECOND)
    assert len(guard.applied) == 1 and guard.events == []


def test_the_reload_command_reloads_now(tmp_path: Path, store: Store) -> None:
    guard = Guard(tmp_path, store)
    guard.reloader.start()
    guard.bus.send(ReloadRiskConfig(ts=guard.sim.now(), requested_by="ops"))
    assert len(guard.applied) == 2
    [event] = guard.events
    assert isinstance(event, RiskConfigReloaded)
    assert (event.trigger, event.requested_by) == ("command", "ops")
    [entry] = store.audit.entries()
    assert (entry.actor, entry.outcome) == ("ops", "applied")


def test_an_admin_request_in_the_store_is_picked_up_and_answered(
    tmp_path: Path, store: Store
) -> None:
    guard = Guard(tmp_path, store)
    guard.reloader.start()
    request = request_reload(store, ts=1, requested_by="alice", reason="new limits")
    guard.sim.run_for(SECOND)
    assert len(guard.applied) == 2
    assert guard.audit() == [("requested", ""), ("applied", "admin")]
    answer = json.loads(store.checkpoints.get(RELOAD_RESULT_KEY) or "{}")
    assert (answer["id"], answer["outcome"]) == (request.id, "applied")
    guard.sim.run_for(3 * SECOND)  # the same request is handled once
    assert len(guard.applied) == 2


def test_a_config_the_engine_refuses_is_rejected_and_the_previous_stays(
    tmp_path: Path, store: Store
) -> None:
    guard = Guard(tmp_path, store)
    first = guard.reloader.start()
    guard.refusal = "the engine cannot drop a rule with an open lockout"
    assert guard.reloader.reload() is False
    assert guard.reloader.config is first
    [event] = guard.events
    assert isinstance(event, RiskConfigRejected) and "open lockout" in event.error
    assert guard.audit() == [("rejected", "command")]


def test_a_deleted_file_is_rejected_once_and_the_previous_config_stays(
    tmp_path: Path,
) -> None:
    guard = Guard(tmp_path, None)
    first = guard.reloader.start()
    guard.path.unlink()
    guard.sim.run_for(3 * SECOND)
    assert guard.reloader.config is first
    [event] = guard.events
    assert isinstance(event, RiskConfigRejected) and "cannot read" in event.error


def test_an_invalid_file_at_start_raises_and_nothing_is_watched(tmp_path: Path) -> None:
    guard = Guard(tmp_path, None, text="rules:\n  nope: {}\n")
    with pytest.raises(RiskConfigError, match="unknown rule"):
        guard.reloader.start()
    assert guard.applied == [] and guard.sim.clock.timer_names() == []
    assert not guard.bus.has_handler(ReloadRiskConfig)


def test_stop_cancels_the_watch_and_the_command(tmp_path: Path) -> None:
    guard = Guard(tmp_path, None)
    config = parse_config(VALID)
    assert guard.reloader.start(current=config) is config
    assert guard.applied == []  # the caller had applied it already
    guard.reloader.stop()
    assert guard.sim.clock.timer_names() == []
    assert not guard.bus.has_handler(ReloadRiskConfig)
