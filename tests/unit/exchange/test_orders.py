"""Order handling of the simulated exchange: types, time in force, costs and checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.model import OrderSide, OrderType
from riskbus.model.enums import LiquiditySide, OrderStatus, TimeInForce
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
)
from riskbus.model.reasons import parse_reason

from .helpers import Venue

D = Decimal


def test_market_buy_fills_at_ask_with_taker_fee_and_books_the_account() -> None:
    venue = Venue(spread_bps=20.0)  # 100 ± 0.1
    venue.submit()
    (accepted,) = venue.of(OrderAccepted)
    (fill,) = venue.of(OrderFilled)
    assert accepted.venue_order_id == "SIM-000001"
    assert (fill.last_price, fill.last_qty, fill.leaves_qty) == (D("100.10"), 1, 0)
    assert fill.fee == D("100.10") * D("0.0005")
    assert fill.liquidity is LiquiditySide.TAKER
    assert fill.fill_id == "SIMT-000001"
    account = venue.exchange.account
    assert account.balance("BTC") == 1
    assert account.balance("USDT") == D(100_000) - D("100.10") - fill.fee
    report = venue.exchange.order_status("o1")
    assert report is not None
    assert (report.status, report.avg_fill_price) == (OrderStatus.FILLED, D("100.10"))
    assert venue.exchange.trades == (fill,)


def test_market_sell_fills_at_bid() -> None:
    venue = Venue(spread_bps=20.0, balances={"BTC": 2, "USDT": 0})
    venue.submit(side=OrderSide.SELL)
    (fill,) = venue.of(OrderFilled)
    assert fill.last_price == D("99.90")
    assert venue.exchange.account.balance("BTC") == 1


def test_limit_rests_then_fills_as_maker_when_market_crosses_it() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 100.5, 98.0]})
    venue.submit(order_type=OrderType.LIMIT, price=D("99.00"))
    assert venue.of(OrderFilled) == []
    assert [r.client_order_id for r in venue.exchange.open_orders()] == ["o1"]
    venue.exchange.advance()
    assert venue.of(OrderFilled) == []
    venue.exchange.advance()
    (fill,) = venue.of(OrderFilled)
    assert (fill.last_price, fill.liquidity) == (D("99.00"), LiquiditySide.MAKER)
    assert fill.fee == D("99.00") * D("0.0002")
    assert venue.exchange.open_orders() == ()


def test_marketable_limit_fills_at_once_as_taker_capped_at_its_price() -> None:
    venue = Venue(slippage_bps=D(500))
    venue.submit(order_type=OrderType.LIMIT, price=D("101.00"))
    (fill,) = venue.of(OrderFilled)
    assert D(100) <= fill.last_price <= D("101.00")
    assert fill.liquidity is LiquiditySide.TAKER


def test_slippage_moves_taker_price_against_the_order_deterministically() -> None:
    prices = []
    for _ in range(2):
        venue = Venue(slippage_bps=D(100))
        venue.submit()
        prices.append(venue.of(OrderFilled)[0].last_price)
    assert prices[0] == prices[1]
    assert D(100) < prices[0] <= D(101)


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_unmarketable_ioc_and_fok_limits_are_canceled(tif: TimeInForce) -> None:
    venue = Venue()
    venue.submit(order_type=OrderType.LIMIT, price=D("90.00"), time_in_force=tif)
    (canceled,) = venue.of(OrderCanceled)
    assert parse_reason(canceled.reason) == ("NOT_MARKETABLE", {"tif": tif.value})


def test_partial_fills_follow_volume_share_and_complete_over_steps() -> None:
    venue = Venue(volume_per_step=D(10), max_volume_share=D("0.2"))  # 2 per step
    venue.submit(quantity=D(5))
    venue.exchange.advance(3)
    fills = venue.of(OrderFilled)
    assert [(f.last_qty, f.cum_qty, f.leaves_qty) for f in fills] == [
        (2, 2, 3),
        (2, 4, 1),
        (1, 5, 0),
    ]
    assert [f.last_price for f in fills] == [D(100), D(101), D(99)]


def test_ioc_fills_what_volume_allows_and_cancels_the_rest() -> None:
    venue = Venue(volume_per_step=D(10), max_volume_share=D("0.2"))
    venue.submit(quantity=D(5), time_in_force=TimeInForce.IOC)
    assert [f.last_qty for f in venue.of(OrderFilled)] == [2]
    (canceled,) = venue.of(OrderCanceled)
    code, values = parse_reason(canceled.reason)
    assert (code, D(values["leaves"])) == ("IOC_REMAINDER", D(3))


def test_fok_without_enough_volume_is_canceled_unfilled() -> None:
    venue = Venue(volume_per_step=D(10), max_volume_share=D("0.2"))
    venue.submit(quantity=D(5), time_in_force=TimeInForce.FOK)
    assert venue.of(OrderFilled) == []
    assert venue.of(OrderCanceled)[0].reason.startswith("FOK_NOT_FILLED")


def test_queue_ahead_is_worked_off_before_a_resting_limit_fills() -> None:
    venue = Venue(
        prices={"BTC/USDT": [100.0, 98.0, 98.0, 98.0]},
        volume_per_step=D(10),
        max_volume_share=D("0.5"),
        queue_ahead=D(7),
    )
    venue.submit(order_type=OrderType.LIMIT, price=D("99.00"), quantity=D(4))
    venue.exchange.advance(3)
    assert [f.last_qty for f in venue.of(OrderFilled)] == [3, 1]


def test_limit_fill_probability_zero_never_fills() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 98.0, 97.0]}, limit_fill_probability=0.0)
    venue.submit(order_type=OrderType.LIMIT, price=D("99.00"))
    venue.exchange.advance(2)
    assert venue.of(OrderFilled) == []


def test_stop_triggers_when_price_trades_through_and_fills_at_market() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 101.0, 103.0]})
    venue.submit(order_type=OrderType.STOP, stop_price=D("102.00"))
    venue.exchange.advance()
    assert venue.of(OrderTriggered) == []
    venue.exchange.advance()
    assert len(venue.of(OrderTriggered)) == 1
    assert venue.of(OrderFilled)[0].last_price == D(103)


def test_stop_limit_triggers_then_rests_as_limit() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 97.0, 99.0]}, balances={"BTC": 1})
    venue.submit(
        side=OrderSide.SELL,
        order_type=OrderType.STOP_LIMIT,
        stop_price=D("98.00"),
        price=D("98.50"),
    )
    venue.exchange.advance()
    assert len(venue.of(OrderTriggered)) == 1
    assert venue.of(OrderFilled) == []
    assert venue.exchange.open_orders()[0].status is OrderStatus.TRIGGERED
    venue.exchange.advance()
    (fill,) = venue.of(OrderFilled)
    assert (fill.last_price, fill.liquidity) == (D("98.50"), LiquiditySide.MAKER)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quantity": D(0)}, "INVALID_QUANTITY"),
        ({"quantity": D("0.000001")}, "MIN_SIZE"),
        ({"quantity": D("0.000015")}, "STEP_SIZE"),
        ({"order_type": OrderType.LIMIT}, "INVALID_PRICE"),
        ({"order_type": OrderType.STOP, "stop_price": D(-1)}, "INVALID_PRICE"),
        ({"order_type": OrderType.LIMIT, "price": D("100.001")}, "TICK_SIZE"),
        ({"quantity": D("0.04")}, "MIN_NOTIONAL"),
        ({"quantity": D("0.05")}, None),
        ({"quantity": D(1001)}, "INSUFFICIENT_BALANCE"),
        ({"side": OrderSide.SELL}, "INSUFFICIENT_BALANCE"),
        ({"symbol": "XYZ/USDT"}, "UNKNOWN_SYMBOL"),
    ],
)
def test_invalid_orders_are_rejected_with_a_reason_code(
    overrides: dict[str, object], code: str | None
) -> None:
    venue = Venue()
    venue.submit(**overrides)
    rejected = venue.of(OrderRejected)
    assert [r.code for r in rejected] == ([code] if code else [])
    if code:
        assert rejected[0].reason.startswith(code)
        assert venue.exchange.order_status("o1") is None


def test_duplicate_client_order_id_is_rejected() -> None:
    venue = Venue()
    venue.submit()
    venue.submit()
    assert [r.code for r in venue.of(OrderRejected)] == ["DUPLICATE_ORDER"]


def test_resting_buy_is_canceled_when_cash_is_gone_at_fill_time() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 100.0, 90.0]}, balances={"USDT": 200})
    venue.submit(client_order_id="a", order_type=OrderType.LIMIT, price=D("95.00"))
    venue.exchange.account.withdraw("USDT", D(150))  # taken out behind the venue's back
    venue.exchange.advance(2)
    (canceled,) = venue.of(OrderCanceled)
    assert canceled.client_order_id == "a"
    code, values = parse_reason(canceled.reason)
    assert (code, D(values["needed"]), D(values["available"])) == (
        "INSUFFICIENT_BALANCE",
        D("95.00") + D("95.00") * D("0.0002"),
        D(50),
    )
    assert venue.exchange.account.balance("USDT") == 50
    assert venue.exchange.account.reserved("USDT") == 0


def test_reduce_only_skips_the_funds_check() -> None:
    venue = Venue(prices={"MNQ": [20_000.0]}, balances={"USD": 0})
    venue.submit(symbol="MNQ", side=OrderSide.SELL, reduce_only=True)
    assert len(venue.of(OrderFilled)) == 1
