"""`riskbus bridge`: publish a recording, consume it in a group, and read the status."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex
from typing import Any

import pytest
import redis

from riskbus.cli.main import main
from riskbus.core.serialization import from_json, read_jsonl, write_jsonl
from riskbus.model.enums import TradingState
from riskbus.model.events import OrderAccepted, TradingStateChanged
from tests.stubs import order_filled

URL = "redis://127.0.0.1:6379/0"
EVENTS = [
    OrderAccepted(ts=1, client_order_id="O-1", symbol="MNQ"),
    order_filled(ts=2),
    TradingStateChanged(ts=3, old=TradingState.ACTIVE, new=TradingState.REDUCING),
    order_filled(ts=4, fill_id="T-2"),
]


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh key prefix in RISKBUS_REDIS_PREFIX, with the local Redis in RISKBUS_REDIS_URL."""
    name = f"rbcli-{token_hex(4)}"
    monkeypatch.setenv("RISKBUS_REDIS_URL", URL)
    monkeypatch.setenv("RISKBUS_REDIS_PREFIX", name)
    yield name
    client = redis.Redis.from_url(URL)
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    write_jsonl(path, EVENTS)
    return path


def _status(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["bridge", "status", "--json"]) == 0
    payload: dict[str, object] = json.loads(capsys.readouterr().out)
    return payload


def test_publish_consume_and_status(
    prefix: str, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bridge", "publish", str(recording)]) == 0
    assert capsys.readouterr().out.strip() == f"published 4 events to {prefix}:events"

    assert main(["bridge", "consume", "--types", "OrderFilled", "--max", "1"]) == 0
    out = capsys.readouterr()
    assert [from_json(line) for line in out.out.splitlines()] == [EVENTS[1]]
    assert "consumed 1 events" in out.err

    status = _status(capsys)
    assert status["prefix"] == prefix
    streams: Any = status["streams"]
    (stream,) = streams
    assert stream["stream"] == f"{prefix}:events" and stream["length"] == 4
    (group,) = stream["groups"]
    assert (group["name"], group["pending"], group["seen"]) == ("cli", 0, 1)
    assert group["consumers"] == ["cli-1"]
    assert group["lag"] == 2  # read up to the first fill: two entries after it

    # A restart of the same member resumes after what it acknowledged.
    assert main(["bridge", "consume", "--types", "OrderFilled", "--idle", "0.2"]) == 0
    assert [from_json(line) for line in capsys.readouterr().out.splitlines()] == [EVENTS[3]]

    assert main(["bridge", "status"]) == 0
    table = capsys.readouterr().out
    assert f"{prefix}:events" in table and "cli-1" in table


def test_consume_writes_a_recording(
    prefix: str, recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bridge", "publish", str(recording), "--types", "OrderAccepted,OrderFilled"]) == 0
    output = tmp_path / "out.jsonl"
    args = ["bridge", "consume", "--group", "audit", "--idle", "0.2", "--output", str(output)]
    assert main(args) == 0
    assert read_jsonl(output) == [EVENTS[0], EVENTS[1], EVENTS[3]]
    assert "consumed 3 events" in capsys.readouterr().err


def test_status_with_no_streams_says_so(prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bridge", "status"]) == 0
    assert f"no streams under {prefix}:" in capsys.readouterr().out


def test_missing_url_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RISKBUS_REDIS_URL", raising=False)
    assert main(["bridge", "status"]) == 2
    assert "--url: no Redis URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--url", "http://x"], "--url: invalid Redis URL 'http://x'"),
        (["consume", "--types", "OrderFiled"], "--types: unknown message type 'OrderFiled'"),
        (["publish", "missing.jsonl"], "missing.jsonl: no such file"),
    ],
)
def test_bad_input_exits_2_naming_the_option(
    prefix: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bridge", *args]) == 2
    assert message in capsys.readouterr().err


def test_unreachable_redis_exits_3_naming_the_url(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["bridge", "status", "--url", f"redis://127.0.0.1:{port}/0"]) == 3
    assert f"Redis at redis://127.0.0.1:{port}/0 is unavailable" in capsys.readouterr().err


def test_fresh_processes_know_every_event_type(prefix: str, recording: Path) -> None:
    """As a user runs it: a new interpreter per command, nothing imported beforehand."""
    command = [sys.executable, "-m", "riskbus.cli.main", "bridge"]
    published = subprocess.run(
        [*command, "publish", str(recording)], capture_output=True, text=True, check=False
    )
    assert published.returncode == 0, published.stderr
    consumed = subprocess.run(
        [*command, "consume", "--idle", "0.2"], capture_output=True, text=True, check=False
    )
    assert consumed.returncode == 0, consumed.stderr
    assert [from_json(line) for line in consumed.stdout.splitlines()] == EVENTS
