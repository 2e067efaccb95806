"""The scenario runner: load, build the world, inject chaos, run the steps, check, report.

``ScenarioRunner("flash.scenario.yaml").run()`` returns the results dict (see
:mod:`riskbus.scenarios.results`). Everything runs in virtual time on one
:class:`~riskbus.core.clock.Simulator`, with randomness only from the named streams of one
seed (``--seed``, else the file's ``seed``, else :data:`DEFAULT_SEED`): the same file and
seed give the same events, byte for byte, and the results carry the command that
reproduces a failure.

Status: ``passed`` when every assertion, invariant and step held; ``failed`` when one did
not; ``error`` when the world could not be built or the run raised (``error`` says what).
A file that does not validate raises :class:`~riskbus.scenarios.schema.ScenarioFileError`
before anything runs.
"""

from __future__ import annotations

import gc
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from riskbus import __version__
from riskbus.core.errors import BadInputError, ScenarioError
from riskbus.core.messages import Command
from riskbus.scenarios.assertions import AssertionResult, Checker, Invariants
from riskbus.scenarios.chaos import ChaosInjector
from riskbus.scenarios.recorder import Recorder, RecordMode
from riskbus.scenarios.results import (
    TIMELINE_LIMIT,
    chart_rows,
    empty_results,
    market_section,
    price_points,
    timeline_entry,
)
from riskbus.scenarios.schema import LoadedScenario, load_scenario
from riskbus.scenarios.steps import StepResult, run_step
from riskbus.scenarios.world import World

__all__ = ["DEFAULT_SEED", "ScenarioRunner", "check_references", "run_scenario"]

#: The seed of a scenario that names none and is run without ``--seed``.
DEFAULT_SEED = 42


