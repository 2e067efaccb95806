"""Rule 013 DailyRealizedProfit: realized P&L today at or above the target locks the day."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r013_daily_realized_profit import (
    DEFAULT_MESSAGE,
    DailyRealizedProfit,
    DailyRealizedProfitConfig,
)
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell


def _rule(**config: Any) -> DailyRealizedProfit:
    return DailyRealizedProfit(DailyRealizedProfitConfig.model_validate({"target": 1000, **config}))


def test_registered_and_listens_to_position_events() -> None:
    assert RULES["daily_realized_profit"] is RULES["013"] is DailyRealizedProfit
    assert DailyRealizedProfit.events == (PositionOpened, PositionChanged, PositionClosed)
    assert DEFAULT_MESSAGE == "Daily profit target reached! Good job! See you tomorrow."


@pytest.mark.parametrize(
    ("fee", "realized", "breached"),
    [("0.01", "999.99", False), ("0", "1000", True), ("-0.01", "1000.01", True)],
)
def test_target_just_under_at_and_just_over(fee: str, realized: str, breached: bool) -> None:
    account = Account()
    account.trade("ES", buy, 1, 5000)
    # 1 ES (×50) up 20 points: +1000 gross, then the exit fee (a rebate when negative).
    closed = account.last("ES", sell, 1, 5020, fee=fee)
    assert account.pnl.daily_realized() == D(realized)
    verdict = _rule().check(account.ctx(closed))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.until_reset is True
    assert verdict.flatten and verdict.cancel_orders
    assert (verdict.until_ts, verdict.until_condition, verdict.symbol) == (None, False, None)
    code, values = parse_reason(verdict.reason)
    assert code == "DAILY_PROFIT_TARGET"
    assert values == {"realized": realized, "target": "1000", "message": DEFAULT_MESSAGE}


def test_partial_close_reaching_the_target_locks() -> None:
    account = Account()
    account.trade("ES", buy, 2, 5000)
    changed = account.last("ES", sell, 1, 5020)
    assert isinstance(changed, PositionChanged)
    assert _rule().check(account.ctx(changed)) is not None


def test_profit_across_symbols_is_summed() -> None:
    account = Account()
    account.trade("ES", buy, 1, 5000)
    account.trade("ES", sell, 1, 5010)  # +500
    account.trade("NQ", buy, 1, 18000)
    closed = account.last("NQ", sell, 1, 18025)  # +500 (×20)
    assert _rule().check(account.ctx(closed)) is not None


def test_custom_message_is_in_the_reason() -> None:
    account = Account()
    account.pnl.realized["ES"] = D(1500)
    opened = account.last("ES", buy, 1, 5000)
    verdict = _rule(message="Done for today").check(account.ctx(opened))
    assert verdict is not None
    assert parse_reason(verdict.reason)[1]["message"] == "Done for today"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"target": 0}, "target"),
        ({"target": -100}, "target"),
        ({"target": "NaN"}, "target"),
        ({}, "target"),
        ({"target": 100, "message": "Well done, see you"}, "message"),
        ({"target": 100, "message": "  "}, "message"),
        ({"target": 100, "reset_time": "17:00"}, "reset_time"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(DailyRealizedProfitConfig, data)
