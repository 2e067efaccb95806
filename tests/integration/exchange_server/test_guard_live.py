"""The live guard against the exchange server: a trade made elsewhere is caught and cut.

Another program buys 1 BTC on the guarded account. The guard reads it from the account's
trade history (``FetchFills`` on its feed), books it, and its per-instrument limit of 0.5
BTC sends the enforcement sell of 0.5 to the venue — which the venue's own books show.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from secrets import token_hex
from typing import Any

import pytest
import redis

from riskbus.core.clock import LiveClock
from riskbus.core.messages import Message
from riskbus.exchange.server import TEST_API_KEY, TEST_SECRET, ExchangeServer
from riskbus.model.enums import OrderSide
from riskbus.model.events.account import FillsFetched
from riskbus.model.events.orders import OrderFilled
from riskbus.model.events.risk import EnforcementTriggered
from riskbus.risk.service import GuardOptions, GuardService
from riskbus.store import open_store
from tests.integration.exchange_server._support import client, serve, stepped

CONFIG = """\
account: {id: live, currency: USDT, timezone: UTC}
schedule: {daily_reset: "00:00"}
rules:
  max_contracts_per_instrument: {default_limit: 0.5}
"""
REDIS_URL = "redis://127.0.0.1:6379/0"
ENV = {"RISKBUS_BINANCE_API_KEY": TEST_API_KEY, "RISKBUS_BINANCE_SECRET": TEST_SECRET}


async def _until(condition: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


@contextlib.asynccontextmanager
async def _running_guard(
    server: ExchangeServer, tmp_path: Path, on_message: Any, **options: Any
) -> AsyncIterator[GuardService]:
    """A live guard on ``server`` (BTC/USDT, ``CONFIG``), running for the block."""
    config = tmp_path / "risk.yaml"
    config.write_text(CONFIG)
    store = open_store(f"sqlite:///{tmp_path / 'guard.db'}")
    guard = GuardService(
        GuardOptions(
            config=config,
            exchange="binance",
            api_base_url=server.url,
            symbols=("BTC/USDT",),
            poll_interval=None,
            **options,
        ),
        clock=LiveClock(),
        store=store,
        environ=ENV,
    )
    guard.bus.subscribe("*", on_message)
    running = asyncio.create_task(guard.run(duration=20))
    try:
        yield guard
    finally:
        guard.request_stop()
        await running
        store.close()


def test_a_trade_made_elsewhere_is_fetched_and_cut_to_the_limit(tmp_path: Path) -> None:
    events: list[Message] = []

    async def scenario() -> dict[str, Any]:
        async with (
            serve(stepped("sideways")) as server,
            _running_guard(server, tmp_path, events.append, tick_interval=50_000_000),
        ):
            await _until(lambda: any(isinstance(e, FillsFetched) for e in events))
            async with client(server) as other:
                await other.create_order("BTC/USDT", "market", "buy", 1.0)
                await _until(lambda: any(isinstance(e, EnforcementTriggered) for e in events))
                await _until(
                    lambda: any(
                        isinstance(e, OrderFilled) and e.side is OrderSide.SELL for e in events
                    )
                )
                trades = await other.fetch_my_trades("BTC/USDT")
        return {"trades": trades}

    result = asyncio.run(scenario())
    fetched = [e for e in events if isinstance(e, FillsFetched)]
    assert fetched[0].baseline and fetched[0].count == 0
    assert sum(f.count for f in fetched) == 1  # the other program's buy, once
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert [(f.side, f.last_qty) for f in fills] == [
        (OrderSide.BUY, Decimal("1.00000")),  # read from the trade history
        (OrderSide.SELL, Decimal("0.5")),  # the guard's enforcement, answered at once
    ]
    assert fills[0].client_order_id.startswith("binance-")
    enforcement = next(e for e in events if isinstance(e, EnforcementTriggered))
    assert enforcement.rule == "max_contracts_per_instrument"
    venue_side = [(t["side"], t["amount"]) for t in result["trades"]]
    assert venue_side == [("buy", pytest.approx(1.0)), ("sell", pytest.approx(0.5))]


def test_fills_are_read_at_their_own_pace_and_not_with_a_bridge(tmp_path: Path) -> None:
    async def counts(**options: Any) -> dict[str, int]:
        sent: dict[str, int] = {"FetchPrice": 0, "FetchFills": 0}

        def count(message: Message) -> None:
            if type(message).__name__ in sent:
                sent[type(message).__name__] += 1

        async with (
            serve(stepped("sideways")) as server,
            _running_guard(server, tmp_path, count, tick_interval=20_000_000, **options),
        ):
            await _until(lambda: sent["FetchPrice"] >= 30)  # ticks of 20 ms
        return sent

    paced = asyncio.run(counts(fills_interval=200_000_000))  # 200 ms: every 10th tick
    assert 1 <= paced["FetchFills"] <= paced["FetchPrice"] // 4
    every_tick = asyncio.run(counts())
    assert every_tick["FetchFills"] == every_tick["FetchPrice"]
    prefix = f"rbtest-{token_hex(4)}"  # the real local Redis, keys removed afterwards
    try:
        bridged = asyncio.run(counts(bridge_url=REDIS_URL, bridge_prefix=prefix))
    finally:
        connection = redis.Redis.from_url(REDIS_URL)
        keys = list(connection.scan_iter(match=f"{prefix}:*"))
        if keys:
            connection.delete(*keys)
        connection.close()
    assert bridged["FetchPrice"] >= 30 and bridged["FetchFills"] == 0  # the bridge brings them
