"""The aiohttp application: Binance's spot REST routes, the faults and the control routes.

One request to ``/api/v3/<endpoint>`` goes through, in order: the faults that fire on it
(latency first; then refusals such as an outage or a 429), the IP ban and the weight
limit, the signature check of ``SIGNED`` endpoints, the venue catching up with market time,
the endpoint itself, and the faults that act after processing (a 5xx, a hang or a reset
once the order *is* placed, a truncated body). Every answer carries the weight headers.

Control routes (no authentication; this is a local test server):

* ``GET /_chaos``: the armed faults with their ccxt labels and counters, the market time;
* ``POST /_chaos``: arm faults (a JSON fault document; ``"replace": false`` to add);
* ``DELETE /_chaos``: disarm every fault and lift rate-limit bans;
* ``POST /_chaos/step`` (or ``/_control/advance``): ``{"steps": n}`` or
  ``{"seconds": s}`` moves the market on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from riskbus.core.errors import BadInputError
from riskbus.exchange.server import quotes
from riskbus.exchange.server.auth import check_signed
from riskbus.exchange.server.chaos import (
    ChaosEngine,
    FaultState,
    HangFault,
    MalformedFault,
    OutageFault,
    RateLimitFault,
    ResetFault,
    ServerErrorFault,
    parse_faults,
)
from riskbus.exchange.server.errors import BinanceError, insufficient_balance
from riskbus.exchange.server.limits import RateLimiter, weight_of
from riskbus.exchange.server.venue import Venue

__all__ = ["ENDPOINTS", "ServerState", "build_app", "dumps", "parse_form"]

try:  # ccxt depends on orjson; the standard library is the fallback
    import orjson

    def dumps(data: object) -> bytes:
        """Return ``data`` as compact JSON bytes."""
        return orjson.dumps(data)

except ImportError:  # pragma: no cover - orjson comes with ccxt

    def dumps(data: object) -> bytes:
        """Return ``data`` as compact JSON bytes."""
        return json.dumps(data, separators=(",", ":")).encode()


def parse_form(raw: str, into: dict[str, str]) -> None:
    """Add the ``key=value&...`` pairs of ``raw`` to ``into`` (later keys win)."""
    if not raw:
        return
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in part or "+" in part:
            key, value = unquote_plus(key), unquote_plus(value)
        into[key] = value


Handler = Callable[[Venue, Mapping[str, str]], object]

#: (method, endpoint) → (signed, handler).
ENDPOINTS: dict[tuple[str, str], tuple[bool, Handler]] = {
    ("GET", "ping"): (False, lambda v, p: {}),
    ("GET", "time"): (False, lambda v, p: {}),  # answered with the server clock below
    ("GET", "exchangeInfo"): (False, lambda v, p: quotes.exchange_info(v)),
    ("GET", "ticker/price"): (False, quotes.ticker_price),
    ("GET", "ticker/bookTicker"): (False, quotes.book_ticker),
    ("GET", "ticker/24hr"): (False, quotes.ticker_24hr),
    ("GET", "klines"): (False, quotes.klines),
    ("GET", "depth"): (False, quotes.depth),
    ("GET", "account"): (True, lambda v, p: quotes.account(v)),
    ("POST", "order"): (True, lambda v, p: v.new_order(p)),
    ("GET", "order"): (True, lambda v, p: v.query_order(p)),
    ("DELETE", "order"): (True, lambda v, p: v.cancel_order(p)),
    ("GET", "openOrders"): (True, lambda v, p: v.open_orders(p)),
    ("DELETE", "openOrders"): (True, lambda v, p: v.cancel_open_orders(p)),
    ("GET", "allOrders"): (True, lambda v, p: v.all_orders(p)),
    ("GET", "myTrades"): (True, lambda v, p: v.my_trades(p)),
}

_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_EXECUTION_UNKNOWN = BinanceError(
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; "
    "execution status unknown.",
    status=504,
)


class ServerState:
    """Everything the routes share.

    Args:
        venue: the simulated venue.
        accounts: API key → secret.
        limiter: the weight and order limits.
        wall_ms: the server clock in ms (the wall clock; injectable).
    """

    def __init__(
        self,
        venue: Venue,
        accounts: Mapping[str, str],
        limiter: RateLimiter,
        wall_ms: Callable[[], int] | None = None,
    ) -> None:
        self.venue = venue
        self.accounts = dict(accounts)
        self.limiter = limiter
        self.chaos = ChaosEngine(venue.market.elapsed_seconds)
        self.wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self.closing = asyncio.Event()
        self.requests = 0


def _json(
    data: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(data),
        status=status,
        headers=headers,
        content_type="application/json",
    )


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class _Reset(Exception):
    """Raised after the connection was reset: nothing more is written."""


async def _hang(state: ServerState, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.closing.wait(), seconds)


async def _before(request: web.Request, state: ServerState, faults: list[FaultState]) -> None:
    """Apply the faults that act before processing."""
    for fault_state in faults:
        fault = fault_state.fault
        if isinstance(fault, RateLimitFault):
            if fault_state.fired > fault.ban_after:
                raise state.limiter.ban(fault.ban_seconds)
            raise BinanceError(
                -1003,
                "Too many requests; current limit of IP is exceeded. Please use WebSocket "
                "Streams for live updates to avoid polling the API.",
                status=429,
                headers={"Retry-After": str(max(1, round(fault.retry_after)))},
            )
        if isinstance(fault, OutageFault):
            raise _Plain(503)
        if isinstance(fault, ServerErrorFault):
            raise _EXECUTION_UNKNOWN if fault.status == 504 else _Plain(fault.status)
        if isinstance(fault, HangFault):
            await _hang(state, fault.seconds)
            raise _EXECUTION_UNKNOWN
        if isinstance(fault, ResetFault):
            _reset(request)
            raise _Reset
        raise insufficient_balance()  # InsufficientFundsFault


class _Plain(Exception):
    """A 5xx with a plain-text body, as a load balancer sends it."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _after(
    request: web.Request, state: ServerState, faults: list[FaultState], body: bytes
) -> web.StreamResponse | None:
    """Apply the faults that act after processing; return the answer that replaces it."""
    for fault_state in faults:
        fault = fault_state.fault
        if isinstance(fault, ServerErrorFault):
            raise _EXECUTION_UNKNOWN if fault.status == 504 else _Plain(fault.status)
        if isinstance(fault, HangFault):
            await _hang(state, fault.seconds)
            raise _EXECUTION_UNKNOWN
        if isinstance(fault, ResetFault):
            _reset(request)
            raise _Reset
        if isinstance(fault, MalformedFault):
            return await _truncated(request, body)
    return None


