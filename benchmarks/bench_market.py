"""Price-path generation speed: every scenario must make at least 5M steps per second.

Each scenario generates ``STEPS`` steps as 100 seeded paths of 50,000 steps (per-call
overhead included: validation, seeding, the range check), five times; the median time
gives steps/s. A last row times the synthetic OHLCV candles of one 5M-step flash-crash
path. Run it with
``.venv/bin/python benchmarks/bench_market.py`` (``--quick`` for a short smoke run), or
call :func:`run` from ``benchmarks/run_all.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from riskbus.market import generate, scenario_names

STEPS = 5_000_000
QUICK_STEPS = 500_000
PATH_STEPS = 50_000  # trends compound out of the float range in longer paths (bull_run ~350k)
REPEATS = 5
TARGET = 5_000_000.0  # steps per second


def _median_seconds(work: Callable[[], object], repeats: int) -> float:
    work()  # warm up (imports, first allocation)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()  # wall-clock ok: a benchmark
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def run(quick: bool = False) -> list[dict[str, object]]:
    """Time every scenario and the candles; return one row per measurement.

    Each row has ``name``, ``steps``, ``steps_per_s`` (median of 5, also as ``value`` with
    ``unit`` for ``benchmarks/run_all.py``), ``target``, ``ratio`` (steps_per_s / target)
    and ``ok``.
    """
    steps = QUICK_STEPS if quick else STEPS
    repeats = 3 if quick else REPEATS
    paths = steps // PATH_STEPS

    def paths_of(name: str) -> Callable[[], object]:
        return lambda: [generate(name, PATH_STEPS, seed) for seed in range(paths)]

    jobs = [(name, paths_of(name)) for name in scenario_names()]
    crash = generate("flash_crash", steps, 1)
    jobs.append(("candles (flash_crash OHLCV)", crash.ohlcv))
    rows: list[dict[str, object]] = []
    for name, work in jobs:
        rate = steps / _median_seconds(work, repeats)
        rows.append(
            {
                "name": name,
                "steps": steps,
                "steps_per_s": rate,
                "value": rate,
                "unit": "steps/s",
                "target": TARGET,
                "ratio": rate / TARGET,
                "ok": rate >= TARGET,
            }
        )
    return rows


def _print(rows: list[dict[str, object]]) -> None:
    print(f"{'name':<28} {'steps/s (median of 5)':>22} {'target':>12} {'ratio':>8}")
    for row in rows:
        rate, target, ratio = row["steps_per_s"], row["target"], row["ratio"]
        assert isinstance(rate, float) and isinstance(target, float) and isinstance(ratio, float)
        flag = "" if row["ok"] else "  BELOW TARGET"
        print(f"{row['name']!s:<28} {rate:>22,.0f} {target:>12,.0f} {ratio:>7.1f}x{flag}")


def main(argv: list[str]) -> int:
    """Print the table; exit 1 if any row is below its target."""
    rows = run(quick="--quick" in argv)
    _print(rows)
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
