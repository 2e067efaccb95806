"""The smoke test of the guard: boot it on the simulated exchange and drive one breach.

:func:`run_smoke` writes a small built-in risk config (:data:`SMOKE_CONFIG`) to a temporary
directory, starts a :class:`~riskbus.risk.service.GuardService` on a
:class:`~riskbus.core.clock.Simulator` (virtual time from :data:`SMOKE_START`, a Wednesday
09:00 in Chicago, so the run is the same every time), runs the
:class:`~riskbus.risk.drill.BreachDrill`, then lets virtual time run until all 8 checkpoints
have passed and the breach is enforced (:func:`~riskbus.risk.drill.breach_checks`), or
``timeout`` of virtual time passes — a stall, reported with the last checkpoint reached.

``stop_after`` stops the drill after that many steps: the way to see (and test) a stall.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskbus.core.clock import SECOND, Simulator
from riskbus.risk.config import parse_config
from riskbus.risk.drill import (
    DRILL_STEPS,
    BreachDrill,
    BreachPlan,
    breach_checks,
    drill_market,
    plan_breach,
)
from riskbus.risk.service import GuardOptions, GuardService

__all__ = ["SMOKE_CONFIG", "SMOKE_START", "SMOKE_SYMBOL", "SmokeResult", "run_smoke"]

#: The built-in config of the smoke test.
SMOKE_CONFIG = """\
account: {id: smoke, currency: USD, timezone: America/Chicago}
schedule: {daily_reset: "17:00"}
rules:
  daily_realized_loss: {limit: -500}
  max_contracts: {limit: 10}
  max_contracts_per_instrument: {default_limit: 5}
"""
#: 2026-11-18 (a Wednesday) 09:00 America/Chicago.
SMOKE_START = int(dt.datetime(2026, 11, 18, 15, 0, tzinfo=dt.UTC).timestamp()) * SECOND
#: The symbol the smoke test trades.
SMOKE_SYMBOL = "MNQ"


@dataclass(slots=True)
class SmokeResult:
    """The outcome of a smoke run.

    Attributes:
        checkpoints: one row per checkpoint (see ``CheckpointTracker.rows``).
        checks: the enforcement checks and whether each holds.
        steps: the drill steps done.
        plan: what the drill traded.
        virtual_seconds: the virtual time the run took.
    """

    checkpoints: list[dict[str, Any]]
    checks: dict[str, bool]
    steps: list[str]
    plan: BreachPlan
    virtual_seconds: float
    lockouts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """All 8 checkpoints passed and the breach was enforced."""
        return all(row["passed"] for row in self.checkpoints) and all(self.checks.values())

    @property
    def last_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint of the unbroken run from 1 (``None``: not even 1)."""
        last = None
        for row in self.checkpoints:
            if not row["passed"]:
                break
            last = row
        return last

    def stall_message(self) -> str:
        """Why the run stalled: the last checkpoint reached and what is missing."""
        last = self.last_checkpoint
        reached = "no checkpoint" if last is None else f"{last['checkpoint']} ({last['name']})"
        missing = [f"{r['checkpoint']} ({r['name']})" for r in self.checkpoints if not r["passed"]]
        failed = [name for name, ok in self.checks.items() if not ok]
        parts = [f"stalled: last checkpoint reached {reached}"]
        if missing:
            parts.append("missing " + ", ".join(missing))
        if failed:
            parts.append("not enforced: " + ", ".join(failed))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "passed": self.passed,
            "checkpoints": self.checkpoints,
            "checks": self.checks,
            "steps": self.steps,
            "symbol": self.plan.symbol,
            "loss": str(self.plan.loss),
            "limit": str(self.plan.limit),
            "virtual_seconds": self.virtual_seconds,
            "lockouts": self.lockouts,
        }


def run_smoke(
    *,
    timeout: float = 30.0,
    stop_after: int | None = None,
    database: str | None = None,
) -> SmokeResult:
    """Boot the guard on the simulated exchange, drive one breach, check the 8 checkpoints.

    Args:
        timeout: virtual seconds to wait for the checkpoints and the enforcement.
        stop_after: stop the drill after that many of its steps (a stall, for tests).
        database: the store URL (default: a SQLite file in a temporary directory).

    Raises:
        RiskbusError: the guard could not start (the store cannot be opened, ...).
    """
    if stop_after is not None and not 0 <= stop_after <= len(DRILL_STEPS):
        raise ValueError(f"stop_after must be 0 to {len(DRILL_STEPS)}, got {stop_after}")
    config = parse_config(SMOKE_CONFIG, source="smoke.yaml")
    registry = config.registry()
    plan = plan_breach(config, registry, SMOKE_SYMBOL)
    with tempfile.TemporaryDirectory(prefix="riskbus-smoke-") as folder:
        path = Path(folder) / "smoke.yaml"
        path.write_text(SMOKE_CONFIG, encoding="utf-8")
        url = database or f"sqlite:///{Path(folder) / 'smoke.db'}"
        sim = Simulator(SMOKE_START)
        options = GuardOptions(
            config=path,
            symbols=(SMOKE_SYMBOL,),
            dry_run=True,
            database=url,
            tick_interval=None,  # the drill moves the market itself
        )
        service = GuardService(
            options, clock=sim.clock, config=config, market={SMOKE_SYMBOL: drill_market(plan)}
        )
        try:
            service.open().start()
            sim.run_until(sim.now())
            drill = BreachDrill(service, plan)
            drill.run(stop_after)
            tracker = service.tracker
            sim.run_until(
                lambda: tracker.complete and all(breach_checks(service, plan).values()),
                timeout=round(timeout * SECOND),
            )
            summary = service.summary()
            return SmokeResult(
                checkpoints=tracker.rows(),
                checks=breach_checks(service, plan),
                steps=list(drill.done),
                plan=plan,
                virtual_seconds=(sim.now() - SMOKE_START) / SECOND,
                lockouts=summary.lockouts,
            )
        finally:
            service.stop()
