"""``GET /health``: liveness, the version and how many runs are active."""

from __future__ import annotations

import time

from fastapi import APIRouter

from riskbus import __version__
from riskbus.service.deps import ServicesDep
from riskbus.service.schemas import HealthOut

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Service health")
async def health(services: ServicesDep) -> HealthOut:
    """Answer ``healthy`` once the lifespan has started the services."""
    active = sum(1 for run in services.runs.runs.values() if not run.done)
    return HealthOut(
        status="healthy",
        version=__version__,
        api="riskbus",
        uptime_seconds=round(time.monotonic() - services.started, 3),
        runs_active=active,
    )
