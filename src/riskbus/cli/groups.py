"""The list of command groups: each entry is a module exposing ``register(app)``."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import typer

__all__ = ["COMMANDS", "GROUPS", "needed", "register"]

#: Modules under ``riskbus.cli`` that add commands to the app, in help order.
GROUPS: list[str] = [
    "market",
    "risk",
    "admin",
    "execution",
    "bot",
    "scenario",
    "guard",
    "sweep",
    "exchange",
    "serve",
    "bridge",
]


#: The top-level commands (and command groups) each module adds, so that ``riskbus NAME ...``
#: imports only the module that NAME needs: the service, the exchange server or the
#: scenario runner cost a second to import, and a guard or a bot in a subprocess should not
#: pay for them. ``tests/e2e/test_cli_main.py`` checks this table against what every module
#: really registers.
COMMANDS: dict[str, str] = {
    "market": "market",
    "risk": "risk",
    "admin": "admin",
    "rebalance": "execution",
    "liquidate": "execution",
    "bot": "bot",
    "run": "scenario",
    "demo": "scenario",
    "validate": "scenario",
    "replay": "scenario",
    "guard": "guard",
    "smoke": "guard",
    "sweep": "sweep",
    "shrink": "sweep",
    "exchange": "exchange",
    "serve": "serve",
    "bridge": "bridge",
}

_registered: dict[int, set[str]] = {}


def needed(argv: Sequence[str]) -> list[str]:
    """The group modules a command line needs: the one owning its command, else all."""
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    module = COMMANDS.get(command) if command is not None else None
    return [module] if module is not None else list(GROUPS)


def register(app: typer.Typer, argv: Sequence[str] | None = None) -> None:
    """Let the group modules ``argv`` needs (all of them by default) add their commands.

    Each module is registered once per app: ``riskbus.cli.main.main`` calls this on every
    invocation (tests call ``main`` many times in one process), so the once-only guard lives
    here rather than in each group module.
    """
    done = _registered.setdefault(id(app), set())
    for name in GROUPS if argv is None else needed(argv):
        if name not in done:
            done.add(name)
            importlib.import_module(f"riskbus.cli.{name}").register(app)
