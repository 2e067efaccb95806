"""Open orders lock funds: checks against the free balance, release on fill and cancel."""

from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.model import OrderSide, OrderType
from riskbus.model.commands import CancelAllOrders, CancelOrder, FetchBalances
from riskbus.model.enums import TimeInForce
from riskbus.model.events.account import BalancesFetched
from riskbus.model.events.orders import OrderAccepted, OrderCanceled, OrderFilled, OrderRejected
from riskbus.model.reasons import parse_reason

from .helpers import Venue

D = Decimal
MAX_FEE = D("0.0005")  # the default taker fee, the higher of the two


def _lock(price: str, quantity: str = "1") -> Decimal:
    return D(quantity) * D(price) * (1 + MAX_FEE)


def test_resting_buy_limit_locks_price_times_quantity_plus_max_fee() -> None:
    venue = Venue(balances={"USDT": 1_000})
    venue.submit(order_type=OrderType.LIMIT, price=D("90.00"), quantity=D(2))
    account = venue.exchange.account
    assert account.reserved("USDT") == _lock("90.00", "2")
    assert account.balance("USDT") == 1_000
    assert account.free("USDT") == 1_000 - _lock("90.00", "2")


def test_balances_report_free_and_total() -> None:
    venue = Venue(balances={"USDT": 1_000, "BTC": 3})
    venue.submit(client_order_id="b", order_type=OrderType.LIMIT, price=D("90.00"))
    venue.submit(
        client_order_id="s",
        side=OrderSide.SELL,
        order_type=OrderType.LIMIT,
        price=D("110.00"),
        quantity=D(2),
    )
    venue.bus.send(FetchBalances(ts=0, request_id="r"))
    (report,) = venue.of(BalancesFetched)
    rows = {b.currency: (b.total, b.free, b.locked) for b in report.balances}
    assert rows == {
        "BTC": (3, 1, 2),
        "USDT": (1_000, 1_000 - _lock("90.00"), _lock("90.00")),
    }
    venue.exchange.account.update_mark("BTC/USDT", D(100))
    snapshot = venue.exchange.account.snapshot(ts=0)
    assert {b.currency: b.free for b in snapshot.balances} == {k: v[1] for k, v in rows.items()}


def test_new_order_is_checked_against_the_free_balance() -> None:
    venue = Venue(balances={"USDT": 200})
    venue.submit(client_order_id="a", order_type=OrderType.LIMIT, price=D("95.00"))
    venue.submit(client_order_id="b", quantity=D("1.5"))  # 150 at the ask: total has it, free not
    (rejected,) = venue.of(OrderRejected)
    code, values = parse_reason(rejected.reason)
    assert (rejected.client_order_id, code, values["currency"]) == (
        "b",
        "INSUFFICIENT_BALANCE",
        "USDT",
    )
    assert D(values["needed"]) == _lock("100", "1.5")
    assert D(values["available"]) == 200 - _lock("95.00")
    assert D(values["reserved"]) == _lock("95.00")
    assert venue.exchange.order_status("b") is None


def test_cancel_releases_the_lock_so_the_next_order_fits() -> None:
    venue = Venue(balances={"USDT": 200})
    venue.submit(client_order_id="a", order_type=OrderType.LIMIT, price=D("95.00"))
    venue.bus.send(CancelOrder(ts=0, client_order_id="a", symbol="BTC/USDT"))
    assert venue.exchange.account.reserved("USDT") == 0
    venue.submit(client_order_id="b", quantity=D("1.5"))
    assert [f.client_order_id for f in venue.of(OrderFilled)] == ["b"]


def test_cancel_all_releases_every_lock() -> None:
    venue = Venue(balances={"USDT": 1_000, "BTC": 2})
    venue.submit(client_order_id="a", order_type=OrderType.LIMIT, price=D("90.00"))
    venue.submit(client_order_id="b", order_type=OrderType.STOP, stop_price=D("120.00"))
    venue.submit(
        client_order_id="c", side=OrderSide.SELL, order_type=OrderType.LIMIT, price=D("130.00")
    )
    assert venue.exchange.account.reservations == {
        "USDT": _lock("90.00") + _lock("120.00"),
        "BTC": 1,
    }
    venue.bus.send(CancelAllOrders(ts=0))
    assert venue.exchange.account.reservations == {}


def test_fill_releases_the_lock() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 98.0]}, balances={"USDT": 1_000})
    venue.submit(order_type=OrderType.LIMIT, price=D("99.00"))
    assert venue.exchange.account.reserved("USDT") == _lock("99.00")
    venue.exchange.advance()
    (fill,) = venue.of(OrderFilled)
    account = venue.exchange.account
    assert account.reserved("USDT") == 0
    assert account.free("USDT") == account.balance("USDT") == 1_000 - D("99.00") - fill.fee


