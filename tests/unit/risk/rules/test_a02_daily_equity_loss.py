"""Rule A02 DailyEquityLoss: equity down at least |limit| since the day's start locks."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.a02_daily_equity_loss import DailyEquityLoss, DailyEquityLossConfig
from tests.stubs import D
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error, sell

START = RuleTimerFired(ts=T0, rule="", key="start")
RESET = RuleTimerFired(ts=T0, rule="", key="reset")


def _rule(**config: Any) -> DailyEquityLoss:
    return DailyEquityLoss(DailyEquityLossConfig.model_validate({"limit": -1000, **config}))


def test_registered() -> None:
    assert RULES["daily_equity_loss"] is RULES["A02"] is DailyEquityLoss


@pytest.mark.parametrize(
    ("mark", "change", "breached"),
    [("4980.25", "-987.50", False), ("4980", "-1000", True), ("4979.75", "-1012.50", True)],
)
def test_limit_just_under_at_and_over(mark: str, change: str, breached: bool) -> None:
    rule = _rule()
    account = Account()
    assert rule.start(account.ctx(START)) is None
    assert rule.start_equity == D(100_000)
    account.trade("ES", buy, 1, 5000)
    verdict = rule.check(account.ctx(account.tick("ES", mark)))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.until_reset and verdict.flatten and verdict.cancel_orders
    assert (verdict.until_ts, verdict.symbol) == (None, None)
    code, values = parse_reason(verdict.reason)
    assert code == "DAILY_EQUITY_LOSS"
    assert D(values["change"]) == D(change)
    assert values["limit"] == "-1000"
    assert values["start_equity"] == "100000"


def test_realized_and_fees_count() -> None:
    rule = _rule()
    account = Account()
    rule.start(account.ctx(START))
    account.trade("ES", buy, 1, 5000)
    closed = account.last("ES", sell, 1, "4980.25", fee="12.50")  # −987.50 − 12.50
    assert rule.check(account.ctx(closed)) is not None


def test_reset_records_a_new_start_of_day_equity() -> None:
    rule = _rule()
    account = Account()
    rule.start(account.ctx(START))
    account.trade("ES", buy, 1, 5000)
    account.tick("ES", 4990)  # −500 yesterday
    rule.on_reset(account.ctx(RESET))
    assert rule.start_equity == D(99_500)
    assert rule.check(account.ctx(account.tick("ES", "4970.25"))) is None  # −987.50 today
    assert rule.check(account.ctx(account.tick("ES", 4970))) is not None


def test_restart_keeps_the_restored_start_of_day_equity() -> None:
    rule = _rule()
    account = Account()
    rule.start(account.ctx(START))
    account.trade("ES", buy, 1, 5000)
    account.tick("ES", 4980)
    fresh = _rule()
    fresh.restore(rule.state())
    assert fresh.start_equity == D(100_000)
    verdict = fresh.start(account.ctx(START))
    assert verdict is not None
    blank = _rule()
    blank.restore({})
    assert blank.start(account.ctx(START)) is None
    assert blank.start_equity == D(99_000)


def test_check_without_start_records_the_first_equity() -> None:
    rule = _rule()
    account = Account()
    assert rule.check(account.ctx(account.tick("ES", 5000))) is None
    assert rule.start_equity == D(100_000)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": 500}, "limit"),
        ({"limit": "-inf"}, "limit"),
        ({"limit": -500, "include_unrealized": False}, "include_unrealized"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(DailyEquityLossConfig, data)
