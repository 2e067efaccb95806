"""Exchange: submit → fill throughput of market orders on the simulated exchange.

Zero latency, no faults, one subscriber; each order is accepted, filled in full, booked in
the venue's portfolio and published. Target (issue F2): ≥ 200,000 orders/s.
Run: ``python benchmarks/bench_exchange.py``.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, median_rate, print_table
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Event
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange
from riskbus.market.path import PricePath
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide


def bench_market_orders(n: int) -> int:
    """Submit ``n`` alternating market orders and return ``n``."""
    sim = Simulator()
    bus = EventBus(sim.clock)
    count = [0]

    def on_event(_: Event) -> None:
        count[0] += 1

    bus.subscribe(Event, on_event)
    exchange = SimulatedExchange(
        bus,
        sim.clock,
        Seeds(1),
        default_registry(),
        {"BTC/USDT": PricePath(np.array([100.0]))},
        balances={"USDT": 10**12, "BTC": 10**6},
    )
    orders = [
        SubmitOrder(
            ts=0,
            client_order_id=f"o{k}",
            symbol="BTC/USDT",
            side=OrderSide.BUY if k % 2 else OrderSide.SELL,
            quantity=Decimal(1),
        )
        for k in range(n)
    ]
    for command in orders:
        exchange.submit(command)
    assert count[0] == 2 * n, count[0]
    return n


def run(quick: bool = False) -> list[Row]:
    """Return the benchmark rows (see ``_common``)."""
    n = 10_000 if quick else 50_000
    median, rates = median_rate(lambda: bench_market_orders(n), 3 if quick else 5)
    return [
        {
            "name": "simulated exchange submit → fill, market orders",
            "value": median,
            "unit": "orders/s",
            "target": 200_000,
            "spread": (min(rates), max(rates)),
        }
    ]


if __name__ == "__main__":
    print_table("exchange", run(quick="--quick" in sys.argv))
