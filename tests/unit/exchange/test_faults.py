"""Fault hooks of the simulated exchange, one test each."""

from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model import OrderType
from riskbus.model.commands import CancelAllOrders, CancelOrder, FetchPrice
from riskbus.model.events.market import MarketPriceFetched, MarketPriceFetchFailed
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
)

from .helpers import Venue

D = Decimal


def test_reject_next_rejects_exactly_that_many_orders() -> None:
    venue = Venue()
    venue.exchange.faults.reject_next(2)
    for n in range(3):
        venue.submit(client_order_id=f"o{n}")
    assert [r.code for r in venue.of(OrderRejected)] == ["REJECTED_BY_VENUE"] * 2
    assert [a.client_order_id for a in venue.of(OrderAccepted)] == ["o2"]


def test_outage_window_fails_every_call_inside_it_only() -> None:
    venue = Venue()
    now = venue.sim.now()
    venue.submit(client_order_id="rest", order_type=OrderType.LIMIT, price=D(50))
    venue.exchange.faults.outage(now, now + 10)
    venue.submit()
    venue.bus.send(FetchPrice(ts=now, symbol="BTC/USDT", cycle_id="c1"))
    venue.bus.send(CancelOrder(ts=now, client_order_id="rest", symbol="BTC/USDT"))
    venue.bus.send(CancelAllOrders(ts=now))
    assert [r.code for r in venue.of(OrderRejected)] == ["VENUE_UNAVAILABLE"]
    (failed,) = venue.of(MarketPriceFetchFailed)
    assert (failed.cycle_id, failed.error_message) == ("c1", "VENUE_UNAVAILABLE: venue=simulated")
    rejected = venue.of(OrderCancelRejected)
    assert [(r.client_order_id, r.venue_order_id) for r in rejected] == [
        ("rest", "SIM-000001"),
        ("rest", "SIM-000001"),
    ]
    assert all(r.reason.startswith("VENUE_UNAVAILABLE") for r in rejected)
    assert venue.of(OrderCanceled) == []
    venue.sim.run_for(10)
    venue.submit(client_order_id="o2")
    assert len(venue.of(OrderFilled)) == 1


def test_lost_ack_places_the_order_but_reports_status_unknown() -> None:
    venue = Venue()
    venue.exchange.faults.lose_next_ack()
    venue.submit()
    (unknown,) = venue.of(OrderStatusUnknown)
    assert (unknown.client_order_id, unknown.operation) == ("o1", "submit")
    assert venue.of(OrderAccepted) == []
    assert len(venue.of(OrderFilled)) == 1  # the order exists and traded
    assert venue.exchange.order_status("o1") is not None


def test_stale_prices_freeze_the_quote_until_fresh_again() -> None:
    venue = Venue()
    venue.exchange.faults.stale_prices(0)
    venue.exchange.advance(2)
    assert venue.exchange.quote("BTC/USDT").price == D(100)
    venue.exchange.faults.fresh_prices()
    assert venue.exchange.quote("BTC/USDT").price == D(99)


def test_price_gap_shifts_prices_by_percent() -> None:
    venue = Venue(spread_bps=20.0)
    venue.exchange.faults.price_gap(-10)
    quote = venue.exchange.quote("BTC/USDT")
    assert (quote.price, quote.bid, quote.ask) == (D("90.00"), D("89.91"), D("90.09"))
    venue.bus.send(FetchPrice(ts=0, symbol="BTC/USDT"))
    assert venue.of(MarketPriceFetched)[0].current_price == D("90.00")
    with pytest.raises(InvalidValueError):
        venue.exchange.faults.price_gap(-95)


def test_rate_limit_refuses_calls_over_the_window_then_recovers() -> None:
    venue = Venue()
    venue.exchange.faults.rate_limit(2, window=100)
    for n in range(3):
        venue.submit(client_order_id=f"o{n}", order_type=OrderType.LIMIT, price=D(50))
    assert [r.code for r in venue.of(OrderRejected)] == ["RATE_LIMITED"]
    venue.sim.run_for(100)
    venue.bus.send(CancelOrder(ts=0, client_order_id="o0", symbol="BTC/USDT"))
    assert len(venue.of(OrderCanceled)) == 1


def test_clear_disarms_every_fault() -> None:
    venue = Venue()
    faults = venue.exchange.faults
    faults.reject_next(1)
    faults.lose_next_ack(1)
    faults.outage(0, 10**30)
    faults.stale_prices(0)
    faults.price_gap(5)
    faults.rate_limit(1, 1)
    assert faults.active
    faults.clear()
    assert not faults.active
    venue.submit()
    assert len(venue.of(OrderAccepted)) == 1


@pytest.mark.parametrize(
    "arm",
    [
        lambda f: f.reject_next(-1),
        lambda f: f.lose_next_ack(-1),
        lambda f: f.outage(5, 5),
        lambda f: f.stale_prices(-1),
        lambda f: f.rate_limit(0, 10),
    ],
)
def test_bad_fault_arguments_are_refused(arm: object) -> None:
    venue = Venue()
    with pytest.raises(InvalidValueError):
        arm(venue.exchange.faults)  # type: ignore[operator]


def test_single_faults_can_be_disarmed_and_the_fast_path_returns() -> None:
    venue = Venue()
    faults = venue.exchange.faults
    faults.reject_next(3)
    faults.lose_next_ack(2)
    faults.rate_limit(1, 10**9)
    assert faults.active
    faults.clear_rejects()
    faults.clear_lost_acks()
    faults.clear_rate_limit()
    assert not faults.active
    venue.submit()
    assert len(venue.of(OrderAccepted)) == 1
    faults.gap = D(5)
    assert faults.active
    faults.gap = D(0)
    assert not faults.active
