from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pytest

from riskbus.bot.decisions import DecisionExecutor
from riskbus.bot.feed import BarFeed, BarSeries, attach_strategy, decimal_columns
from riskbus.bot.strategy import Strategy, StrategyContext, StrategyFailed, StrategyHost
from riskbus.core.bus import EventBus
from riskbus.core.clock import MINUTE, SECOND, Simulator
from riskbus.core.errors import InvalidValueError
from riskbus.core.seeds import Seeds
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market.path import PricePath, to_tick
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import InstrumentKind, OrderSide, OrderType
from riskbus.model.events.market import Bar, QuoteTick
from riskbus.model.events.orders import OrderFilled
from riskbus.model.instruments import Instrument
from riskbus.risk.gate import OrderGateway
from tests.stubs import D

SYMBOL = "SIM/USD"
START = Simulator.DEFAULT_START


def registry() -> InstrumentRegistry:
    return InstrumentRegistry(
        [
            Instrument(
                symbol=SYMBOL,
                kind=InstrumentKind.SPOT,
                base="SIM",
                quote="USD",
                tick_size=D("0.01"),
                step_size=D(1),
                min_size=D(1),
                min_notional=D(0),
            )
        ]
    )


class World:
    """Simulator, bus, venue (no spread, 0.1 % fee), gateway and account over ``closes``."""

    def __init__(self, closes: Sequence[float], *, quotes: bool = False) -> None:
        self.registry = registry()
        self.simulator = Simulator(start=START)
        clock = self.simulator.clock
        self.bus = EventBus(clock)
        self.path = PricePath(np.array(closes, dtype=float), spread_bps=0.0, start=START + MINUTE)
        self.exchange = SimulatedExchange(
            self.bus,
            clock,
            Seeds(1),
            self.registry,
            {SYMBOL: self.path},
            balances={"USD": 1_000_000},
            config=SimulatedExchangeConfig(taker_fee=D("0.001"), maker_fee=D("0.001")),
            currency="USD",
        )
        self.gateway = OrderGateway(self.bus, clock, self.exchange.submit, registry=self.registry)
        self.gateway.attach()
        self.account = AccountTracker(
            self.bus, clock, self.registry, {"USD": 1_000_000}, currency="USD"
        ).attach()
        self.series = BarSeries.from_path(SYMBOL, self.path, tick=D("0.01"))
        self.feed = BarFeed(
            self.bus, self.simulator, self.series, exchange=self.exchange, quotes=quotes
        )
        self.bars: list[Bar] = []
        self.fills: list[OrderFilled] = []
        self.bus.subscribe(Bar, self.bars.append)
        self.bus.subscribe(OrderFilled, self.fills.append)

    def host(self, strategy: Strategy, *, fast: bool = True) -> StrategyHost:
        executor = DecisionExecutor(
            self.bus, self.simulator.clock, self.registry, self.account.portfolio, strategy="t"
        )
        host = StrategyHost(strategy, StrategyContext(self.bus, self.simulator.clock, executor))
        if fast:
            attach_strategy(host)
        else:
            host.attach()
        host.start()
        return host


class BuyOnBar(Strategy):
    """Sends a market (or limit) buy of 10 from ``on_bar`` at the given bar numbers."""

    def __init__(self, at: set[int], limit: Decimal | None = None) -> None:
        super().__init__()
        self.at = at
        self.limit = limit
        self.seen = 0

    def on_bar(self, ctx: StrategyContext, bar: Bar) -> None:
        if self.seen in self.at:
            ctx.bus.send(
                SubmitOrder(
                    ts=ctx.clock.now(),
                    client_order_id=f"buy-{self.seen}",
                    symbol=SYMBOL,
                    side=OrderSide.BUY,
                    quantity=D(10),
                    order_type=OrderType.LIMIT if self.limit else OrderType.MARKET,
                    price=self.limit,
                )
            )
        self.seen += 1


def test_series_from_path_has_one_bar_per_step_closing_at_the_step() -> None:
    path = PricePath(np.array([100.0, 101.234, 99.5]), start=START, step=MINUTE)
    series = BarSeries.from_path(SYMBOL, path, tick=D("0.01"))
    assert len(series) == 3
    assert series.ts == [START, START + MINUTE, START + 2 * MINUTE]
    assert series.close == [D("100.00"), D("101.23"), D("99.50")]
    bar = series.bar(1)
    assert (bar.ts, bar.interval, bar.symbol, bar.open, bar.close) == (
        START + MINUTE,
        MINUTE,
        SYMBOL,
        D("100.00"),
        D("101.23"),
    )
    assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high


@pytest.mark.parametrize("tick", [None, D("0.01"), D("0.25"), D("1")])
def test_decimal_columns_snap_like_to_tick_and_share_equal_values(tick: Decimal | None) -> None:
    first, second = decimal_columns([np.array([1.005, 2.675, 3.1]), np.array([3.1, 1.13])], tick)
    assert first == [to_tick(v, tick) for v in (1.005, 2.675, 3.1)]
    assert second == [to_tick(v, tick) for v in (3.1, 1.13)]
    assert first[2] is second[0]


def test_decimal_columns_of_nothing() -> None:
    assert decimal_columns([np.array([]), np.array([])]) == [[], []]


def test_series_rejects_ragged_columns() -> None:
    with pytest.raises(InvalidValueError):
        BarSeries(SYMBOL, MINUTE, [1, 2], [D(1)], [D(1)], [D(1)], [D(1)], [D(1)])


