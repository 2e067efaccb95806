"""The monitoring-cycle runner: the event chain of a cycle, failures, timing, errors."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import numpy as np
import pytest

from riskbus.bot.runner import STOPPED_BY_ERROR, BotConfig, BotRunner, BotSimulation, Cycle
from riskbus.bot.strategy import Strategy, StrategyContext, StrategyFailed
from riskbus.core.bus import EventBus
from riskbus.core.clock import MILLISECOND, SECOND, LiveClock, Simulator
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.market import PricePath, generate
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import FetchPrice, SubmitOrder
from riskbus.model.events.bot import (
    BotMonitoringCycleCompleted,
    BotMonitoringCycleStarted,
    CapitalRefreshed,
    DecisionContextReady,
    IndicatorsCalculated,
    OpenedPositionsQueried,
    PositionPurchased,
    PositionSold,
)
from riskbus.model.events.market import MarketPriceFetched
from tests.unit.bot.user_strategies import FailsInCycleFive

BOT_EVENTS = {
    "BotMonitoringCycleStarted",
    "MarketPriceFetched",
    "MarketPriceFetchFailed",
    "CapitalRefreshed",
    "OpenedPositionsQueried",
    "IndicatorsCalculated",
    "DecisionContextReady",
    "BuyConditionMet",
    "SellConditionMet",
    "PositionPurchased",
    "PositionSold",
    "BotMonitoringCycleCompleted",
}


class Script(Strategy):
    """Buys ``qty`` for pool-1 in the ``buy`` cycles and sells it in the ``sell`` cycles."""

    name = "script"

    def __init__(self, buy: tuple[int, ...] = (), sell: tuple[int, ...] = (), qty: str = "0.01"):
        super().__init__()
        self.buy, self.sell, self.qty = buy, sell, Decimal(qty)
        self.seen: list[Cycle] = []

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        current = ctx.cycle
        assert current is not None and current.number == cycle
        self.seen.append(current)
        pool = current.pools[0]
        if cycle in self.buy:
            current.buy(pool, self.qty, reason="script")
        if cycle in self.sell:
            current.sell(pool, reason="script")


def flat(*prices: float) -> PricePath:
    return PricePath(np.array(prices, dtype=np.float64), spread_bps=0.0)


def names_of_cycle(sim: BotSimulation, number: int) -> list[str]:
    names: list[str] = []
    inside = False
    for message in sim.messages:
        if isinstance(message, BotMonitoringCycleStarted):
            inside = message.cycle_number == number
        if inside:
            names.append(type(message).__name__)
        if isinstance(message, BotMonitoringCycleCompleted) and message.cycle_number == number:
            break
    return names


def test_a_cycle_without_orders_publishes_the_original_chain_in_order() -> None:
    sim = BotSimulation(Script(), flat(100, 101, 102), record=True)
    sim.run(2)
    assert names_of_cycle(sim, 1) == [
        "BotMonitoringCycleStarted",
        "FetchPrice",
        "MarketPriceFetched",
        "CapitalRefreshed",
        "OpenedPositionsQueried",
        "IndicatorsCalculated",
        "DecisionContextReady",
        "BotMonitoringCycleCompleted",
    ]


def test_a_buying_then_selling_cycle_publishes_the_chain_through_the_gateway() -> None:
    sim = BotSimulation(Script(buy=(1,), sell=(2,), qty="0.5"), flat(100, 100, 110), record=True)
    sim.run(2)
    assert names_of_cycle(sim, 1) == [
        "BotMonitoringCycleStarted",
        "FetchPrice",
        "MarketPriceFetched",
        "CapitalRefreshed",
        "OpenedPositionsQueried",
        "IndicatorsCalculated",
        "DecisionContextReady",
        "BuyConditionMet",
        "SubmitOrder",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "PositionOpened",
        "PositionPurchased",
        "BotMonitoringCycleCompleted",
    ]
    assert [n for n in names_of_cycle(sim, 2) if n in BOT_EVENTS] == [
        "BotMonitoringCycleStarted",
        "MarketPriceFetched",
        "CapitalRefreshed",
        "OpenedPositionsQueried",
        "IndicatorsCalculated",
        "DecisionContextReady",
        "SellConditionMet",
        "PositionSold",
        "BotMonitoringCycleCompleted",
    ]


def test_fills_are_booked_to_the_pool_with_exact_money() -> None:
    sim = BotSimulation(Script(buy=(1,), sell=(2,), qty="0.5"), flat(100, 100, 110), record=True)
    report = sim.run(2)
    bought = [m for m in sim.messages if isinstance(m, PositionPurchased)]
    sold = [m for m in sim.messages if isinstance(m, PositionSold)]
    assert [(b.pool, b.purchase_price, b.quantity, b.cycle_id) for b in bought] == [
        ("pool-1", Decimal("100.00"), Decimal("0.5"), "1")
    ]
    # taker fee 0.05 %: bought 50.00 + 0.025 fee; sold 55.00 - 0.0275 fee
    assert [(s.sale_price, s.quantity, s.profit) for s in sold] == [
        (Decimal("110.00"), Decimal("0.5"), Decimal("4.9475"))
    ]
    pool = sim.runner.pools[0]
    assert (pool.quantity, pool.capital, pool.realized_pnl) == (
        Decimal(0),
        Decimal("2004.9475"),
        Decimal("4.9475"),
    )
    assert (report.purchases_by_cycle, report.sales_by_cycle) == ([1], [2])
    capital = [m.available_capital for m in sim.messages if isinstance(m, CapitalRefreshed)]
    assert capital == [Decimal(10_000), Decimal("9949.975")]
    opened = [m.positions for m in sim.messages if isinstance(m, OpenedPositionsQueried)]
    assert opened[0] == ()
    assert [(p.pool, p.quantity, p.purchase_price) for p in opened[1]] == [
        ("pool-1", Decimal("0.5"), Decimal("100.05"))
    ]


def test_cycle_n_sees_market_step_n_and_starts_at_n_poll_intervals() -> None:
    path = generate("flash_crash", 41, 3)
    sim = BotSimulation(Script(), path, config=BotConfig(poll_interval=30), record=True)
    start = sim.simulator.now()
    sim.run(40)
    fetched = [m for m in sim.messages if isinstance(m, MarketPriceFetched)]
    assert [int(m.cycle_id) for m in fetched] == list(range(1, 41))
    assert [m.current_price for m in fetched] == [path.price_at(k, "0.01") for k in range(1, 41)]
    started = [m for m in sim.messages if isinstance(m, BotMonitoringCycleStarted)]
    assert [m.ts for m in started] == [start + k * 30 * SECOND for k in range(1, 41)]
    assert [m.cycle_number for m in started] == list(range(1, 41))


def test_duration_is_virtual_time_from_start_to_the_last_fill() -> None:
    latency = {"fetch": 250 * MILLISECOND, "submit": 100 * MILLISECOND}
    sim = BotSimulation(
        Script(buy=(2,)),
        flat(100, 100, 100, 100),
        exchange_config=SimulatedExchangeConfig(latency=latency, candles_history=0),
        record=True,
    )
    sim.run(3)
    done = [m for m in sim.messages if isinstance(m, BotMonitoringCycleCompleted)]
    assert [(m.cycle_number, m.duration_ms) for m in done] == [(1, 250), (2, 350), (3, 250)]


def test_a_failed_price_fetch_skips_the_decisions_and_the_bot_keeps_running() -> None:
    strategy = Script()
    sim = BotSimulation(strategy, flat(100, 100, 100, 100, 100), record=True)
    t0 = sim.simulator.now()
    sim.exchange.faults.outage(t0 + 2 * 60 * SECOND, t0 + 3 * 60 * SECOND + 1)
    report = sim.run(4)
    assert names_of_cycle(sim, 2) == [
        "BotMonitoringCycleStarted",
        "FetchPrice",
        "MarketPriceFetchFailed",
        "BotMonitoringCycleCompleted",
    ]
    assert [c.number for c in strategy.seen] == [1, 4]
    assert (report.cycles, report.failed_fetches) == (4, 2)
    assert sum(isinstance(m, DecisionContextReady) for m in sim.messages) == 2


def test_indicators_carry_rsi_and_macd_with_signals() -> None:
    path = generate("flash_crash", 31, 1)
    sim = BotSimulation(Script(), path, record=True)
    sim.run(30)
    calculated = [m for m in sim.messages if isinstance(m, IndicatorsCalculated)]
    assert [i.name for i in calculated[0].indicators] == ["RSI", "MACD"]
    assert calculated[0].indicators[0].value is None  # warming up
    assert calculated[-1].candles_count == 30
    crash = calculated[19]  # cycle 20: the price fell 15 %
    assert crash.indicators[0].value is not None and crash.indicators[0].value < 30
    assert crash.indicators[0].buy_signal is True


@pytest.mark.parametrize(("on_error", "cycles"), [("continue", 10), ("stop", 5)])
def test_a_user_strategy_error_is_reported_with_its_cycle(on_error: str, cycles: int) -> None:
    strategy = FailsInCycleFive()
    config = BotConfig(on_error=on_error)  # type: ignore[arg-type]
    sim = BotSimulation(strategy, generate("sideways", 11, 1), config=config, record=True)
    report = sim.run(10)
    failures = [m for m in sim.messages if isinstance(m, StrategyFailed)]
    assert [(f.strategy, f.hook, f.cycle, f.error_type) for f in failures] == [
        ("fails_in_5", "on_cycle", 5, "ZeroDivisionError")
    ]
    assert failures[0].stopped is (on_error == "stop")
    assert report.cycles == cycles
    assert report.error_cycles == [5]
    assert "cycle 5" in report.errors[0]
    assert strategy.stopped is True  # on_stop ran either way
    if on_error == "stop":
        assert report.stopped == STOPPED_BY_ERROR
        assert strategy.cycles == [1, 2, 3, 4]
        assert not sim.simulator.clock.has_timer("bot:bot:cycle")
    else:
        assert strategy.cycles == [1, 2, 3, 4, 6, 7, 8, 9, 10]


def test_dry_run_sends_no_order() -> None:
    sim = BotSimulation(
        Script(buy=(1,)), flat(100, 100), config=BotConfig(dry_run=True), record=True
    )
    report = sim.run(1)
    assert not any(isinstance(m, SubmitOrder) for m in sim.messages)
    assert report.purchases_by_cycle == []
    assert [(o.side, o.quantity) for o in sim.runner.executor.intended] == [
        ("BUY", Decimal("0.01"))
    ]


def test_a_denied_order_frees_the_pool_and_completes_the_cycle() -> None:
    sim = BotSimulation(Script(buy=(1, 2), qty="0.000001"), flat(100, 100, 100), record=True)
    report = sim.run(2)  # below the BTC/USDT step: refused by the executor, never sent
    assert report.cycles == 2 and report.purchases_by_cycle == []
    assert not sim.runner._busy
    sim2 = BotSimulation(Script(buy=(1,), qty="0.01"), flat(100, 100), record=True)
    report2 = sim2.run(1)  # notional 1 USDT < min notional 5: rejected by the venue
    assert report2.purchases_by_cycle == [] and report2.cycles == 1
    assert "OrderRejected" in names_of_cycle(sim2, 1)
    assert not sim2.runner._busy


def test_on_a_live_clock_the_cycle_reacts_to_a_venue_answering_later() -> None:
    async def scenario() -> list[str]:
        clock = LiveClock()
        bus = EventBus(clock)
        names: list[str] = []
        bus.subscribe("*", lambda m: names.append(type(m).__name__))
        prices = iter(["100", "101", "102"])

        def fetch(command: FetchPrice) -> None:
            async def answer() -> None:
                await asyncio.sleep(0.001)  # the venue I/O, off the bus
                price = Decimal(next(prices))
                bus.publish(
                    MarketPriceFetched(
                        ts=clock.now(),
                        cycle_id=command.cycle_id,
                        pair=command.symbol,
                        current_price=price,
                        current_buy_price=price,
                        current_sell_price=price,
                    )
                )

            tasks.append(asyncio.get_running_loop().create_task(answer()))

        tasks: list[asyncio.Task[None]] = []
        bus.register(FetchPrice, fetch)
        config = BotConfig(poll_interval=0.2, max_cycles=3)
        runner = BotRunner(bus, clock, Script(), default_registry(), config=config)
        done = asyncio.Event()
        bus.subscribe(BotMonitoringCycleCompleted, lambda _: runner.running or done.set())
        runner.start()
        await asyncio.wait_for(done.wait(), timeout=5)
        return names

    names = asyncio.run(scenario())
    assert names.count("BotMonitoringCycleStarted") == 3
    assert names.count("BotMonitoringCycleCompleted") == 3
    assert names[:8] == [
        "BotMonitoringCycleStarted",
        "FetchPrice",
        "MarketPriceFetched",
        "CapitalRefreshed",
        "OpenedPositionsQueried",
        "IndicatorsCalculated",
        "DecisionContextReady",
        "BotMonitoringCycleCompleted",
    ]


def test_two_bots_on_one_bus_each_take_only_their_own_pair() -> None:
    sim = Simulator()
    bus = EventBus(sim.clock)
    prices = {"BTC/USDT": Decimal("50000.00"), "ETH/USDT": Decimal("3000.00")}

    def fetch(command: FetchPrice) -> None:
        price = prices[command.symbol]
        bus.publish(
            MarketPriceFetched(
                ts=sim.clock.now(),
                cycle_id=command.cycle_id,
                pair=command.symbol,
                current_price=price,
                current_buy_price=price,
                current_sell_price=price,
            )
        )

    bus.register(FetchPrice, fetch)
    strategies = {pair: Script() for pair in prices}
    runners = [
        BotRunner(
            bus,
            sim.clock,
            strategies[pair],
            default_registry(),
            config=BotConfig(name=f"bot-{pair}", symbol=pair, max_cycles=3),
        )
        for pair in prices
    ]
    for runner in runners:
        runner.start()
    sim.run_for(10 * 60 * SECOND)
    assert [r.report.cycles for r in runners] == [3, 3]
    for pair, strategy in strategies.items():
        assert [c.current_price for c in strategy.seen] == [prices[pair]] * 3
