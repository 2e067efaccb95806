"""Recordings: JSONL format, typed replay at a speed with filters, record modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskbus.core.errors import BadInputError
from riskbus.model.events.bot import PositionPurchased
from riskbus.scenarios.recorder import RecordedEvent, Replayer, read_recording
from riskbus.scenarios.runner import ScenarioRunner

from .conftest import EXAMPLES

FLASH = EXAMPLES / "flash_crash_recovery.scenario.yaml"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "flash.jsonl"
    ScenarioRunner(FLASH, record=path).run()
    return path


def test_the_recording_is_jsonl_with_virtual_time_name_and_payload(recording: Path) -> None:
    lines = recording.read_text().splitlines()
    header = json.loads(lines[0])["recording"]
    assert header["seed"] == 42
    assert header["scenario"] == "Flash Crash Recovery Test"
    assert set(header) == {"scenario", "seed", "scenario_sha256", "riskbus_version", "start_ts"}
    assert header["start_ts"] == 1_704_067_200_000_000_000
    first = json.loads(lines[1])
    assert first["event"] == "BotMonitoringCycleStarted"
    assert first["cycle"] == 1
    assert first["ts"] == 1_704_067_260_000_000_000  # 2024-01-01 + one 60 s poll
    assert first["payload"] == {
        "type": "BotMonitoringCycleStarted",
        "ts": 1_704_067_260_000_000_000,
        "cycle_number": 1,
    }


def test_replay_rebuilds_typed_events_with_a_filter_and_a_speed(recording: Path) -> None:
    _header, events = read_recording(recording)
    slept: list[float] = []
    seen: list[RecordedEvent] = []
    replayer = Replayer(events, speed=10, names={"PositionPurchased"}, sleep=slept.append)
    assert replayer.replay(seen.append) == 5
    assert all(isinstance(e.message, PositionPurchased) for e in seen)
    assert [e.cycle for e in seen] == [20, 21, 22, 23, 24]
    assert slept == [6.0, 6.0, 6.0, 6.0]  # 60 virtual seconds apart, at 10x
    assert str(seen[0].message.purchase_price) == "42147.16"
    instant: list[float] = []
    assert Replayer(events, sleep=instant.append).replay(lambda e: None) == len(events)
    assert instant == []


def test_speed_is_bounded() -> None:
    with pytest.raises(BadInputError, match=r"between 0\.1 and 100"):
        Replayer([], speed=500)


def test_record_modes(tmp_path: Path) -> None:
    path = tmp_path / "cassette.jsonl"
    never = ScenarioRunner(FLASH, record=path, record_mode="none").run()
    assert never["status"] == "failed"
    assert never["assertions"]["results"][-1]["name"] == "recording.matches"
    assert "no recording at" in never["assertions"]["results"][-1]["message"]
    assert ScenarioRunner(FLASH, record=path, record_mode="once").run()["status"] == "passed"
    written = path.read_bytes()
    assert ScenarioRunner(FLASH, record=path, record_mode="once").run()["status"] == "passed"
    assert ScenarioRunner(FLASH, record=path, record_mode="none").run()["status"] == "passed"
    other = ScenarioRunner(FLASH, record=path, record_mode="once", seed=1).run()
    assert other["status"] == "failed"
    assert other["assertions"]["results"][-1]["message"].startswith("recording differs at line 1")
    assert path.read_bytes() == written  # once/none never overwrite
    # new: a cassette that is a prefix of the run is extended with the new events
    path.write_bytes(b"".join(written.splitlines(keepends=True)[:100]))
    assert ScenarioRunner(FLASH, record=path, record_mode="new").run()["status"] == "passed"
    assert path.read_bytes() == written
    ScenarioRunner(FLASH, record=path, record_mode="all", seed=1).run()
    assert path.read_bytes() != written


def test_a_malformed_recording_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"recording": {}}\n{"ts": 1, "event": "X", "payload": {"type": "Nope"}}\n')
    with pytest.raises(BadInputError) as caught:
        read_recording(path)
    assert caught.value.line == 2
