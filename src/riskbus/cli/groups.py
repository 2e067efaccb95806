"""The list of command groups: each entry is a module exposing ``register(app)``."""

from __future__ import annotations

import importlib

import typer

__all__ = ["GROUPS", "register"]

#: Modules under ``riskbus.cli`` that add commands to the app, in help order.
GROUPS: list[str] = ["market", "risk", "admin", "execution", "bot", "scenario"]


_registered: set[int] = set()


def register(app: typer.Typer) -> None:
    """Import every group module and let it add its commands to ``app``, once per app.

    ``riskbus.cli.main.main`` calls this on every invocation (tests call ``main`` many times
    in one process), so the once-only guard lives here rather than in each group module.
    """
    if id(app) in _registered:
        return
    _registered.add(id(app))
    for name in GROUPS:
        importlib.import_module(f"riskbus.cli.{name}").register(app)
