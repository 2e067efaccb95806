"""Shared helpers for the benchmarks: timing medians and one table format.

Every benchmark module exposes ``run(quick: bool = False) -> list[dict]``; each row has
``name``, ``value`` (higher is better unless ``lower_is_better``), ``unit``, and optionally
``target`` and ``peer``/``peer_value`` for ratios against peers. ``print_table`` renders the
rows with the ratio to the target (≥ 1.00 means the target is met).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def median_rate(work: Callable[[], int], repeats: int = 5) -> tuple[float, list[float]]:
    """Run ``work`` (which returns how many operations it did) ``repeats`` times.

    Returns the median operations per second and all the rates.
    """
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        count = work()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates), rates


def median_seconds(work: Callable[[], object], repeats: int = 5) -> tuple[float, list[float]]:
    """Return the median wall time of ``work`` in seconds, and all the timings."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def fmt(value: float) -> str:
    """Format a number compactly (1.23M, 456.7k, 0.0123)."""
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{value / 1e3:.1f}k"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.4g}"


def ratio(row: Row) -> str:
    """The ratio of the value to the target, oriented so that ≥ 1 meets it."""
    target = row.get("target")
    if not target:
        return ""
    value = row["value"]
    r = target / value if row.get("lower_is_better") else value / target
    return f"{r:.2f}×"


def print_table(title: str, rows: list[Row]) -> None:
    """Print ``rows`` as an aligned plain-text table under ``title``."""
    headers = ["benchmark", "median", "unit", "target", "vs target", "spread"]
    body = []
    for row in rows:
        target = row.get("target")
        sign = "≤ " if row.get("lower_is_better") else "≥ "
        spread = row.get("spread")
        body.append(
            [
                row["name"],
                fmt(row["value"]),
                row["unit"],
                sign + fmt(target) if target else "",
                ratio(row),
                f"[{fmt(spread[0])}..{fmt(spread[1])}]" if spread else "",
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *body, strict=False)]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for cells in body:
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))
