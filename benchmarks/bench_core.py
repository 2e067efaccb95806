"""Core: bus publish, simulator timers, event construction (medians of 5).

Targets (issue F1): bus publish with event construction and 1 handler ≥ 1.5M events/s;
simulator timer firings ≥ 1M/s. Run: ``python benchmarks/bench_core.py``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, median_rate, print_table
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Event


class PriceTicked(Event, frozen=True, kw_only=True):
    symbol: str
    bid: Decimal
    ask: Decimal
    size: Decimal
    venue: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceTickedDC:
    ts: int
    symbol: str
    bid: Decimal
    ask: Decimal
    size: Decimal
    venue: str


def bench_publish(handlers: int, n: int) -> int:
    bus = EventBus()
    sink = [0]

    def handler(message: PriceTicked) -> None:
        sink[0] += 1

    for _ in range(handlers):
        bus.subscribe(PriceTicked, handler)
    bid, ask, size = Decimal("100.25"), Decimal("100.50"), Decimal("3")
    publish = bus.publish
    for i in range(n):
        publish(PriceTicked(ts=i, symbol="BTC/USDT", bid=bid, ask=ask, size=size, venue="SIM"))
    assert sink[0] == n * handlers
    return n


def bench_timers(n: int) -> int:
    sim = Simulator(start=0)
    count = [0]

    def tick() -> None:
        count[0] += 1

    per_timer = n // 10
    for k in range(10):
        sim.clock.set_timer(f"t{k}", 7 + k, tick, stop=(7 + k) * per_timer)
    sim.run()
    return count[0]


def bench_construct(kind: str, n: int) -> int:
    bid, ask, size = Decimal("100.25"), Decimal("100.50"), Decimal("3")
    cls = PriceTicked if kind == "msgspec" else PriceTickedDC
    for i in range(n):
        cls(ts=i, symbol="BTC/USDT", bid=bid, ask=ask, size=size, venue="SIM")
    return n


def run(quick: bool = False) -> list[Row]:
    n = 100_000 if quick else 400_000
    repeats = 3 if quick else 5
    rows: list[Row] = []
    for handlers, target in ((1, 1_500_000), (5, None)):
        median, rates = median_rate(lambda h=handlers: bench_publish(h, n), repeats)
        rows.append(
            {
                "name": f"bus publish + construct, {handlers} handler(s)",
                "value": median,
                "unit": "events/s",
                "target": target,
                "spread": (min(rates), max(rates)),
            }
        )
    median, rates = median_rate(lambda: bench_timers(n), repeats)
    rows.append(
        {
            "name": "simulator timer firings",
            "value": median,
            "unit": "firings/s",
            "target": 1_000_000,
            "spread": (min(rates), max(rates)),
        }
    )
    for kind in ("msgspec", "dataclass-frozen-slots"):
        median, rates = median_rate(lambda k=kind: bench_construct(k, n), repeats)
        rows.append(
            {
                "name": f"event construction ({kind}), ns each",
                "value": 1e9 / median,
                "unit": "ns",
                "lower_is_better": True,
                "spread": (1e9 / max(rates), 1e9 / min(rates)),
            }
        )
    return rows


if __name__ == "__main__":
    print_table(__doc__.strip().splitlines()[0], run(quick="--quick" in sys.argv))
