"""Execution: reconciling 10,000 orders, and a 1,000-order plan on the simulated exchange.

Targets (issue F5): reconcile 10,000 orders ≤ 0.2 s; a 1,000-order plan with
``max_parallel=10``, dry run on the simulated exchange, ≤ 0.5 s wall.
Run: ``python benchmarks/bench_execution.py``.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np

from _common import Row, median_seconds, print_table
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange
from riskbus.exchange.registry import ExchangeRegistry
from riskbus.execution.engine import ExecutionEngine
from riskbus.execution.plans import PlanOrder, RebalancePlan
from riskbus.execution.reconciler import apply_order_diffs, reconcile
from riskbus.market.path import PricePath
from riskbus.model.catalogue import default_registry
from riskbus.model.enums import OrderSide, OrderStatus, OrderType
from riskbus.model.events.account import OrderReport


def _report(k: int, status: OrderStatus, filled: int = 0) -> OrderReport:
    return OrderReport(
        client_order_id=f"o{k:06d}",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(2),
        status=status,
        filled_qty=Decimal(filled),
        price=Decimal(100),
    )


def bench_reconcile(n: int) -> None:
    """Reconcile ``n`` local open orders against a venue that diverges on 10 % of them."""
    local = {f"o{k:06d}": _report(k, OrderStatus.ACCEPTED) for k in range(n)}
    venue = {}
    for k in range(n):
        if k % 10 == 1:
            continue  # gone from the venue: probed, assumed cancelled
        status = OrderStatus.PARTIALLY_FILLED if k % 10 == 2 else OrderStatus.ACCEPTED
        venue[f"o{k:06d}"] = _report(k, status, 1 if k % 10 == 2 else 0)
    for k in range(n, n + n // 10):
        venue[f"o{k:06d}"] = _report(k, OrderStatus.ACCEPTED)  # untracked: adopted
    result = reconcile(local, venue.values(), venue.get)
    fixed = apply_order_diffs(local, result)
    assert len(result.orders) == 3 * (n // 10), len(result.orders)
    assert len(fixed) == n + n // 10


def bench_plan(n: int) -> None:
    """Run an ``n``-order plan (sells then buys), ``max_parallel=10``, dry run, to the end."""
    sim = Simulator()
    bus = EventBus(sim.clock)
    registry = default_registry()
    prices = {"BTC/USDT": 50_000.0, "ETH/USDT": 2_500.0, "SOL/USDT": 100.0}
    exchange = SimulatedExchange(
        bus,
        sim.clock,
        Seeds(1),
        registry,
        {s: PricePath(np.array([p] * 4)) for s, p in prices.items()},
        balances={"USDT": 10**9, "BTC": 10**4, "ETH": 10**5},
    )
    exchange.attach(bus)
    engine = ExecutionEngine(bus, sim.clock, ExchangeRegistry(exchange), registry, settle_delay=0)
    half = n // 2
    orders = [
        PlanOrder(
            order_id=f"B-{k:05d}",
            symbol="BTC" if k % 2 else "ETH",
            side=OrderSide.SELL,
            usd=Decimal(-1000),
            quantity=Decimal("0.02") if k % 2 else Decimal("0.4"),
            price=Decimal(50_000) if k % 2 else Decimal(2_500),
            platform="binance",
            priority=2,
        )
        for k in range(half)
    ] + [
        PlanOrder(
            order_id=f"B-{k:05d}",
            symbol="SOL",
            side=OrderSide.BUY,
            usd=Decimal(1000),
            quantity=Decimal(10),
            price=Decimal(100),
            platform="binance",
            priority=7,
        )
        for k in range(half, n)
    ]
    engine.add_plan(RebalancePlan(plan_id="B", cash="USDT", orders=tuple(orders)))
    run = engine.execute_plan("B", dry_run=True, max_parallel=10)
    sim.run_until(lambda: run.done, timeout=3600 * 10**9)
    assert run.stats.completed == n, run.progress()


def run(quick: bool = False) -> list[Row]:
    """Return the benchmark rows (see ``_common``)."""
    median, times = median_seconds(lambda: bench_reconcile(10_000), 3 if quick else 5)
    plan_median, plan_times = median_seconds(lambda: bench_plan(1_000), 3 if quick else 5)
    return [
        {
            "name": "1,000-order plan, max_parallel=10, dry run on the simulator",
            "value": plan_median,
            "unit": "s",
            "target": 0.5,
            "lower_is_better": True,
            "spread": (min(plan_times), max(plan_times)),
        },
        {
            "name": "reconcile 10,000 orders (10 % gone, 10 % changed, 1,000 adopted)",
            "value": median,
            "unit": "s",
            "target": 0.2,
            "lower_is_better": True,
            "spread": (min(times), max(times)),
        },
    ]


if __name__ == "__main__":
    print_table("execution", run(quick="--quick" in sys.argv))
