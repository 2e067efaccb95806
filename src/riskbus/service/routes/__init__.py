"""The API's routers, one module per area; :data:`ROUTERS` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from riskbus.service.routes.events import router as events_router
from riskbus.service.routes.health import router as health_router
from riskbus.service.routes.metrics import router as metrics_router
from riskbus.service.routes.plans import router as plans_router
from riskbus.service.routes.recordings import router as recordings_router
from riskbus.service.routes.risk import router as risk_router
from riskbus.service.routes.scenarios import router as scenarios_router

__all__ = ["ROUTERS"]

#: Every router of the API, in the order the docs list them.
ROUTERS: list[APIRouter] = [
    health_router,
    scenarios_router,
    events_router,
    recordings_router,
    risk_router,
    plans_router,
    metrics_router,
]
