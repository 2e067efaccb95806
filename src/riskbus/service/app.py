"""The FastAPI application: ``create_app(settings)``, its lifespan, routes and dashboard.

The lifespan opens the store (migrations run), starts the desk (the live bus and, with a
risk config, the hosted risk guard), the scenario worker pool and the plan desk, in that
order, and stops them in reverse. An error while starting is logged and re-raised (the
server does not start); an error while stopping is logged and the rest still stops.

Routes are in :mod:`riskbus.service.routes`, plus the prediction router
(:mod:`riskbus.service.predictions`); the dashboard (``static/``) is served at ``/`` when
present. OpenAPI: ``/openapi.json``, docs at ``/api/docs``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from riskbus import __version__
from riskbus.service.catalog import ScenarioCatalog
from riskbus.service.deps import Services
from riskbus.service.desk import RiskDesk
from riskbus.service.errors import install_error_handlers
from riskbus.service.plandesk import PlanDesk
from riskbus.service.predictions import router as predictions_router
from riskbus.service.routes import ROUTERS
from riskbus.service.runs import RunManager
from riskbus.service.settings import Settings
from riskbus.store import open_store

__all__ = ["STATIC_DIR", "create_app"]

log = logging.getLogger("riskbus.service")

#: The dashboard's files (``index.html``, scripts, styles).
STATIC_DIR = Path(__file__).resolve().parent / "static"


async def _start(app: FastAPI, settings: Settings) -> Services:
    store = await asyncio.to_thread(open_store, settings.database_url)
    desk = runs = None
    try:
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        desk = RiskDesk(store, risk_config=settings.risk_config, admin_token=token)
        desk.start()
        runs = RunManager(
            workers=settings.workers,
            recordings_dir=settings.recordings_dir,
            keep=settings.max_runs_kept,
        )
        await runs.start()
        plans = PlanDesk(
            desk.clock,
            store,
            latency_ms=settings.plan_latency_ms,
            settle_ms=settings.plan_settle_ms,
        )
    except BaseException:
        if runs is not None:
            await runs.close()
        if desk is not None:
            desk.stop()
        store.close()
        raise
    catalog = ScenarioCatalog(list(settings.scenario_dirs))
    return Services(store=store, desk=desk, runs=runs, plans=plans, catalog=catalog)


async def _stop(services: Services) -> None:
    steps = (
        ("plans", services.plans.close),
        ("desk", services.desk.stop),
        ("store", services.store.close),
    )
    try:
        await services.runs.close()
    except Exception:
        log.exception("error while stopping the scenario runs")
    for name, stop in steps:
        try:
            stop()
        except Exception:
            log.exception("error while stopping the %s", name)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the store, the bus (desk), the scenario workers and the plan desk; stop them."""
    settings: Settings = app.state.settings
    try:
        services = await _start(app, settings)
    except Exception:
        log.exception("the riskbus service failed to start")
        raise
    app.state.services = services
    app.state.store = services.store  # shared with the prediction router
    log.info(
        "riskbus service started: store %s, %d scenario workers, guard %s",
        services.store.url,
        settings.workers,
        settings.risk_config or "not hosted",
    )
    try:
        yield
    finally:
        app.state.services = None
        app.state.store = None
        await _stop(services)
        log.info("riskbus service stopped")


def _index() -> Response:
    index = STATIC_DIR / "index.html"
    if index.is_file():
        return FileResponse(index, media_type="text/html")
    return JSONResponse(
        {"api": "riskbus", "docs": "/api/docs", "health": "/health", "metrics": "/metrics"}
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (nothing starts until its lifespan runs, e.g. under uvicorn).

    Args:
        settings: the settings (default: read from ``RISKBUS_*`` and ``.env``).
    """
    settings = settings or Settings()
    app = FastAPI(
        title="riskbus",
        version=__version__,
        summary="Scenario runs, risk guard, execution plans and predictions over HTTP.",
        docs_url="/api/docs",
        redoc_url="/api/redoc",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = None
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(predictions_router)
    app.add_api_route("/", _index, methods=["GET"], include_in_schema=False)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
