"""`riskbus smoke` and `riskbus guard`, driven like a user: in process and as a daemon."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue

import pytest

from riskbus.cli.main import main
from riskbus.store import open_store

CONFIG = """\
account: {id: paper, currency: USD, timezone: America/Chicago}
schedule: {daily_reset: "17:00"}
rules:
  daily_realized_loss: {limit: -500}
  max_contracts: {limit: 10}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "risk.yaml"
    path.write_text(CONFIG)
    return path


# -- smoke ----------------------------------------------------------------------------------


def test_smoke_exits_0_with_all_8_checkpoints_in_a_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "smoke")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line[:2].strip().isdigit()]
    assert [row[0] for row in rows] == [str(n) for n in range(1, 9)]
    assert all("PASS" in row for row in rows)
    assert "enforcement flatten_all by daily_realized_loss" in out
    assert "position flattened ok" in out and "orders cancelled ok" in out
    assert "lockout recorded ok" in out
    assert out.rstrip().endswith("smoke passed: 8/8 checkpoints, breach enforced")


def test_smoke_json_is_machine_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "smoke", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["passed"] is True
    assert [c["name"] for c in payload["checkpoints"]][-1] == "enforcement triggered"
    assert payload["lockouts"][0]["rule"] == "daily_realized_loss"


@pytest.mark.parametrize(
    ("stop_after", "last"), [("0", "5 (event loop running)"), ("3", "7 (rule evaluated)")]
)
def test_smoke_that_stalls_exits_2_naming_the_last_checkpoint(
    capsys: pytest.CaptureFixture[str], stop_after: str, last: str
) -> None:
    code, out, err = run(capsys, "smoke", "--stop-after", stop_after, "--timeout", "5")
    assert code == 2
    assert f"stalled: last checkpoint reached {last}" in err
    assert " 8  enforcement triggered  -" in out


def test_smoke_exits_1_on_an_exception_without_a_traceback_unless_verbose(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"
    code, _, err = run(capsys, "smoke", "--database", bad)
    assert code == 1
    assert "smoke failed: ConfigError" in err and "cannot open the database" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "smoke", "--database", bad, "--verbose")
    assert code == 1 and "Traceback (most recent call last)" in err


def test_smoke_refuses_a_non_positive_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "smoke", "--timeout", "0")
    assert code == 2 and "--timeout must be > 0" in err


# -- guard in process -----------------------------------------------------------------------


def test_guard_dry_run_enforces_a_breach_and_a_restart_restores_the_lockout(
    capsys: pytest.CaptureFixture[str], config: Path, store_url: str
) -> None:
    url = store_url
    args = ["guard", "--config", str(config), "--dry-run", "--database", url, "--symbols", "MNQ"]
    code, out, err = run(capsys, *args, "--drill", "--duration", "0.3")
    assert code == 0, err
    for n in range(1, 9):
        assert f"checkpoint {n}/8 " in out
    assert "violation daily_realized_loss → lockout: DAILY_LOSS_LIMIT: realized=-550.00" in out
    assert "drill: loss realized ok, position flattened ok, orders cancelled ok" in out
    assert "state HALTED" in out and "locked: daily_realized_loss" in out
    with open_store(url) as store:
        [record] = store.lockouts.history()
        assert (record.rule, record.cleared_at) == ("daily_realized_loss", None)
    code, out, _ = run(capsys, *args, "--duration", "0.3", "--json")
    assert code == 0
    assert "restored 1 lockout(s); trading state HALTED" in out
    summary = json.loads(out.splitlines()[-1])
    assert summary["state"] == "HALTED" and summary["venue"] == "simulated"
    assert [lock["rule"] for lock in summary["lockouts"]] == ["daily_realized_loss"]


