"""Rebalancing plans: targets, pinned assets, blacklist, ordering and validation."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.errors import InvalidValueError
from riskbus.execution import Holding, build_plan, validate_plan
from riskbus.model import OrderSide
from tests.stubs import D


def _book() -> list[Holding]:
    # total 10,000: BTC 6,000 (60 %), ETH 3,000 (30 %), USDT 1,000 (10 %)
    return [
        Holding(symbol="BTC", quantity=D("0.1"), price=D(60_000)),
        Holding(symbol="ETH", quantity=D(1), price=D(3_000)),
        Holding(symbol="USDT", quantity=D(1_000), price=D(1)),
    ]


def test_weights_give_sells_first_then_larger_buys_first() -> None:
    plan = build_plan(
        _book(),
        plan_id="P1",
        weights={"BTC": D("0.4"), "ETH": D("0.3"), "SOL": D("0.2"), "USDT": D("0.1")},
        prices={"SOL": D(100)},
    )
    assert [(o.symbol, o.side, o.usd) for o in plan.orders] == [
        ("BTC", OrderSide.SELL, D("-2000.0")),
        ("SOL", OrderSide.BUY, D("2000.0")),
    ]
    assert [o.order_id for o in plan.orders] == ["P1-0001", "P1-0002"]
    assert plan.orders[0].priority == 2 and plan.orders[1].priority == 7
    assert plan.orders[1].quantity == D(20)
    assert plan.is_valid and plan.imbalance == 0 and plan.volume == D(4000)


def test_min_trade_drops_small_trades_and_sorts_larger_first() -> None:
    plan = build_plan(
        _book(),
        plan_id="P",
        weights={"BTC": D("0.598"), "ETH": D("0.2"), "SOL": D("0.102"), "ADA": D("0.1")},
        prices={"SOL": D(100), "ADA": D("0.5")},
        min_trade_usd=D(25),
    )
    # BTC moves by -20 (< 25: dropped); cash goes to 0 (-1000)
    symbols = [(o.symbol, o.side) for o in plan.orders]
    assert symbols == [
        ("ETH", OrderSide.SELL),
        ("SOL", OrderSide.BUY),
        ("ADA", OrderSide.BUY),
    ]
    assert plan.cash_delta == D(-1000)
    assert plan.imbalance == D("20.0")  # the dropped BTC sell, within tolerance
    assert plan.is_valid


def test_pinned_is_never_traded_and_others_share_the_rest() -> None:
    plan = build_plan(
        _book(), plan_id="P", weights={"BTC": D("0.5"), "ETH": D("0.5")}, pinned=["BTC"]
    )
    # BTC keeps 6,000; ETH gets the other 4,000 (weights renormalised): buy 1,000, spend cash
    assert [(o.symbol, o.usd) for o in plan.orders] == [("ETH", D(1000))]
    assert plan.cash_delta == D(-1000)


def test_blacklisted_is_sold_to_zero_with_its_whole_quantity() -> None:
    plan = build_plan(
        _book(),
        plan_id="P",
        weights={"BTC": D("0.5"), "ETH": D("0.5")},
        blacklist=["ETH"],
    )
    eth = next(o for o in plan.orders if o.symbol == "ETH")
    assert eth.side is OrderSide.SELL and eth.quantity == D(1) and eth.usd == D(-3000)
    btc = next(o for o in plan.orders if o.symbol == "BTC")
    assert btc.usd == D(4000)  # 10,000 all in BTC
    assert plan.orders[0].symbol == "ETH"


def test_amounts_that_do_not_add_up_are_not_balanced() -> None:
    plan = build_plan(_book(), plan_id="P", amounts={"BTC": D(6000), "ETH": D(5000)})
    assert not plan.is_valid
    assert plan.errors[0].startswith("PLAN_NOT_BALANCED: imbalance=")


def test_large_orders_warn_and_unknown_platform_is_an_error() -> None:
    book = [Holding(symbol="USDT", quantity=D(50_000), price=D(1))]
    plan = build_plan(
        book, plan_id="P", weights={"BTC": D(1)}, prices={"BTC": D(50_000)}, platform="mystery"
    )
    assert plan.warnings == ("LARGE_ORDER: order=P-0001, usd=50000.00, advice=consider splitting",)
    assert plan.errors == ("UNKNOWN_PLATFORM: order=P-0001, platform=mystery",)


def test_a_zero_price_is_an_error() -> None:
    plan = build_plan(_book(), plan_id="P", weights={"BTC": D(1)})
    bad = msgspec.structs.replace(plan.orders[0], price=D(0))
    checked = validate_plan(msgspec.structs.replace(plan, orders=(bad, *plan.orders[1:])))
    assert checked.errors == ("INVALID_PRICE: order=P-0001, price=0",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weights": {"BTC": D("0.5")}}, "weights"),
        ({"weights": {"BTC": D("-0.5"), "ETH": D("1.5")}}, "weights.BTC"),
        ({"amounts": {"ETH": D(-1)}}, "amounts.ETH"),
        ({"weights": {"BTC": D(1)}, "amounts": {"BTC": D(1)}}, "targets"),
        ({}, "targets"),
        ({"weights": {"BTC": D("0.5"), "XRP": D("0.5")}}, "prices.XRP"),
    ],
)
def test_bad_targets_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        build_plan(_book(), plan_id="P", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("holding", "field"),
    [
        (Holding(symbol="BTC", quantity=D(-1), price=D(1)), "holdings.BTC.quantity"),
        (Holding(symbol="BTC", quantity=D(1), price=D(0)), "holdings.BTC.price"),
    ],
)
def test_bad_holdings_name_the_field(holding: Holding, field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        build_plan([holding], plan_id="P", weights={"BTC": D(1)})
    assert caught.value.field == field


def test_the_same_asset_twice_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="twice"):
        build_plan(_book() + _book()[:1], plan_id="P", weights={"BTC": D(1)})


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=100_000), min_size=2, max_size=6),
    raw=st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=6),
)
def test_property_weight_plans_balance_and_sell_first(values: list[int], raw: list[int]) -> None:
    symbols = [f"A{i}" for i in range(len(values))]
    book = [
        Holding(symbol=s, quantity=Decimal(v), price=D(1))
        for s, v in zip(symbols, values, strict=True)
    ]
    total_raw = sum(raw[: len(symbols)]) or 1
    weights = {
        s: Decimal(r) / Decimal(total_raw)
        for s, r in zip(symbols, raw[: len(symbols)], strict=False)
    }
    if sum(weights.values()) == 0:
        weights = {symbols[0]: Decimal(1)}
    drift = 1 - sum(weights.values())
    weights[symbols[0]] = weights.get(symbols[0], Decimal(0)) + drift
    plan = build_plan(book, plan_id="P", weights=weights, min_trade_usd=D(0))
    sides = [o.side for o in plan.orders]
    assert sides == sorted(sides, key=lambda s: s is not OrderSide.SELL)
    assert abs(plan.imbalance) < D("0.000001") * max(1, sum(values))
    assert plan.is_valid or any(w.startswith("LARGE") for w in plan.warnings)
