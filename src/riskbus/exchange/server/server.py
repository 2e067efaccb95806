"""Start and stop the exchange server: in a running event loop, or in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from types import TracebackType

from aiohttp import web

from riskbus.core.errors import OperationalError
from riskbus.exchange.server.app import ServerState, build_app
from riskbus.exchange.server.auth import TEST_API_KEY, TEST_SECRET
from riskbus.exchange.server.chaos import ChaosConfig
from riskbus.exchange.server.limits import RateLimiter
from riskbus.exchange.server.venue import Venue, VenueConfig

__all__ = ["ExchangeServer", "ServerThread"]


class ExchangeServer:
    """The Binance-compatible server over one simulated venue.

    Args:
        config: what the venue trades (market scenario, seed, speed, balances).
        faults: the faults armed at start.
        accounts: API key → secret (default: the test account
            :data:`~riskbus.exchange.server.auth.TEST_API_KEY` / ``TEST_SECRET``).
        weight_limit: request weight per minute (0: unlimited).
        order_limit: new orders per 10 seconds (0: unlimited).

    Use ``async with ExchangeServer(...) as server:`` (or :meth:`start`/:meth:`stop`);
    :attr:`url` is then ``http://host:port``.
    """

    def __init__(
        self,
        config: VenueConfig | None = None,
        *,
        faults: ChaosConfig | None = None,
        accounts: Mapping[str, str] | None = None,
        weight_limit: int = 6000,
        order_limit: int = 100,
    ) -> None:
        self.venue = Venue(config or VenueConfig())
        self.state = ServerState(
            self.venue,
            accounts if accounts is not None else {TEST_API_KEY: TEST_SECRET},
            RateLimiter(weight_limit, order_limit),
        )
        if faults is not None:
            self.state.chaos.load(faults)
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:5557``."""
        if self._runner is None:
            raise OperationalError("the exchange server is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0: a free port); return the base URL."""
        self.state.closing = asyncio.Event()
        runner = web.AppRunner(build_app(self.state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as e:
            await runner.cleanup()
            raise OperationalError(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
        self._runner = runner
        self.host = host
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.url

    async def stop(self) -> None:
        """Release hanging requests and stop listening."""
        self.state.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ExchangeServer:
        await self.start(self.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class ServerThread:
    """Run an :class:`ExchangeServer` on its own event loop in a daemon thread.

    For synchronous code (the sync ccxt client, scripts): ``with ServerThread(server) as url:``.
    """

    def __init__(self, server: ExchangeServer, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = server
        self._host, self._port = host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            self.server.start(self._host, self._port), self._loop
        )
        return started.result(timeout=30)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
