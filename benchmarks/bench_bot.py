"""Bot: the pool ladder's monitoring cycle, full event chain, in virtual time (medians).

Target (issue F3): the pool ladder over 100,000 cycles in ≤ 2 s wall, each cycle the whole
chain: timer → BotMonitoringCycleStarted → FetchPrice → simulated venue →
MarketPriceFetched → CapitalRefreshed → OpenedPositionsQueried → IndicatorsCalculated →
DecisionContextReady → strategy → (BuyConditionMet/SellConditionMet → SubmitOrder →
OrderGateway → venue → OrderFilled → PositionPurchased/PositionSold) →
BotMonitoringCycleCompleted. ``gbm`` is a random walk (few trades); ``sideways`` is the
trade-heavy case (a ±2 % sine: about one order every five cycles). The time excludes
generating the path and wiring. Run: ``python benchmarks/bench_bot.py [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, print_table
from riskbus.bot.simulation import BotSimulation
from riskbus.bot.strategies.pool_ladder import PoolLadder
from riskbus.market import generate

CYCLES = 100_000


def bench_ladder(market: str, cycles: int) -> tuple[float, float, int]:
    """Run the pool ladder ``cycles`` cycles over ``market``; return (wall s, CPU s, orders).

    The CPU time is reported too because a loaded machine stretches the wall time.
    """
    path = generate(market, cycles + 1, 1)
    sim = BotSimulation(PoolLadder(), path, seed=1)
    start, cpu = time.perf_counter(), time.process_time()
    report = sim.run(cycles)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.cycles == cycles
    return elapsed, cpu, len(report.purchases_by_cycle) + len(report.sales_by_cycle)


def run(quick: bool = False) -> list[Row]:
    """Quick mode runs 25,000 cycles and scales the time to 100,000."""
    cycles = 25_000 if quick else CYCLES
    repeats = 1 if quick else 3
    scale = CYCLES / cycles
    rows: list[Row] = []
    for market, target in (("gbm", 2.0), ("sideways", None)):
        runs = [bench_ladder(market, cycles) for _ in range(repeats)]
        times = [seconds * scale for seconds, _, _ in runs]
        cpu = [seconds * scale for _, seconds, _ in runs]
        orders = runs[0][2]
        median = statistics.median(times)
        rows.append(
            {
                "name": f"pool ladder, 100k cycles, {market} ({orders * scale:.0f} orders)",
                "value": median,
                "unit": "s",
                "target": target,
                "lower_is_better": True,
                "spread": (min(times), max(times)),
            }
        )
        rows.append(
            {
                "name": f"pool ladder, 100k cycles, {market}, CPU time",
                "value": statistics.median(cpu),
                "unit": "s",
                "lower_is_better": True,
                "spread": (min(cpu), max(cpu)),
            }
        )
        rows.append(
            {
                "name": f"pool ladder, {market}, µs per cycle",
                "value": median / CYCLES * 1e6,
                "unit": "µs",
                "lower_is_better": True,
                "spread": (min(times) / CYCLES * 1e6, max(times) / CYCLES * 1e6),
            }
        )
    return rows


if __name__ == "__main__":
    print_table(__doc__.strip().splitlines()[0], run(quick="--quick" in sys.argv))
