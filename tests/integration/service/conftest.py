"""Fixtures of the service tests: settings on temporary folders, an in-process client, a
real uvicorn server on a free port, and scenario files (a failing one, a long one, a broken
one) next to the bundled demo."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from riskbus.service.app import create_app
from riskbus.service.settings import Settings, default_scenario_dirs

with warnings.catch_warnings():  # starlette's notice about httpx; the client works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ADMIN_TOKEN = "s3cret-admin-token"

FAILING = """\
name: "Failing on purpose"
description: "Asks for far more purchases than a flash crash gives"
setup:
  exchange: {scenario: flash_crash, initial_price: 50000.0}
steps:
  - wait_for_cycles: 30
  - assert:
      event_count:
        PositionPurchased: {min: 1000}
        BotMonitoringCycleStarted: {min: 30}
"""

LONG = """\
name: "A very long run"
description: "Runs for minutes unless stopped"
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
steps:
  - wait_for_cycles: 1000000
"""

BROKEN = """\
name: "Broken"
setup:
  exchange: {scenario: flash_crash, initial_prize: 5}
steps: []
"""

__all__ = ["ADMIN_TOKEN", "TestClient", "live_server", "wait_for"]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.02) -> None:
    """Poll ``predicate`` until it holds (fails the test after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "failing.scenario.yaml").write_text(FAILING)
    (folder / "long.scenario.yaml").write_text(LONG)
    (folder / "broken.scenario.yaml").write_text(BROKEN)
    return folder


@pytest.fixture
def make_settings(tmp_path: Path, scenario_dir: Path) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path}/service.db",
            "recordings_dir": tmp_path / "recordings",
            "scenario_dirs": [*default_scenario_dirs()[:1], scenario_dir],
            "admin_token": ADMIN_TOKEN,
            "workers": 2,
            "plan_latency_ms": 20,
            "plan_settle_ms": 50,
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client


def live_server(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start ``app`` under uvicorn on a free port in a thread; return it and its URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), timeout=60)
    assert server.started, "the server did not start"
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def server_url(make_settings: Callable[..., Settings]) -> Iterator[str]:
    server, thread, url = live_server(create_app(make_settings()))
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)