def test_partial_fill_shrinks_the_lock_to_the_open_quantity() -> None:
    venue = Venue(
        prices={"BTC/USDT": [100.0, 98.0, 98.0]},
        balances={"USDT": 1_000},
        volume_per_step=D(10),
        max_volume_share=D("0.2"),  # 2 per step
    )
    venue.submit(order_type=OrderType.LIMIT, price=D("99.00"), quantity=D(5))
    venue.exchange.advance()
    assert venue.exchange.account.reserved("USDT") == _lock("99.00", "3")
    venue.exchange.advance()
    assert venue.exchange.account.reserved("USDT") == _lock("99.00", "1")


def test_market_remainder_waiting_for_volume_locks_at_the_quote() -> None:
    venue = Venue(balances={"USDT": 1_000}, volume_per_step=D(10), max_volume_share=D("0.2"))
    venue.submit(quantity=D(5))
    assert [f.last_qty for f in venue.of(OrderFilled)] == [2]
    assert venue.exchange.account.reserved("USDT") == _lock("100", "3")
    venue.exchange.advance(2)
    assert venue.exchange.account.reserved("USDT") == 0


def test_resting_spot_sell_locks_the_base_asset() -> None:
    venue = Venue(balances={"USDT": 0, "BTC": D("1.5")})
    venue.submit(
        client_order_id="a", side=OrderSide.SELL, order_type=OrderType.LIMIT, price=D("110.00")
    )
    venue.submit(client_order_id="b", side=OrderSide.SELL)
    (rejected,) = venue.of(OrderRejected)
    code, values = parse_reason(rejected.reason)
    assert (code, values["currency"], D(values["needed"]), D(values["available"])) == (
        "INSUFFICIENT_BALANCE",
        "BTC",
        D(1),
        D("0.5"),
    )


def test_stop_buy_locks_at_its_stop_price_and_releases_when_filled() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0, 103.0]}, balances={"USDT": 1_000})
    venue.submit(order_type=OrderType.STOP, stop_price=D("102.00"))
    assert venue.exchange.account.reserved("USDT") == _lock("102.00")
    venue.exchange.advance()
    assert len(venue.of(OrderFilled)) == 1
    assert venue.exchange.account.reserved("USDT") == 0


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_immediate_orders_never_keep_a_lock(tif: TimeInForce) -> None:
    venue = Venue(balances={"USDT": 1_000}, volume_per_step=D(10), max_volume_share=D("0.2"))
    venue.submit(quantity=D(5), time_in_force=tif)
    assert len(venue.of(OrderCanceled)) == 1
    assert venue.exchange.account.reservations == {}


def test_derivative_resting_order_locks_margin_and_fee() -> None:
    venue = Venue(prices={"MNQ": [20_000.0]}, balances={"USD": 10_000})
    venue.submit(symbol="MNQ", order_type=OrderType.LIMIT, price=D("19000.00"))
    notional = D(19_000) * 2  # multiplier 2
    assert venue.exchange.account.reserved("USD") == notional * D("0.1") + notional * MAX_FEE
    venue.submit(
        client_order_id="o2",
        symbol="MNQ",
        order_type=OrderType.LIMIT,
        price=D("19000.00"),
        quantity=D(2),
    )
    assert [r.code for r in venue.of(OrderRejected)] == ["INSUFFICIENT_BALANCE"]


def test_reduce_only_orders_lock_nothing() -> None:
    venue = Venue(prices={"MNQ": [20_000.0]}, balances={"USD": 0})
    venue.submit(symbol="MNQ", order_type=OrderType.LIMIT, price=D("19000.00"), reduce_only=True)
    assert len(venue.of(OrderAccepted)) == 1
    assert venue.exchange.account.reservations == {}


def test_a_handler_reacting_to_the_ack_already_sees_the_lock() -> None:
    venue = Venue(balances={"USDT": 200})
    seen: list[Decimal] = []

    def on_accepted(event: OrderAccepted) -> None:
        seen.append(venue.exchange.account.free("USDT"))
        if event.client_order_id == "a":
            venue.submit(client_order_id="b", quantity=D("1.5"))

    venue.bus.subscribe(OrderAccepted, on_accepted)
    venue.submit(client_order_id="a", order_type=OrderType.LIMIT, price=D("95.00"))
    assert seen == [200 - _lock("95.00")]
    assert [r.client_order_id for r in venue.of(OrderRejected)] == ["b"]


def test_events_of_one_submit_come_in_venue_order() -> None:
    venue = Venue(volume_per_step=D(10), max_volume_share=D("0.2"))
    venue.submit(quantity=D(5), time_in_force=TimeInForce.IOC)
    assert [type(e).__name__ for e in venue.events] == [
        "OrderAccepted",
        "OrderFilled",
        "OrderCanceled",
    ]
