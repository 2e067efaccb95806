"""Orders on a symbol share each market step's volume, in time priority."""

from __future__ import annotations

from decimal import Decimal

from riskbus.model import OrderSide, OrderType
from riskbus.model.events.orders import OrderFilled

from .helpers import Venue

D = Decimal


def _fills(venue: Venue) -> list[tuple[str, Decimal]]:
    return [(f.client_order_id, f.last_qty) for f in venue.of(OrderFilled)]


def test_two_market_orders_in_one_step_share_its_volume() -> None:
    venue = Venue(volume_per_step=D(10), max_volume_share=D("0.3"))  # 3 per step
    venue.submit(client_order_id="a", quantity=D(2))
    venue.submit(client_order_id="b", quantity=D(2))
    assert _fills(venue) == [("a", 2), ("b", 1)]
    venue.exchange.advance()
    assert _fills(venue)[2:] == [("b", 1)]


def test_an_order_in_a_used_up_step_waits_for_the_next() -> None:
    venue = Venue(volume_per_step=D(10), max_volume_share=D("0.2"))
    venue.submit(client_order_id="a", quantity=D(2))
    venue.submit(client_order_id="b", quantity=D(1))
    assert _fills(venue) == [("a", 2)]
    assert [o.client_order_id for o in venue.exchange.open_orders()] == ["b"]
    venue.exchange.advance()
    assert _fills(venue) == [("a", 2), ("b", 1)]


def test_resting_orders_fill_oldest_first_from_the_shared_volume() -> None:
    venue = Venue(
        prices={"BTC/USDT": [100.0, 97.0, 97.0]},
        volume_per_step=D(10),
        max_volume_share=D("0.3"),
    )
    for name, price in (("old", "98.00"), ("mid", "99.00"), ("new", "98.50")):
        venue.submit(
            client_order_id=name, order_type=OrderType.LIMIT, price=D(price), quantity=D(2)
        )
    venue.exchange.advance()
    assert _fills(venue) == [("old", 2), ("mid", 1)]
    venue.exchange.advance()
    assert _fills(venue)[2:] == [("mid", 1), ("new", 2)]


def test_resting_orders_come_before_a_new_order_in_the_same_step() -> None:
    venue = Venue(
        prices={"BTC/USDT": [100.0, 97.0]},
        volume_per_step=D(10),
        max_volume_share=D("0.3"),
    )
    venue.submit(
        client_order_id="rest", order_type=OrderType.LIMIT, price=D("98.00"), quantity=D(2)
    )
    venue.exchange.advance()
    venue.submit(client_order_id="late", quantity=D(2))
    assert _fills(venue) == [("rest", 2), ("late", 1)]


def test_symbols_have_their_own_volume() -> None:
    venue = Venue(
        prices={"BTC/USDT": [100.0], "ETH/USDT": [10.0]},
        volume_per_step=D(10),
        max_volume_share=D("0.2"),
    )
    venue.submit(client_order_id="btc", quantity=D(2))
    venue.submit(client_order_id="eth", symbol="ETH/USDT", quantity=D(2))
    assert _fills(venue) == [("btc", 2), ("eth", 2)]


def test_buys_and_sells_share_the_same_volume() -> None:
    venue = Venue(
        balances={"USDT": 1_000, "BTC": 5}, volume_per_step=D(10), max_volume_share=D("0.2")
    )
    venue.submit(client_order_id="buy", quantity=D(1))
    venue.submit(client_order_id="sell", side=OrderSide.SELL, quantity=D(2))
    assert _fills(venue) == [("buy", 1), ("sell", 1)]
