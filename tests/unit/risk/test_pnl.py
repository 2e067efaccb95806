"""The P&L tracker: net realized P&L, trade counts, unrealized, resets, persistence."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.exchange.account import AccountTracker
from riskbus.model import OrderSide, default_registry
from riskbus.risk.pnl import PnLTracker
from riskbus.store import open_store
from tests.stubs import D, order_filled

T0 = 1_704_067_200 * SECOND


def build(store_url: str | None = None) -> tuple[Simulator, EventBus, AccountTracker, PnLTracker]:
    sim = Simulator(T0)
    bus = EventBus(sim.clock)
    tracker = AccountTracker(bus, sim.clock, default_registry(), {"USD": 1_000_000}, currency="USD")
    tracker.attach()
    store = open_store(store_url) if store_url else None
    pnl = PnLTracker(sim.clock, tracker.portfolio, store=store, trading_day="2024-01-01")
    pnl.attach(bus)
    return sim, bus, tracker, pnl


_fill_ids = iter(range(10**9))


def fill(bus: EventBus, symbol: str, side: OrderSide, qty: str, price: str, **kw: object) -> None:
    n = next(_fill_ids)
    kw.setdefault("fee", D(0))
    bus.publish(
        order_filled(
            symbol=symbol,
            side=side,
            fill_id=f"f{n}",
            client_order_id=f"c{n}",
            last_qty=D(qty),
            cum_qty=D(qty),
            leaves_qty=D(0),
            last_price=D(price),
            **kw,
        )
    )


def test_realized_is_net_of_fees_per_symbol_and_account() -> None:
    _, bus, _, pnl = build()
    fill(bus, "MNQ", OrderSide.BUY, "2", "20000", fee=D("1.5"), fee_currency="USD")
    fill(bus, "MNQ", OrderSide.SELL, "2", "19900", fee=D("1.5"), fee_currency="USD")
    fill(bus, "ES", OrderSide.SELL, "1", "5000", fee=D(1), fee_currency="USD")
    fill(bus, "ES", OrderSide.BUY, "1", "4990", fee=D(1), fee_currency="USD")
    assert pnl.daily_gross("MNQ") == D(-400)  # 100 points x 2 contracts x $2
    assert pnl.daily_fees("MNQ") == D(3)
    assert pnl.daily_realized("MNQ") == D(-403)
    assert pnl.daily_realized("ES") == D(498)  # 10 points x $50 − 2 fees
    assert pnl.daily_realized() == D(95)
    assert pnl.trade_count() == 4
    assert pnl.symbol_trade_count("ES") == 2
    assert pnl.symbols() == ["ES", "MNQ"]


def test_flip_counts_one_trade_and_unrealized_uses_multiplier() -> None:
    _, bus, tracker, pnl = build()
    fill(bus, "NQ", OrderSide.BUY, "1", "20000")
    fill(bus, "NQ", OrderSide.SELL, "3", "20010")  # close +1 (+200), open short 2
    assert pnl.trade_count() == 2
    assert pnl.daily_realized("NQ") == D(200)
    tracker.portfolio.update_mark("NQ", D("20000"))
    assert pnl.unrealized("NQ") == D(400)  # short 2 x 10 points x $20
    assert pnl.unrealized() == D(400)
    assert pnl.daily_total() == D(600)


def test_trade_count_since_and_reset_starts_a_new_day() -> None:
    _, bus, _, pnl = build()
    fill(bus, "ES", OrderSide.BUY, "1", "5000", ts=T0 + 10 * SECOND)
    fill(bus, "ES", OrderSide.SELL, "1", "4999", ts=T0 + 70 * SECOND)
    fill(bus, "ES", OrderSide.BUY, "1", "4999", ts=T0 + 80 * SECOND)
    assert pnl.trade_count(T0 + 60 * SECOND) == 2
    assert pnl.trade_count(T0 + 80 * SECOND) == 2 - 1
    pnl.on_reset(T0 + 100 * SECOND, "2024-01-02")
    assert (pnl.daily_realized(), pnl.trade_count(), pnl.session_start()) == (
        D(0),
        0,
        T0 + 100 * SECOND,
    )
    assert pnl.trade_count(T0 + 60 * SECOND) == 2  # a rolling window still sees them
    assert pnl.trading_day == "2024-01-02"


def test_persisted_and_restored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    _, bus, _, pnl = build(url)
    fill(bus, "MNQ", OrderSide.BUY, "1", "20000", fee=D("0.5"), fee_currency="USD", ts=T0 + 5)
    fill(bus, "MNQ", OrderSide.SELL, "1", "19990", fee=D("0.5"), fee_currency="USD", ts=T0 + 9)
    assert pnl.store is not None
    assert len(pnl.store.trades.find()) == 2
    sim2 = Simulator(T0 + 60 * SECOND)
    tracker = AccountTracker(EventBus(sim2.clock), sim2.clock, default_registry())
    again = PnLTracker(sim2.clock, tracker.portfolio, store=pnl.store)
    again.restore("2024-01-01", T0)
    assert again.daily_realized() == D(-21)
    assert again.daily_fees() == D(1)
    assert again.trade_count() == 2
    assert again.trade_count(T0 + 6) == 1
    assert again.session_start() == T0
    pnl.store.close()


FILLS = st.lists(
    st.tuples(
        st.sampled_from(["MNQ", "NQ", "ES", "BTC/USDT:USDT"]),
        st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
        st.integers(1, 5),
        st.integers(-400, 400),
        st.integers(0, 300),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(FILLS)
def test_always_equals_the_portfolio(fills: list[tuple[str, OrderSide, int, int, int]]) -> None:
    """Over random fills, tracker realized == portfolio realized − fees (exact Decimals)."""
    _, bus, tracker, pnl = build()
    registry = default_registry()
    base = {"MNQ": D(20000), "NQ": D(20000), "ES": D(5000), "BTC/USDT:USDT": D(40000)}
    for symbol, side, qty, ticks, fee_cents in fills:
        instrument = registry.get(symbol)
        price = base[symbol] + ticks * instrument.tick_size
        currency = instrument.quote
        fee = Decimal(fee_cents) / 100
        fill(bus, symbol, side, str(qty), str(price), fee=fee, fee_currency=currency)
    portfolio = tracker.portfolio
    for currency in {registry.get(s).quote for s in base}:
        symbols = [s for s in base if registry.get(s).quote == currency]
        tracked = sum((pnl.daily_realized(s) for s in symbols), D(0))
        assert tracked == portfolio.realized_pnl(currency) - portfolio.fees(currency)
    assert pnl.trade_count() == len(fills)
    assert pnl.unrealized() == sum((p.unrealized_pnl() for p in portfolio.open_positions()), D(0))
