"""The scenario API, the original dashboard's contract.

``GET /api/scenarios`` · ``GET /api/scenarios/{name}`` (YAML preview) · ``POST /api/run``
``{scenario, verbose, recording, seed}`` → ``{test_id}`` · ``GET /api/status/{test_id}`` ·
``POST /api/stop/{test_id}`` · ``GET /api/runs`` · ``GET /api/runs/{test_id}/report`` (the
HTML report) · ``GET /api/runs/{test_id}/chart`` (prices, trades, fault windows).
The live log is in :mod:`riskbus.service.routes.events`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from riskbus.service.catalog import ScenarioEntry
from riskbus.service.deps import CatalogDep, RunsDep
from riskbus.service.errors import ApiError, error_responses
from riskbus.service.runs import RunManager, ScenarioRun, events_recorded
from riskbus.service.schemas import (
    ChartOut,
    FaultWindow,
    PricePoint,
    RunAccepted,
    RunRequest,
    RunStatusOut,
    RunSummary,
    ScenarioDetail,
    ScenarioOut,
    TradePoint,
)

__all__ = ["find_run", "router"]

router = APIRouter(prefix="/api", tags=["scenarios"])


def _out(entry: ScenarioEntry) -> ScenarioOut:
    return ScenarioOut(
        name=entry.name,
        title=entry.title,
        description=entry.description,
        folder=str(entry.folder),
        valid=entry.error is None,
        error=entry.error,
    )


def find_run(runs: RunManager, test_id: str) -> ScenarioRun:
    """The run ``test_id``.

    Raises:
        ApiError: 404 ``RUN_NOT_FOUND``.
    """
    run = runs.get(test_id)
    if run is None:
        raise ApiError(404, "RUN_NOT_FOUND", f"no run with test_id {test_id!r}")
    return run


@router.get("/scenarios", response_model=list[ScenarioOut], summary="List the scenarios")
def list_scenarios(catalog: CatalogDep) -> list[ScenarioOut]:
    """Every scenario file of the configured folders (invalid ones say why)."""
    return [_out(entry) for entry in catalog.entries()]


@router.get(
    "/scenarios/{name}",
    response_model=ScenarioDetail,
    responses=error_responses(404),
    summary="Preview a scenario's YAML",
)
def get_scenario(name: str, catalog: CatalogDep) -> ScenarioDetail:
    """The scenario's YAML text and a summary of what it runs."""
    entry = catalog.find(name)
    if entry is None:
        raise ApiError(404, "SCENARIO_NOT_FOUND", f"no scenario named {name!r}")
    base = _out(entry).model_dump()
    loaded = entry.loaded
    return ScenarioDetail(
        **base,
        yaml=entry.path.read_text(encoding="utf-8", errors="replace"),
        seed=loaded.scenario.seed if loaded else None,
        steps=len(loaded.steps) if loaded else 0,
        chaos=len(loaded.scenario.chaos or []) if loaded else 0,
    )


@router.post(
    "/run",
    response_model=RunAccepted,
    status_code=202,
    responses=error_responses(400, 404),
    summary="Run a scenario",
)
async def run_scenario(body: RunRequest, catalog: CatalogDep, runs: RunsDep) -> RunAccepted:
    """Queue a run in a worker process; follow it with ``/api/status/{test_id}``."""
    entry = catalog.find(body.scenario)
    if entry is None:
        raise ApiError(404, "SCENARIO_NOT_FOUND", f"no scenario named {body.scenario!r}")
    if entry.error is not None:
        raise ApiError(400, "INVALID_SCENARIO", entry.error)
    run = runs.submit(entry, seed=body.seed, verbose=body.verbose, recording=body.recording)
    return RunAccepted(test_id=run.test_id, status=run.status, scenario=entry.name)


@router.get("/runs", response_model=list[RunSummary], summary="List the runs")
async def list_runs(runs: RunsDep) -> list[RunSummary]:
    """The runs kept in memory, newest first."""
    return [
        RunSummary(
            test_id=run.test_id,
            scenario=run.entry.name,
            status=run.status,
            duration=run.duration(),
            created=run.created,
        )
        for run in sorted(runs.runs.values(), key=lambda r: r.created, reverse=True)
    ]


def status_of(run: ScenarioRun) -> RunStatusOut:
    """The status document of a run."""
    results: dict[str, Any] = run.results or {}
    assertions = results.get("assertions", {})
    return RunStatusOut(
        test_id=run.test_id,
        scenario=run.entry.name,
        title=run.entry.title,
        status=run.status,
        duration=run.duration(),
        assertions_passed=assertions.get("passed", 0),
        assertions_total=assertions.get("total", 0),
        events_recorded=events_recorded(results) if results else 0,
        assertions=assertions.get("results", []),
        chaos=results.get("chaos", {}),
        seed=results.get("seed", run.seed),
        virtual_seconds=results.get("virtual_seconds"),
        cycles=results.get("cycles"),
        error=run.error,
        recording=str(run.recording) if run.recording else None,
        log_lines=len(run.lines),
        reproduce=results.get("reproduce"),
    )


@router.get(
    "/status/{test_id}",
    response_model=RunStatusOut,
    responses=error_responses(404),
    summary="A run's status",
)
async def run_status(test_id: str, runs: RunsDep) -> RunStatusOut:
    """Status, duration, assertions passed/total, events recorded, assertions, chaos."""
    return status_of(find_run(runs, test_id))


@router.post(
    "/stop/{test_id}",
    response_model=RunStatusOut,
    responses=error_responses(404),
    summary="Stop a run",
)
async def stop_run(test_id: str, runs: RunsDep) -> RunStatusOut:
    """Stop the run (its process is terminated; a queued run never starts)."""
    find_run(runs, test_id)
    run = runs.stop(test_id)
    assert run is not None
    return status_of(run)


def _results(run: ScenarioRun) -> dict[str, Any]:
    if run.results is None:
        why = "is still running" if not run.done else f"has no results ({run.status})"
        raise ApiError(409, "RUN_NOT_FINISHED", f"run {run.test_id} {why}")
    return run.results


@router.get(
    "/runs/{test_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **error_responses(404, 409)},
    summary="A run's HTML report",
)
def run_report(test_id: str, runs: RunsDep) -> HTMLResponse:
    """The HTML report of a finished run (the same as ``riskbus run --report``)."""
    from riskbus.scenarios import report_html

    results = _results(find_run(runs, test_id))
    return HTMLResponse(report_html.render(results))


@router.get(
    "/runs/{test_id}/chart",
    response_model=ChartOut,
    responses=error_responses(404),
    summary="A run's price chart data",
)
async def run_chart(test_id: str, runs: RunsDep) -> ChartOut:
    """Prices, the bot's trades and the fault windows (empty until the run ends)."""
    run = find_run(runs, test_id)
    results: dict[str, Any] = run.results or {}
    faults = results.get("chaos", {}).get("faults", [])
    return ChartOut(
        test_id=run.test_id,
        status=run.status,
        prices=[PricePoint(ts=p["t"], price=p["price"]) for p in results.get("prices", [])],
        trades=[
            TradePoint(ts=t["t"], side=t["side"], price=t["price"])
            for t in results.get("trades", [])
        ],
        faults=[FaultWindow(start=f["start_t"], end=f["end_t"], kind=f["kind"]) for f in faults],
    )
