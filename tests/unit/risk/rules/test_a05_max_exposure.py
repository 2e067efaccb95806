"""Rule A05 MaxExposure: per-symbol notional caps and the account leverage cap (pre-trade)."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import OrderType, RiskAction
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.a05_max_exposure import MaxExposure, MaxExposureConfig, reduces_position
from tests.stubs import D, submit_order
from tests.unit.risk.rules._ctx import T0, Account, buy, config_error, sell


def _rule(**config: Any) -> MaxExposure:
    return MaxExposure(MaxExposureConfig.model_validate(config))


def _check(
    rule: MaxExposure, account: Account, symbol: str, side: Any, qty: str | int, **kw: Any
) -> Any:
    order = submit_order(ts=T0, symbol=symbol, side=side, quantity=D(qty), **kw)
    return rule.pre_trade(account.ctx(order), order)


def test_registered_pre_trade_only() -> None:
    assert RULES["max_exposure"] is RULES["A05"] is MaxExposure
    assert MaxExposure.events == ()


@pytest.mark.parametrize(
    ("mark", "denied"), [("4999.75", False), ("5000", False), ("5000.25", True)]
)
def test_symbol_cap_just_under_at_and_over(mark: str, denied: bool) -> None:
    rule = _rule(max_exposure={"default": 10000})
    account = Account()
    account.tick("MNQ", mark)
    verdict = _check(rule, account, "MNQ", buy, 1)  # 1 × mark × 2
    if not denied:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.DENY
    code, values = parse_reason(verdict.reason)
    assert code == "MAX_EXPOSURE"
    assert values["symbol"] == "MNQ"
    assert values["limit"] == "10000"
    assert D(values["exposure"]) == D(mark) * 2


def test_resulting_position_counts_and_reducing_orders_pass() -> None:
    rule = _rule(max_exposure={"default": 25000})
    account = Account()
    account.trade("MNQ", buy, 2, 5000)  # 20,000
    assert _check(rule, account, "MNQ", buy, 1) is not None  # 30,000
    assert _check(rule, account, "MNQ", sell, 1) is None  # reduces
    assert _check(rule, account, "MNQ", sell, 2) is None  # closes
    assert _check(rule, account, "MNQ", sell, 4) is None  # flips to −2: 20,000
    assert _check(rule, account, "MNQ", sell, 5) is not None  # flips to −3: 30,000
    assert _check(rule, account, "MNQ", buy, 1, reduce_only=True) is None


def test_per_symbol_caps_and_limit_price() -> None:
    rule = _rule(max_exposure={"default": 1000, "ES": 250000})
    account = Account()
    kw = {"order_type": OrderType.LIMIT}
    assert _check(rule, account, "ES", buy, 1, price=D(5000), **kw) is None
    assert _check(rule, account, "ES", buy, 1, price=D("5000.25"), **kw) is not None
    assert _check(rule, account, "MNQ", buy, 1, price=D(500), **kw) is None
    assert _check(rule, account, "MNQ", buy, 1, price=D("500.25"), **kw) is not None
    assert rule.limit_for("NQ") == D(1000)


def test_symbols_without_a_cap_and_no_default_pass() -> None:
    rule = _rule(max_exposure={"ES": 1})
    account = Account()
    account.tick("MNQ", 5000)
    assert _check(rule, account, "MNQ", buy, 100) is None


@pytest.mark.parametrize(
    ("mark", "leverage", "denied"),
    [
        ("3999.75", None, False),
        ("4000", None, False),
        ("4000.25", "2.0002", True),
    ],  # 2.000125, rounded up,
)
def test_leverage_just_under_at_and_over(mark: str, leverage: str | None, denied: bool) -> None:
    rule = _rule(max_leverage=2)
    account = Account()  # equity 100,000
    account.tick("ES", mark)
    verdict = _check(rule, account, "ES", buy, 1)  # 1 × mark × 50
    if not denied:
        assert verdict is None
        return
    assert verdict is not None
    code, values = parse_reason(verdict.reason)
    assert code == "MAX_LEVERAGE"
    assert values["leverage"] == leverage
    assert values["max_leverage"] == "2"
    assert D(values["exposure"]) == D(mark) * 50


def test_leverage_counts_the_other_open_positions() -> None:
    rule = _rule(max_leverage=2)
    account = Account()
    account.trade("ES", buy, 1, 3000)  # 150,000
    account.tick("MNQ", 12500)
    assert _check(rule, account, "MNQ", buy, 2) is None  # +50,000: exactly 2×
    account.tick("MNQ", "12500.25")
    assert _check(rule, account, "MNQ", buy, 2) is not None
    assert _check(rule, account, "ES", sell, 1) is None  # reducing


def test_no_price_or_no_equity_fails_closed() -> None:
    rule = _rule(max_leverage=2)
    account = Account()
    verdict = _check(rule, account, "ES", buy, 1)
    assert verdict is not None
    assert parse_reason(verdict.reason)[0] == "EXPOSURE_UNPRICED"
    broke = Account(balance=0)
    broke.tick("ES", 4000)
    assert parse_reason(_check(rule, broke, "ES", buy, 1).reason)[0] == "EXPOSURE_UNPRICED"
    unvalued = Account()
    unvalued.portfolio.set_balance("BTC", 1)
    unvalued.tick("ES", 4000)
    assert parse_reason(_check(rule, unvalued, "ES", buy, 1).reason)[1]["equity"] == "unknown"


def test_reduces_position_helper() -> None:
    account = Account()
    ctx_order = submit_order(ts=T0, symbol="ES", side=sell, quantity=D(1))
    assert not reduces_position(account.portfolio, ctx_order)  # flat
    account.trade("ES", buy, 1, 5000)
    assert reduces_position(account.portfolio, ctx_order)
    assert not reduces_position(
        account.portfolio, submit_order(ts=T0, symbol="ES", side=sell, quantity=D(0))
    )


def test_describe() -> None:
    text = _rule(max_exposure={"default": 10}, max_leverage=3).describe()
    assert "default ≤ 10" in text and "leverage ≤ 3" in text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, ""),
        ({"max_exposure": {"default": 0}}, "max_exposure.default"),
        ({"max_exposure": {"ES": -5}}, "max_exposure.ES"),
        ({"max_exposure": {" ": 5}}, "max_exposure"),
        ({"max_leverage": 0}, "max_leverage"),
        ({"max_leverage": "inf"}, "max_leverage"),
        ({"max_leverage": 2, "max_position_pct": 1}, "max_position_pct"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(MaxExposureConfig, data)


def test_describe_is_the_whole_sorted_sentence() -> None:
    rule = _rule(max_exposure={"default": 10, "BTC/USDT": 5}, max_leverage=3)
    assert rule.describe() == (
        "deny orders that would exceed: BTC/USDT ≤ 5, default ≤ 10, leverage ≤ 3"
    )


def test_denials_carry_the_rule_symbol_and_every_value() -> None:
    account = Account()
    unpriced = _check(_rule(max_leverage=2), account, "ES", buy, 1)
    assert (unpriced.rule, unpriced.symbol) == ("max_exposure", "ES")
    assert parse_reason(unpriced.reason) == (
        "EXPOSURE_UNPRICED",
        {"symbol": "ES", "price": "unknown"},
    )
    account.tick("ES", 4000)
    over = _check(_rule(max_exposure={"ES": 100000}), account, "ES", buy, 1)
    assert (over.rule, over.symbol) == ("max_exposure", "ES")
    assert parse_reason(over.reason)[1]["quantity"] == "1"
    broke = Account(balance=0)
    broke.tick("ES", 4000)
    verdict = _check(_rule(max_leverage=2), broke, "ES", buy, 1)
    assert verdict.symbol == "ES"
    assert parse_reason(verdict.reason) == ("EXPOSURE_UNPRICED", {"symbol": "ES", "equity": "0"})
    unvalued = Account()
    unvalued.portfolio.set_balance("BTC", 1)
    unvalued.tick("ES", 4000)
    verdict = _check(_rule(max_leverage=2), unvalued, "ES", buy, 1)
    assert verdict.symbol == "ES"
    assert parse_reason(verdict.reason)[1] == {"symbol": "ES", "equity": "unknown"}


def test_leverage_denial_names_symbol_equity_and_total() -> None:
    account = Account()  # equity 100,000
    account.trade("MNQ", buy, 10, 10000)  # 200,000 of MNQ
    account.tick("ES", 4000)
    verdict = _check(_rule(max_leverage=2), account, "ES", buy, 1)  # +200,000 of ES
    assert verdict.symbol == "ES"
    code, values = parse_reason(verdict.reason)
    assert code == "MAX_LEVERAGE"
    assert values["symbol"] == "ES"
    assert D(values["exposure"]) == D(400000)
    assert D(values["equity"]) == D(100000)
    assert values["leverage"] == "4"


def test_leverage_values_whole_numbers_without_decimals() -> None:
    from riskbus.risk.rules.a05_max_exposure import _plain

    assert _plain(D("3.0000")) == "3"
    assert _plain(D("2.5")) == "2.5"
    assert _plain(D("2.000125")) == "2.0002"
    assert _plain(D("10")) == "10"
    assert _plain(D("100")) == "100"


def test_a_flip_is_not_a_reduction_and_a_short_cover_is() -> None:
    account = Account()
    account.trade("ES", sell, 2, 5000)  # short 2
    cover = submit_order(ts=T0, symbol="ES", side=buy, quantity=D(2))
    flip = submit_order(ts=T0, symbol="ES", side=buy, quantity=D(3))
    more = submit_order(ts=T0, symbol="ES", side=sell, quantity=D(1))
    assert reduces_position(account.portfolio, cover)
    assert not reduces_position(account.portfolio, flip)
    assert not reduces_position(account.portfolio, more)


def test_zero_or_missing_prices_fall_through_to_the_mark() -> None:
    from riskbus.risk.rules.a05_max_exposure import order_price

    account = Account()
    account.tick("ES", 4000)
    zero_limit = submit_order(ts=T0, symbol="ES", side=buy, quantity=D(1), price=D(0))
    assert order_price(account.portfolio, zero_limit) == D(4000)
    cheap = submit_order(ts=T0, symbol="ES", side=buy, quantity=D(1), price=D("0.5"))
    assert order_price(account.portfolio, cheap) == D("0.5")
