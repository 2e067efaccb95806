"""Sweeps: throughput (runs/min) of the flash-crash example on 1 and 2 workers.

Target (issue F9): 200 runs at least 1.8× faster on 2 workers than on 1. Each sample is
one whole ``run_sweep`` of seeds 1..200 of ``examples/scenarios/flash_crash_recovery``:
scenario validation, the runs, the aggregation; on 2 workers also the pool's start
(forked, riskbus already imported) and shutdown. 1 worker runs in this process. The two
are alternated so that a load spike on the shared machine hits both; the ratio is of the
medians. The results of both are checked to be identical. The CPU seconds of each sweep
(this process plus its pool's workers) show the pool's own overhead: when they are about
equal and the speed-up is still short of 2×, the missing share went to other processes on
the machine, not to the pool.

``python benchmarks/bench_sweep.py [--quick] [--runs N]`` prints the table.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, print_table
from riskbus.scenarios.sweep import run_sweep

ROOT = Path(__file__).resolve().parent.parent
FLASH = ROOT / "examples" / "scenarios" / "flash_crash_recovery.scenario.yaml"


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _sweep(runs: int, workers: int, cpu: list[float]) -> tuple[float, dict[str, Any]]:
    start, start_cpu = time.perf_counter(), _cpu()
    data = run_sweep([FLASH], list(range(1, runs + 1)), workers=workers)
    cpu.append(_cpu() - start_cpu)
    return time.perf_counter() - start, data


def run(quick: bool = False, runs: int = 200) -> list[Row]:
    """Time the sweep on 1 and 2 workers; return the rows (runs/min and the speed-up)."""
    logging.disable(logging.WARNING)
    try:
        cpu1: list[float] = []
        cpu2: list[float] = []
        _sweep(10, 1, [])  # warm-up: imports, caches
        repeats = 3 if quick else 7
        one: list[float] = []
        two: list[float] = []
        for _ in range(repeats):
            seconds, alone = _sweep(runs, 1, cpu1)
            one.append(seconds)
            seconds, pooled = _sweep(runs, 2, cpu2)
            two.append(seconds)
            same = {k: v for k, v in alone.items() if k != "execution"} == {
                k: v for k, v in pooled.items() if k != "execution"
            }
            assert same, "1 and 2 workers gave different results"
        t1, t2 = statistics.median(one), statistics.median(two)
        return [
            {
                "name": f"sweep flash_crash_recovery, {runs} runs, 1 worker",
                "value": runs / t1 * 60,
                "unit": "runs/min",
                "spread": (runs / max(one) * 60, runs / min(one) * 60),
            },
            {
                "name": f"sweep flash_crash_recovery, {runs} runs, 2 workers",
                "value": runs / t2 * 60,
                "unit": "runs/min",
                "spread": (runs / max(two) * 60, runs / min(two) * 60),
            },
            {
                "name": "speed-up 2 workers vs 1 (median wall times)",
                "value": t1 / t2,
                "unit": "×",
                "target": 1.8,
                "spread": (min(one) / max(two), max(one) / min(two)),
            },
            {
                "name": "CPU seconds per sweep, 1 worker (this process)",
                "value": statistics.median(cpu1),
                "unit": "s",
                "spread": (min(cpu1), max(cpu1)),
            },
            {
                "name": "CPU seconds per sweep, 2 workers (this process + workers)",
                "value": statistics.median(cpu2),
                "unit": "s",
                "spread": (min(cpu2), max(cpu2)),
            },
        ]
    finally:
        logging.disable(logging.NOTSET)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--runs", type=int, default=200, help="runs per sweep (default 200)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print_table("sweep throughput", run(quick=args.quick, runs=args.runs))
    print(
        f"load average after: {os.getloadavg()[0]:.2f} (other work on the machine shares the cores)"
    )
