"""The app itself: health, OpenAPI, metrics, the event-flow graph, settings, lifespan and
error bodies."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from riskbus.core.errors import ConfigError
from riskbus.scenarios.runner import ScenarioRunner
from riskbus.service.app import STATIC_DIR, create_app
from riskbus.service.routes.events import graph
from riskbus.service.settings import Settings, default_scenario_dirs
from tests.integration.service.conftest import TestClient, wait_for

_SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"\})? -?[0-9.e+-]+$')


def test_health_answers_healthy_with_the_version(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    assert body["api"] == "riskbus"
    assert body["runs_active"] == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", body["version"])


def test_openapi_documents_every_endpoint_with_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/health",
        "/api/scenarios",
        "/api/scenarios/{name}",
        "/api/run",
        "/api/status/{test_id}",
        "/api/stop/{test_id}",
        "/api/runs/{test_id}/events",
        "/api/runs/{test_id}/report",
        "/api/runs/{test_id}/chart",
        "/api/recordings",
        "/api/recordings/{name}",
        "/api/eventflow",
        "/api/risk/state",
        "/api/risk/lockouts",
        "/api/risk/pnl",
        "/api/risk/violations",
        "/api/risk/audit",
        "/api/risk/unlock",
        "/api/risk/config/reload",
        "/api/plans",
        "/api/plans/{plan_id}",
        "/api/plans/{plan_id}/execute",
        "/api/plans/{plan_id}/cancel",
        "/metrics",
        "/api/v1/predictions",
    ):
        assert path in paths, path
    status = paths["/api/status/{test_id}"]["get"]["responses"]
    assert status["200"]["content"]["application/json"]["schema"]["$ref"].endswith("RunStatusOut")
    assert status["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_metrics_are_prometheus_text_and_count_runs(client: TestClient) -> None:
    test_id = client.post("/api/run", json={"scenario": "flash_crash_recovery"}).json()["test_id"]
    wait_for(lambda: client.get(f"/api/status/{test_id}").json()["status"] == "passed")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    samples = [line for line in lines if not line.startswith("#")]
    assert all(_SAMPLE.match(line) for line in samples), samples
    families = {line.split()[2] for line in lines if line.startswith("# TYPE")}
    assert {
        "riskbus_events_total",
        "riskbus_events_per_second",
        "riskbus_rule_evaluations_total",
        "riskbus_order_denials_total",
        "riskbus_enforcement_latency_seconds",
        "riskbus_scenario_runs",
    } <= families
    assert 'riskbus_scenario_runs_finished_total{status="passed"} 1' in samples
    assert 'riskbus_scenario_runs{status="passed"} 1' in samples
    [scenario_events] = [s for s in samples if s.startswith('riskbus_events_total{bus="scen')]
    assert int(scenario_events.split()[-1]) > 400
    assert 'riskbus_enforcement_latency_seconds_bucket{le="+Inf"} 0' in samples


def test_eventflow_is_the_topology_the_bus_recorded(client: TestClient) -> None:
    body = client.get("/api/eventflow").json()
    assert body["scenario"] == "flash_crash_recovery.scenario.yaml"
    [entry] = [p for p in default_scenario_dirs()[:1]]
    runner = ScenarioRunner(entry / "flash_crash_recovery.scenario.yaml", log=lambda _: None)
    runner.run()
    assert runner.world is not None
    expected = graph(runner.world.bus.topology(), source="scenario", scenario=body["scenario"])
    assert body == expected.model_dump()
    edges = {(e["source"], e["target"], e["kind"]) for e in body["edges"]}
    assert ("c:BotRunner", "m:BuyConditionMet", "publishes") in edges
    kinds = {n["id"]: n["kind"] for n in body["nodes"]}
    assert kinds["m:SubmitOrder"] == "command"
    assert kinds["m:OrderFilled"] == "event"
    assert kinds["c:BotRunner"] == "component"
    desk = client.get("/api/eventflow?source=desk").json()
    assert desk["source"] == "desk"
    assert "c:ServiceDesk" in {n["id"] for n in desk["nodes"]}
    missing = client.get("/api/eventflow?scenario=nope")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "SCENARIO_NOT_FOUND")


def test_settings_come_from_the_environment_and_a_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RISKBUS_WORKERS=3\nRISKBUS_PORT=7000\n")
    monkeypatch.setenv("RISKBUS_PORT", "6001")
    monkeypatch.setenv("RISKBUS_ADMIN_TOKEN", "from-env-token")
    monkeypatch.setenv("RISKBUS_SCENARIO_DIRS", '["a", "b"]')
    settings = Settings()
    assert (settings.port, settings.workers) == (6001, 3)  # the environment wins over .env
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "from-env-token"
    assert "from-env-token" not in repr(settings)
    assert settings.scenario_dirs == [Path("a"), Path("b")]
    assert (settings.min_confidence, settings.max_prediction_days) == (0.70, 60)
    monkeypatch.setenv("RISKBUS_WORKERS", "0")
    with pytest.raises(ValueError, match="workers"):
        Settings()


def test_default_scenario_dirs_are_the_bundled_demo_and_the_examples() -> None:
    dirs = default_scenario_dirs()
    assert (dirs[0] / "flash_crash_recovery.scenario.yaml").is_file()
    assert dirs[1] == Path("examples/scenarios").resolve()


def test_a_start_error_is_logged_and_fatal(
    make_settings: Callable[..., Settings], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "bad-risk.yaml"
    bad.write_text("rules:\n  no_such_rule: {}\n")
    app = create_app(make_settings(risk_config=bad))
    with pytest.raises(ConfigError, match="no_such_rule"), TestClient(app):
        pass
    assert "the riskbus service failed to start" in caplog.text
    unreachable = create_app(make_settings(database_url="mysql://x/y"))
    with pytest.raises(ConfigError, match="unsupported database URL"), TestClient(unreachable):
        pass


def test_start_and_stop_are_logged(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="riskbus.service")
    with TestClient(create_app(make_settings())) as client:
        assert client.get("/health").status_code == 200
    assert "riskbus service started" in caplog.text
    assert "riskbus service stopped" in caplog.text


def test_error_bodies_for_404_405_422_500_and_503(make_settings: Callable[..., Settings]) -> None:
    app: FastAPI = create_app(make_settings())

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    not_ready = TestClient(app).get("/api/scenarios")  # no lifespan: nothing started
    assert (not_ready.status_code, not_ready.json()["error_code"]) == (503, "SERVICE_NOT_READY")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/nope").json() == {"detail": "Not Found", "error_code": "NOT_FOUND"}
        wrong = client.delete("/health")
        assert (wrong.status_code, wrong.json()["error_code"]) == (405, "METHOD_NOT_ALLOWED")
        bad = client.get("/api/risk/violations?size=0")
        assert (bad.status_code, bad.json()["error_code"]) == (422, "VALIDATION_ERROR")
        assert bad.json()["detail"].startswith("query.size:")
        crash = client.get("/boom")
        assert crash.status_code == 500
        assert crash.json() == {
            "detail": "internal error (logged on the server)",
            "error_code": "INTERNAL_ERROR",
        }


def test_the_dashboard_is_served_at_the_root(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    index = STATIC_DIR / "index.html"
    if index.is_file():
        assert response.text == index.read_text(encoding="utf-8")
    else:
        assert response.json()["docs"] == "/api/docs"
