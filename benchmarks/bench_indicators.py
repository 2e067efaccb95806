"""Indicators: incremental updates per second for each indicator (medians of 5).

Target (issue F3): an SMA update well under 1 µs (≥ 1M updates/s), as it sits on the hot
path of the 250k bars/s backtest. Each measurement feeds a pre-built list of floats (a
seeded random walk) through ``update`` in a plain loop, loop overhead included; the
"baseline" row is the same loop calling nothing. Run: ``python benchmarks/bench_indicators.py``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, median_rate, print_table
from riskbus.indicators import ATR, EMA, MACD, RSI, SMA, BollingerBands, CrossTracker


def _closes(n: int) -> list[float]:
    rng = random.Random(42)
    price, out = 100.0, []
    for _ in range(n):
        price += rng.gauss(0.0, 0.1)
        out.append(price)
    return out


class _Indicator(Protocol):
    def update(self, value: float) -> None: ...


def _single(make: Callable[[], _Indicator], closes: list[float]) -> Callable[[], int]:
    def work() -> int:
        update = make().update
        for close in closes:
            update(close)
        return len(closes)

    return work


def _baseline(closes: list[float]) -> Callable[[], int]:
    def work() -> int:
        for _close in closes:
            pass
        return len(closes)

    return work


def _atr(bars: list[tuple[float, float, float]]) -> Callable[[], int]:
    def work() -> int:
        update = ATR(14).update
        for high, low, close in bars:
            update(high, low, close)
        return len(bars)

    return work


def _sma_cross(closes: list[float]) -> Callable[[], int]:
    """The backtest's per-bar indicator work: SMA(10), SMA(30) and the crossing test."""

    def work() -> int:
        fast, slow, tracker = SMA(10), SMA(30), CrossTracker()
        for close in closes:
            fast.update(close)
            slow.update(close)
            if slow.value is not None and fast.value is not None:
                tracker.update(fast.value, slow.value)
        return len(closes)

    return work


def run(quick: bool = False) -> list[Row]:
    n = 50_000 if quick else 200_000
    repeats = 3 if quick else 5
    closes = _closes(n)
    bars = [(c + 0.05, c - 0.05, c) for c in closes]
    cases: list[tuple[str, Callable[[], int], int | None]] = [
        ("baseline (empty loop)", _baseline(closes), None),
        ("SMA(30).update", _single(lambda: SMA(30), closes), 1_000_000),
        ("EMA(30).update", _single(lambda: EMA(30), closes), None),
        ("RSI(14).update", _single(lambda: RSI(14), closes), None),
        ("MACD(12,26,9).update", _single(MACD, closes), None),
        ("BollingerBands(20,2).update", _single(BollingerBands, closes), None),
        ("ATR(14).update(h, l, c)", _atr(bars), None),
        ("SMA(10)+SMA(30)+crossing, per bar", _sma_cross(closes), 250_000),
    ]
    rows: list[Row] = []
    for name, work, target in cases:
        median, rates = median_rate(work, repeats)
        rows.append(
            {
                "name": name,
                "value": median,
                "unit": "updates/s",
                "target": target,
                "spread": (min(rates), max(rates)),
                "ns_per_update": 1e9 / median,
            }
        )
    return rows


if __name__ == "__main__":
    print_table((__doc__ or "").strip().splitlines()[0], run(quick="--quick" in sys.argv))
