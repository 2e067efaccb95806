"""Service: latency, concurrency and memory of a real ``riskbus serve`` over HTTP.

Targets (issue F7): ``GET /health`` p95 ≤ 5 ms; list endpoints p95 ≤ 20 ms; a prediction
(``POST /api/v1/predictions``) p95 ≤ 50 ms; 1,000 concurrent mixed requests all answered;
server memory (RSS, psutil) growth ≤ 5 % over 10,000 requests after a warm-up.
The server is ``riskbus serve --port 0`` in its own process on 127.0.0.1 (a temporary
SQLite store); the client is one ``httpx.AsyncClient``. Latencies are measured one request
at a time, client included; one more ``/health`` row uses a bare keep-alive socket, to show
the server's share without httpx's own overhead (about 2 ms a request here).
Run: ``python benchmarks/bench_service.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psutil  # type: ignore[import-untyped]

from _common import Row, print_table

LISTS = (
    "/api/scenarios",
    "/api/runs",
    "/api/recordings",
    "/api/plans",
    "/api/risk/lockouts",
    "/api/risk/violations",
    "/api/risk/audit",
    "/api/v1/predictions?limit=100",
)
PREDICTION = {"pair": "BTC/USDT", "horizon_days": 7, "market": "bull_run"}


@contextmanager
def server() -> Iterator[tuple[str, int]]:
    """Start ``riskbus serve --port 0``; yield its URL and process id."""
    with tempfile.TemporaryDirectory(prefix="riskbus-bench-") as tmp:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "riskbus.cli.main",
                "serve",
                "--port",
                "0",
                "--database",
                f"sqlite:///{tmp}/bench.db",
                "--recordings",
                f"{tmp}/recordings",
                "--log-level",
                "warning",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("riskbus serving on "):
                raise RuntimeError(f"the server did not start: {line!r}")
            yield line.split()[-1], process.pid
        finally:
            process.terminate()
            process.wait(30)


def p95(samples: list[float]) -> float:
    """The 95th percentile (inclusive method)."""
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


async def latencies(
    client: httpx.AsyncClient, method: str, path: str, n: int, body: object = None
) -> list[float]:
    """``n`` sequential requests; milliseconds each (every answer must be < 500)."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.request(method, path, json=body)
        out.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 500:
            raise RuntimeError(f"{method} {path} -> {response.status_code}")
    return out


async def raw_latencies(url: str, path: str, n: int) -> list[float]:
    """``n`` sequential keep-alive GETs on a bare socket: the server's share of the time."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    out = []
    try:
        for _ in range(n):
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            out.append((time.perf_counter() - start) * 1000)
    finally:
        writer.close()
    return out


def mixed(k: int) -> tuple[str, str, object]:
    """The ``k``-th request of the mixed load."""
    kinds: list[tuple[str, str, object]] = [
        ("GET", "/health", None),
        ("GET", "/api/scenarios", None),
        ("GET", "/api/risk/state", None),
        ("GET", "/metrics", None),
        ("GET", "/api/scenarios/flash_crash_recovery", None),
        ("GET", "/api/v1/predictions?limit=10", None),
        ("POST", "/api/v1/predictions", PREDICTION),
        ("GET", "/api/status/unknown", None),
    ]
    return kinds[k % len(kinds)]


async def concurrent(client: httpx.AsyncClient, n: int) -> int:
    """Send ``n`` mixed requests at once; return how many got an answer below 500."""

    async def one(k: int) -> bool:
        method, path, body = mixed(k)
        try:
            response = await client.request(method, path, json=body)
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    return sum(await asyncio.gather(*(one(k) for k in range(n))))


async def load(client: httpx.AsyncClient, n: int, width: int = 50) -> None:
    """``n`` mixed requests, ``width`` in flight at a time."""
    for start in range(0, n, width):
        await concurrent_slice(client, start, min(width, n - start))


#: Requests sent again because the server had just closed the idle keep-alive connection
#: httpx picked (a client-side race of HTTP/1.1 keep-alive, not an unanswered request).
RESENT: list[str] = []


async def send(client: httpx.AsyncClient, method: str, path: str, body: object) -> httpx.Response:
    """One request, sent once more if its pooled connection turned out closed."""
    try:
        return await client.request(method, path, json=body)
    except httpx.RemoteProtocolError:
        RESENT.append(path)
        return await client.request(method, path, json=body)


async def concurrent_slice(client: httpx.AsyncClient, start: int, n: int) -> None:
    async def one(k: int) -> None:
        method, path, body = mixed(k)
        response = await send(client, method, path, body)
        if response.status_code >= 500:
            raise RuntimeError(f"{method} {path} -> {response.status_code}")

    await asyncio.gather(*(one(start + k) for k in range(n)))


async def measure(url: str, pid: int, quick: bool) -> list[Row]:
    n = 200 if quick else 1000
    limits = httpx.Limits(max_connections=1100, max_keepalive_connections=1100)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await latencies(client, "GET", "/health", 50)  # warm-up
        health = await latencies(client, "GET", "/health", n)
        raw_health = await raw_latencies(url, "/health", n)
        lists: list[float] = []
        for path in LISTS:
            lists += await latencies(client, "GET", path, max(20, n // len(LISTS)))
        predictions = await latencies(client, "POST", "/api/v1/predictions", n // 5, PREDICTION)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        answered = await concurrent(client, 1000)  # a fresh pool: 1,000 new connections
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        process = psutil.Process(pid)
        total = 2000 if quick else 10_000
        await load(client, 1000)  # warm-up: caches, pools, first allocations
        before = process.memory_info().rss
        await load(client, total)
        after = process.memory_info().rss
    growth = 100.0 * (after - before) / before
    return [
        _latency("GET /health p95", health, 5.0),
        _latency("GET /health p95, bare-socket client", raw_health, 5.0),
        _latency(f"list endpoints p95 ({len(LISTS)} lists)", lists, 20.0),
        _latency("POST /api/v1/predictions p95", predictions, 50.0),
        {
            "name": "1,000 concurrent mixed requests answered",
            "value": answered,
            "unit": "requests",
            "target": 1000,
        },
        {
            "name": f"RSS growth over {total:,} requests",
            "value": max(growth, 0.01),  # floor: a ratio needs a non-zero value
            "unit": f"% ({before / 2**20:.0f}→{after / 2**20:.0f} MiB, {len(RESENT)} resent)",
            "target": 5.0,
            "lower_is_better": True,
        },
    ]


def _latency(name: str, samples: list[float], target: float) -> Row:
    return {
        "name": name,
        "value": p95(samples),
        "unit": f"ms (median {statistics.median(samples):.2f}, n={len(samples)})",
        "target": target,
        "lower_is_better": True,
        "spread": (min(samples), max(samples)),
    }


def run(quick: bool = False) -> list[Row]:
    """Start the server, measure, stop it."""
    with server() as (url, pid):
        return asyncio.run(measure(url, pid, quick))


if __name__ == "__main__":
    print_table(__doc__.strip().splitlines()[0], run(quick="--quick" in sys.argv))
