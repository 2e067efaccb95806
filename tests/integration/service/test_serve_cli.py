"""``riskbus serve`` as a user runs it: a real process on a free port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from riskbus.cli.main import main


def riskbus(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "riskbus.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_serve_listens_and_answers_health(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/s.db"
    process = riskbus("serve", "--port", "0", "--database", database, cwd=tmp_path)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("riskbus serving on http://127.0.0.1:"), line
        url = line.split()[-1]
        health = httpx.get(f"{url}/health", timeout=10).json()
        assert health["status"] == "healthy"
        scenarios = httpx.get(f"{url}/api/scenarios", timeout=10).json()
        assert "flash_crash_recovery.scenario.yaml" in [s["name"] for s in scenarios]
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "riskbus service stopped" in err


def test_serve_refuses_a_bad_port_and_a_taken_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        assert main(["serve", "--port", port]) == 3
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_exits_3_when_the_service_fails_to_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "risk.yaml"
    bad.write_text("rules:\n  daily_realized_loss: {limit: 5}\n")
    database = f"sqlite:///{tmp_path}/s.db"
    code = main(["serve", "--port", "0", "--database", database, "--risk-config", str(bad)])
    assert code == 3
    assert "the service failed to start" in capsys.readouterr().err
