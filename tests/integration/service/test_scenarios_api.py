"""The scenario API of the original dashboard, run for real in worker processes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from riskbus.service.app import create_app
from riskbus.service.settings import Settings
from tests.integration.service.conftest import TestClient, wait_for

FLASH = "flash_crash_recovery.scenario.yaml"


def finish(client: TestClient, test_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll the status until the run has ended; return the last status."""
    seen: dict[str, Any] = {}

    def ended() -> bool:
        seen.update(client.get(f"/api/status/{test_id}").json())
        return seen["status"] not in ("queued", "running")

    wait_for(ended, timeout=timeout)
    return seen


def sse(client: TestClient, test_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Read a run's event stream to its end: (event, data) pairs."""
    events: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/runs/{test_id}/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events


def test_lists_the_bundled_and_the_configured_scenarios(client: TestClient) -> None:
    rows = {row["name"]: row for row in client.get("/api/scenarios").json()}
    assert set(rows) == {
        FLASH,
        "failing.scenario.yaml",
        "long.scenario.yaml",
        "broken.scenario.yaml",
    }
    assert rows[FLASH]["title"] == "Flash Crash Recovery Test"
    assert rows[FLASH]["valid"] is True
    broken = rows["broken.scenario.yaml"]
    assert broken["valid"] is False
    assert "initial_prize" in broken["error"]


def test_preview_shows_the_yaml_and_its_shape(client: TestClient) -> None:
    body = client.get("/api/scenarios/flash_crash_recovery").json()
    assert body["name"] == FLASH
    assert "wait_for_cycles: 50" in body["yaml"]
    assert (body["steps"], body["chaos"]) == (2, 1)
    missing = client.get("/api/scenarios/nope")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "no scenario named 'nope'",
        "error_code": "SCENARIO_NOT_FOUND",
    }


def test_flash_crash_passes_with_six_of_six_and_its_report_chart_and_recording(
    client: TestClient,
) -> None:
    accepted = client.post("/api/run", json={"scenario": FLASH, "recording": True})
    assert accepted.status_code == 202
    test_id = accepted.json()["test_id"]
    status = finish(client, test_id)
    assert status["status"] == "passed"
    assert (status["assertions_passed"], status["assertions_total"]) == (6, 6)
    assert status["events_recorded"] > 400
    assert status["seed"] == 42
    assert status["chaos"]["events_delayed"] == 1
    assert status["chaos"]["total_delay_ms"] == 5000
    names = [a["name"] for a in status["assertions"]]
    assert "event_count.PositionPurchased.min" in names
    assert all(a["passed"] for a in status["assertions"])
    assert status["duration"] > 0

    chart = client.get(f"/api/runs/{test_id}/chart").json()
    assert len(chart["prices"]) == 50  # one fetch per cycle
    assert {t["side"] for t in chart["trades"]} == {"buy", "sell"}
    assert chart["faults"] == [{"start": 1500.0, "end": 1560.0, "kind": "delay_event"}]
    assert min(p["price"] for p in chart["prices"]) < 50000 * 0.9  # the crash is there

    report = client.get(f"/api/runs/{test_id}/report")
    assert report.headers["content-type"].startswith("text/html")
    assert "Flash Crash Recovery Test" in report.text

    [recording] = client.get("/api/recordings").json()
    assert recording["name"] == f"flash_crash_recovery-{test_id}.jsonl"
    assert (recording["scenario"], recording["seed"]) == ("Flash Crash Recovery Test", 42)
    page = client.get(f"/api/recordings/{recording['name']}?offset=2&limit=3").json()
    assert page["total"] == recording["events"] > 400
    assert [e["index"] for e in page["events"]] == [2, 3, 4]
    first = client.get(f"/api/recordings/{recording['name']}?limit=1").json()["events"][0]
    assert first["event"] == "BotMonitoringCycleStarted"
    runs = client.get("/api/runs").json()
    assert [r["test_id"] for r in runs] == [test_id]


def test_a_failing_scenario_ends_failed_and_names_the_failed_assertion(
    client: TestClient,
) -> None:
    test_id = client.post("/api/run", json={"scenario": "failing", "seed": 7}).json()["test_id"]
    status = finish(client, test_id)
    assert status["status"] == "failed"
    assert status["seed"] == 7
    assert (status["assertions_passed"], status["assertions_total"]) == (4, 5)  # + invariants
    [failed] = [a for a in status["assertions"] if not a["passed"]]
    assert failed["name"] == "event_count.PositionPurchased.min"
    events = sse(client, test_id)
    errors = [d["message"] for e, d in events if e == "log" and d["level"] == "ERROR"]
    assert any("event_count.PositionPurchased.min" in m for m in errors)
    assert errors[-1].startswith("FAILED: 4/5 assertions")
    assert events[-1] == ("end", {"status": "failed", "test_id": test_id})