def test_run_publishes_every_bar_in_order_at_its_close_time() -> None:
    world = World([100.0, 101.0, 102.0, 103.0])
    times: list[int] = []
    world.bus.subscribe(Bar, lambda bar: times.append(world.simulator.now()))
    assert world.feed.run() == 4
    assert [bar.close for bar in world.bars] == [D(100), D(101), D(102), D(103)]
    assert times == [START + k * MINUTE for k in range(1, 5)]
    assert world.exchange.step == 3
    assert world.feed.done and world.feed.run() == 0


def test_run_stops_after_limit_and_resumes() -> None:
    world = World([100.0, 101.0, 102.0])
    assert world.feed.run(limit=2) == 2
    assert world.feed.run() == 1
    assert [bar.close for bar in world.bars] == [D(100), D(101), D(102)]


def test_market_order_sent_in_on_bar_fills_at_that_bars_close() -> None:
    world = World([100.0, 101.5, 103.25, 99.0])
    world.host(BuyOnBar({2}))
    world.feed.run()
    (fill,) = world.fills
    assert fill.last_price == D("103.25") == world.bars[2].close
    assert fill.ts == world.bars[2].ts
    assert fill.fee == D("1.0325")
    position = world.account.portfolio.position(SYMBOL)
    assert position is not None and position.quantity == 10


def test_scheduled_bars_interleave_with_timers_and_fill_at_close() -> None:
    world = World([100.0, 101.5, 103.25, 99.0])
    world.host(BuyOnBar({1}), fast=False)
    order: list[str] = []
    world.bus.subscribe(Bar, lambda bar: order.append(f"bar {bar.close}"))
    world.simulator.schedule(START + MINUTE + 30 * SECOND, lambda: order.append("timer"))
    world.feed.schedule()
    world.simulator.run_until(START + 10 * MINUTE)
    assert order == ["bar 100.00", "timer", "bar 101.50", "bar 103.25", "bar 99.00"]
    assert [fill.last_price for fill in world.fills] == [D("101.50")]


def test_run_fires_heap_items_due_before_each_bar() -> None:
    world = World([100.0, 101.0, 102.0])
    seen: list[tuple[str, int]] = []
    world.bus.subscribe(Bar, lambda bar: seen.append(("bar", world.simulator.now())))
    world.simulator.schedule(
        START + 2 * MINUTE, lambda: seen.append(("timer", world.simulator.now()))
    )
    world.feed.run()
    assert seen == [
        ("bar", START + MINUTE),
        ("timer", START + 2 * MINUTE),
        ("bar", START + 2 * MINUTE),
        ("bar", START + 3 * MINUTE),
    ]


def test_resting_limit_order_fills_when_a_later_bar_crosses_it() -> None:
    world = World([100.0, 99.0, 98.0, 96.0, 97.0])
    world.host(BuyOnBar({0}, limit=D("97.00")))
    world.feed.run()
    (fill,) = world.fills
    assert fill.last_price == D("97.00")
    assert fill.ts == world.bars[3].ts  # the first bar at or below the limit


def test_quotes_publish_a_quote_tick_before_each_bar_to_on_tick() -> None:
    class Ticks(Strategy):
        def __init__(self) -> None:
            super().__init__()
            self.events: list[str] = []

        def on_tick(self, ctx: StrategyContext, tick: QuoteTick) -> None:
            self.events.append(f"tick {tick.bid}/{tick.ask}")

        def on_bar(self, ctx: StrategyContext, bar: Bar) -> None:
            self.events.append(f"bar {bar.close}")

    world = World([100.0, 101.0], quotes=True)
    strategy = Ticks()
    world.host(strategy)
    world.feed.run()
    assert strategy.events == [
        "tick 100.00/100.00",
        "bar 100.00",
        "tick 101.00/101.00",
        "bar 101.00",
    ]


def test_feed_refuses_bars_beyond_the_exchange_path() -> None:
    world = World([100.0, 101.0])
    with pytest.raises(InvalidValueError, match="first_step"):
        BarFeed(world.bus, world.simulator, world.series, exchange=world.exchange, first_step=1)
    other = BarSeries.from_path("ETH/USD", world.path)
    with pytest.raises(InvalidValueError, match="no price path"):
        BarFeed(world.bus, world.simulator, other, exchange=world.exchange)
    with pytest.raises(InvalidValueError, match="quote ticks"):
        BarFeed(world.bus, world.simulator, world.series, quotes=True)


def test_feed_without_exchange_only_publishes() -> None:
    world = World([100.0, 101.0])
    feed = BarFeed(world.bus, world.simulator, world.series)
    assert feed.run() == 2
    assert len(world.bars) == 2 and world.exchange.step == 0


@pytest.mark.parametrize("on_error", ["continue", "stop"])
def test_attach_strategy_isolates_errors_like_the_host(on_error: str) -> None:
    class Fails(Strategy):
        calls = 0

        def on_bar(self, ctx: StrategyContext, bar: Bar) -> None:
            Fails.calls += 1
            raise RuntimeError("boom")

    world = World([100.0, 101.0, 102.0])
    failures: list[StrategyFailed] = []
    world.bus.subscribe(StrategyFailed, failures.append)
    host = StrategyHost(
        Fails(),
        StrategyContext(world.bus, world.simulator.clock),
        on_error="stop" if on_error == "stop" else "continue",
    )
    attach_strategy(host)
    world.feed.run()
    expected = 1 if on_error == "stop" else 3
    assert Fails.calls == expected and len(failures) == expected
    assert failures[0].hook == "on_bar" and failures[0].error == "boom"
    assert len(world.bars) == 3  # the feed went on
