"""Rule A03 MaxOrderNotional: an order worth more than the cap is denied."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import OrderType, RiskAction
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.a03_max_order_notional import MaxOrderNotional, MaxOrderNotionalConfig
from tests.stubs import D, submit_order
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error, sell


def _rule(**config: Any) -> MaxOrderNotional:
    return MaxOrderNotional(
        MaxOrderNotionalConfig.model_validate({"max_notional": 10000, **config})
    )


def _limit(symbol: str, quantity: str | int, price: str) -> Any:
    return submit_order(
        ts=T0,
        symbol=symbol,
        side=buy,
        quantity=D(quantity),
        order_type=OrderType.LIMIT,
        price=D(price),
    )


def test_registered_pre_trade_only() -> None:
    assert RULES["max_order_notional"] is RULES["A03"] is MaxOrderNotional
    assert MaxOrderNotional.events == ()


@pytest.mark.parametrize(
    ("price", "notional", "denied"),
    [("4999.75", "9999.50", False), ("5000", "10000", False), ("5000.25", "10000.50", True)],
)
def test_limit_price_just_under_at_and_over(price: str, notional: str, denied: bool) -> None:
    account = Account()
    order = _limit("MNQ", 1, price)  # MNQ ×2
    verdict = _rule().pre_trade(account.ctx(order), order)
    if not denied:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.DENY
    assert verdict.symbol == "MNQ"
    code, values = parse_reason(verdict.reason)
    assert code == "MAX_ORDER_NOTIONAL"
    assert D(values["notional"]) == D(notional)
    assert values["limit"] == "10000"


@pytest.mark.parametrize(("mark", "denied"), [("2500", False), ("2500.25", True)])
def test_market_order_is_valued_at_the_mark(mark: str, denied: bool) -> None:
    account = Account()
    account.tick("MNQ", mark)
    order = account.order("MNQ", sell, 2)  # 2 × mark × 2
    assert (_rule().pre_trade(account.ctx(order), order) is not None) is denied


def test_stop_order_is_valued_at_its_stop_price() -> None:
    account = Account()
    order = submit_order(
        ts=T0, symbol="MNQ", side=buy, quantity=D(1), order_type=OrderType.STOP, stop_price=D(6000)
    )
    assert _rule().pre_trade(account.ctx(order), order) is not None


def test_order_without_any_price_is_denied() -> None:
    account = Account()
    order = account.order("ES", buy, 1)
    verdict = _rule().pre_trade(account.ctx(order), order)
    assert verdict is not None
    assert parse_reason(verdict.reason)[0] == "ORDER_NOTIONAL_UNPRICED"


def test_per_symbol_caps_replace_the_default() -> None:
    rule = _rule(per_symbol={"ES": 300000})
    account = Account()
    es = _limit("ES", 1, "6000")  # 300,000
    assert rule.pre_trade(account.ctx(es), es) is None
    es2 = _limit("ES", 1, "6000.25")
    assert rule.pre_trade(account.ctx(es2), es2) is not None
    assert rule.limit_for("MNQ") == D(10000)


def test_spot_uses_multiplier_one_and_unknown_symbols_are_left_to_validation() -> None:
    account = Account()
    order = _limit("BTC/USDT", "0.1", "100000.01")
    assert _rule().pre_trade(account.ctx(order), order) is not None
    unknown = _limit("XYZ", 1, "1")
    assert _rule().pre_trade(account.ctx(unknown), unknown) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "max_notional"),
        ({"max_notional": 0}, "max_notional"),
        ({"max_notional": -1}, "max_notional"),
        ({"max_notional": 100, "per_symbol": {"ES": 0}}, "per_symbol.ES"),
        ({"max_notional": 100, "max_qty": 5}, "max_qty"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(MaxOrderNotionalConfig, data)
