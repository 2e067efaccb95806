"""Liquidation: lot selection by strategy, slicing, limit prices, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.errors import InvalidValueError
from riskbus.execution.liquidation import Lot, plan_liquidation
from riskbus.model import OrderSide
from tests.stubs import D

LOTS = [
    Lot(symbol="BTC", quantity=D(1), cost=D(30_000), acquired_at=1, lot_id="a"),
    Lot(symbol="BTC", quantity=D(2), cost=D(60_000), acquired_at=2, lot_id="b"),
    Lot(symbol="BTC", quantity=D(1), cost=D(45_000), acquired_at=3, lot_id="c"),
    Lot(symbol="ETH", quantity=D(10), cost=D(2_000), acquired_at=1, lot_id="e"),
]
PRICES = {"BTC": D(50_000), "ETH": D(3_000)}


@pytest.mark.parametrize(
    ("strategy", "expected", "pnl"),
    [
        ("fifo", [("a", D(1)), ("b", D("1.5"))], D(20_000) - D(15_000)),
        ("lifo", [("c", D(1)), ("b", D("1.5"))], D(5_000) - D(15_000)),
        ("highest_cost", [("b", D("2")), ("c", D("0.5"))], D(-20_000) + D(2_500)),
        ("largest_loss", [("b", D("2")), ("c", D("0.5"))], D(-20_000) + D(2_500)),
        ("pro_rata", [("a", D("0.625")), ("b", D("1.25")), ("c", D("0.625"))], None),
    ],
)
def test_lot_selection(strategy: str, expected: list[tuple[str, object]], pnl: object) -> None:
    result = plan_liquidation(
        LOTS, PRICES, plan_id="L", strategy=strategy, symbol="BTC", quantities={"BTC": D("2.5")}
    )
    assert [(s.lot.lot_id, s.quantity) for s in result.sales] == expected
    if pnl is not None:
        assert result.realized_pnl == pnl
    assert sum(s.quantity for s in result.sales) == D("2.5")
    (order,) = result.plan.orders
    assert order.side is OrderSide.SELL and order.quantity == D("2.5") and order.usd == D(-125_000)


def test_whole_portfolio_sliced_by_max_notional_with_a_limit_floor() -> None:
    result = plan_liquidation(
        LOTS, PRICES, plan_id="L", max_notional=D(60_000), limit_offset_bps=D(50)
    )
    orders = result.plan.orders
    btc = [o for o in orders if o.symbol == "BTC"]
    eth = [o for o in orders if o.symbol == "ETH"]
    assert [o.quantity for o in btc] == [D("1.2"), D("1.2"), D("1.2"), D("0.4")]
    assert [o.quantity for o in eth] == [D(10)]  # 30,000 fits in one order
    assert all(o.limit_price == D("49750.0") for o in btc)
    assert eth[0].limit_price == D("2985.0")
    assert result.plan.is_valid and result.plan.imbalance == 0
    assert [o.order_id for o in orders][:2] == ["L-0001", "L-0002"]
    assert result.realized_pnl == D(50_000) * 4 - D(195_000) + D(10_000)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"strategy": "random"}, "strategy"),
        ({"symbol": "DOGE"}, "symbol"),
        ({"quantities": {"BTC": D(5)}}, "quantities.BTC"),
        ({"quantities": {"BTC": D(0)}}, "quantities.BTC"),
        ({"max_notional": D(0)}, "max_notional"),
        ({"max_notional": D("0.000000001")}, "max_notional"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        plan_liquidation(LOTS, PRICES, plan_id="L", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_missing_price_and_bad_lot() -> None:
    with pytest.raises(InvalidValueError) as caught:
        plan_liquidation(LOTS, {"BTC": D(1)}, plan_id="L")
    assert caught.value.field == "prices.ETH"
    with pytest.raises(InvalidValueError) as caught:
        plan_liquidation(
            [Lot(symbol="X", quantity=D(0), cost=D(1), acquired_at=0)], {}, plan_id="L"
        )
    assert caught.value.field == "lots.X.quantity"


@settings(max_examples=200, deadline=None)
@given(
    quantities=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8),
    share=st.integers(min_value=1, max_value=100),
    strategy=st.sampled_from(["fifo", "lifo", "highest_cost", "largest_loss", "pro_rata"]),
)
def test_property_sells_exactly_what_is_asked_never_more_than_a_lot(
    quantities: list[int], share: int, strategy: str
) -> None:
    lots = [
        Lot(symbol="S", quantity=D(q) / 100, cost=D(i + 1), acquired_at=i, lot_id=str(i))
        for i, q in enumerate(quantities)
    ]
    held = sum(lot.quantity for lot in lots)
    wanted = (held * share / 100).quantize(D("0.00000001"))
    result = plan_liquidation(
        lots, {"S": D(5)}, plan_id="P", strategy=strategy, quantities={"S": wanted}
    )
    assert sum(s.quantity for s in result.sales) == wanted
    assert all(0 < s.quantity <= s.lot.quantity for s in result.sales)
    assert sum(o.quantity for o in result.plan.orders) == wanted