def test_the_live_log_streams_lines_with_levels_and_ends_with_the_run(
    client: TestClient,
) -> None:
    test_id = client.post("/api/run", json={"scenario": FLASH, "verbose": True}).json()["test_id"]
    events = sse(client, test_id)  # opened while the run is queued or running
    levels = {d["level"] for e, d in events if e == "log"}
    assert {"INFO", "SUCCESS", "WARNING"} <= levels
    messages = [d["message"] for e, d in events if e == "log"]
    assert any(m.startswith("✓ step 1: wait_for_cycles: 50") for m in messages)
    assert any(m.startswith("✓ event_count.PositionPurchased.min") for m in messages)  # verbose
    assert "fault delay_event (F1) from 1500s to 1560s" in messages
    assert messages[-1].startswith("PASSED: 6/6 assertions, 50 cycles")
    assert events[-1][0] == "end"
    assert events[-1][1]["status"] == "passed"


def test_stop_terminates_a_long_run(client: TestClient) -> None:
    test_id = client.post("/api/run", json={"scenario": "long"}).json()["test_id"]
    wait_for(lambda: client.get(f"/api/status/{test_id}").json()["status"] == "running")
    early = client.get(f"/api/runs/{test_id}/report")
    assert (early.status_code, early.json()["error_code"]) == (409, "RUN_NOT_FINISHED")
    stopped = client.post(f"/api/stop/{test_id}")
    assert stopped.status_code == 200
    status = finish(client, test_id)
    assert status["status"] == "stopped"
    assert status["assertions_total"] == 0
    events = sse(client, test_id)
    warnings = [d["message"] for e, d in events if e == "log" and d["level"] == "WARNING"]
    assert warnings == ["stop requested", "stopped"]
    assert events[-1][1]["status"] == "stopped"
    again = client.post(f"/api/stop/{test_id}")  # stopping an ended run changes nothing
    assert again.json()["status"] == "stopped"


def test_several_runs_at_once_each_with_its_own_result(client: TestClient) -> None:
    long_id = client.post("/api/run", json={"scenario": "long"}).json()["test_id"]
    ids = [
        client.post("/api/run", json={"scenario": FLASH, "seed": seed}).json()["test_id"]
        for seed in (1, 2, 3)
    ]
    assert len(set(ids)) == 3
    results = [finish(client, test_id) for test_id in ids]  # while the long one holds a worker
    assert [r["seed"] for r in results] == [1, 2, 3]
    assert all(r["status"] in ("passed", "failed") for r in results)
    assert client.get(f"/api/status/{long_id}").json()["status"] == "running"
    client.post(f"/api/stop/{long_id}")
    assert finish(client, long_id)["status"] == "stopped"


def test_bad_run_requests_get_error_bodies(client: TestClient) -> None:
    unknown = client.post("/api/run", json={"scenario": "nope"})
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, "SCENARIO_NOT_FOUND")
    broken = client.post("/api/run", json={"scenario": "broken"})
    assert broken.status_code == 400
    assert broken.json()["error_code"] == "INVALID_SCENARIO"
    assert "setup.exchange.initial_prize" in broken.json()["detail"]
    extra = client.post("/api/run", json={"scenario": FLASH, "speed": 3})
    assert extra.status_code == 422
    assert extra.json() == {
        "detail": "body.speed: Extra inputs are not permitted",
        "error_code": "VALIDATION_ERROR",
    }
    negative = client.post("/api/run", json={"scenario": FLASH, "seed": -1})
    assert negative.status_code == 422
    assert negative.json()["detail"].startswith("body.seed:")
    for path in ("/api/status/zzz", "/api/runs/zzz/chart", "/api/runs/zzz/events"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error_code"] == "RUN_NOT_FOUND"
    assert client.post("/api/stop/zzz").json()["error_code"] == "RUN_NOT_FOUND"
    missing = client.get("/api/recordings/nope.jsonl")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RECORDING_NOT_FOUND")


def test_a_queued_run_stopped_never_starts(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(workers=1))) as client:
        long_id = client.post("/api/run", json={"scenario": "long"}).json()["test_id"]
        queued = client.post("/api/run", json={"scenario": FLASH}).json()
        assert queued["status"] == "queued"
        wait_for(lambda: client.get(f"/api/status/{long_id}").json()["status"] == "running")
        assert client.get(f"/api/status/{queued['test_id']}").json()["status"] == "queued"
        stopped = client.post(f"/api/stop/{queued['test_id']}").json()
        assert (stopped["status"], stopped["duration"]) == ("stopped", 0.0)
        client.post(f"/api/stop/{long_id}")
        assert finish(client, long_id)["status"] == "stopped"
        assert 'riskbus_scenario_runs_finished_total{status="stopped"} 2' in (
            client.get("/metrics").text
        )
