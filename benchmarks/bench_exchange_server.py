"""Exchange server: order round trips/s from one ccxt async client over loopback.

The server (``riskbus exchange serve --speed 0 --weight-limit 0 --order-limit 0``) runs in
its own process; one ``ccxt.async_support.binance`` client from
:func:`riskbus.exchange.ccxt_local` (rate limiter off) places market orders, alternating
buy and sell of 0.0002 BTC, with ``concurrency`` requests in flight on its one session.
A round trip is one ``create_order`` call: ccxt builds and signs the request, the server
checks the signature and weight, places and fills the order in the simulated exchange and
answers (Binance's default ``FULL`` JSON with the fills; a second series asks for
``newOrderRespType=RESULT``, the order without its fills), ccxt parses the answer into its
order structure. Latency percentiles are per call (wall time from the call to its parsed
result).
Target (issue F8): ≥ 2,000 round trips/s; p50 and p99 reported.

The machine this runs on may be shared, so the table also gives the CPU time each side
spends per round trip (client: ``time.process_time``; server: its ``/proc`` CPU times) and
the rate the slower side could sustain with a core to itself (``1 / max(cpu)``).

Run: ``python benchmarks/bench_exchange_server.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, print_table
from riskbus.exchange import ccxt_local

ROOT = Path(__file__).resolve().parent.parent


def _start_server() -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "riskbus.cli.main",
        "exchange",
        "serve",
        "--port",
        "0",
        "--speed",
        "0",
        "--weight-limit",
        "0",
        "--order-limit",
        "0",
        "--market",
        "sideways",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    line = process.stdout.readline()
    if " on http://" not in line:
        process.kill()
        raise RuntimeError(f"the server did not start: {line!r}")
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    return process, url


async def _round_trips(
    url: str, count: int, concurrency: int, response: str = "FULL"
) -> tuple[float, list[float]]:
    exchange: Any = ccxt_local(
        url=url,
        enableRateLimit=False,
        timeout=30_000,
        options={"newOrderRespType": {"market": response, "limit": response}},
    )
    try:
        await exchange.load_markets()
        latencies: list[float] = []
        sides = ("buy", "sell")

        async def worker(index: int, share: int) -> None:
            for k in range(share):
                started = time.perf_counter()
                await exchange.create_order("BTC/USDT", "market", sides[(index + k) % 2], 0.0002)
                latencies.append(time.perf_counter() - started)

        for k in range(200):  # warm up the connection pool and both sides
            await exchange.create_order("BTC/USDT", "market", sides[k % 2], 0.0002)
        share = count // concurrency
        started = time.perf_counter()
        await asyncio.gather(*(worker(i, share) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
        return share * concurrency / elapsed, latencies
    finally:
        await exchange.close()


def _run(coroutine: Any) -> Any:
    try:  # the client on uvloop, as a latency-minded ccxt user runs it
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _server_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) process ``pid`` used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _measure(
    pid: int, url: str, count: int, repeats: int, response: str
) -> tuple[list[float], list[float], float, float]:
    """Return the rates, the latencies and the client and server CPU µs per round trip."""
    rates: list[float] = []
    latencies: list[float] = []
    server_before, client_before = _server_cpu(pid), time.process_time()
    for _ in range(repeats):
        rate, lat = _run(_round_trips(url, count, 16, response))
        rates.append(rate)
        latencies.extend(lat)
    trips = repeats * (count + 201)  # + warm-up and load_markets
    server_us = (_server_cpu(pid) - server_before) / trips * 1e6
    client_us = (time.process_time() - client_before) / trips * 1e6
    return rates, latencies, client_us, server_us


def run(quick: bool = False) -> list[Row]:
    """Return the rows: FULL and RESULT answers at 16 in flight, then one at a time."""
    process, url = _start_server()
    rows: list[Row] = []
    ms = 1000.0
    try:
        count, repeats = (4_000, 1) if quick else (20_000, 3)
        for response in ("FULL", "RESULT"):
            rates, latencies, client_us, server_us = _measure(
                process.pid, url, count, repeats, response
            )
            label = f"{response}, 16 in flight"
            rows += [
                {
                    "name": f"order round trips ({label})",
                    "value": statistics.median(rates),
                    "unit": "orders/s",
                    "target": 2000,
                    "spread": (min(rates), max(rates)),
                },
                {
                    "name": f"latency p50 ({label})",
                    "value": _percentile(latencies, 0.50) * ms,
                    "unit": "ms",
                    "lower_is_better": True,
                },
                {
                    "name": f"latency p99 ({label})",
                    "value": _percentile(latencies, 0.99) * ms,
                    "unit": "ms",
                    "lower_is_better": True,
                },
                {
                    "name": f"client CPU per round trip ({response})",
                    "value": client_us,
                    "unit": "µs",
                },
                {
                    "name": f"server CPU per round trip ({response})",
                    "value": server_us,
                    "unit": "µs",
                },
                {
                    "name": f"capacity, a core per side ({response})",
                    "value": 1e6 / max(client_us, server_us),
                    "unit": "orders/s",
                    "target": 2000,
                },
            ]
        _, sequential = _run(_round_trips(url, 1_000 if quick else 4_000, 1))
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    rows += [
        {
            "name": "sequential round trips (FULL, 1 in flight)",
            "value": 1 / statistics.mean(sequential),
            "unit": "orders/s",
        },
        {
            "name": "latency p50 (1 in flight)",
            "value": _percentile(sequential, 0.50) * ms,
            "unit": "ms",
            "lower_is_better": True,
        },
        {
            "name": "latency p99 (1 in flight)",
            "value": _percentile(sequential, 0.99) * ms,
            "unit": "ms",
            "lower_is_better": True,
        },
    ]
    return rows


if __name__ == "__main__":
    print_table(__doc__.strip().splitlines()[0], run(quick="--quick" in sys.argv))
