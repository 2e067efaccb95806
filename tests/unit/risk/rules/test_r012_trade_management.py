"""Rule 012 TradeManagement: breakeven stop, then a trailing stop; stops only tighten."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import PositionSide, RiskAction
from riskbus.model.events import PositionClosed, RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.base import Verdict
from riskbus.risk.rules.r012_trade_management import TradeManagement, TradeManagementConfig
from tests.stubs import D
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error, sell

# MNQ: tick 0.25. The original YAML: breakeven at +4 ticks (offset 1), trail from +8 at 4.
YAML = {
    "breakeven_ticks": 4,
    "breakeven_offset_ticks": 1,
    "trail_activate_ticks": 8,
    "trail_distance_ticks": 4,
}


def _rule(**config: Any) -> TradeManagement:
    return TradeManagement(TradeManagementConfig.model_validate(config or YAML))


def _at(account: Account, rule: TradeManagement, price: str | int) -> Verdict | None:
    return rule.check(account.ctx(account.tick("MNQ", price)))


def _long(rule: TradeManagement, price: str | int = 100) -> Account:
    account = Account()
    assert rule.check(account.ctx(account.last("MNQ", buy, 1, price))) is None
    return account


def test_registered() -> None:
    assert RULES["trade_management"] is RULES["012"] is TradeManagement


@pytest.mark.parametrize(
    ("price", "stop"),
    [("100.75", None), ("101.00", "100.25"), ("101.25", "100.25")],
    ids=["3-ticks", "4-ticks-at", "5-ticks"],
)
def test_breakeven_just_under_at_and_over(price: str, stop: str | None) -> None:
    rule = _rule()
    account = _long(rule)
    verdict = _at(account, rule, price)
    if stop is None:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.MOVE_STOP
    assert verdict.symbol == "MNQ"
    assert verdict.stop_price == D(stop)
    code, values = parse_reason(verdict.reason)
    assert code == "STOP_MOVED"
    assert values["mode"] == "breakeven"
    assert values["stop"] == stop


@pytest.mark.parametrize(
    ("price", "stop"),
    [("101.75", None), ("102.00", "101.00"), ("102.25", "101.25")],
    ids=["7-ticks", "8-ticks-at", "9-ticks"],
)
def test_trailing_activation_just_under_at_and_over(price: str, stop: str | None) -> None:
    rule = _rule()
    account = _long(rule)
    assert _at(account, rule, "101.00") is not None  # breakeven at 100.25 first
    verdict = _at(account, rule, price)
    if stop is None:
        assert verdict is None  # breakeven again: not tighter
        return
    assert verdict is not None
    assert verdict.stop_price == D(stop)
    assert parse_reason(verdict.reason)[1]["mode"] == "trailing"


def test_trailing_stop_only_tightens() -> None:
    rule = _rule()
    account = _long(rule)
    moves = []
    for price in ("102.00", "101.50", "102.50", "102.25", "100.00", "103.00"):
        verdict = _at(account, rule, price)
        moves.append(None if verdict is None else str(verdict.stop_price))
    assert moves == ["101.00", None, "101.50", None, None, "102.00"]
    assert rule.stops["MNQ"][1] == D("102.00")


def test_short_position_mirrors_the_stops() -> None:
    rule = _rule()
    account = Account()
    rule.check(account.ctx(account.last("MNQ", sell, 1, 100)))
    assert _at(account, rule, "99.25") is None  # 3 ticks
    breakeven = _at(account, rule, "99.00")
    assert breakeven is not None and breakeven.stop_price == D("99.75")
    trailing = _at(account, rule, "98.00")
    assert trailing is not None and trailing.stop_price == D("99.00")
    assert _at(account, rule, "98.50") is None  # the price came back: never loosened
    tighter = _at(account, rule, "97.75")
    assert tighter is not None and tighter.stop_price == D("98.75")


def test_average_price_off_the_grid_rounds_towards_the_price() -> None:
    rule = _rule(breakeven_ticks=2)
    account = Account()
    account.trade("MNQ", buy, 1, "100.00")
    changed = account.last("MNQ", buy, 1, "100.25")  # avg 100.125
    assert rule.check(account.ctx(changed)) is None
    verdict = _at(account, rule, "100.75")  # 2.5 ticks
    assert verdict is not None
    assert verdict.stop_price == D("100.25")  # 100.125 rounded up to the tick
    assert parse_reason(verdict.reason)[1]["avg_price"] == "100.125"


def test_quote_mid_marks_the_position() -> None:
    rule = _rule()
    account = _long(rule)
    verdict = rule.check(account.ctx(account.quote("MNQ", "102.00", "102.25")))  # mid 102.125
    assert verdict is not None
    assert verdict.stop_price == D("101.25")  # 101.125 rounded up: at most 4 ticks behind


def test_price_for_another_symbol_or_without_a_position_does_nothing() -> None:
    rule = _rule()
    account = _long(rule)
    assert rule.check(account.ctx(account.tick("ES", 6000))) is None
    assert rule.check(account.ctx(RuleTimerFired(ts=T0, rule="x", key="y"))) is None


def test_position_closed_forgets_the_stop_and_a_new_position_starts_afresh() -> None:
    rule = _rule()
    account = _long(rule)
    assert _at(account, rule, "103.00") is not None
    closed = account.last("MNQ", sell, 1, "103.00")
    assert isinstance(closed, PositionClosed)
    assert rule.check(account.ctx(closed)) is None
    assert rule.stops == {}
    reopened = account.last("MNQ", buy, 1, "103.00")
    assert rule.check(account.ctx(reopened)) is None
    verdict = _at(account, rule, "104.00")
    assert verdict is not None and verdict.stop_price == D("103.25")


def test_flip_starts_the_new_side_without_the_old_stop() -> None:
    rule = _rule()
    account = _long(rule)
    assert _at(account, rule, "103.00") is not None  # long stop at 102.00
    for event in account.trade("MNQ", sell, 2, "103.00"):
        rule.check(account.ctx(event))
    assert "MNQ" not in rule.stops
    verdict = _at(account, rule, "102.00")  # short, 4 ticks in profit
    assert verdict is not None and verdict.stop_price == D("102.75")


def test_breakeven_only_and_trailing_only() -> None:
    be = _rule(breakeven_ticks=10)
    account = _long(be)
    assert _at(account, be, "110.00") is not None
    assert _at(account, be, "120.00") is None  # no trailing
    trail = _rule(trail_activate_ticks=20, trail_distance_ticks=10)
    account = _long(trail)
    assert _at(account, trail, "104.75") is None
    verdict = _at(account, trail, "105.00")
    assert verdict is not None and verdict.stop_price == D("102.50")


def test_state_round_trip_keeps_the_stop_tightening_only() -> None:
    rule = _rule()
    account = _long(rule)
    assert _at(account, rule, "103.00") is not None
    saved = rule.state()
    assert saved == {"MNQ": {"side": "LONG", "stop": "102.00"}}
    fresh = _rule()
    fresh.restore(saved)
    assert _at(account, fresh, "102.75") is None
    verdict = _at(account, fresh, "103.25")
    assert verdict is not None and verdict.stop_price == D("102.25")


def test_restored_stop_of_the_other_side_is_not_used() -> None:
    rule = _rule()
    rule.restore({"MNQ": {"side": "SHORT", "stop": "90"}})
    account = _long(_rule())
    verdict = _at(account, rule, "101.00")
    assert verdict is not None and verdict.stop_price == D("100.25")
    assert rule.stops["MNQ"] == (PositionSide.LONG, D("100.25"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, ""),
        ({"breakeven_ticks": 0}, "breakeven_ticks"),
        ({"breakeven_ticks": -4}, "breakeven_ticks"),
        ({"breakeven_ticks": 4, "breakeven_offset_ticks": -1}, "breakeven_offset_ticks"),
        ({"breakeven_ticks": 4, "breakeven_offset_ticks": 4}, ""),
        ({"trail_activate_ticks": 8}, ""),
        ({"trail_distance_ticks": 4, "breakeven_ticks": 4}, ""),
        ({"trail_activate_ticks": 8, "trail_distance_ticks": 0}, "trail_distance_ticks"),
        ({"breakeven_ticks": 4, "trail_ticks": 3}, "trail_ticks"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    errors = config_error(TradeManagementConfig, data)
    assert field in errors
    if field == "":
        text = errors[""]
        assert any(name in text for name in ("breakeven", "trail"))
