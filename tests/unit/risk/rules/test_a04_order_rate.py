"""Rule A04 OrderRate: at most max_orders allowed per sliding window."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.core.clock import SECOND
from riskbus.model import RiskAction
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.a04_order_rate import OrderRate, OrderRateConfig
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error


def _rule(**config: Any) -> OrderRate:
    return OrderRate(
        OrderRateConfig.model_validate({"max_orders": 3, "window_seconds": 1, **config})
    )


def _send(rule: OrderRate, at: int) -> Any:
    account = Account(now=at)
    order = account.order("MNQ", buy, 1)
    return rule.pre_trade(account.ctx(order), order)


def test_registered_pre_trade_only() -> None:
    assert RULES["order_rate"] is RULES["A04"] is OrderRate
    assert OrderRate.events == ()


@pytest.mark.parametrize(("count", "denied"), [(2, False), (3, True), (4, True)])
def test_orders_in_the_window_just_under_at_and_over(count: int, denied: bool) -> None:
    rule = _rule()
    for i in range(count):
        if i < 3:
            assert _send(rule, T0 + i) is None
    # count orders already sent (at most 3 were allowed); the next one:
    verdict = _send(rule, T0 + 10)
    if count < 3:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.DENY
    assert parse_reason(verdict.reason) == (
        "ORDER_RATE",
        {"symbol": "MNQ", "orders": "3", "max_orders": "3", "window_seconds": "1"},
    )


@pytest.mark.parametrize(
    ("later", "allowed"),
    [(SECOND - 1, False), (SECOND, True), (SECOND + 1, True)],
    ids=["just-inside", "at-the-edge", "after"],
)
def test_the_window_slides(later: int, allowed: bool) -> None:
    rule = _rule()
    for _ in range(3):
        assert _send(rule, T0) is None
    assert (_send(rule, T0 + later) is None) is allowed


def test_denied_orders_do_not_count() -> None:
    rule = _rule(max_orders=1, window_seconds=10)
    assert _send(rule, T0) is None
    for i in range(5):
        assert _send(rule, T0 + (i + 1) * SECOND) is not None
    assert list(rule.sent) == [T0]
    assert _send(rule, T0 + 10 * SECOND) is None


def test_state_round_trip() -> None:
    rule = _rule()
    _send(rule, T0)
    _send(rule, T0 + 5)
    assert rule.state() == {"sent": [T0, T0 + 5]}
    fresh = _rule()
    fresh.restore(rule.state())
    assert _send(fresh, T0 + 6) is None
    assert _send(fresh, T0 + 7) is not None
    assert _rule().state() == {}


def test_duration_string_window() -> None:
    assert (
        OrderRateConfig.model_validate({"max_orders": 5, "window_seconds": "1m"}).window_seconds
        == 60
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "max_orders"),
        ({"max_orders": 0}, "max_orders"),
        ({"max_orders": 3, "window_seconds": -1}, "window_seconds"),
        ({"max_orders": 3, "window_seconds": 0}, "window_seconds"),
        ({"max_orders": 3, "per": "1s"}, "per"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(OrderRateConfig, data)
