"""Money is conserved: account value changes only by fees and price moves (Hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.model import OrderSide, OrderType
from riskbus.model.commands import CancelAllOrders
from riskbus.model.events.orders import OrderFilled

from .helpers import Venue

D = Decimal

Action = tuple[OrderType, OrderSide, int, int, int]

_ACTION = st.tuples(
    st.sampled_from([OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT]),
    st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
    st.integers(min_value=1, max_value=5),  # quantity
    st.integers(min_value=-3, max_value=3),  # price offset from the current price
    st.integers(min_value=0, max_value=2),  # steps to advance afterwards
)


def _run(symbol: str, prices: list[float], actions: list[Action], **kw: object) -> Venue:
    venue = Venue(prices={symbol: prices}, spread_bps=10.0, slippage_bps=D(5), **kw)  # type: ignore[arg-type]
    for n, (kind, side, quantity, offset, steps) in enumerate(actions):
        price = venue.exchange.quote(symbol).price + D(offset)
        venue.submit(
            client_order_id=f"o{n}",
            symbol=symbol,
            side=side,
            quantity=D(quantity) / (10 if symbol == "BTC/USDT" else 1),
            order_type=kind,
            price=price if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
            stop_price=price if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None,
        )
        venue.exchange.advance(steps)
    return venue


def _moves_and_fees(venue: Venue, mark: Decimal, multiplier: Decimal) -> Decimal:
    fills = venue.of(OrderFilled)
    moves = sum(
        (f.last_qty * f.side.sign * (mark - f.last_price) * multiplier for f in fills), D(0)
    )
    return moves - sum((f.fee for f in fills), D(0))


_PRICES = st.lists(st.floats(min_value=90, max_value=110), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(prices=_PRICES, actions=st.lists(_ACTION, max_size=12))
def test_spot_value_changes_only_by_fees_and_price_moves(
    prices: list[float], actions: list[Action]
) -> None:
    venue = _run(
        "BTC/USDT", prices, actions, balances={"USDT": 1_000, "BTC": 2}, volume_per_step=D(3)
    )
    mark = venue.exchange.quote("BTC/USDT").price
    account = venue.exchange.account
    value = account.balance("USDT") + account.balance("BTC") * mark
    assert value == D(1_000) + 2 * mark + _moves_and_fees(venue, mark, D(1))
    assert account.balance("USDT") >= 0
    assert account.balance("BTC") >= 0
    _assert_locks_released(venue)


@settings(max_examples=60, deadline=None)
@given(
    prices=st.lists(st.floats(min_value=19_000, max_value=21_000), min_size=1, max_size=12),
    actions=st.lists(_ACTION, max_size=12),
)
def test_future_value_changes_only_by_fees_and_price_moves(
    prices: list[float], actions: list[Action]
) -> None:
    venue = _run("MNQ", prices, actions, balances={"USD": 1_000_000})
    mark = venue.exchange.quote("MNQ").price
    account = venue.exchange.account
    position = account.position("MNQ")
    unrealized = position.unrealized_pnl(mark) if position is not None else D(0)
    value = account.balance("USD") + unrealized
    assert value == D(1_000_000) + _moves_and_fees(venue, mark, D(2))
    _assert_locks_released(venue)


def _assert_locks_released(venue: Venue) -> None:
    """Open orders lock something; once they are all canceled nothing stays locked."""
    account = venue.exchange.account
    if not venue.exchange.open_orders():
        assert account.reservations == {}
    assert all(amount > 0 for amount in account.reservations.values())
    venue.bus.send(CancelAllOrders(ts=0))
    assert account.reservations == {}
