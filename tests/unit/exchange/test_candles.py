"""``MarketPriceFetched`` carries the recent candles of the venue's path."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange, SimulatedExchangeConfig
from riskbus.market.path import PricePath
from riskbus.model import default_registry
from riskbus.model.commands import FetchPrice
from riskbus.model.events.market import MarketPriceFetched

from .helpers import Venue

D = Decimal
PRICES = [100.0, 101.5, 99.25, 102.0, 103.75, 98.5]


def _fetch(venue: Venue, **fields: object) -> MarketPriceFetched:
    venue.bus.send(FetchPrice(ts=0, symbol="BTC/USDT", **fields))  # type: ignore[arg-type]
    return venue.of(MarketPriceFetched)[-1]


def test_candles_end_at_the_current_step_oldest_first() -> None:
    venue = Venue(prices={"BTC/USDT": PRICES}, spread_bps=10.0)
    venue.exchange.advance(3)
    fetched = _fetch(venue)
    assert [c.close for c in fetched.candles] == [D("100.00"), D("101.50"), D("99.25"), D("102.00")]
    assert fetched.candles[-1].close == fetched.current_price
    path = venue.exchange.market["BTC/USDT"]
    times = path.timestamps().tolist()
    assert [c.ts for c in fetched.candles] == [t - path.step for t in times[:4]]


def test_candles_are_consistent_with_the_path_candles() -> None:
    venue = Venue(prices={"BTC/USDT": PRICES})
    venue.exchange.advance(5)
    fetched = _fetch(venue)
    source = venue.exchange.market["BTC/USDT"].candles()
    assert len(fetched.candles) == len(source)
    for candle, raw in zip(fetched.candles, source, strict=True):
        assert candle.ts == raw.ts - venue.exchange.market["BTC/USDT"].step
        assert candle.low <= min(candle.open, candle.close) <= max(candle.open, candle.close)
        assert max(candle.open, candle.close) <= candle.high
        assert abs(candle.high - D(repr(raw.high))) <= D("0.01")
        assert abs(candle.low - D(repr(raw.low))) <= D("0.01")
        assert candle.volume == D(repr(raw.volume)).quantize(D("0.00001"), rounding="ROUND_DOWN")
    assert [c.open for c in fetched.candles[1:]] == [c.close for c in fetched.candles[:-1]]


def test_candle_count_of_the_command_wins_over_the_configured_history() -> None:
    venue = Venue(prices={"BTC/USDT": PRICES}, candles_history=2)
    venue.exchange.advance(4)
    assert [c.close for c in _fetch(venue).candles] == [D("102.00"), D("103.75")]
    assert [c.close for c in _fetch(venue, candle_count=3).candles] == [
        D("99.25"),
        D("102.00"),
        D("103.75"),
    ]


def test_default_history_is_fifty_candles_and_zero_turns_them_off() -> None:
    assert SimulatedExchangeConfig().candles_history == 50
    sim = Simulator()
    bus = EventBus(sim.clock)
    events: list[MarketPriceFetched] = []
    bus.subscribe(MarketPriceFetched, events.append)
    path = PricePath(np.linspace(100.0, 120.0, 80))
    exchange = SimulatedExchange(bus, sim.clock, Seeds(1), default_registry(), {"BTC/USDT": path})
    exchange.attach(bus)
    exchange.advance(70)
    bus.send(FetchPrice(ts=0, symbol="BTC/USDT"))
    assert len(events[-1].candles) == 50
    assert events[-1].candles[-1].close == events[-1].current_price
    venue = Venue(prices={"BTC/USDT": PRICES}, candles_history=0)
    assert _fetch(venue).candles == ()


def test_candles_follow_stale_prices_and_price_gaps() -> None:
    venue = Venue(prices={"BTC/USDT": PRICES})
    venue.exchange.faults.stale_prices(1)
    venue.exchange.advance(3)
    assert [c.close for c in _fetch(venue).candles] == [D("100.00"), D("101.50")]
    venue.exchange.faults.fresh_prices()
    venue.exchange.faults.price_gap(-10)
    fetched = _fetch(venue)
    assert fetched.candles[-1].close == fetched.current_price == D("91.80")


def test_same_seed_gives_the_same_candles() -> None:
    runs = []
    for _ in range(2):
        venue = Venue(prices={"BTC/USDT": PRICES})
        venue.exchange.advance(5)
        runs.append(_fetch(venue).candles)
    assert runs[0] == runs[1]
