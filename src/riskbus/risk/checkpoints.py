"""Progress through the original's 8 checkpoints, read from the structured log records.

The risk stack logs each checkpoint on the ``riskbus.risk`` logger with
``extra={"checkpoint": n, ...}`` (see :mod:`riskbus.risk.manager`). A
:class:`CheckpointTracker` is a logging handler on that logger: it keeps the first record of
each checkpoint (when, and its message) and counts the repeats, and calls ``on_pass`` the
first time each one passes. Checkpoints 6 (event received) and 7 (rule evaluated, PASS) are
DEBUG records, which the engine only builds when the logger is enabled for DEBUG; while
installed, the tracker lowers the logger's level to DEBUG and puts it back on uninstall.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from riskbus.core.clock import Clock

__all__ = ["CHECKPOINTS", "CheckpointPass", "CheckpointTracker"]

#: The 8 checkpoints of the original, by number.
CHECKPOINTS: dict[int, str] = {
    1: "service start",
    2: "config loaded",
    3: "venue connected",
    4: "rules initialized",
    5: "event loop running",
    6: "event received",
    7: "rule evaluated",
    8: "enforcement triggered",
}

#: ``extra`` fields shown with a checkpoint's first message.
_DETAILS = ("venue", "account", "state")


@dataclass(slots=True)
class CheckpointPass:
    """The first time a checkpoint passed, and how many times it passed since.

    Attributes:
        number: 1 to 8.
        name: its name (see :data:`CHECKPOINTS`).
        message: the message of the first record.
        ts: the clock time of the first record (ns since the epoch).
        count: how many records of it were seen.
    """

    number: int
    name: str
    message: str
    ts: int
    count: int = 1


class CheckpointTracker(logging.Handler):
    """Record the checkpoints as they pass (a handler on the ``riskbus.risk`` logger).

    Args:
        clock: stamps the passes.
        on_pass: called with each checkpoint the first time it passes.
        logger: the logger the checkpoints are written to.
    """

    def __init__(
        self,
        clock: Clock,
        on_pass: Callable[[CheckpointPass], None] | None = None,
        *,
        logger: str = "riskbus.risk",
    ) -> None:
        super().__init__(logging.DEBUG)
        self.clock = clock
        self.on_pass = on_pass
        self.passes: dict[int, CheckpointPass] = {}
        self._logger = logging.getLogger(logger)
        self._saved_level: int | None = None

    def install(self) -> CheckpointTracker:
        """Start listening (and enable the DEBUG checkpoints)."""
        if self._saved_level is None:
            self._saved_level = self._logger.level
            if not self._logger.isEnabledFor(logging.DEBUG):
                self._logger.setLevel(logging.DEBUG)
            self._logger.addHandler(self)
        return self

    def uninstall(self) -> None:
        """Stop listening; the logger's level is put back."""
        if self._saved_level is not None:
            self._logger.removeHandler(self)
            self._logger.setLevel(self._saved_level)
            self._saved_level = None

    def emit(self, record: logging.LogRecord) -> None:
        number = getattr(record, "checkpoint", None)
        if not isinstance(number, int) or number not in CHECKPOINTS:
            return
        if getattr(record, "stop", False):  # "service stop" shares checkpoint 1
            return
        seen = self.passes.get(number)
        if seen is not None:
            seen.count += 1
            return
        message = record.getMessage()
        details = [f"{key}={getattr(record, key)}" for key in _DETAILS if hasattr(record, key)]
        if details:
            message = f"{message} ({', '.join(details)})"
        first = CheckpointPass(number, CHECKPOINTS[number], message, self.clock.now())
        self.passes[number] = first
        if self.on_pass is not None:
            self.on_pass(first)

    # -- views ------------------------------------------------------------------------------

    def passed(self, number: int) -> bool:
        """Whether checkpoint ``number`` has passed."""
        return number in self.passes

    @property
    def complete(self) -> bool:
        """Whether all 8 checkpoints have passed."""
        return len(self.passes) == len(CHECKPOINTS)

    @property
    def last(self) -> CheckpointPass | None:
        """The last checkpoint reached: the highest one of the unbroken run from 1."""
        reached = None
        for number in CHECKPOINTS:
            if number not in self.passes:
                break
            reached = self.passes[number]
        return reached

    def missing(self) -> list[int]:
        """The checkpoints that have not passed, in order."""
        return [number for number in CHECKPOINTS if number not in self.passes]

    def rows(self) -> list[dict[str, object]]:
        """One row per checkpoint, in order: number, name, passed, first message, count."""
        return [
            {
                "checkpoint": number,
                "name": name,
                "passed": number in self.passes,
                "message": self.passes[number].message if number in self.passes else "",
                "count": self.passes[number].count if number in self.passes else 0,
                "ts": self.passes[number].ts if number in self.passes else None,
            }
            for number, name in CHECKPOINTS.items()
        ]
