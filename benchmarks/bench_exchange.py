"""Exchange: submit → fill throughput of the simulated exchange.

Zero latency, no faults, one subscriber to every event. Each market order goes the whole
way: ``SimulatedExchange.submit`` → checks (size, notional, free funds) → ``OrderAccepted``
→ matching against the quote and the step's shared volume → ``OrderFilled`` booked in the
venue's real :class:`~riskbus.model.portfolio.Portfolio` (Decimal money) → both events
published on the bus. Building the commands is the caller's work and is not timed.
Target (issue F2): ≥ 200,000 market orders/s.

The second row times resting limit orders: each rests (locking its funds), then one
``advance`` crosses them all; they fill oldest first from the step's volume and release
their locks.

Run: ``python benchmarks/bench_exchange.py``.

``--instructions`` adds a row that does not depend on the machine's load: the CPU
instructions per market order, counted by ``valgrind --tool=callgrind`` (it must be
installed; about two minutes). It runs the same market-order loop for 10,000 and for
50,000 orders in fresh processes (each builds 50,000 commands first and exits without
tearing its objects down) and divides the difference by 40,000, so the interpreter's start,
the imports and the command building cancel out. ``--orders N`` is that loop alone.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, print_table
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Event
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange
from riskbus.market.path import PricePath
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderType


def _venue(prices: list[float]) -> tuple[SimulatedExchange, list[int]]:
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
        {"BTC/USDT": PricePath(np.array(prices))},
        balances={"USDT": 10**12, "BTC": 10**6},
    )
    return exchange, count


def _market_orders(n: int) -> list[SubmitOrder]:
    """``n`` market orders for 1 BTC, selling and buying in turn (the timed loops' input)."""
    return [
        SubmitOrder(
            ts=0,
            client_order_id=f"o{k}",
            symbol="BTC/USDT",
            side=OrderSide.BUY if k % 2 else OrderSide.SELL,
            quantity=Decimal(1),
        )
        for k in range(n)
    ]


def market_orders(n: int) -> float:
    """Submit ``n`` alternating market orders; return the seconds the submits took."""
    exchange, count = _venue([100.0])
    orders = _market_orders(n)
    submit = exchange.submit
    start = time.perf_counter()
    for command in orders:
        submit(command)
    elapsed = time.perf_counter() - start
    assert count[0] == 2 * n, count[0]  # OrderAccepted + OrderFilled each
    assert len(exchange.trades) == n
    return elapsed


def resting_limits(n: int) -> float:
    """Rest ``n`` buy limits, fill them all on the next step; return the seconds taken."""
    exchange, count = _venue([100.0, 98.0])
    orders = [
        SubmitOrder(
            ts=0,
            client_order_id=f"l{k}",
            symbol="BTC/USDT",
            side=OrderSide.BUY,
            quantity=Decimal(1),
            order_type=OrderType.LIMIT,
            price=Decimal("99.00"),
        )
        for k in range(n)
    ]
    submit = exchange.submit
    start = time.perf_counter()
    for command in orders:
        submit(command)
    exchange.advance()
    elapsed = time.perf_counter() - start
    assert count[0] == 2 * n, count[0]
    assert exchange.account.reservations == {}
    return elapsed


def _rate(work: Callable[[int], float], n: int, repeats: int) -> tuple[float, list[float]]:
    rates = [n / work(n) for _ in range(repeats)]
    return statistics.median(rates), rates


def run(quick: bool = False) -> list[Row]:
    """Return the benchmark rows (see ``_common``)."""
    n = 10_000 if quick else 50_000
    repeats = 3 if quick else 7
    market, market_rates = _rate(market_orders, n, repeats)
    resting, resting_rates = _rate(resting_limits, n, repeats)
    return [
        {
            "name": "simulated exchange submit → fill, market orders",
            "value": market,
            "unit": "orders/s",
            "target": 200_000,
            "spread": (min(market_rates), max(market_rates)),
        },
        {
            "name": "simulated exchange resting limits → fill on advance",
            "value": resting,
            "unit": "orders/s",
            "spread": (min(resting_rates), max(resting_rates)),
        },
    ]


_BUILT = 50_000  # commands built by every --orders run, whatever N is


def submit_only(n: int) -> None:
    """Build ``_BUILT`` market orders, submit the first ``n``, exit without tearing down."""
    exchange, count = _venue([100.0])
    orders = _market_orders(_BUILT)
    submit = exchange.submit
    for command in orders[:n]:
        submit(command)
    assert count[0] == 2 * n, count[0]
    sys.stdout.flush()
    os._exit(0)  # the teardown of n orders' objects is not part of the loop


def _instructions(n: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, __file__, "--orders", str(n)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # no idle BLAS threads in the count
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"Collected : (\d+)", result.stderr)
    assert match is not None, result.stderr[-2000:]
    return int(match.group(1))


def instructions_row() -> Row:
    """Return the row of CPU instructions per market order (see the module docstring)."""
    small, large = 10_000, _BUILT
    per_order = (_instructions(large) - _instructions(small)) / (large - small)
    return {
        "name": "instructions per market order (callgrind)",
        "value": per_order,
        "unit": "instr/order",
        "lower_is_better": True,
    }


if __name__ == "__main__":
    if "--orders" in sys.argv:
        submit_only(int(sys.argv[sys.argv.index("--orders") + 1]))
    rows = run(quick="--quick" in sys.argv)
    if "--instructions" in sys.argv:
        if shutil.which("valgrind") is None:
            sys.exit("--instructions needs valgrind (apt-get install valgrind)")
        rows.append(instructions_row())
    print_table("exchange", rows)
