"""Rule 006 TradeFrequencyLimit: trades per minute / hour / session → cooldown."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.core.clock import HOUR, MINUTE, SECOND
from riskbus.model import RiskAction
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.account import PositionEvent
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r006_trade_frequency_limit import (
    TradeFrequencyLimit,
    TradeFrequencyLimitConfig,
)
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error, sell


def _rule(**config: Any) -> TradeFrequencyLimit:
    return TradeFrequencyLimit(TradeFrequencyLimitConfig.model_validate(config))


def _trades(account: Account, *stamps: int) -> PositionEvent:
    """Book one real fill at each stamp (alternately opening and closing 1 MNQ)."""
    event = None
    for i, ts in enumerate(stamps):
        event = account.last("MNQ", buy if i % 2 == 0 else sell, 1, 100, at=ts)
    assert event is not None
    return event


def test_registered_by_name_and_code_and_listens_to_position_events() -> None:
    assert RULES["trade_frequency_limit"] is RULES["006"] is TradeFrequencyLimit
    assert TradeFrequencyLimit.events == (PositionOpened, PositionChanged, PositionClosed)


@pytest.mark.parametrize(("count", "breached"), [(2, False), (3, True), (4, True)])
def test_per_minute_under_at_and_over(count: int, breached: bool) -> None:
    account = Account()
    now = T0 + 10 * MINUTE
    event = _trades(account, *(now - 50 * SECOND + i * SECOND for i in range(count)))
    verdict = _rule(per_minute=3).check(account.ctx(event, now=now))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "trade_frequency_limit"
    assert verdict.action is RiskAction.COOLDOWN
    assert verdict.reason == (
        f"TRADE_FREQUENCY_LIMIT: window=minute, trades={count}, limit=3, cooldown=60"
    )
    assert verdict.until_ts == now + 60 * SECOND
    assert not verdict.flatten and not verdict.cancel_orders and verdict.symbol is None


@pytest.mark.parametrize(("oldest", "breached"), [(-MINUTE - 1, False), (-MINUTE, True)])
def test_the_minute_window_starts_exactly_60_s_ago(oldest: int, breached: bool) -> None:
    account = Account()
    now = T0 + HOUR
    event = _trades(account, now + oldest, now - 30 * SECOND, now)
    verdict = _rule(per_minute=3).check(account.ctx(event, now=now))
    assert (verdict is not None) is breached


@pytest.mark.parametrize(("count", "breached"), [(9, False), (10, True), (11, True)])
def test_per_hour_under_at_and_over(count: int, breached: bool) -> None:
    account = Account()
    now = T0 + 5 * HOUR
    # One trade every 5 minutes, the oldest 55 minutes ago; 2 more just outside the hour.
    event = _trades(
        account,
        now - HOUR - 2 * MINUTE,
        now - HOUR - SECOND,
        *(now - (count - 1 - i) * 5 * MINUTE for i in range(count)),
    )
    verdict = _rule(per_minute=3, per_hour=10).check(account.ctx(event, now=now))
    assert (verdict is not None) is breached
    if verdict is not None:
        assert verdict.reason == (
            f"TRADE_FREQUENCY_LIMIT: window=hour, trades={count}, limit=10, cooldown=1800"
        )
        assert verdict.until_ts == now + 1800 * SECOND


@pytest.mark.parametrize(("count", "breached"), [(49, False), (50, True), (51, True)])
def test_per_session_under_at_and_over(count: int, breached: bool) -> None:
    account = Account()
    start = account.pnl.session_start()
    account.pnl.add_trades(*(start - i * MINUTE - 1 for i in range(20)))  # yesterday's
    account.pnl.add_trades(*(start + i * 2 * MINUTE for i in range(count - 1)))
    now = start + 8 * HOUR
    event = account.last("MNQ", buy, 1, 100, at=now)
    verdict = _rule(per_session=50).check(account.ctx(event, now=now))
    assert (verdict is not None) is breached
    if verdict is not None:
        assert verdict.reason == (
            f"TRADE_FREQUENCY_LIMIT: window=session, trades={count}, limit=50, cooldown=3600"
        )
        assert verdict.until_ts == now + HOUR


def test_the_longest_applicable_cooldown_wins() -> None:
    account = Account()
    now = T0 + HOUR
    event = _trades(account, now - 2 * SECOND, now - SECOND, now)
    verdict = _rule(per_minute=3, per_hour=3, per_session=100).check(account.ctx(event, now=now))
    assert verdict is not None
    assert verdict.reason == "TRADE_FREQUENCY_LIMIT: window=hour, trades=3, limit=3, cooldown=1800"
    # With a longer minute cooldown, the minute window wins even though the hour is hit too.
    rule = _rule(per_minute=3, per_hour=3, cooldown_minute="2h")
    verdict = rule.check(account.ctx(event, now=now))
    assert verdict is not None
    assert (
        verdict.reason == "TRADE_FREQUENCY_LIMIT: window=minute, trades=3, limit=3, cooldown=7200"
    )
    assert verdict.until_ts == now + 2 * HOUR


def test_a_flip_counts_as_one_trade() -> None:
    account = Account()
    now = T0 + HOUR
    account.trade("MNQ", buy, 1, 100, at=now - SECOND)
    events = account.trade("MNQ", sell, 2, 100, at=now)  # close + open, one fill
    assert [type(e) for e in events] == [PositionClosed, PositionOpened]
    for event in events:
        assert _rule(per_minute=3).check(account.ctx(event, now=now)) is None
        verdict = _rule(per_minute=2).check(account.ctx(event, now=now))
        assert verdict is not None and "trades=2" in verdict.reason


@pytest.mark.parametrize(
    ("value", "seconds"), [(90, 90), ("90", 90), ("90s", 90), ("15m", 900), (" 2h ", 7200)]
)
def test_cooldowns_accept_seconds_or_durations(value: Any, seconds: int) -> None:
    assert _rule(per_hour=5, cooldown_hour=value).config.cooldown_hour == seconds


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"per_minute": 3, "per_day": 9}, "per_day", "Extra inputs are not permitted"),
        ({"per_minute": "often"}, "per_minute", "valid integer"),
        ({"per_minute": 0}, "per_minute", "greater than 0"),
        ({"per_hour": -10}, "per_hour", "greater than 0"),
        ({"per_minute": 3, "cooldown_minute": 0}, "cooldown_minute", "greater than 0"),
        ({"per_minute": 3, "cooldown_hour": "5 days"}, "cooldown_hour", "not a duration"),
        ({"per_minute": 3, "cooldown_session": 1.5}, "cooldown_session", "integer"),
        ({}, "", "at least one of per_minute, per_hour, per_session"),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(TradeFrequencyLimitConfig, data)
    assert field in errors
    assert message in errors[field]


def test_describe() -> None:
    assert _rule(per_minute=3, per_hour=10, per_session=50).describe() == (
        "trade frequency: 3/minute → 60s cooldown, 10/hour → 1800s cooldown,"
        " 50/session → 3600s cooldown"
    )
    assert _rule(per_session=5).describe() == "trade frequency: 5/session → 3600s cooldown"