async def _truncated(request: web.Request, body: bytes) -> web.StreamResponse:
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: max(1, len(body) // 2)])
    _reset(request)
    raise _Reset


async def _params(request: web.Request) -> tuple[dict[str, str], str, str]:
    query = request.query_string
    body = ""
    if request.can_read_body:
        body = (await request.read()).decode("utf-8", errors="replace")
    params: dict[str, str] = {}
    parse_form(query, params)
    parse_form(body, params)
    return params, query, body


async def api(request: web.Request) -> web.StreamResponse:
    """Serve one ``/api/v3/...`` request (see the module docstring)."""
    state: ServerState = request.app[STATE]
    state.requests += 1
    method = request.method
    endpoint = request.match_info["endpoint"]
    route = ENDPOINTS.get((method, endpoint))
    fired = state.chaos.decide(method, request.path)
    headers: dict[str, str] = {}
    try:
        params, query, body = await _params(request)
        if fired.delay:
            await asyncio.sleep(fired.delay)
        state.limiter.check_ban()
        if fired.before:
            await _before(request, state, fired.before)
        if route is None:
            raise BinanceError(-1000, f"Unknown endpoint: {method} /api/v3/{endpoint}", 404)
        signed, handler = route
        is_order = method == "POST" and endpoint == "order"
        state.limiter.spend(weight_of(method, endpoint, params), order=is_order)
        headers = state.limiter.headers(order=is_order)
        server_ms = state.wall_ms() + fired.skew_ms
        if signed:
            check_signed(
                api_key=request.headers.get("X-MBX-APIKEY"),
                query=query,
                body=body,
                params=params,
                accounts=state.accounts,
                server_ms=server_ms,
            )
        venue = state.venue
        venue.sync()
        if endpoint == "time":
            result: object = {"serverTime": server_ms}
        else:
            result = handler(venue, params)
        payload = dumps(result)
        if fired.after:
            replaced = await _after(request, state, fired.after, payload)
            if replaced is not None:
                return replaced
        return web.Response(
            body=payload, status=200, headers=headers, content_type="application/json"
        )
    except BinanceError as error:
        return _json(error.body(), error.status, {**headers, **error.headers})
    except _Plain as error:
        return web.Response(text=_STATUS_TEXT[error.status], status=error.status)
    except (_Reset, ConnectionError):
        return web.Response(status=499)  # never sent: the connection is gone


async def unknown(request: web.Request) -> web.Response:
    """Answer a path outside ``/api/v3`` (the server serves spot only)."""
    return _json(
        {"code": -1000, "msg": f"{request.path} is not served: this server is Binance spot only"},
        404,
    )


async def no_derivatives(request: web.Request) -> web.Response:
    """Answer the futures ``exchangeInfo`` (``/fapi``, ``/dapi``): no derivative markets here.

    ccxt's ``binance`` loads spot, linear and inverse markets unless told otherwise; an
    empty list lets a client with the default options connect and see the spot markets.
    """
    state: ServerState = request.app[STATE]
    return _json(
        {
            "timezone": "UTC",
            "serverTime": state.wall_ms(),
            "rateLimits": [],
            "exchangeFilters": [],
            "assets": [],
            "symbols": [],
        }
    )


async def chaos_get(request: web.Request) -> web.Response:
    """``GET /_chaos``."""
    state: ServerState = request.app[STATE]
    venue = state.venue
    venue.sync()
    return _json(
        {
            **state.chaos.describe(),
            "market_time": venue.now_ms(),
            "market_step": venue.exchange.step,
            "speed": venue.market.speed,
            "banned_until_ms": int(state.limiter.banned_until * 1000),
            "requests": state.requests,
            "orders": venue.order_count(),
        }
    )


async def chaos_post(request: web.Request) -> web.Response:
    """``POST /_chaos``: arm faults from a JSON fault document."""
    state: ServerState = request.app[STATE]
    try:
        data: Any = await request.json()
    except ValueError as e:
        return _json({"error": f"/_chaos: body is not JSON: {e}"}, 400)
    if not isinstance(data, dict):
        return _json({"error": "/_chaos: body must be a JSON object"}, 400)
    replace = bool(data.pop("replace", True))
    try:
        config = parse_faults(data)
    except BadInputError as e:
        return _json({"error": str(e)}, 400)
    state.chaos.load(config, replace=replace)
    return _json(state.chaos.describe())


async def chaos_delete(request: web.Request) -> web.Response:
    """``DELETE /_chaos``: disarm the faults and lift bans."""
    state: ServerState = request.app[STATE]
    state.chaos.clear()
    state.limiter.clear()
    return _json(state.chaos.describe())


async def step(request: web.Request) -> web.Response:
    """``POST /_chaos/step``: move the market on by steps or seconds."""
    state: ServerState = request.app[STATE]
    venue = state.venue
    try:
        data: Any = await request.json() if request.can_read_body else {}
    except ValueError as e:
        return _json({"error": f"body is not JSON: {e}"}, 400)
    steps, seconds = data.get("steps"), data.get("seconds")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        return _json({"error": "steps: must be an integer >= 0"}, 400)
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
    ):
        return _json({"error": "seconds: must be a number >= 0"}, 400)
    if steps is None and seconds is None:
        steps = 1
    nanoseconds = (steps or 0) * venue.step_ns + int((seconds or 0) * 1_000_000_000)
    venue.market.advance(nanoseconds)
    venue.sync()
    return _json({"market_time": venue.now_ms(), "market_step": venue.exchange.step})


STATE = web.AppKey("state", ServerState)


def build_app(state: ServerState) -> web.Application:
    """Return the aiohttp application serving ``state``."""
    app = web.Application()
    app[STATE] = state
    app.router.add_route("*", "/api/v3/{endpoint:.+}", api)
    app.router.add_get("/_chaos", chaos_get)
    app.router.add_post("/_chaos", chaos_post)
    app.router.add_delete("/_chaos", chaos_delete)
    app.router.add_post("/_chaos/step", step)
    app.router.add_post("/_control/advance", step)
    app.router.add_get("/fapi/v1/exchangeInfo", no_derivatives)
    app.router.add_get("/dapi/v1/exchangeInfo", no_derivatives)
    app.router.add_route("*", "/{tail:.*}", unknown)
    return app
