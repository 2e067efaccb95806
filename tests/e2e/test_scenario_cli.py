"""`riskbus run | demo | validate | replay`, driven like a user."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskbus.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FLASH = ROOT / "examples" / "scenarios" / "flash_crash_recovery.scenario.yaml"


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_passes_and_writes_results_and_a_recording(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    results, rec = tmp_path / "results.json", tmp_path / "rec.jsonl"
    code, out, _ = run(capsys, "run", str(FLASH), "--output", str(results), "--record", str(rec))
    assert code == 0
    assert out.startswith("PASSED Flash Crash Recovery Test — 6/6 assertions, 50 cycles")
    data = json.loads(results.read_text())
    assert data["status"] == "passed"
    assert data["seed"] == 42
    assert data["recording"] == str(rec)
    assert rec.read_bytes().count(b"\n") == len(rec.read_bytes().splitlines())


def test_a_failure_exits_1_with_seed_and_reproduce_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fail.scenario.yaml"
    path.write_text(
        "name: fails\nsetup: {exchange: {scenario: flash_crash}}\nsteps:\n"
        "  - wait_for_cycles: 10\n  - assert: {event_count: {PositionSold: {min: 1}}}\n"
    )
    code, out, _ = run(capsys, "run", str(path), "--seed", "5")
    assert code == 1
    assert "FAILED fails" in out
    assert "✗ event_count.PositionSold.min: expected >= 1, found 0" in out
    assert f"seed 5 — reproduce with: riskbus run {path} --seed 5" in out


def test_an_unknown_key_exits_2_naming_the_key_and_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.scenario.yaml"
    path.write_text(
        "name: bad\nsetup:\n  exchange:\n    scenaro: flash_crash\nsteps:\n  - wait_for_cycles: 1\n"
    )
    for command in ("run", "validate"):
        code, _out, err = run(capsys, command, str(path))
        assert code == 2
        assert f"{path}:4 setup.exchange.scenaro: unknown key 'scenaro'" in err
        assert "did you mean 'scenario'" in err


def test_validate_accepts_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in (ROOT / "examples" / "scenarios").glob("*.scenario.yaml"))
    code, out, _ = run(capsys, "validate", *files)
    assert code == 0
    assert out.count("\nok ") + out.startswith("ok ") == len(files)


def test_format_json_prints_the_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "run", str(FLASH), "--format", "json", "--seed", "3")
    assert code == 0
    payload = json.loads(out[out.index("{") :])
    assert payload["seed"] == 3
    assert payload["scenario"]["name"] == "Flash Crash Recovery Test"


def test_report_markdown_is_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    code, out, _ = run(capsys, "run", str(FLASH), "--report", str(report))
    assert code == 0
    assert f"report: {report}" in out
    assert report.read_text().strip()


def test_demo_writes_its_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert code == 0
    assert out.startswith("PASSED Flash Crash Recovery Test")
    assert "report: " in out
    assert (tmp_path / "demo" / "results.json").is_file()
    reports = list((tmp_path / "demo").glob("report.*"))
    assert len(reports) == 1


def test_replay_filters_events(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rec = tmp_path / "rec.jsonl"
    assert run(capsys, "run", str(FLASH), "--record", str(rec))[0] == 0
    code, out, _ = run(capsys, "replay", str(rec), "--filter", "PositionPurchased", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["cycle"] for r in rows] == [20, 21, 22, 23, 24]
    assert rows[0]["event"] == "PositionPurchased"
    assert rows[0]["t"] == 1200.0  # virtual seconds since the scenario start
    code, _, err = run(capsys, "replay", str(rec), "--filter", "PositionPurchsed")
    assert code == 2
    assert (
        "--filter: unknown message type 'PositionPurchsed'; did you mean PositionPurchased" in err
    )
    code, out, _ = run(capsys, "replay", str(rec), "--speed", "1000")
    assert code == 2
