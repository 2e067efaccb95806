"""Dependency providers: routes get the settings and the running services injected.

The settings are set when the app is created; the services (store, bus, runs, ...) when
its lifespan starts them. A route that needs a service before that answers 503
``SERVICE_NOT_READY``. Use them as ``store: StoreDep`` or ``Depends(get_store)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from riskbus.core.bus import EventBus
from riskbus.service.catalog import ScenarioCatalog
from riskbus.service.desk import RiskDesk
from riskbus.service.errors import ApiError
from riskbus.service.plandesk import PlanDesk
from riskbus.service.runs import RunManager
from riskbus.service.settings import Settings
from riskbus.store import Store

__all__ = [
    "BusDep",
    "CatalogDep",
    "DeskDep",
    "PlansDep",
    "RunsDep",
    "Services",
    "ServicesDep",
    "SettingsDep",
    "StoreDep",
    "get_bus",
    "get_catalog",
    "get_desk",
    "get_plans",
    "get_runs",
    "get_services",
    "get_settings",
    "get_store",
]


@dataclass
class Services:
    """What the lifespan started (``app.state.services``)."""

    store: Store
    desk: RiskDesk
    runs: RunManager
    plans: PlanDesk
    catalog: ScenarioCatalog
    started: float = field(default_factory=time.monotonic)
    cache: dict[str, Any] = field(default_factory=dict)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_services(request: Request) -> Services:
    """The running services.

    Raises:
        ApiError: 503 ``SERVICE_NOT_READY`` before the lifespan started them.
    """
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise ApiError(503, "SERVICE_NOT_READY", "the service is starting or stopping")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_store(services: ServicesDep) -> Store:
    """The store (SQLite or PostgreSQL)."""
    return services.store


def get_bus(services: ServicesDep) -> EventBus:
    """The service's live bus."""
    return services.desk.bus


def get_desk(services: ServicesDep) -> RiskDesk:
    """The risk desk (the bus and the hosted guard)."""
    return services.desk


def get_runs(services: ServicesDep) -> RunManager:
    """The scenario runs."""
    return services.runs


def get_plans(services: ServicesDep) -> PlanDesk:
    """The rebalancing plans."""
    return services.plans


def get_catalog(services: ServicesDep) -> ScenarioCatalog:
    """The scenario catalogue."""
    return services.catalog


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
BusDep = Annotated[EventBus, Depends(get_bus)]
DeskDep = Annotated[RiskDesk, Depends(get_desk)]
RunsDep = Annotated[RunManager, Depends(get_runs)]
PlansDep = Annotated[PlanDesk, Depends(get_plans)]
CatalogDep = Annotated[ScenarioCatalog, Depends(get_catalog)]
