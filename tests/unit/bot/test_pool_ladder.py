"""The pool ladder: entries, DCA, take profit, trailing stop, stop loss, no panic selling."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError

from riskbus.bot.runner import BotConfig, BotSimulation
from riskbus.bot.strategies import BUILTIN_STRATEGIES, resolve_strategy
from riskbus.bot.strategies.pool_ladder import PoolLadder, PoolLadderConfig
from riskbus.core.errors import BadInputError
from riskbus.market import PricePath, generate
from riskbus.model.events.bot import PositionPurchased, PositionSold, SellConditionMet
from tests.stubs import D


def path(*prices: float) -> PricePath:
    return PricePath(np.array(prices, dtype=np.float64), spread_bps=0.0)


def ladder(**config: object) -> PoolLadder:
    return PoolLadder(PoolLadderConfig(entry_signal="always", **config))  # type: ignore[arg-type]


def run(strategy: PoolLadder, market: PricePath, cycles: int, pools: int = 1) -> BotSimulation:
    sim = BotSimulation(
        strategy, market, config=BotConfig(pool_count=pools, initial_capital=D(4000)), record=True
    )
    sim.run(cycles)
    return sim


def of(sim: BotSimulation, kind: type) -> list:  # type: ignore[type-arg]
    return [m for m in sim.messages if isinstance(m, kind)]


def test_config_is_typed_and_forbids_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="extra"):
        PoolLadderConfig(take_profitt=0.1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        PoolLadderConfig(dca_step=D(2))
    assert PoolLadder(params={"take_profit": "0.05"}).config.take_profit == D("0.05")
    assert PoolLadder().config == PoolLadderConfig()


def test_builtin_names_and_user_paths_resolve() -> None:
    assert resolve_strategy("pool_ladder") is PoolLadder
    assert set(BUILTIN_STRATEGIES) >= {"pool_ladder", "ma_cross"}
    cls = resolve_strategy("tests.unit.bot.user_strategies:FailsInCycleFive")
    assert cls.strategy_name() == "fails_in_5"
    with pytest.raises(BadInputError, match="unknown strategy 'nope'"):
        resolve_strategy("nope")


def test_entry_buys_one_rung_and_sets_the_targets_from_the_average_cost() -> None:
    sim = run(ladder(max_entries=4), path(100, 100, 100), 1)
    (bought,) = of(sim, PositionPurchased)
    # 4000 / 4 rungs = 1000; 1000 / (100 * 1.001) = 9.99000999 -> 9.99000 (step 0.00001)
    assert (bought.purchase_price, bought.quantity) == (D("100.00"), D("9.99000"))
    pool = sim.runner.pools[0]
    assert pool.cost == D("999.000") + D("0.4995000")  # + 0.05 % fee
    assert pool.expected_sale_price == D("102.05100000")  # average 100.05 × 1.02
    assert pool.next_purchase_price == D("98.00000000")  # last purchase × 0.98
    assert pool.entries == 1 and pool.opened_cycle == 1


def test_dca_buys_at_the_next_purchase_price_until_max_entries() -> None:
    sim = run(ladder(max_entries=3), path(100, 100, 98, 97, 96, 90, 80), 6)
    bought = of(sim, PositionPurchased)
    # 98 <= 100 x 0.98; 97 > 96.04 = 98 x 0.98; 96 <= 96.04; then max_entries
    assert [(b.purchase_price, b.cycle_id) for b in bought] == [
        (D(100), "1"),
        (D(98), "2"),
        (D(96), "4"),
    ]
    pool = sim.runner.pools[0]
    assert pool.entries == 3 and pool.capital < D(1)
    assert of(sim, PositionSold) == []


def test_take_profit_sells_the_whole_ladder_once_the_sale_price_is_reached() -> None:
    sim = run(ladder(), path(100, 100, 101, 102, 102.06, 103), 5)
    (sold,) = of(sim, PositionSold)
    assert (sold.cycle_id, sold.sale_price, sold.quantity) == ("4", D("102.06"), D("9.99000"))
    assert sold.profit == D("9.99000") * D("102.06") * (1 - D("0.0005")) - D("999.4995")
    pool = sim.runner.pools[0]
    assert (pool.sales, pool.realized_pnl) == (1, sold.profit)
    assert [b.cycle_id for b in of(sim, PositionPurchased)] == ["1", "5"]  # free again
    assert (pool.entries, pool.opened_cycle) == (1, 5)  # a new ladder


def test_trailing_stop_only_ever_raises_the_sale_price_then_sells_on_the_way_down() -> None:
    prices = (100, 100, 103, 106, 105, 110, 108, 107, 106)
    strategy = ladder(trailing_stop=D("0.02"))
    sim = BotSimulation(strategy, path(*prices), config=BotConfig(pool_count=1), record=True)
    targets: list[Decimal | None] = []
    sim.bus.subscribe(
        "BotMonitoringCycleCompleted",
        lambda _: targets.append(sim.runner.pools[0].expected_sale_price),
    )
    sim.run(8)
    armed = targets[1:6]  # cycles 2-6, armed from cycle 2 (103 ≥ 102.05)
    assert armed == sorted(armed)  # never lowered
    assert armed == [
        D("102.05100000"),  # 103 × 0.98 = 100.94 would lower it: kept
        D("103.88000000"),  # 106 × 0.98
        D("103.88000000"),  # 105: 102.9 is lower: kept
        D("107.80000000"),  # 110 × 0.98
        D("107.80000000"),  # 108 > 107.8: hold
    ]
    (sold,) = of(sim, PositionSold)
    assert (sold.cycle_id, sold.sale_price) == ("7", D(107))  # 107 ≤ 107.8
    conditions = of(sim, SellConditionMet)
    assert [c.cycle_id for c in conditions] == ["7"]


def test_no_panic_selling_in_a_crash_without_a_stop_loss() -> None:
    crash = path(100, 100, 70, 60, 55, 50, 52)
    sim = run(ladder(max_entries=2), crash, 6)
    assert of(sim, PositionSold) == []
    assert [b.purchase_price for b in of(sim, PositionPurchased)] == [D(100), D(70)]


def test_a_configured_stop_loss_sells_the_ladder() -> None:
    crash = path(100, 100, 70, 60, 55, 50, 52)
    sim = run(ladder(max_entries=1, stop_loss=D("0.25")), crash, 6)
    (sold,) = of(sim, PositionSold)
    assert (sold.cycle_id, sold.sale_price) == ("2", D(70))  # 70 ≤ 100.05 × 0.75
    assert sold.profit < 0


def test_one_new_pool_per_cycle_and_only_on_the_entry_signal() -> None:
    sim = run(ladder(), path(*([100] * 6)), 5, pools=3)
    assert [(b.pool, b.cycle_id) for b in of(sim, PositionPurchased)] == [
        ("pool-1", "1"),
        ("pool-2", "2"),
        ("pool-3", "3"),
    ]
    quiet = run(PoolLadder(), path(*([100] * 6)), 5, pools=3)
    assert of(quiet, PositionPurchased) == []  # a flat market gives no RSI/MACD buy signal


def test_flash_crash_buys_in_the_crash_and_does_not_sell_in_it() -> None:
    sim = BotSimulation(PoolLadder(), generate("flash_crash", 61, 1), seed=1)
    report = sim.run(60)
    in_crash = [c for c in report.purchases_by_cycle if 20 <= c <= 30]
    assert in_crash == [20, 21, 22, 23, 24, 26]
    assert [c for c in report.sales_by_cycle if 20 <= c <= 30] == []
    assert report.sales_by_cycle == [33, 33, 34, 34, 34]  # sold in the recovery


def test_bull_run_ends_with_a_profit() -> None:
    sim = BotSimulation(PoolLadder(), generate("bull_run", 101, 1), seed=1)
    report = sim.run(100)
    assert report.final_capital > report.initial_capital
    assert len(report.sales_by_cycle) >= 1
