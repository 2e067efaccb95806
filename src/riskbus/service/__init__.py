"""The HTTP service: a FastAPI app over the scenario runner, the risk guard, execution
plans and predictions, with the live dashboard.

:func:`create_app` builds the app from :class:`Settings` (``RISKBUS_*`` environment
variables, ``.env``); ``riskbus serve`` runs it under uvicorn. The names below are imported
on first use, so importing a submodule (the routes, the prediction router) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskbus.service.app import create_app
    from riskbus.service.errors import ApiError
    from riskbus.service.settings import Settings

_WHERE = {"create_app": "app", "ApiError": "errors", "Settings": "settings"}

__all__ = ["ApiError", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'riskbus.service' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"riskbus.service.{module}"), name)
    globals()[name] = value
    return value
