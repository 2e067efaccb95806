"""The steps of a scenario, run in virtual time.

* ``wait_for_cycles: N`` — run until ``N`` more bot cycles have started, then on to just
  before the next cycle, so everything of those cycles (delayed messages included) is done.
* ``wait_for_event: X`` + ``timeout_seconds`` (default 300) — run until ``X`` is published
  after the step begins; after ``timeout_seconds`` of **virtual** time the step fails,
  saying so, and the scenario goes on with the next step.
* ``wait_for_time: S`` — run ``S`` seconds of virtual time.
* ``assert: {...}`` — check the assertions now (a checkpoint; allowed anywhere).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from riskbus.core.clock import seconds
from riskbus.scenarios.assertions import AssertionResult, Checker
from riskbus.scenarios.recorder import Recorder
from riskbus.scenarios.schema import AssertStep, Step, WaitForCycles, WaitForEvent, WaitForTime
from riskbus.scenarios.world import World

__all__ = ["StepResult", "describe", "run_step"]


@dataclass
class StepResult:
    """What one step did."""

    index: int
    kind: str
    description: str
    status: str = "passed"
    message: str = ""
    t_start: float = 0.0
    t_end: float = 0.0
    cycle_start: int = 0
    cycle_end: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""
        return asdict(self)


def describe(step: Step) -> tuple[str, str]:
    """The step's kind and a one-line description."""
    if isinstance(step, WaitForCycles):
        return "wait_for_cycles", f"wait_for_cycles: {step.wait_for_cycles}"
    if isinstance(step, WaitForEvent):
        return (
            "wait_for_event",
            f"wait_for_event: {step.wait_for_event} (timeout {step.timeout_seconds:g}s)",
        )
    if isinstance(step, WaitForTime):
        return "wait_for_time", f"wait_for_time: {step.wait_for_time:g}s"
    kinds = [k for k, v in step.assert_.model_dump(exclude_none=True).items() if v is not None]
    return "assert", "assert: " + ", ".join(kinds)


def run_step(
    step: Step, index: int, world: World, recorder: Recorder, checker: Checker
) -> tuple[StepResult, list[AssertionResult]]:
    """Run one step; return its result and the assertion results it produced."""
    kind, text = describe(step)
    result = StepResult(
        index, kind, text, t_start=world.elapsed(), cycle_start=world.cycles_started
    )
    checks: list[AssertionResult] = []
    simulator = world.simulator
    if isinstance(step, WaitForCycles):
        target = world.cycles_started + step.wait_for_cycles
        budget = (step.wait_for_cycles + 2) * world.poll * 4 + seconds(3600)
        reached = simulator.run_until(lambda: world.cycles_started >= target, timeout=budget)
        if reached:
            _settle(world)
        else:
            result.status = "failed"
            result.message = (
                f"only {world.cycles_started - result.cycle_start} of {step.wait_for_cycles} "
                "cycles ran (the bot stopped?)"
            )
    elif isinstance(step, WaitForEvent):
        name = step.wait_for_event
        before = recorder.count(name)
        if not simulator.run_until(
            lambda: recorder.count(name) > before, timeout=seconds(step.timeout_seconds)
        ):
            result.status = "failed"
            result.message = (
                f"{name} did not occur within {step.timeout_seconds:g}s of virtual time "
                f"(from t={result.t_start:g}s, cycle {result.cycle_start}, to cycle "
                f"{world.cycles_started})"
            )
    elif isinstance(step, WaitForTime):
        simulator.run_for(seconds(step.wait_for_time))
    elif isinstance(step, AssertStep):
        checks = checker.check(step.assert_, index)
        failed = [c for c in checks if not c.passed]
        if failed:
            result.status = "failed"
            result.message = f"{len(failed)} of {len(checks)} assertions failed: " + "; ".join(
                c.name for c in failed
            )
    result.t_end = world.elapsed()
    result.cycle_end = world.cycles_started
    if result.status == "failed" and kind != "assert":
        checks.append(
            AssertionResult(
                f"step[{index}].{kind}",
                False,
                result.message,
                text,
                result.cycle_end,
                "step",
                index,
            )
        )
    return result, checks


def _settle(world: World) -> None:
    """Run on to just before the bot's next cycle (the current cycle's work all done)."""
    upcoming = world.clock.next_fire(world.runner.timer_name)
    if upcoming is not None and upcoming - 1 > world.clock.now():
        world.simulator.run_until(upcoming - 1)
