"""Rule 005 MaxUnrealizedProfit: take profit on the one position that reaches the target."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened, QuoteTick
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r004_daily_unrealized_loss import POSITION_AND_PRICE_EVENTS
from riskbus.risk.rules.r005_max_unrealized_profit import (
    MaxUnrealizedProfit,
    MaxUnrealizedProfitConfig,
)
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell


def _rule(target: int = 1000) -> MaxUnrealizedProfit:
    return MaxUnrealizedProfit(MaxUnrealizedProfitConfig(target=D(target)))


def test_registered_by_name_and_code_and_listens_to_positions_and_prices() -> None:
    assert RULES["max_unrealized_profit"] is RULES["005"] is MaxUnrealizedProfit
    assert MaxUnrealizedProfit.events == POSITION_AND_PRICE_EVENTS


@pytest.mark.parametrize(
    ("price", "unrealized", "breached"),
    [("1499.75", "999.5", False), ("1500", "1000", True), ("1500.25", "1000.5", True)],
)
def test_long_target_just_under_at_and_just_over(
    price: str, unrealized: str, breached: bool
) -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 1000)  # ×2
    verdict = _rule().check(account.ctx(account.tick("MNQ", price)))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "max_unrealized_profit"
    assert verdict.action is RiskAction.CLOSE_POSITION
    assert verdict.symbol == "MNQ"
    code, values = parse_reason(verdict.reason)
    assert code == "MAX_UNREALIZED_PROFIT"
    assert (values["symbol"], values["target"]) == ("MNQ", "1000")
    assert D(values["unrealized"]) == D(unrealized)
    assert not verdict.flatten and verdict.until_ts is None


@pytest.mark.parametrize(("ask", "breached"), [("980.25", False), ("980", True)])
def test_short_target_on_quotes(ask: str, breached: bool) -> None:
    account = Account()
    account.trade("ES", sell, 1, 1000)  # ×50: 20 points = 1000
    quote = account.quote("ES", D(ask) - D("0.5"), D(ask) + D("0.5"))  # mid = ask
    assert isinstance(quote, QuoteTick)
    verdict = _rule().check(account.ctx(quote))
    assert (verdict is not None) is breached


def test_a_position_event_at_a_profitable_mark_takes_profit() -> None:
    account = Account()
    account.trade("NQ", buy, 1, 1000)
    account.bar("NQ", 1040)  # +800
    added = account.last("NQ", buy, 1, 1040)  # 2 contracts, still +800
    assert isinstance(added, PositionChanged)
    assert _rule().check(account.ctx(added)) is None
    account.bar("NQ", 1045)  # +900 + 100
    verdict = _rule().check(account.ctx(account.bar("NQ", 1045)))
    assert verdict is not None and verdict.symbol == "NQ"


def test_a_loss_or_a_flat_position_passes() -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 1000)
    assert _rule().check(account.ctx(account.tick("MNQ", 500))) is None
    closed = account.last("MNQ", sell, 1, 3000)
    assert isinstance(closed, PositionClosed)
    assert _rule().check(account.ctx(closed)) is None
    opened = account.last("NQ", buy, 1, 1000)
    assert isinstance(opened, PositionOpened)
    assert _rule().check(account.ctx(opened)) is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"target": 1000, "check_interval": 5}, "check_interval", "Extra inputs"),
        ({"target": "big"}, "target", "valid decimal"),
        ({"target": -1000}, "target", "greater than 0"),
        ({"target": 0}, "target", "greater than 0"),
        ({"target": "NaN"}, "target", "finite"),
        ({}, "target", "Field required"),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(MaxUnrealizedProfitConfig, data)
    assert field in errors
    assert message in errors[field]


def test_describe() -> None:
    assert _rule(250).describe() == (
        "take profit: close a position whose unrealized P&L reaches 250"
    )
