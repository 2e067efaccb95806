"""Scenarios: the flash-crash-recovery example, and 100,000 cycles with chaos.

Targets (ARCHITECTURE §7, issue F6): the original flash-crash scenario (50 cycles, chaos,
assertions) ≤ 20 ms wall; 100,000 bot cycles with chaos ≤ 3 s wall: in every 1,000 cycles
an outage, a dropped-event window, delayed prices, network latency, a failed fetch and a
rejected order (600 fault windows, each started and healed), with the invariants on.
Both are timed from a loaded scenario to the results
dict (world built, steps run, assertions and invariants checked, results filled).

``python benchmarks/bench_scenarios.py [--quick]`` prints the table.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, print_table
from riskbus.scenarios.runner import ScenarioRunner
from riskbus.scenarios.schema import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent
FLASH = ROOT / "examples" / "scenarios" / "flash_crash_recovery.scenario.yaml"

LONG = """
name: long run with chaos
seed: 11
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
  bot:
    params: {entry_signal: always}
chaos:
CHAOS
steps:
  - wait_for_cycles: CYCLES
  - assert:
      event_count:
        BotMonitoringCycleStarted: {exact: CYCLES}
        FaultStarted: {min: 1}
"""

#: Faults in every block of 1,000 cycles (offsets in the block): 27 of its cycles are
#: under a fault, all six kinds start and heal, and a window ends every few hundred cycles.
BLOCK = (
    "  - {type: exchange_outage, at_cycle: %d, duration_cycles: 2}",
    "  - {type: drop_event, event: IndicatorsCalculated, probability: 0.5, at_cycle: %d,"
    " duration_cycles: 5}",
    "  - {type: delay_event, event: MarketPriceFetched, delay_ms: 2000, at_cycle: %d,"
    " duration_cycles: 3}",
    "  - {type: network_latency, min_delay_ms: 100, max_delay_ms: 900, at_cycle: %d,"
    " duration_cycles: 10}",
    "  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: %d}",
    "  - {type: reject_orders, at_cycle: %d, count: 1, duration_cycles: 6}",
)
OFFSETS = (100, 300, 500, 700, 900, 950)


def long_scenario(cycles: int) -> str:
    """The long scenario's YAML for ``cycles`` cycles, with a chaos block per 1,000."""
    lines = [
        line % (start + offset)
        for start in range(0, cycles - 999, 1000)
        for line, offset in zip(BLOCK, OFFSETS, strict=True)
    ]
    return LONG.replace("CHAOS", "\n".join(lines)).replace("CYCLES", str(cycles))


def _timed(run: object, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        results = run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
        assert results["status"] == "passed", results["assertions"]
    return statistics.median(times), times


def run(quick: bool = False) -> list[Row]:
    """Time both scenarios; return the rows."""
    logging.disable(logging.WARNING)
    try:
        flash = load_scenario(FLASH)
        ScenarioRunner(flash).run()  # warm-up: imports, caches
        median, times = _timed(lambda: ScenarioRunner(flash).run(), 5 if quick else 21)
        rows: list[Row] = [
            {
                "name": "scenario flash_crash_recovery (50 cycles, chaos, assertions)",
                "value": median * 1000,
                "unit": "ms",
                "target": 20.0,
                "lower_is_better": True,
                "spread": (min(times) * 1000, max(times) * 1000),
            }
        ]
        cycles = 20_000 if quick else 100_000
        long = parse_scenario(long_scenario(cycles), source="<bench>")
        repeats = 1 if quick else 3
        median, times = _timed(lambda: ScenarioRunner(long, timeline=False).run(), repeats)
        rows.append(
            {
                "name": f"scenario {cycles:,} cycles with chaos",
                "value": median,
                "unit": "s",
                "target": 3.0 * cycles / 100_000,
                "lower_is_better": True,
                "spread": (min(times), max(times)),
            }
        )
        return rows
    finally:
        logging.disable(logging.NOTSET)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 20,000 cycles")
    args = parser.parse_args()
    print_table("scenarios", run(quick=args.quick))
