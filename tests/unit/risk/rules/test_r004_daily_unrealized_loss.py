"""Rule 004 DailyUnrealizedLoss: close the one position whose open loss reaches the limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from riskbus.core.messages import Message
from riskbus.model import RiskAction
from riskbus.model.events import (
    Bar,
    PositionChanged,
    PositionClosed,
    PositionOpened,
    QuoteTick,
    TradeTick,
)
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r004_daily_unrealized_loss import (
    DailyUnrealizedLoss,
    DailyUnrealizedLossConfig,
    event_price,
)
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell

#: Mark a symbol at a price through one kind of price event.
PRICE_EVENTS: dict[str, Callable[[Account, str, str], Message]] = {
    "quote": lambda a, s, p: a.quote(s, D(p) - D("0.25"), D(p) + D("0.25")),
    "trade": lambda a, s, p: a.tick(s, p),
    "bar": lambda a, s, p: a.bar(s, p),
}


def _rule(limit: int = -300) -> DailyUnrealizedLoss:
    return DailyUnrealizedLoss(DailyUnrealizedLossConfig(limit=D(limit)))


def test_registered_by_name_and_code_and_listens_to_positions_and_prices() -> None:
    assert RULES["daily_unrealized_loss"] is RULES["004"] is DailyUnrealizedLoss
    assert set(DailyUnrealizedLoss.events) == {
        PositionOpened,
        PositionChanged,
        PositionClosed,
        Bar,
        QuoteTick,
        TradeTick,
    }


@pytest.mark.parametrize("kind", sorted(PRICE_EVENTS))
@pytest.mark.parametrize(
    ("price", "unrealized", "breached"),
    [("850.25", "-299.5", False), ("850", "-300", True), ("849.75", "-300.5", True)],
)
def test_long_limit_just_under_at_and_just_over(
    kind: str, price: str, unrealized: str, breached: bool
) -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 1000)  # MNQ: $0.50 per 0.25 tick → ×2
    event = PRICE_EVENTS[kind](account, "MNQ", price)
    verdict = _rule().check(account.ctx(event))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "daily_unrealized_loss"
    assert verdict.action is RiskAction.CLOSE_POSITION
    assert verdict.symbol == "MNQ"
    code, values = parse_reason(verdict.reason)
    assert code == "DAILY_UNREALIZED_LOSS"
    assert values["symbol"] == "MNQ"
    assert D(values["unrealized"]) == D(unrealized)
    assert values["limit"] == "-300"
    assert verdict.until_ts is None and not verdict.flatten and not verdict.until_reset


@pytest.mark.parametrize(
    ("symbol", "quantity", "points"),
    [("MNQ", 1, 150), ("MNQ", 2, 75), ("NQ", 1, 15), ("MES", 3, 20), ("ES", 1, 6)],
)
def test_tick_economics_per_instrument(symbol: str, quantity: int, points: int) -> None:
    account = Account()
    account.trade(symbol, buy, quantity, 5000)
    just_under = account.tick(symbol, str(5000 - points + D("0.25")))
    assert _rule().check(account.ctx(just_under)) is None
    at = account.tick(symbol, str(5000 - points))
    verdict = _rule().check(account.ctx(at))
    assert verdict is not None
    assert D(parse_reason(verdict.reason)[1]["unrealized"]) == D(-300)


def test_short_position_loses_when_the_price_rises() -> None:
    account = Account()
    account.trade("NQ", sell, 1, 1000)
    assert _rule().check(account.ctx(account.tick("NQ", "1014.75"))) is None
    verdict = _rule().check(account.ctx(account.tick("NQ", "1015")))
    assert verdict is not None and verdict.symbol == "NQ"


def test_only_the_position_of_the_event_is_judged() -> None:
    account = Account()
    account.trade("NQ", buy, 1, 1000)
    account.trade("ES", buy, 1, 1000)
    account.tick("NQ", 900)  # NQ is −2000 …
    es = account.tick("ES", 999)  # … but this is ES at −50
    assert _rule().check(account.ctx(es)) is None
    verdict = _rule().check(account.ctx(account.tick("NQ", 900)))
    assert verdict is not None and verdict.symbol == "NQ"


def test_position_events_use_the_current_mark() -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 1000)
    account.tick("MNQ", 900)  # −200
    added = account.last("MNQ", buy, 1, 900)  # −200 on 2 contracts, still marked at 900
    assert isinstance(added, PositionChanged)
    assert _rule().check(account.ctx(added)) is None
    account.tick("MNQ", 880)
    event = account.last("MNQ", buy, 1, 880)  # 3 contracts: −240 −40 +0 = −280
    assert _rule().check(account.ctx(event)) is None
    account.tick("MNQ", "876.25")
    event = account.last("MNQ", buy, 1, "876.25")  # (3·876.25 − 2780)·2 = −302.50
    verdict = _rule().check(account.ctx(event))
    assert verdict is not None
    assert D(parse_reason(verdict.reason)[1]["unrealized"]) == D("-302.5")


def test_the_event_price_counts_even_before_the_portfolio_marks_it() -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 1000)
    tick = TradeTick(ts=account.now, symbol="MNQ", price=D(850), size=D(1))  # not booked
    assert account.portfolio.mark("MNQ") == D(1000)
    verdict = _rule().check(account.ctx(tick))
    assert verdict is not None and verdict.action is RiskAction.CLOSE_POSITION


def test_no_position_flat_position_or_other_events_pass() -> None:
    account = Account()
    assert _rule().check(account.ctx(account.tick("MNQ", 1))) is None  # never traded
    account.trade("MNQ", buy, 1, 1000)
    closed = account.last("MNQ", sell, 1, 500)  # a big loss, but realized
    assert isinstance(closed, PositionClosed)
    assert _rule().check(account.ctx(closed)) is None
    assert _rule().check(account.ctx(account.tick("MNQ", 1))) is None
    assert event_price(closed) is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"limit": -300, "check_interval_seconds": 10}, "check_interval_seconds", "Extra inputs"),
        ({"limit": [1]}, "limit", "Decimal input"),
        ({"limit": 300}, "limit", "less than 0"),
        ({"limit": 0}, "limit", "less than 0"),
        ({}, "limit", "Field required"),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(DailyUnrealizedLossConfig, data)
    assert field in errors
    assert message in errors[field]


def test_describe() -> None:
    assert _rule().describe() == "close a position whose unrealized P&L is at or below -300"
    assert _rule().config.admin_unlock is True
