"""The ``riskbus`` command: one typer app, one module per command group.

Exit codes: 0 ok/passed, 1 a failed assertion or check, 2 bad input (the message names the
file and field), 3 an infrastructure error. Users never see a traceback for bad input.
"""

from __future__ import annotations

__all__: list[str] = []
