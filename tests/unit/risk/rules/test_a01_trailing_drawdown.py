"""Rule A01 TrailingDrawdown: equity at or below peak − max_drawdown locks the account."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.a01_trailing_drawdown import TrailingDrawdown, TrailingDrawdownConfig
from tests.stubs import D
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error, sell

START = RuleTimerFired(ts=T0, rule="", key="start")


def _rule(**config: Any) -> TrailingDrawdown:
    return TrailingDrawdown(TrailingDrawdownConfig.model_validate({"max_drawdown": 1000, **config}))


def _started(rule: TrailingDrawdown) -> Account:
    account = Account()  # USD 100,000
    assert rule.start(account.ctx(START)) is None
    assert rule.peak == D(100_000)
    return account


def test_registered() -> None:
    assert RULES["trailing_drawdown"] is RULES["A01"] is TrailingDrawdown


@pytest.mark.parametrize(
    ("mark", "equity", "breached"),
    [("5000.25", "100012.50", False), ("5000", "100000", True), ("4999.75", "99987.50", True)],
)
def test_intraday_peak_just_under_at_and_over(mark: str, equity: str, breached: bool) -> None:
    rule = _rule()
    account = _started(rule)
    account.trade("ES", buy, 1, 5000)
    assert rule.check(account.ctx(account.tick("ES", 5020))) is None  # +1000
    assert rule.peak == D(101_000)
    verdict = rule.check(account.ctx(account.tick("ES", mark)))
    assert account.portfolio.equity() == D(equity)
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.until_reset is True
    assert verdict.flatten and verdict.cancel_orders
    assert (verdict.until_ts, verdict.until_condition, verdict.symbol) == (None, False, None)
    code, values = parse_reason(verdict.reason)
    assert code == "TRAILING_DRAWDOWN"
    assert values["peak"] == "101000"
    assert values["floor"] == "100000"
    assert D(values["equity"]) == D(equity)
    assert values["max_drawdown"] == "1000"


def test_permanent_lock_has_no_end() -> None:
    rule = _rule(lock="permanent")
    account = _started(rule)
    account.trade("ES", buy, 1, 5000)
    verdict = rule.check(account.ctx(account.tick("ES", 4980)))
    assert verdict is not None
    assert (verdict.until_reset, verdict.until_ts, verdict.until_condition) == (False, None, False)


def test_realized_losses_count_too() -> None:
    rule = _rule()
    account = _started(rule)
    account.trade("ES", buy, 1, 5000)
    closed = account.last("ES", sell, 1, 4980, fee=0)
    verdict = rule.check(account.ctx(closed))
    assert verdict is not None


def test_end_of_day_mode_moves_the_peak_only_at_the_reset() -> None:
    rule = _rule(mode="end_of_day")
    account = _started(rule)
    account.trade("ES", buy, 1, 5000)
    assert rule.check(account.ctx(account.tick("ES", 5040))) is None  # +2000 intraday
    assert rule.peak == D(100_000)
    # Back to +100: 1900 off the intraday high, but the floor is still 99,000.
    assert rule.check(account.ctx(account.tick("ES", 5002))) is None
    rule.on_reset(account.ctx(RuleTimerFired(ts=T0, rule="", key="reset")))
    assert rule.peak == D(100_100)
    assert rule.check(account.ctx(account.tick("ES", "4982.25"))) is None  # 99,112.50
    verdict = rule.check(account.ctx(account.tick("ES", 4982)))  # 99,100
    assert verdict is not None
    assert parse_reason(verdict.reason)[1]["floor"] == "99100"


def test_reset_never_lowers_the_peak_in_either_mode() -> None:
    for mode in ("intraday", "end_of_day"):
        rule = _rule(mode=mode)
        account = _started(rule)
        account.trade("ES", buy, 1, 5000)
        rule.check(account.ctx(account.tick("ES", 4990)))
        rule.on_reset(account.ctx(RuleTimerFired(ts=T0, rule="", key="reset")))
        assert rule.peak == D(100_000)


def test_state_round_trip_and_start_checks_at_once() -> None:
    rule = _rule()
    account = _started(rule)
    account.trade("ES", buy, 1, 5000)
    rule.check(account.ctx(account.tick("ES", 5040)))
    assert rule.state() == {"peak": "102000"}
    fresh = _rule()
    fresh.restore(rule.state())
    account.tick("ES", 5000)  # equity 100,000 = 2000 below the peak
    verdict = fresh.start(account.ctx(START))
    assert verdict is not None and fresh.peak == D(102_000)
    empty = _rule()
    empty.restore({})
    assert empty.peak is None


def test_check_before_start_takes_the_first_equity_as_the_peak() -> None:
    rule = _rule(mode="end_of_day")
    account = Account()
    assert rule.check(account.ctx(account.tick("ES", 5000))) is None
    assert rule.peak == D(100_000)


def test_unvalued_equity_is_skipped() -> None:
    rule = _rule()
    account = Account()
    account.portfolio.set_balance("BTC", 1)  # no BTC/USD pair to value it
    assert rule.start(account.ctx(START)) is None
    assert rule.peak is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "max_drawdown"),
        ({"max_drawdown": 0}, "max_drawdown"),
        ({"max_drawdown": -500}, "max_drawdown"),
        ({"max_drawdown": 500, "mode": "weekly"}, "mode"),
        ({"max_drawdown": 500, "lock": "forever"}, "lock"),
        ({"max_drawdown": 500, "percent": 5}, "percent"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(TrailingDrawdownConfig, data)


@pytest.mark.parametrize(("mode", "peak"), [("intraday", "100500"), ("end_of_day", "100000")])
def test_start_after_a_restore_follows_the_peak_only_intraday(mode: str, peak: str) -> None:
    rule = _rule(mode=mode)
    rule.restore({"peak": "100000"})
    account = Account()
    account.trade("ES", buy, 1, 5000)
    account.tick("ES", 5010)  # equity 100,500
    assert rule.start(account.ctx(START)) is None
    assert rule.peak == D(peak)
