"""AccountTracker: fills booked once, position events published, marks from market data."""

from __future__ import annotations

from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.exchange.account import AccountTracker
from riskbus.model import OrderSide, default_registry
from riskbus.model.events import (
    Bar,
    PositionChanged,
    PositionClosed,
    PositionOpened,
    QuoteTick,
    TradeTick,
)
from tests.stubs import D, order_filled


def _tracker() -> tuple[EventBus, AccountTracker, list[object]]:
    clock = Simulator().clock
    bus = EventBus(clock)
    tracker = AccountTracker(bus, clock, default_registry(), {"USD": D(10_000)}, currency="USD")
    tracker.attach()
    seen: list[object] = []
    bus.subscribe("*", seen.append)
    return bus, tracker, seen


def test_fills_become_position_events_once() -> None:
    bus, tracker, seen = _tracker()
    bus.publish(order_filled(fill_id="T-1", last_qty=D(1), last_price=D(100)))
    bus.publish(order_filled(fill_id="T-1", last_qty=D(1), last_price=D(100)))  # duplicate
    bus.publish(order_filled(fill_id="T-2", last_qty=D(1), last_price=D(102)))
    bus.publish(order_filled(fill_id="T-3", side=OrderSide.SELL, last_qty=D(2), last_price=D(103)))
    kinds = [
        type(m).__name__
        for m in seen
        if isinstance(m, PositionOpened | PositionChanged | PositionClosed)
    ]
    assert kinds == ["PositionOpened", "PositionChanged", "PositionClosed"]
    assert tracker.duplicates == 1
    closed = next(m for m in seen if isinstance(m, PositionClosed))
    # MNQ multiplier 2: (103-100)*1*2 + (103-102)*1*2 = 8
    assert closed.realized_pnl == D(8)
    assert tracker.portfolio.position("MNQ") is not None
    assert not tracker.portfolio.position("MNQ").is_open  # type: ignore[union-attr]


def test_market_data_marks_positions_and_ignores_unknown_symbols() -> None:
    bus, tracker, _ = _tracker()
    bus.publish(order_filled(fill_id="T-1", last_qty=D(1), last_price=D(100)))
    bus.publish(
        Bar(
            ts=3,
            symbol="MNQ",
            interval=60,
            open=D(100),
            high=D(101),
            low=D(99),
            close=D(101),
            volume=D(5),
        )
    )
    assert tracker.portfolio.mark("MNQ") == D(101)
    bus.publish(QuoteTick(ts=4, symbol="MNQ", bid=D(104), ask=D(106), bid_size=D(1), ask_size=D(1)))
    assert tracker.portfolio.mark("MNQ") == D(105)
    bus.publish(TradeTick(ts=5, symbol="MNQ", price=D("99.5"), size=D(1)))
    assert tracker.portfolio.mark("MNQ") == D("99.5")
    assert tracker.portfolio.unrealized_pnl() == D(-1)  # (99.5-100)*1*2
    bus.publish(TradeTick(ts=6, symbol="NOT-A-SYMBOL", price=D(1), size=D(1)))
    assert tracker.portfolio.mark("NOT-A-SYMBOL") is None


def _bar(symbol: str, close: object) -> Bar:
    price = D(101)
    return Bar(
        ts=3,
        symbol=symbol,
        interval=60,
        open=price,
        high=price,
        low=price,
        close=close,
        volume=D(1),
    )  # type: ignore[arg-type]


def test_bars_of_unknown_symbols_are_ignored_and_bad_closes_refused() -> None:
    bus, tracker, seen = _tracker()
    portfolio = tracker.portfolio
    bus.publish(_bar("NOT-A-SYMBOL", D(1)))
    assert portfolio.mark("NOT-A-SYMBOL") is None
    assert not [m for m in seen if type(m).__name__ == "HandlerFailed"]
    for bad in (D(0), D(-1), D("NaN"), D("Infinity")):
        bus.publish(_bar("MNQ", bad))  # the handler's error is isolated and reported
        assert portfolio.mark("MNQ") is None
    failures = [m for m in seen if type(m).__name__ == "HandlerFailed"]
    assert len(failures) == 4 and all("price" in f.error for f in failures)  # type: ignore[attr-defined]
    tracker.on_bar(_bar("MNQ", D("100.25")))  # the same through the tracker's own method
    assert portfolio.mark("MNQ") == D("100.25")


def test_an_instrument_added_later_is_marked_from_bars() -> None:
    from riskbus.model.enums import InstrumentKind
    from riskbus.model.instruments import Instrument

    bus, tracker, _ = _tracker()
    bus.publish(_bar("NEW/USD", D(5)))
    assert tracker.portfolio.mark("NEW/USD") is None
    tracker.portfolio.registry.add(
        Instrument(
            symbol="NEW/USD",
            kind=InstrumentKind.SPOT,
            base="NEW",
            quote="USD",
            tick_size=D("0.01"),
            step_size=D(1),
            min_size=D(1),
        )
    )
    bus.publish(_bar("NEW/USD", D(5)))
    assert tracker.portfolio.mark("NEW/USD") == D(5)
    assert tracker.portfolio.mark_known("NEW/USD", D(6)) is True
    assert tracker.portfolio.mark_known("OTHER", D(6)) is False
