"""The execution engine killed for real (SIGKILL) mid-plan, then resumed: nothing sent twice.

Issue 6: "kill the process mid-plan and restart. No order is duplicated, and the plan
finishes." The simulated exchange lives in the memory of its process, so the venue here must
outlive the engine's process: it is riskbus's Binance-compatible exchange server over the
simulated exchange, served from this test process (:class:`ServerThread`). The engine runs in
a child process (``_execution_child.py``) with riskbus's ccxt client on that server and its
plans and order states in a SQLite file. Once both sells have filled, the engine is in its
settle pause before the buy; the child then writes a marker file, and this test sends it
SIGKILL (no clean-up, no final write). A new engine in this process, on the same SQLite file
and the same server, resumes the plan. Checked: what the store held at the kill, that the two
processes together sent each of the three orders exactly once (the child's fsynced journal of
``OrderSubmitted`` plus ours, and the venue's own order book), and the plan's totals against
the venue's fills and balances.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock
from riskbus.exchange.registry import ExchangeRegistry
from riskbus.exchange.server import ExchangeServer, ServerThread
from riskbus.execution.engine import ExecutionEngine, PlanRun
from riskbus.execution.plans import PlanOrder
from riskbus.model import default_registry
from riskbus.model.enums import OrderSide
from riskbus.model.events import OrderSubmitted
from riskbus.store import open_store
from tests.integration._execution_child import PLAN_ID, client, plan, venue_config

CHILD = Path(__file__).with_name("_execution_child.py")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[tuple[ExchangeServer, str]]:
    exchange = ExchangeServer(venue_config())
    with ServerThread(exchange) as url:
        yield exchange, url


def _run_child_until_paused(url: str, db: Path, workdir: Path, mode: str = "settle") -> None:
    """Start the child, wait for its marker (or its death), then SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), url, str(db), str(workdir), mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120  # a generous bound on a loaded machine, not a timing
        while not (workdir / "paused").exists():
            if child.poll() is not None:
                _, err = child.communicate()
                pytest.fail(f"the child exited ({child.returncode}) early:\n{err.decode()}")
            if time.monotonic() > deadline:
                pytest.fail("the child never reached the settle pause")
            time.sleep(0.02)
        assert int((workdir / "paused").read_text(encoding="utf-8")) == child.pid
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]


def _stored_run(db: Path) -> dict[str, object]:
    store = open_store(f"sqlite:///{db}")
    try:
        raw = store.checkpoints.get(f"plan-run:{PLAN_ID}")
    finally:
        store.close()
    assert raw is not None
    return json.loads(raw)  # type: ignore[no-any-return]


async def _resume(url: str, db: Path, polls: int = 3000) -> tuple[PlanRun, list[str]]:
    clock = LiveClock()
    bus = EventBus(clock)
    sent: list[str] = []
    bus.subscribe(OrderSubmitted, lambda e: sent.append(e.client_order_id))
    venue = client(url, bus, clock)
    await venue.connect()
    venue.attach(bus)
    store = open_store(f"sqlite:///{db}")
    engine = ExecutionEngine(
        bus,
        clock,
        ExchangeRegistry(venue, clock=clock),
        default_registry(),
        settle_delay=0,
        store=store,
    )
    try:
        run = engine.resume(PLAN_ID)
        for _ in range(polls):  # polls of 10 ms; the bound only stops a hang
            if run.done:
                break
            await asyncio.sleep(0.01)
        await venue.drain()
    finally:
        engine.close()
        await venue.close()
        store.close()
    return run, sent


def test_sigkill_mid_plan_then_resume_sends_no_order_twice_and_completes(
    server: tuple[ExchangeServer, str], tmp_path: Path
) -> None:
    exchange, url = server
    db = tmp_path / "plans.db"
    the_plan = plan()
    sells = [o for o in the_plan.orders if o.side is OrderSide.SELL]
    buys = [o for o in the_plan.orders if o.side is OrderSide.BUY]
    assert (len(sells), len(buys)) == (2, 1)

    _run_child_until_paused(url, db, tmp_path)

    # at the kill: the store says both sells filled, the buy not sent yet
    saved = _stored_run(db)
    statuses = {oid: o["status"] for oid, o in saved["orders"].items()}  # type: ignore[attr-defined]
    assert statuses == {
        **{o.order_id: "filled" for o in sells},
        **{o.order_id: "validated" for o in buys},
    }
    child_sent = (tmp_path / "sent.txt").read_text(encoding="utf-8").split()
    assert len(child_sent) == 2
    assert exchange.venue.order_count() == 2

    run, parent_sent = asyncio.run(_resume(url, db))

    assert run.done and run.outcome == "completed"
    # each order sent once over both processes, and the venue saw each once
    assert len(parent_sent) == 1
    everything = child_sent + parent_sent
    assert len(set(everything)) == len(everything) == 3
    assert exchange.venue.order_count() == 3
    assert sorted(exchange.venue._meta) == sorted(everything)
    # totals: the stats of the resumed run agree with the venue's own fills
    fills = exchange.venue.exchange.trades
    assert sorted({f.client_order_id for f in fills}) == sorted(everything)
    stats = run.stats
    assert (stats.total_orders, stats.completed, stats.failed) == (3, 3, 0)
    assert stats.volume_executed == sum(f.last_qty * f.last_price for f in fills)
    assert stats.fees == sum(f.fee for f in fills)
    account = exchange.venue.exchange.account
    assert account.balance("BTC") == Decimal("0.2") - sells_qty(sells, "BTC")
    assert account.balance("ETH") == Decimal(4) - sells_qty(sells, "ETH")
    assert account.balance("SOL") == buys[0].quantity
    assert run.progress()["counts"] == {"filled": 3}


def sells_qty(orders: list[PlanOrder], symbol: str) -> Decimal:
    return sum((o.quantity for o in orders if o.symbol == symbol), Decimal(0))


def test_sigkill_with_an_order_in_flight_then_resume_settles_it_and_completes(
    server: tuple[ExchangeServer, str], tmp_path: Path
) -> None:
    exchange, url = server
    db = tmp_path / "plans.db"
    _run_child_until_paused(url, db, tmp_path, "in-flight")

    # at the kill: the venue filled both sells, the store knows of one
    saved = _stored_run(db)
    statuses = sorted(o["status"] for o in saved["orders"].values())  # type: ignore[attr-defined]
    assert statuses == ["executing", "filled", "validated"]
    child_sent = (tmp_path / "sent.txt").read_text(encoding="utf-8").split()
    assert len(child_sent) == 2
    assert exchange.venue.order_count() == 2

    run, parent_sent = asyncio.run(_resume(url, db, polls=300))

    assert len(parent_sent) <= 1
    everything = child_sent + parent_sent
    assert len(set(everything)) == len(everything)  # nothing sent twice, even so
    assert run.done and run.outcome == "completed"
    assert len(everything) == exchange.venue.order_count() == 3
    assert (run.stats.completed, run.stats.failed) == (3, 0)
