"""``riskbus exchange serve``: the Binance-compatible chaos exchange server.

::

    riskbus exchange serve --market flash_crash --seed 1 --speed 60 --port 5557
    riskbus exchange serve --faults faults.yaml --port 0      # 0: a free port, printed

It prints one line with the URL and the test credentials, then serves until interrupted
(Ctrl-C or SIGTERM). Point ccxt at it with ``riskbus.exchange.ccxt_local(url=...)``.
Exit codes: 2 for bad input (an unknown market, an invalid fault file naming the field and
line), 3 when the port cannot be bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated

import typer

from riskbus.core.errors import BadInputError

__all__ = ["app", "register", "serve"]

app = typer.Typer(
    name="exchange", help="The Binance-compatible chaos exchange server.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    """Add the ``exchange`` group to ``root``."""
    root.add_typer(app, name="exchange")


@app.command("serve")
def serve(
    *,
    market: Annotated[str, typer.Option(help="The market scenario of the price paths.")] = (
        "sideways"
    ),
    seed: Annotated[int, typer.Option(help="Root seed of the price paths.")] = 1,
    speed: Annotated[
        float, typer.Option(help="Market seconds per wall second (0: stepped via /_chaos/step).")
    ] = 1.0,
    port: Annotated[int, typer.Option(help="TCP port (0: a free one).")] = 5557,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    faults: Annotated[Path | None, typer.Option(help="A YAML fault file armed at start.")] = None,
    steps: Annotated[int, typer.Option(min=2, help="Length of the price paths in steps.")] = (
        10_000
    ),
    weight_limit: Annotated[
        int, typer.Option(min=0, help="Request weight per minute (0: unlimited).")
    ] = 6000,
    order_limit: Annotated[
        int, typer.Option(min=0, help="New orders per 10 seconds (0: unlimited).")
    ] = 100,
) -> None:
    """Serve Binance's spot REST API over the simulated exchange until interrupted."""
    from riskbus.exchange.server import TEST_API_KEY, TEST_SECRET, ExchangeServer, VenueConfig
    from riskbus.exchange.server.chaos import load_faults
    from riskbus.market import get_scenario

    try:
        get_scenario(market)
    except BadInputError as e:
        raise BadInputError(e.message, field="--market") from None
    if speed < 0:
        raise BadInputError(f"must be >= 0, got {speed}", field="--speed")
    if not 0 <= port <= 65535:
        raise BadInputError(f"must be 0..65535, got {port}", field="--port")
    chaos = load_faults(faults) if faults is not None else None
    server = ExchangeServer(
        VenueConfig(market=market, seed=seed, speed=speed, steps=steps),
        faults=chaos,
        weight_limit=weight_limit,
        order_limit=order_limit,
    )

    async def run() -> None:
        url = await server.start(host, port)
        armed = len(chaos.faults) if chaos is not None else 0
        typer.echo(
            f"riskbus exchange server on {url} (market {market}, seed {seed}, speed {speed}, "
            f"{armed} faults) api_key={TEST_API_KEY} secret={TEST_SECRET}"
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()

    try:  # uvloop (a ccxt dependency) roughly halves the server's per-request overhead
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(run())
    else:
        uvloop.run(run())
