"""Values the account remembers between events are always those a fresh computation gives.

``Position.unrealized_pnl()`` and ``avg_price`` keep their last result while the position's
quantity, cost and price are the very same objects; ``Portfolio.equity()`` reads that result
inline; ``Portfolio.open_sizes()`` is an index of the open positions kept by every fill
booked, equal to the list rebuilt from the positions.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.model import OrderSide, Position
from riskbus.model.portfolio import Portfolio
from tests.stubs import D, fill, order_filled, portfolio


def fresh_unrealized(position: Position) -> Decimal:
    mark = position.mark
    assert mark is not None
    return (position.quantity * mark - position.cost_basis) * position.instrument.multiplier


def test_futures_equity_follows_every_mark_and_fill_after_it_was_remembered() -> None:
    p = portfolio("USD")
    p.apply_fill(fill(fill_id="T-1", quantity=D(2), price=D("100.25"), fee=D(0)))
    p.update_mark("MNQ", "101.25")
    assert p.equity() == D("10004.00")  # 2 × 1.00 × multiplier 2
    assert p.equity() == D("10004.00")  # the remembered result, same value
    p.update_mark("MNQ", "99.25")
    assert p.equity() == D("9996.00")  # a new mark: computed again
    p.apply_fill(fill(fill_id="T-2", quantity=D(1), price=D("99.25"), fee=D(0)))
    position = p.position("MNQ")
    assert position is not None
    assert position.avg_price == D("99.91666666666666666666666667")
    assert p.equity() == D(10_000) + fresh_unrealized(position) == D("9996.00")
    p.apply_fill(
        fill(fill_id="T-3", side=OrderSide.SELL, quantity=D(3), price=D("99.25"), fee=D(0))
    )
    assert position.avg_price == 0 and position.unrealized_pnl() == 0
    assert p.equity() == D("9996.00")  # realized now; nothing open


def test_avg_price_and_unrealized_pnl_match_a_fresh_computation_at_each_step() -> None:
    p = portfolio("USD")
    prices = ["100.00", "100.50", "99.75", "101.25"]
    for n, price in enumerate(prices, start=1):
        p.apply_fill(fill(fill_id=f"T-{n}", quantity=D(n), price=D(price), fee=D(0)))
        position = p.position("MNQ")
        assert position is not None
        for mark in ("98.00", "102.50", price):
            p.update_mark("MNQ", mark)
            assert position.unrealized_pnl() == fresh_unrealized(position)
            assert position.avg_price == position.cost_basis / position.quantity
        assert position.unrealized_pnl(D("103")) == (
            position.quantity * D("103") - position.cost_basis
        ) * D(2)


def test_open_sizes_lists_open_positions_signed_in_opening_order() -> None:
    p = portfolio("USD")
    assert p.open_sizes() == {}
    p.apply_fill(fill(fill_id="T-1", symbol="ES", quantity=D(1), price=D("5000.00")))
    p.apply_fill(
        fill(fill_id="T-2", symbol="MNQ", side=OrderSide.SELL, quantity=D(3), price=D("100.25"))
    )
    assert list(p.open_sizes().items()) == [("ES", D(1)), ("MNQ", D(-3))]
    p.apply_fill(fill(fill_id="T-3", symbol="ES", side=OrderSide.SELL, price=D("5000.00")))
    assert p.open_sizes() == {"MNQ": D(-3)}  # ES is flat now
    p.apply_fill(fill(fill_id="T-4", symbol="ES", quantity=D(2), price=D("5000.00")))
    assert list(p.open_sizes().items()) == [("MNQ", D(-3)), ("ES", D(2))]  # reopened: last


def rebuilt(p: Portfolio) -> dict[str, Decimal]:
    """The open sizes computed from the positions themselves."""
    return {s: q.quantity for s, q in p.positions.items() if q.quantity}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["MNQ", "ES", "BTC/USDT"]),
            st.booleans(),  # buy
            st.integers(1, 4),
            st.booleans(),  # booked by record_fill (the venue's path), else apply_fill
        ),
        max_size=30,
    )
)
def test_open_sizes_index_equals_the_positions_after_any_fills(
    fills: list[tuple[str, bool, int, bool]],
) -> None:
    p = portfolio("USD", USD=10**9, USDT=10**9, BTC=10**3)
    for n, (symbol, buy, quantity, recorded) in enumerate(fills):
        side = OrderSide.BUY if buy else OrderSide.SELL
        fee_currency = "USDT" if symbol == "BTC/USDT" else "USD"
        if recorded:
            p.record_fill(
                order_filled(
                    fill_id=f"T-{n}",
                    symbol=symbol,
                    side=side,
                    last_qty=D(quantity),
                    last_price=D("100.25"),
                    fee_currency=fee_currency,
                )
            )
        else:
            p.apply_fill(
                fill(
                    fill_id=f"T-{n}",
                    symbol=symbol,
                    side=side,
                    quantity=D(quantity),
                    price=D("100.25"),
                    fee_currency=fee_currency,
                )
            )
        assert dict(p.open_sizes()) == rebuilt(p)
