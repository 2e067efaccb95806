"""Builders for the exchange-server tests: a server on a free port and a ccxt client on it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from riskbus.exchange import ccxt_local
from riskbus.exchange.server import ExchangeServer, VenueConfig, parse_faults


def stepped(market: str = "flash_crash", seed: int = 1, **kwargs: Any) -> VenueConfig:
    """Return a venue config whose market moves only when stepped (deterministic)."""
    return VenueConfig(market=market, seed=seed, speed=0, **kwargs)


@contextlib.asynccontextmanager
async def serve(config: VenueConfig | None = None, **kwargs: Any) -> AsyncIterator[ExchangeServer]:
    """Run an exchange server on a free loopback port for the block."""
    server = ExchangeServer(config or stepped(), **kwargs)
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def client(server: ExchangeServer, **kwargs: Any) -> AsyncIterator[Any]:
    """Yield a ``ccxt.async_support.binance`` from ``ccxt_local`` (markets loaded)."""
    exchange = ccxt_local(url=server.url, enableRateLimit=False, **kwargs)
    try:
        await exchange.load_markets()
        yield exchange
    finally:
        await exchange.close()


def arm(server: ExchangeServer, *faults: dict[str, Any], seed: int = 0) -> None:
    """Arm ``faults`` on ``server`` (replacing the armed ones)."""
    server.state.chaos.load(parse_faults({"seed": seed, "faults": list(faults)}))


async def control(
    server: ExchangeServer, method: str, path: str, body: object = None
) -> tuple[int, Any]:
    """Call a control route; return the status and the JSON answer."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, server.url + path, json=body) as response,
    ):
        return response.status, await response.json()