def test_guard_prints_the_orders_its_rules_deny(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text(CONFIG + "  symbol_blocks: {blocked_symbols: [MNQ]}\n")
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    code, out, _ = run(
        capsys, "guard", "--config", str(path), "--dry-run", "--database", url, "--drill",
        "--symbols", "MNQ", "--duration", "0.2",
    )  # fmt: skip
    assert code == 0
    denied = [line for line in out.splitlines() if line.startswith("denied MNQ order drill-")]
    assert len(denied) == 3 and all("SYMBOL_BLOCKED" in line for line in denied), out
    assert "drill: loss realized NO" in out and "state ACTIVE" in out


def test_guard_with_an_invalid_config_exits_2_naming_key_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("account: {id: x}\nrules:\n  daily_realized_loss: {limit: 500}\n")
    code, out, err = run(capsys, "guard", "--config", str(path), "--dry-run", "--duration", "1")
    assert code == 2 and out == ""
    assert f"{path}:3 rules.daily_realized_loss.limit: Input should be less than 0" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--exchange", "binance", "--drill"], "--drill runs only against the simulated"),
        (["--exchange", "binanse", "--dry-run"], "unknown venue id 'binanse'"),
        (["--symbols", "MNQ,XYZ"], "XYZ"),
        (["--symbols", " , "], "give at least one symbol"),
        (["--duration", "-1"], "--duration must be > 0"),
        (["--fills", "0"], "--fills must be > 0"),
    ],
)
def test_guard_bad_options_exit_2_naming_them(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    code, _, err = run(capsys, "guard", "--config", str(config), "--database", url, *extra)
    assert code == 2 and message in err


def test_guard_with_an_unreachable_venue_exits_3(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    code, out, err = run(
        capsys,
        "guard",
        "--config",
        str(config),
        "--database",
        url,
        "--exchange",
        "binance",
        "--api-base-url",
        "http://127.0.0.1:9",
        "--duration",
        "1",
    )
    assert code == 3, err
    assert "checkpoint 2/8 config loaded" in out and "checkpoint 3/8" not in out
    assert "binance" in err


# -- guard as a daemon ----------------------------------------------------------------------


class Daemon:
    """`riskbus guard` in a subprocess; its stdout lines read on a thread."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "riskbus.cli.main", "guard", *args]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: Queue[str] = Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put(line.rstrip("\n"))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=60)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except Empty:
                raise AssertionError(f"no {text!r} in {self.seen}") from None
            self.seen.append(line)
            if text in line:
                return line

    def terminate(self) -> tuple[int, list[str]]:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self._reader.join(timeout=60)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, self.seen


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.close()


def test_a_live_guard_answers_admin_config_reload_wait(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path, daemons: list[Daemon]
) -> None:
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    daemon = Daemon("--config", str(config), "--dry-run", "--database", url, "--poll", "0.1")
    daemons.append(daemon)
    daemon.wait_for("checkpoint 5/8 event loop running")
    config.write_text(CONFIG.replace("limit: 10", "limit: 4"))
    code, out, _ = run(capsys, "admin", "config", "reload", "--database", url, "--wait", "30")
    assert code == 0 and "applied" in out, out
    assert "config reloaded (" in daemon.wait_for("config reloaded")
    code, lines = daemon.terminate()
    assert code == 0 and lines[-1].startswith("guard stopped after")
    with open_store(url) as store:
        outcomes = [
            (e.outcome, e.details.get("trigger"))
            for e in store.audit.entries()
            if e.action == "risk.config.reload"
        ]
    assert ("requested", None) in outcomes and ("applied", "admin") in outcomes


def test_sigterm_stops_the_guard_gracefully_keeping_its_state(
    config: Path, tmp_path: Path, daemons: list[Daemon]
) -> None:
    db = tmp_path / "guard.db"
    url = f"sqlite:///{db}"
    args = ("--config", str(config), "--dry-run", "--database", url, "--symbols", "MNQ")
    daemon = Daemon(*args, "--drill")
    daemons.append(daemon)
    assert "lockout recorded ok" in daemon.wait_for("drill: loss realized")
    code, lines = daemon.terminate()
    assert code == 0
    assert any("guard stopped after" in line and "state HALTED" in line for line in lines)
    assert not Path(f"{db}-wal").exists()  # the store was closed: the WAL checkpointed away
    with open_store(url) as store:
        assert [r.rule for r in store.lockouts.active(0)] == ["daily_realized_loss"]
        assert store.checkpoints.get("rule-state:daily_realized_loss") is not None