class ScenarioRunner:
    """Runs one scenario (see the module docstring).

    Args:
        source: a scenario file or an already loaded scenario.
        seed: overrides the file's seed.
        record: write the recording here (else ``setup.recording`` when enabled).
        record_mode: ``all``, ``once``, ``new`` or ``none`` (default: the file's).
        verbose: report progress through ``log``.
        log: where progress lines go (default: print).
        timeline: keep the timeline in the results.
    """

    def __init__(
        self,
        source: str | Path | LoadedScenario,
        *,
        seed: int | None = None,
        record: str | Path | None = None,
        record_mode: RecordMode | None = None,
        verbose: bool = False,
        log: Callable[[str], None] = print,
        timeline: bool = True,
    ) -> None:
        self.loaded = source if isinstance(source, LoadedScenario) else load_scenario(source)
        scenario = self.loaded.scenario
        self.seed = (
            seed
            if seed is not None
            else (scenario.seed if scenario.seed is not None else DEFAULT_SEED)
        )
        self.record = record
        self.record_mode: RecordMode = record_mode or scenario.setup.recording.mode
        self.verbose = verbose
        self.log = log
        self.keep_timeline = timeline
        self.world: World | None = None
        self.recorder: Recorder | None = None
        self.chaos: ChaosInjector | None = None
        #: The error that stopped the run (status ``error``), if any.
        self.error: BaseException | None = None

    # -- running ----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Run the scenario once; return the results dict."""
        scenario = self.loaded.scenario
        results = empty_results(
            name=scenario.name,
            description=scenario.description,
            file=self.loaded.source,
            seed=self.seed,
            sha256=self.loaded.sha256,
            version=__version__,
        )
        started = time.perf_counter()  # wall-clock ok: the report's duration
        results["start_time"] = datetime.now(UTC).isoformat(timespec="seconds")  # wall-clock ok
        checks: list[AssertionResult] = []
        steps: list[StepResult] = []
        with _collector_paused():
            try:
                checks, steps = self._run(results)
            except Exception as e:
                self.error = e
                results["status"] = "error"
                results["error"] = f"{type(e).__name__}: {e}"
                if self.verbose and not isinstance(e, BadInputError):
                    self.log(traceback.format_exc())
            finally:
                if self.world is not None:
                    self.world.close()
            results["duration_seconds"] = round(time.perf_counter() - started, 6)  # wall-clock ok
            results["end_time"] = datetime.now(UTC).isoformat(timespec="seconds")  # wall-clock ok
            self._fill(results, checks, steps)
        return results

    def _run(self, results: dict[str, Any]) -> tuple[list[AssertionResult], list[StepResult]]:
        scenario = self.loaded.scenario
        world = World(self.loaded, self.seed, cycles=scenario.planned_cycles())
        self.world = world
        recorder = self.recorder = Recorder().attach(world.bus)
        invariants = Invariants(world, list(scenario.invariants)).attach()
        chaos = self.chaos = ChaosInjector(world, scenario.chaos or [], world.seeds.stream("chaos"))
        checker = Checker(recorder, world)
        chaos.install()
        world.start()
        checks: list[AssertionResult] = []
        steps: list[StepResult] = []
        for index, step in enumerate(self.loaded.steps):
            result, found = run_step(step, index, world, recorder, checker)
            steps.append(result)
            checks += found
            if self.verbose:
                self._progress(result, found)
        chaos.finish()
        world.stop()
        checks += invariants.results()
        problem = self._write_recording(results)
        if problem:
            checks.append(
                AssertionResult(
                    "recording.matches", False, problem, "the recorded events", None, "recording"
                )
            )
        return checks, steps

    def _progress(self, step: StepResult, checks: list[AssertionResult]) -> None:
        mark = "✓" if step.status == "passed" else "✗"
        self.log(
            f"{mark} step {step.index + 1}: {step.description} "
            f"[t={step.t_end:g}s, cycle {step.cycle_end}]"
            + (f" — {step.message}" if step.message and step.kind != "assert" else "")
        )
        for check in checks:
            self.log(f"    {'✓' if check.passed else '✗'} {check.name}: {check.message}")

    def _write_recording(self, results: dict[str, Any]) -> str:
        assert self.recorder is not None
        setup = self.loaded.scenario.setup.recording
        target: str | Path | None = self.record
        if target is None and setup.enabled:
            stem = Path(self.loaded.source).name.split(".")[0]
            target = setup.output.replace("{scenario_name}", stem)
            target = self.loaded.resolve(str(target)) if not Path(target).is_absolute() else target
        if target is None:
            return ""
        header = {
            "scenario": self.loaded.scenario.name,
            "seed": self.seed,
            "scenario_sha256": self.loaded.sha256,
            "riskbus_version": __version__,
            "start_ts": self.world.start_ts if self.world is not None else 0,
        }
        results["recording"] = str(target)
        return self.recorder.write(target, header, self.record_mode)

    # -- results ----------------------------------------------------------------------------

    def _fill(
        self, results: dict[str, Any], checks: list[AssertionResult], steps: list[StepResult]
    ) -> None:
        results["steps"] = [step.as_dict() for step in steps]
        failed_steps = [s for s in results["steps"] if s["status"] != "passed"]
        results["failed_step"] = failed_steps[0] if failed_steps else None
        passed = sum(1 for c in checks if c.passed)
        results["assertions"] = {
            "total": len(checks),
            "passed": passed,
            "failed": len(checks) - passed,
            "pass_rate": round(passed / len(checks), 6) if checks else 1.0,
            "results": [c.as_dict() for c in checks],
        }
        world = self.world
        if self.chaos is not None and world is not None:
            start = world.start_ts
            chaos = self.chaos.report
            chaos["faults"] = [
                {
                    "fault_id": w.fault_id,
                    "kind": w.kind,
                    "details": w.details,
                    "start_t": round((w.start_ts - start) / 1e9, 6),
                    "end_t": None if w.end_ts is None else round((w.end_ts - start) / 1e9, 6),
                    "start_cycle": w.start_cycle,
                    "end_cycle": w.end_cycle,
                }
                for w in self.chaos.windows
            ]
            if self.recorder is not None:  # every message delivered, injector busy or not
                chaos["total_events"] = len(self.recorder.messages)
            results["chaos"] = chaos
        if world is not None and self.recorder is not None:
            self._world_sections(results, world, self.recorder)
        if self.error is None:
            results["status"] = "passed" if passed == len(checks) and not failed_steps else "failed"

    def _world_sections(self, results: dict[str, Any], world: World, recorder: Recorder) -> None:
        results["virtual_seconds"] = round(world.elapsed(), 6)
        results["cycles"] = world.cycles_started
        prices, trades = chart_rows(recorder.cycles, recorder.messages, world.start_ts)
        results["prices"], results["prices_stride"] = price_points(prices, world.start_ts)
        results["trades"] = trades
        setup = self.loaded.scenario.setup
        results["exchange"] = market_section(
            [price for _, _, price in prices],
            symbol=world.symbol,
            scenario=setup.exchange.data or setup.exchange.scenario,
            calls=recorder.count("MarketPriceFetched") + recorder.count("MarketPriceFetchFailed"),
        )
        report = world.runner.report
        available = None
        for message in reversed(recorder.messages):
            if type(message).__name__ == "CapitalRefreshed":
                available = float(message.available_capital)  # type: ignore[attr-defined]
                break
        try:
            final = float(world.equity())
        except (KeyError, ValueError):
            final = float(report.final_capital)
        results["bot"] = {
            "strategy": setup.bot.strategy,
            "initial_capital": float(setup.bot.initial_capital),
            "final_capital": final,
            "available_capital": available,
            "peak_capital": float(report.peak_capital),
            "max_drawdown_pct": round(float(report.max_drawdown) * 100, 6),
            "purchases": recorder.count("PositionPurchased"),
            "sales": recorder.count("PositionSold"),
            "open_positions": sum(1 for pool in world.runner.pools if pool.quantity > 0),
            "failed_fetches": recorder.count("MarketPriceFetchFailed"),
            "restarts": world.restarts,
        }
        if self.keep_timeline and self.loaded.scenario.setup.report.include_events:
            start = world.start_ts
            rows: list[dict[str, Any]] = []
            for cycle, message in zip(recorder.cycles, recorder.messages, strict=True):
                if isinstance(message, Command):
                    continue
                if len(rows) >= TIMELINE_LIMIT:
                    results["timeline_truncated"] = True
                    break
                rows.append(timeline_entry(message, cycle, start))
            results["timeline"] = rows


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one run; restore it after.

    A run keeps every message it delivers (the recording): hundreds of thousands of
    objects that live until the results are filled. Each full collection walks all of them
    again (a quarter of a 100,000-cycle run's time); reference counting still frees what
    a run drops, and reference cycles left over are collected once the collector is back.
    A collector that was off stays off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_scenario(path: str | Path, **options: Any) -> dict[str, Any]:
    """Load and run the scenario at ``path`` (options as :class:`ScenarioRunner`)."""
    return ScenarioRunner(path, **options).run()


def check_references(loaded: LoadedScenario) -> None:
    """Check what the schema cannot: the market scenario, the data file, the strategy, the
    risk config and the custom assertions exist and load.

    Raises:
        ScenarioError: the first reference that does not resolve (file, key and line named).
    """
    from riskbus.bot.strategies import resolve_strategy
    from riskbus.market import get_scenario
    from riskbus.scenarios.assertions import load_custom
    from riskbus.scenarios.schema import AssertStep
    from riskbus.scenarios.world import build_risk_config

    setup = loaded.scenario.setup
    source = loaded.source

    def fail(error: BadInputError, *path: str) -> ScenarioError:
        return ScenarioError(
            error.message, source=source, field=".".join(path), line=loaded.line(*path)
        )

    if setup.exchange.data is not None:
        if not loaded.resolve(setup.exchange.data).is_file():
            raise ScenarioError(
                f"no such file: {loaded.resolve(setup.exchange.data)}",
                source=source,
                field="setup.exchange.data",
                line=loaded.line("setup", "exchange", "data"),
            )
    else:
        try:
            get_scenario(setup.exchange.scenario)
        except BadInputError as e:
            raise fail(e, "setup", "exchange", "scenario") from None
    try:
        resolve_strategy(setup.bot.strategy)
    except BadInputError as e:
        raise fail(e, "setup", "bot", "strategy") from None
    build_risk_config(loaded)
    for index, step in enumerate(loaded.steps):
        if isinstance(step, AssertStep):
            for check in step.assert_.custom or []:
                try:
                    load_custom(check.function)
                except BadInputError as e:
                    raise fail(e, "steps", str(index), "assert", "custom") from None
