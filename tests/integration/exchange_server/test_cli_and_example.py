"""``riskbus exchange serve`` as a user runs it, and the plain ccxt example script against it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskbus.cli.main import main
from riskbus.exchange.server import (
    TEST_API_KEY,
    TEST_SECRET,
    ExchangeServer,
    ServerThread,
    VenueConfig,
)
from tests.integration.exchange_server._support import control

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def served() -> Iterator[str]:
    """Start ``riskbus exchange serve --port 0`` and yield its URL (read from its banner)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "riskbus.cli.main",
            "exchange",
            "serve",
            "--market",
            "flash_crash",
            "--seed",
            "1",
            "--speed",
            "0",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert " on http://127.0.0.1:" in banner and "api_key=riskbus-test-api-key" in banner
        yield banner.split(" on ", 1)[1].split(" ", 1)[0]
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def test_the_plain_ccxt_example_trades_against_the_served_exchange(served: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "ccxt_local_trade.py"), served],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "BTC/USDT last 50000.0 bid 49950.0 ask 50050.0"
    assert lines[1] == "1 candles, last close 50000.0"
    assert lines[2] == "bought 0.01 BTC at 50050.0 (closed)"
    assert lines[3] == "limit order 2 open at 40000.0"
    assert lines[4] == "limit order 2 canceled"
    assert lines[5] == "balance BTC 1.01 USDT 99499.25"


def test_serve_refuses_a_bad_fault_file_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("faults:\n  - kind: outage\n    first: zero\n")
    assert main(["exchange", "serve", "--faults", str(faults), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{faults}:2 faults.0.outage.first" in err


def test_serve_refuses_an_unknown_market(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exchange", "serve", "--market", "moon_shot", "--port", "0"]) == 2
    assert "--market: unknown scenario 'moon_shot'" in capsys.readouterr().err


def test_riskbus_bot_run_live_trades_through_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RISKBUS_BINANCE_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("RISKBUS_BINANCE_SECRET", TEST_SECRET)
    server = ExchangeServer(VenueConfig(market="flash_crash", seed=1, speed=0))
    with ServerThread(server) as url:
        code = main(
            [
                "bot",
                "run",
                "--exchange",
                "binance",
                "--api-base-url",
                url,
                "--cycles",
                "3",
                "--poll-interval",
                "0.05",
                "--json",
            ]
        )
        requests = server.state.requests
    assert code == 0
    report = json.loads(capsys.readouterr().out)["BTC/USDT"]
    assert report["cycles"] == 3 and report["failed_fetches"] == 0
    assert requests == 1 + 3  # spot exchangeInfo, then one ticker per cycle


def test_market_time_moves_with_the_wall_clock_at_the_speed_factor() -> None:
    async def scenario() -> tuple[int, int]:
        server = ExchangeServer(VenueConfig(market="sideways", seed=1, speed=600_000))
        async with server:
            first = server.venue.market.now()
            await asyncio.sleep(0.01)  # >= 6,000 market seconds
            _, state = await control(server, "GET", "/_chaos")
            return first, state["market_step"]

    first, step = asyncio.run(scenario())
    assert step >= 100  # one step per market minute
    assert first > 0
