"""The process ``test_execution_restart`` kills: it runs a rebalancing plan until SIGKILL.

Run as ``python _execution_child.py URL DB WORKDIR [MODE]``: an :class:`ExecutionEngine` with a
SQLite store at ``DB`` runs :func:`plan` on the exchange server at ``URL`` through riskbus's
ccxt client. Every ``OrderSubmitted`` is appended (and fsynced) to ``WORKDIR/sent.txt``, so
what this process sent is known after it dies. Once both sells have completed, the engine is
in its settle pause (one hour) before the buy; the process then writes ``WORKDIR/paused``
and waits to be killed. In mode ``in-flight`` it stops earlier: when the venue's fill of the
second sell arrives, a handler subscribed before the engine's writes the marker and blocks
the process, so the engine never learns of that fill (its store still says ``executing``).
The test module imports :func:`plan`, :func:`client` and :func:`venue_config`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, LiveClock
from riskbus.exchange.ccxt_client import CcxtClient, CcxtConfig, Credentials
from riskbus.exchange.registry import ExchangeRegistry
from riskbus.exchange.server import TEST_API_KEY, TEST_SECRET, VenueConfig
from riskbus.execution import Holding, build_plan
from riskbus.execution.engine import ExecutionEngine
from riskbus.execution.plans import RebalancePlan
from riskbus.model import default_registry
from riskbus.model.events import OrderFilled, OrderSubmitted
from riskbus.store import open_store

PLAN_ID = "P"
ENV = {"RISKBUS_BINANCE_API_KEY": TEST_API_KEY, "RISKBUS_BINANCE_SECRET": TEST_SECRET}


def venue_config() -> VenueConfig:
    """The exchange server's venue: prices that hold still (stepped only), the account."""
    return VenueConfig(
        market="sideways",
        seed=1,
        speed=0,
        prices={"BTC/USDT": Decimal(50_000), "ETH/USDT": Decimal(2_500), "SOL/USDT": Decimal(100)},
        balances={"USDT": Decimal(10_000), "BTC": Decimal("0.2"), "ETH": Decimal(4)},
    )


def plan() -> RebalancePlan:
    """10k BTC + 10k ETH + 10k cash → 20 % BTC, 30 % ETH, 40 % SOL: two sells, one buy."""
    return build_plan(
        [
            Holding(symbol="BTC", quantity=Decimal("0.2"), price=Decimal(50_000)),
            Holding(symbol="ETH", quantity=Decimal(4), price=Decimal(2_500)),
            Holding(symbol="USDT", quantity=Decimal(10_000), price=Decimal(1)),
        ],
        plan_id=PLAN_ID,
        weights={
            "BTC": Decimal("0.2"),
            "ETH": Decimal("0.3"),
            "SOL": Decimal("0.4"),
            "USDT": Decimal("0.1"),
        },
        prices={"SOL": Decimal(100)},
    )


def client(url: str, bus: EventBus, clock: LiveClock) -> CcxtClient:
    """riskbus's ccxt client on the exchange server at ``url``."""
    config = CcxtConfig(
        venue="binance",
        api_base_url=url,
        market_types=("spot",),
        timeout_ms=5000,
        rate_limit_ms=1,
    )
    return CcxtClient(bus, clock, config, credentials=Credentials.from_env("binance", ENV))


def _stop_at_second_fill(workdir: Path) -> Callable[[OrderFilled], None]:
    fills: list[str] = []

    def on_fill(event: OrderFilled) -> None:
        fills.append(event.client_order_id)
        if len(fills) == 2:
            (workdir / "paused").write_text(str(os.getpid()), encoding="utf-8")
            time.sleep(3600)  # blocks the loop: the engine's handler never runs

    return on_fill


async def _main(url: str, db: str, workdir: Path, mode: str) -> None:
    clock = LiveClock()
    bus = EventBus(clock)
    with (workdir / "sent.txt").open("a", encoding="utf-8") as journal:

        def record(event: OrderSubmitted) -> None:
            journal.write(event.client_order_id + "\n")
            journal.flush()
            os.fsync(journal.fileno())

        bus.subscribe(OrderSubmitted, record, component="journal")
        if mode == "in-flight":
            bus.subscribe(OrderFilled, _stop_at_second_fill(workdir), component="killer")
        venue = client(url, bus, clock)
        await venue.connect()
        venue.attach(bus)
        engine = ExecutionEngine(
            bus,
            clock,
            ExchangeRegistry(venue, clock=clock),
            default_registry(),
            settle_delay=3600 * SECOND,
            store=open_store(f"sqlite:///{db}"),
        )
        engine.add_plan(plan())
        run = engine.execute_plan(PLAN_ID, max_parallel=1)
        while run.phase != "settle":
            await asyncio.sleep(0.01)
        (workdir / "paused").write_text(str(os.getpid()), encoding="utf-8")
        await asyncio.sleep(3600)  # the settle pause: killed here


if __name__ == "__main__":
    mode = sys.argv[4] if len(sys.argv) > 4 else "settle"
    asyncio.run(_main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), mode))
