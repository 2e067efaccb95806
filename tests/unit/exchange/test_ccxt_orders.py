"""SubmitOrder → ccxt arguments, and ccxt order/position dicts → riskbus events and reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.exchange._ccxt_orders import (
    order_events,
    order_report,
    order_request,
    position_report,
)
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.events.account import PositionReport
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
)

D = Decimal
SPOT = default_registry().get("BTC/USDT")
PERP = default_registry().get("BTC/USDT:USDT")


def command(**overrides: Any) -> SubmitOrder:
    fields: dict[str, Any] = {
        "ts": 0,
        "client_order_id": "c1",
        "symbol": "BTC/USDT",
        "side": OrderSide.SELL,
        "quantity": D("0.5"),
    }
    fields.update(overrides)
    return SubmitOrder(**fields)


def test_a_market_order_sends_the_client_order_id() -> None:
    request = order_request(command(), SPOT, "binance")
    assert (request.symbol, request.type, request.side, request.amount, request.price) == (
        "BTC/USDT",
        "market",
        "sell",
        0.5,
        None,
    )
    assert request.params == {"clientOrderId": "c1"}


def test_coinbase_gets_its_own_client_id_field() -> None:
    assert order_request(command(), SPOT, "coinbase").params == {"client_order_id": "c1"}


def test_limit_stop_and_reduce_only_orders() -> None:
    limit = order_request(
        command(order_type=OrderType.LIMIT, price=D("100.25"), time_in_force=TimeInForce.IOC),
        SPOT,
    )
    assert (limit.type, limit.price, limit.params["timeInForce"]) == ("limit", 100.25, "IOC")
    stop = order_request(
        command(
            symbol="BTC/USDT:USDT",
            order_type=OrderType.STOP,
            stop_price=D("95.5"),
            reduce_only=True,
        ),
        PERP,
    )
    assert (stop.type, stop.price) == ("market", None)
    assert stop.params == {"clientOrderId": "c1", "triggerPrice": 95.5, "reduceOnly": True}
    spot_reduce = order_request(command(reduce_only=True), SPOT)
    assert "reduceOnly" not in spot_reduce.params  # spot venues refuse the flag


def test_an_order_off_the_grid_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValueError) as caught:
        order_request(command(order_type=OrderType.LIMIT, price=D("100.001")), SPOT)
    assert caught.value.field == "price"


def test_a_partial_fill_then_a_venue_cancel() -> None:
    raw = {
        "id": "77",
        "status": "canceled",
        "filled": 0.2,
        "trades": [
            {"id": "t1", "amount": 0.1, "price": 101.5, "fee": {"cost": 0.01, "currency": "USDT"}},
            {"id": "t2", "amount": 0.1, "price": 101.4, "takerOrMaker": "maker"},
        ],
    }
    events = order_events(raw, command(strategy="s"), SPOT, 5, "kraken")
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderFilled, OrderCanceled]
    first, second = events[1], events[2]
    assert isinstance(first, OrderFilled) and isinstance(second, OrderFilled)
    assert (first.fill_id, first.last_qty, first.cum_qty, first.leaves_qty, first.fee) == (
        "t1",
        D("0.1"),
        D("0.1"),
        D("0.4"),
        D("0.01"),
    )
    assert (second.cum_qty, second.leaves_qty, second.fee, second.liquidity) == (
        D("0.2"),
        D("0.3"),
        D(0),
        LiquiditySide.MAKER,
    )
    assert events[3] == OrderCanceled(
        ts=5,
        client_order_id="c1",
        symbol="BTC/USDT",
        reason="CANCELED_BY_VENUE: venue=kraken",
        venue_order_id="77",
    )


def test_without_trades_one_fill_at_the_average_with_a_stable_id() -> None:
    raw = {"id": 9, "status": "closed", "filled": 0.5, "average": 100.05, "fee": None}
    events = order_events(raw, command(), SPOT, 1, "coinbase")
    fill = events[1]
    assert isinstance(fill, OrderFilled)
    assert (fill.fill_id, fill.last_qty, fill.last_price, fill.leaves_qty) == (
        "9-0.50000",
        D("0.5"),
        D("100.05"),
        D(0),
    )
    assert order_events(raw, command(), SPOT, 2, "coinbase")[1].fill_id == fill.fill_id  # type: ignore[attr-defined]


def test_a_rejected_status_is_a_rejection() -> None:
    (event,) = order_events({"id": "1", "status": "rejected"}, command(), SPOT, 0, "okx")
    assert isinstance(event, OrderRejected)
    assert (event.code, event.venue_order_id) == ("REJECTED_BY_VENUE", "1")


def test_open_order_and_position_reports() -> None:
    report = order_report(
        {
            "id": "5",
            "clientOrderId": "c5",
            "symbol": "BTC/USDT",
            "type": "limit",
            "side": "sell",
            "amount": 1.0,
            "filled": 0.25,
            "price": 110.0,
            "status": "open",
            "triggerPrice": 105.0,
        },
        SPOT,
    )
    assert (report.client_order_id, report.side, report.order_type, report.status) == (
        "c5",
        OrderSide.SELL,
        OrderType.STOP_LIMIT,
        OrderStatus.PARTIALLY_FILLED,
    )
    assert (report.quantity, report.filled_qty, report.stop_price) == (D(1), D("0.25"), D(105))
    short = {"symbol": "BTC/USDT:USDT", "contracts": 3.0, "side": "short", "entryPrice": 99.5}
    assert position_report(short) == PositionReport(
        symbol="BTC/USDT:USDT", quantity=D(-3), avg_price=D("99.5"), unrealized_pnl=None
    )
    assert position_report({"symbol": "X", "contracts": 0}) is None
