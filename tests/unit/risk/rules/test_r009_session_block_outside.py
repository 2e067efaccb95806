"""Rule 009 SessionBlockOutside: orders outside the session are denied; the session end and
positions opened outside it lock the account until the next session start (DST-aware)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from riskbus.core.clock import SECOND
from riskbus.model import RiskAction
from riskbus.model.events import PositionOpened, RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r009_session_block_outside import (
    SessionBlockOutside,
    SessionBlockOutsideConfig,
)
from tests.unit.risk.rules._ctx import Account, Alarms, buy, config_error, sell

CHICAGO = ZoneInfo("America/Chicago")
_UTC = dt.UTC


def _at(
    month: int,
    day: int,
    hour: int,
    minute: int = 0,
    second: int = 0,
    *,
    year: int = 2024,
    zone: ZoneInfo = CHICAGO,
) -> int:
    """A local wall-clock time as ns since the epoch."""
    moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    return int(moment.timestamp()) * SECOND


def _utc(month: int, day: int, hour: int, minute: int = 0, *, year: int = 2024) -> int:
    return _at(month, day, hour, minute, year=year, zone=ZoneInfo("UTC"))


def _rule(**config: Any) -> SessionBlockOutside:
    base = {"start": "08:30", "end": "15:00", "timezone": "America/Chicago"}
    return SessionBlockOutside(SessionBlockOutsideConfig.model_validate({**base, **config}))


def _end_timer(key: str = "session_end") -> RuleTimerFired:
    return RuleTimerFired(ts=0, rule="session_block_outside", key=key)


def test_registered_and_defaults_are_the_spec_new_york_session() -> None:
    assert RULES["session_block_outside"] is RULES["009"] is SessionBlockOutside
    config = SessionBlockOutsideConfig()
    assert (config.start, config.end, config.timezone) == (dt.time(9, 30), dt.time(16, 0), None)
    assert config.allowed_days == (0, 1, 2, 3, 4)
    assert "08:30-15:00 America/Chicago" in _rule().describe()
    assert "09:30-16:00 account time zone" in SessionBlockOutside(config).describe()


@pytest.mark.parametrize(
    ("zone", "allowed"), [("America/New_York", True), ("America/Chicago", False)]
)
def test_session_without_a_time_zone_is_in_the_account_time_zone(zone: str, allowed: bool) -> None:
    # 09:45 New York = 08:45 Chicago: inside 09:30-16:00 only when the account is in New York.
    rule = SessionBlockOutside(SessionBlockOutsideConfig())
    account = Account(now=_at(3, 8, 8, 45))
    verdict = rule.pre_trade(account.ctx(_end_timer(), timezone=zone), account.order("MNQ", buy, 1))
    assert (verdict is None) is allowed
    if verdict is not None:
        assert parse_reason(verdict.reason)[1]["session"] == "09:30-16:00 America/Chicago"


# -- pre-trade at, just before and just after the session edges ----------------------------


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (_at(3, 8, 8, 29, 59), False),  # Friday, CST: one second before the start
        (_at(3, 8, 8, 30), True),  # at the start
        (_at(3, 8, 14, 59, 59), True),  # one second before the end
        (_at(3, 8, 15, 0), False),  # at the end (exclusive)
        (_utc(3, 8, 14, 30), True),  # 08:30 CST is 14:30 UTC
        (_utc(3, 11, 13, 30), True),  # Monday after the DST change: 08:30 CDT is 13:30 UTC
        (_utc(3, 11, 13, 29), False),
        (_utc(3, 11, 20, 0), False),  # 15:00 CDT is 20:00 UTC
        (_utc(3, 11, 19, 59), True),
        (_at(3, 9, 10, 0), False),  # Saturday
        (_at(3, 10, 10, 0), False),  # Sunday (the DST day)
    ],
)
def test_pre_trade_inside_and_outside_the_session(now: int, allowed: bool) -> None:
    account = Account(now=now)
    verdict = _rule().pre_trade(
        account.ctx(account.quote("MNQ", 100, 101)), account.order("MNQ", buy, 1)
    )
    if allowed:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.DENY
    code, values = parse_reason(verdict.reason)
    assert code == "OUTSIDE_SESSION"
    assert values["symbol"] == "MNQ"
    local = dt.datetime.fromtimestamp(now // SECOND, tz=CHICAGO)
    assert values["local_time"] == local.isoformat(timespec="seconds")


def test_pre_trade_lets_an_order_that_reduces_a_position_through_outside_the_session() -> None:
    account = Account(now=_at(3, 8, 16, 0))
    account.trade("MNQ", buy, 2, 100)
    rule = _rule()
    ctx = account.ctx(account.quote("MNQ", 100, 101))
    assert rule.pre_trade(ctx, account.order("MNQ", sell, 2)) is None
    assert rule.pre_trade(ctx, account.order("MNQ", sell, 3)) is not None  # would flip
    assert rule.pre_trade(ctx, account.order("MNQ", buy, 1)) is not None


# -- the session-end alarm ----------------------------------------------------------------


def test_start_inside_the_session_sets_the_session_end_alarm_only() -> None:
    account, alarms = Account(now=_at(3, 8, 10, 0)), Alarms()
    account.trade("MNQ", buy, 1, 100)
    verdict = _rule().start(account.ctx(_end_timer(), **alarms.kwargs()))
    assert verdict is None
    assert alarms.set == [("session_end", _at(3, 8, 15, 0))]


def test_session_end_over_a_weekend_and_the_spring_dst_change() -> None:
    # Friday 15:00 CST (21:00 UTC) → Monday 08:30 CDT (13:30 UTC), across the DST change.
    alarms = Alarms()
    account = Account(now=_at(3, 8, 15, 0))
    assert account.now == _utc(3, 8, 21, 0)
    verdict = _rule().check(account.ctx(_end_timer(), **alarms.kwargs()))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.until_ts == _utc(3, 11, 13, 30)
    assert (verdict.flatten, verdict.cancel_orders, verdict.symbol) == (True, True, None)
    assert (verdict.until_reset, verdict.until_condition) == (False, False)
    code, values = parse_reason(verdict.reason)
    assert code == "SESSION_CLOSED"
    assert values["next_start"] == "2024-03-11T08:30:00-05:00"
    assert values["local_time"] == "2024-03-08T15:00:00-06:00"
    # The next alarm: Monday 15:00 CDT = 20:00 UTC.
    assert alarms.set == [("session_end", _utc(3, 11, 20, 0))]


def test_session_end_before_the_autumn_dst_change() -> None:
    # Friday 1 Nov 15:00 CDT (20:00 UTC) → Monday 4 Nov 08:30 CST (14:30 UTC).
    alarms = Alarms()
    account = Account(now=_at(11, 1, 15, 0))
    verdict = _rule().check(account.ctx(_end_timer(), **alarms.kwargs()))
    assert verdict is not None
    assert verdict.until_ts == _utc(11, 4, 14, 30)
    assert alarms.set == [("session_end", _utc(11, 4, 21, 0))]


@pytest.mark.parametrize(
    ("respect", "until"),
    [(True, _at(3, 12, 8, 30)), (False, _at(3, 11, 8, 30))],
)
def test_holidays_are_skipped_when_respected(respect: bool, until: int) -> None:
    rule = _rule(holidays=["2024-03-11"], respect_holidays=respect)
    account = Account(now=_at(3, 8, 15, 0))
    verdict = rule.check(account.ctx(_end_timer()))
    assert verdict is not None
    assert verdict.until_ts == until


def test_holiday_is_outside_the_session_and_named_in_the_lockout() -> None:
    rule = _rule(holidays=[dt.date(2024, 3, 11)])
    account = Account(now=_at(3, 11, 10, 0))
    opened = account.last("MNQ", buy, 1, 100)
    verdict = rule.check(account.ctx(opened))
    assert verdict is not None
    assert parse_reason(verdict.reason)[1]["holiday"] == "2024-03-11"
    assert verdict.until_ts == _at(3, 12, 8, 30)


def test_allowed_days_limit_the_sessions() -> None:
    rule = _rule(allowed_days=["Mon", "Wednesday"])
    account = Account(now=_at(3, 11, 15, 0))  # Monday's end → Wednesday
    verdict = rule.check(account.ctx(_end_timer()))
    assert verdict is not None and verdict.until_ts == _at(3, 13, 8, 30)
    tuesday = Account(now=_at(3, 12, 10, 0))
    assert rule.pre_trade(tuesday.ctx(_end_timer()), tuesday.order("MNQ", buy, 1)) is not None


# -- positions opened outside the session, and start ----------------------------------------


@pytest.mark.parametrize(
    ("now", "locked"),
    [
        (_at(3, 8, 8, 29, 59), True),
        (_at(3, 8, 8, 30), False),
        (_at(3, 8, 14, 59, 59), False),
        (_at(3, 8, 15, 0), True),
    ],
)
def test_position_opened_outside_the_session_locks_until_the_next_start(
    now: int, locked: bool
) -> None:
    account = Account(now=now)
    opened = account.last("MNQ", buy, 1, 100)
    assert isinstance(opened, PositionOpened)
    verdict = _rule().check(account.ctx(opened))
    if not locked:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.flatten and verdict.cancel_orders
    expected = _at(3, 8, 8, 30) if now < _at(3, 8, 8, 30) else _at(3, 11, 8, 30)
    assert verdict.until_ts == expected
    code, values = parse_reason(verdict.reason)
    assert (code, values["symbol"]) == ("OUTSIDE_SESSION", "MNQ")


def test_start_outside_the_session_with_open_positions_locks_at_once() -> None:
    account, alarms = Account(now=_at(3, 9, 12, 0)), Alarms()  # Saturday
    account.trade("MNQ", buy, 1, 100)
    verdict = _rule().start(account.ctx(_end_timer(), **alarms.kwargs()))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.until_ts == _at(3, 11, 8, 30)
    assert parse_reason(verdict.reason)[1]["positions"] == "1"
    assert alarms.set == [("session_end", _at(3, 11, 15, 0))]


def test_start_outside_the_session_without_positions_does_not_lock() -> None:
    account = Account(now=_at(3, 9, 12, 0))
    assert _rule().start(account.ctx(_end_timer())) is None


# -- per-instrument sessions and overnight sessions -----------------------------------------


def _es_rule() -> SessionBlockOutside:
    return _rule(instruments={"ES": {"start": "09:00", "end": "14:00"}})


def test_instrument_session_applies_to_its_symbol_only() -> None:
    account = Account(now=_at(3, 8, 8, 45))
    ctx = account.ctx(_end_timer())
    rule = _es_rule()
    assert rule.pre_trade(ctx, account.order("MNQ", buy, 1)) is None
    denied = rule.pre_trade(ctx, account.order("ES", buy, 1))
    assert denied is not None
    assert parse_reason(denied.reason)[1]["session"] == "09:00-14:00 America/Chicago"


def test_instrument_session_end_locks_that_symbol_only() -> None:
    alarms = Alarms()
    account = Account(now=_at(3, 8, 10, 0))
    rule = _es_rule()
    rule.start(account.ctx(_end_timer(), **alarms.kwargs()))
    assert alarms.pending == {"session_end": _at(3, 8, 15, 0), "session_end:ES": _at(3, 8, 14, 0)}
    account.now = _at(3, 8, 14, 0)
    verdict = rule.check(account.ctx(_end_timer("session_end:ES"), **alarms.kwargs()))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.symbol == "ES"
    assert verdict.until_ts == _at(3, 11, 9, 0)
    assert (verdict.flatten, verdict.cancel_orders) == (False, False)
    assert alarms.pending["session_end:ES"] == _at(3, 11, 14, 0)


def test_position_in_an_instrument_outside_its_session_locks_that_symbol() -> None:
    account = Account(now=_at(3, 8, 8, 45))
    opened = account.last("ES", buy, 1, 5000)
    verdict = _es_rule().check(account.ctx(opened))
    assert verdict is not None
    assert verdict.symbol == "ES" and verdict.until_ts == _at(3, 8, 9, 0)


def test_instrument_session_in_its_own_time_zone() -> None:
    rule = _rule(
        instruments={"ES": {"start": "09:30", "end": "16:00", "timezone": "America/New_York"}}
    )
    inside = Account(now=_at(3, 8, 8, 30))  # 09:30 New York
    assert rule.pre_trade(inside.ctx(_end_timer()), inside.order("ES", buy, 1)) is None
    before = Account(now=_at(3, 8, 8, 29))
    assert rule.pre_trade(before.ctx(_end_timer()), before.order("ES", buy, 1)) is not None


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (_at(3, 10, 16, 59), False),  # Sunday before the open
        (_at(3, 10, 17, 0), True),  # Sunday 17:00: Sunday's session
        (_at(3, 11, 3, 0), True),  # Monday 03:00: still Sunday's session
        (_at(3, 11, 16, 0), False),  # Monday 16:00: the break
        (_at(3, 11, 17, 0), True),  # Monday's session
        (_at(3, 15, 16, 30), False),  # Friday: Thursday's session ended at 16:00
    ],
)
def test_overnight_session_belongs_to_the_day_it_starts(now: int, allowed: bool) -> None:
    rule = _rule(start="17:00", end="16:00", allowed_days=["Sun", "Mon", "Tue", "Wed", "Thu"])
    account = Account(now=now)
    verdict = rule.pre_trade(account.ctx(_end_timer()), account.order("MNQ", buy, 1))
    assert (verdict is None) is allowed


def test_timer_of_another_rule_or_key_is_ignored() -> None:
    account = Account(now=_at(3, 8, 15, 0))
    rule = _rule()
    other = RuleTimerFired(ts=0, rule="other", key="session_end")
    assert rule.check(account.ctx(other)) is None
    assert rule.check(account.ctx(_end_timer("start"))) is None


# -- config --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"start": "25:00"}, "start", "not a time of day"),
        ({"end": "16:60"}, "end", "not a time of day"),
        ({"start": "9am"}, "start", "not a time of day"),
        ({"timezone": "America/Chicagoo"}, "timezone", "not a known time zone"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a known time zone"),
        ({"start": "10:00", "end": "10:00"}, "end", "must differ"),
        ({"allowed_days": ["Mon", "Funday"]}, "allowed_days.1", "not a weekday"),
        ({"allowed_days": []}, "allowed_days", "at least one weekday"),
        ({"holidays": ["2025-13-01"]}, "holidays.0", ""),
        ({"instruments": {"ES": {"start": "24:00", "end": "10:00"}}}, "instruments.ES.start", ""),
        (
            {"instruments": {"ES": {"start": "9:00", "end": "10:00", "timezone": "Nowhere"}}},
            "instruments.ES.timezone",
            "not a known time zone",
        ),
        ({"sessions": []}, "sessions", ""),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str, text: str) -> None:
    errors = config_error(SessionBlockOutsideConfig, data)
    assert field in errors
    assert text in errors[field]


def test_config_accepts_seconds_and_full_day_names() -> None:
    config = SessionBlockOutsideConfig.model_validate(
        {"start": "08:30:15", "end": "15:00", "allowed_days": ["monday", "FRI", "fri"]}
    )
    assert config.start == dt.time(8, 30, 15)
    assert config.allowed_days == (0, 4)


# -- start() with positions in instruments that have their own session ----------------------


def test_start_with_a_position_outside_its_instrument_session_locks_that_symbol() -> None:
    # 08:45 Friday: the account session (08:30-15:00) is open, ES's own (09:00-14:00) is not.
    account, alarms = Account(now=_at(3, 8, 8, 45)), Alarms()
    account.trade("MNQ", buy, 1, 100)
    account.trade("ES", buy, 1, 5000)
    verdict = _es_rule().start(account.ctx(_end_timer(), **alarms.kwargs()))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.symbol == "ES"
    assert verdict.until_ts == _at(3, 8, 9, 0)
    code, values = parse_reason(verdict.reason)
    assert (code, values["symbol"]) == ("OUTSIDE_SESSION", "ES")


def test_start_with_positions_inside_every_session_does_not_lock() -> None:
    account = Account(now=_at(3, 8, 10, 0))
    account.trade("MNQ", buy, 1, 100)
    account.trade("ES", buy, 1, 5000)
    assert _es_rule().start(account.ctx(_end_timer())) is None


def test_start_with_only_other_symbols_open_ignores_the_instrument_session() -> None:
    account = Account(now=_at(3, 8, 8, 45))  # ES closed, but no ES position
    account.trade("MNQ", buy, 1, 100)
    assert _es_rule().start(account.ctx(_end_timer())) is None


def test_start_uses_the_rule_time_zone_over_the_account_one() -> None:
    # 12:00 Chicago is inside 08:30-15:00 Chicago; in Tokyo's zone it would be 03:00.
    account = Account(now=_at(3, 8, 12, 0))
    account.trade("MNQ", buy, 1, 100)
    assert _rule().start(account.ctx(_end_timer(), timezone="Asia/Tokyo")) is None
