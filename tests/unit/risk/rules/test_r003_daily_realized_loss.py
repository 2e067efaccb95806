"""Rule 003 DailyRealizedLoss: realized P&L today at or below the limit locks the account."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction, TradingState
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r003_daily_realized_loss import DailyRealizedLoss, DailyRealizedLossConfig
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell


def _rule(**config: Any) -> DailyRealizedLoss:
    return DailyRealizedLoss(DailyRealizedLossConfig.model_validate({"limit": -500, **config}))


def test_registered_by_name_and_code_and_listens_to_position_events() -> None:
    assert RULES["daily_realized_loss"] is RULES["003"] is DailyRealizedLoss
    assert DailyRealizedLoss.events == (PositionOpened, PositionChanged, PositionClosed)


@pytest.mark.parametrize(
    ("fee", "realized", "breached"),
    [("0.49", "-499.99", False), ("0.50", "-500.00", True), ("0.51", "-500.01", True)],
)
def test_limit_just_under_at_and_just_over(fee: str, realized: str, breached: bool) -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 1000)
    # 1 MNQ (×2) from 1000 down to 750.25: −499.50 gross, then the exit fee.
    closed = account.last("MNQ", sell, 1, "750.25", fee=fee)
    assert account.pnl.daily_realized() == D(realized)
    verdict = _rule().check(account.ctx(closed))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "daily_realized_loss"
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.reason == f"DAILY_LOSS_LIMIT: realized={realized}, limit=-500"
    assert verdict.until_reset is True
    assert verdict.flatten is True
    assert verdict.cancel_orders is True
    assert verdict.symbol is None and verdict.until_ts is None


def test_losses_add_up_across_symbols_and_trades() -> None:
    account = Account()
    account.trade("NQ", buy, 1, 1000)
    event = account.last("NQ", sell, 1, 990)  # −200
    assert _rule().check(account.ctx(event)) is None
    account.trade("ES", sell, 1, 1000)
    event = account.last("ES", buy, 1, 1006)  # −300
    verdict = _rule().check(account.ctx(event))
    assert verdict is not None
    assert verdict.reason == "DAILY_LOSS_LIMIT: realized=-500, limit=-500"


def test_profit_offsets_losses() -> None:
    account = Account()
    account.trade("NQ", buy, 1, 1000)
    account.trade("NQ", sell, 1, 1020)  # +400
    account.trade("ES", sell, 1, 1000)
    event = account.last("ES", buy, 1, 1016)  # −800
    assert account.pnl.daily_realized() == D(-400)
    assert _rule().check(account.ctx(event)) is None


def test_a_trade_while_locked_trips_the_rule_again() -> None:
    account = Account()
    account.pnl.realized["MNQ"] = D(-600)
    opened = account.last("MNQ", buy, 1, 1000)  # a new entry after the lockout
    assert isinstance(opened, PositionOpened)
    verdict = _rule().check(account.ctx(opened, state=TradingState.HALTED))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT and verdict.flatten


def test_admin_unlock_defaults_to_false_but_can_be_allowed() -> None:
    assert DailyRealizedLossConfig(limit=D(-500)).admin_unlock is False
    assert _rule(admin_unlock=True).config.admin_unlock is True
    assert _rule().describe() == (
        "daily realized P&L at or below -500: flatten, cancel orders,"
        " lock out until the next reset (no admin unlock)"
    )
    assert "admin may unlock" in _rule(admin_unlock=True).describe()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"limit": -500, "reset_time": "17:00"}, "reset_time", "Extra inputs are not permitted"),
        ({"limit": "a lot"}, "limit", "valid decimal"),
        ({"limit": 500}, "limit", "less than 0"),
        ({"limit": 0}, "limit", "less than 0"),
        ({"limit": "-Infinity"}, "limit", "finite"),
        ({}, "limit", "Field required"),
        ({"limit": -500, "admin_unlock": "maybe"}, "admin_unlock", "valid boolean"),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(DailyRealizedLossConfig, data)
    assert field in errors
    assert message in errors[field]
