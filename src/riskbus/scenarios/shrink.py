"""Shrinking: from a run that fails under random chaos to a minimal fault schedule.

A scenario with probabilistic chaos (``probability < 1``, per-message faults, latency
drawn from a range) fails for some seeds. :func:`shrink_run` finds a small, deterministic
schedule that still fails the same way, in the spirit of Hypothesis' shrinker (delete
choices, then simplify the remaining ones):

1. **Realize.** The failing run is replayed (same file, seed and parameters) while the
   chaos injector is traced: every fault window that opened (``FaultStarted``: kind,
   parameters, first cycle) and every message a per-message fault acted on (a drop, a
   delay of so many ms, a modified field, in which cycle) becomes one deterministic fault:
   ``at_cycle: N``, probability 1 (a delay from ``network_latency`` becomes a
   ``delay_event`` of that message with the delay actually drawn).
2. **Check.** That schedule, run with the same seed, must fail on the same check (the
   first failed assertion or step of the original run: the *target*).
3. **Delete** (delta debugging, ddmin): the fewest faults that still fail on the target.
4. **Simplify** each remaining fault's numbers by binary search towards their floor:
   ``at_cycle`` → 1 (earliest), ``delay_ms`` → 0, ``duration_cycles`` → 1, ``count`` → 1,
   ``downtime_cycles`` → 0. Steps 3 and 4 repeat until nothing changes.

Every candidate is a complete scenario run in virtual time (milliseconds), with the seed
pinned, and results are cached by schedule: the search is deterministic — the same input
gives the same minimal schedule. :func:`write_minimal` writes it as a standalone scenario
file (the setup with any sweep parameters applied, the seed, the minimal ``chaos``, the
original steps), checked to fail again with ``riskbus run`` before it is kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from riskbus.core.errors import BadInputError, RiskbusError
from riskbus.core.messages import Message
from riskbus.scenarios.chaos import ChaosInjector
from riskbus.scenarios.runner import DEFAULT_SEED, ScenarioRunner
from riskbus.scenarios.schema import (
    LoadedScenario,
    ModifyEvent,
    Scenario,
    load_scenario,
    parse_scenario,
)
from riskbus.scenarios.sweep import (
    Params,
    apply_params,
    failed_checks,
    format_value,
    quiet_logs,
)

__all__ = [
    "ShrinkError",
    "ShrinkResult",
    "failure_target",
    "realize",
    "shrink_failed_results",
    "shrink_run",
    "targets_from_results",
    "write_minimal",
]

Fault = dict[str, Any]

#: Faults that act on single messages (traced one by one); the others open windows.
PER_MESSAGE = frozenset({"delay_event", "drop_event", "modify_event", "network_latency"})
#: The numbers simplified, and their floors (the simplest value).
FLOORS = {"at_cycle": 1, "delay_ms": 0, "duration_cycles": 1, "count": 1, "downtime_cycles": 0}
#: The most scenario runs one shrink may use.
MAX_RUNS = 3000


class ShrinkError(RiskbusError):
    """The run cannot be shrunk (it passes, or its faults do not reproduce it)."""


# -- realizing the schedule of a run ----------------------------------------------------


class _TracingRunner(ScenarioRunner):
    """A runner that records what its chaos injector did to single messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.effects: list[Fault] = []
        self._injector: ChaosInjector | None = None
        super().__init__(*args, **kwargs)

    @property
    def chaos(self) -> ChaosInjector | None:
        return self._injector

    @chaos.setter
    def chaos(self, injector: ChaosInjector | None) -> None:
        self._injector = injector
        if injector is not None:
            self._trace(injector)

    def _trace(self, injector: ChaosInjector) -> None:
        apply = injector._apply
        stats = injector.stats
        modifies = [a.action for a in injector.armed if isinstance(a.action, ModifyEvent)]

        def traced(message: Message, bus: Any) -> Message | None:
            before = dict(stats)
            result = apply(message, bus)
            cycle = max(1, injector.cycle)
            name = message.name
            if stats["events_dropped"] > before["events_dropped"]:
                self.effects.append({"type": "drop_event", "event": name, "at_cycle": cycle})
            elif stats["events_delayed"] > before["events_delayed"]:
                delay = stats["total_delay_ms"] - before["total_delay_ms"]
                self.effects.append(
                    {"type": "delay_event", "event": name, "delay_ms": delay, "at_cycle": cycle}
                )
            elif result is not None and stats["events_modified"] > before["events_modified"]:
                for action in modifies:
                    if action.event == name and getattr(result, action.field) != getattr(
                        message, action.field
                    ):
                        self.effects.append(
                            {
                                "type": "modify_event",
                                "event": name,
                                "field": action.field,
                                "value": action.value,
                                "at_cycle": cycle,
                            }
                        )
            return result

        injector._apply = traced  # type: ignore[method-assign]


def _window_fault(armed: Any) -> Fault:
    action = armed.action
    fault: Fault = action.model_dump(exclude_defaults=True)
    fault["type"] = action.type
    if isinstance(getattr(action, "event", None), str):
        fault["event"] = action.event
    fault.pop("probability", None)
    fault.pop("after_event", None)
    fault.pop("at_cycle", None)
    for name in FLOORS:
        value = getattr(action, name, None)
        if name != "at_cycle" and value is not None:
            fault[name] = value
    if not armed.whole_run:
        fault = {"type": action.type, "at_cycle": max(1, armed.window.start_cycle)} | fault
    return fault


def realize(loaded: LoadedScenario, seed: int) -> tuple[dict[str, Any], list[Fault]]:
    """Run ``loaded`` with ``seed``; return its results and its realized fault schedule
    (deterministic faults in the order of their first cycle; see the module docstring)."""
    quiet_logs()
    runner = _TracingRunner(loaded, seed=seed, timeline=False)
    results = runner.run()
    faults: list[tuple[int, int, Fault]] = []
    injector = runner.chaos
    if injector is not None:
        for armed in injector.armed:
            if armed.window is not None and armed.kind not in PER_MESSAGE:
                fault = _window_fault(armed)
                faults.append((fault.get("at_cycle", 0), len(faults), fault))
    seen: set[tuple[str, str, int]] = set()
    for effect in runner.effects:
        key = (effect["type"], effect["event"], effect["at_cycle"])
        if key not in seen:  # one deterministic fault acts on every such message of a cycle
            seen.add(key)
            faults.append((effect["at_cycle"], len(faults), effect))
    return results, [fault for _, _, fault in sorted(faults, key=lambda f: (f[0], f[1]))]


# -- the search -------------------------------------------------------------------------


def failure_target(results: dict[str, Any]) -> str | None:
    """The check a failed run failed on first (None unless the status is ``failed``)."""
    if results["status"] != "failed":
        return None
    names = failed_checks(results)
    return names[0] if names else None


def _plain(value: Any) -> Any:
    """YAML-ready values: Decimals as numbers when exact, tuples as lists."""
    if isinstance(value, Decimal):
        as_float = float(value)
        if Decimal(repr(as_float)) == value:
            return int(as_float) if value == value.to_integral_value() else as_float
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _base_document(loaded: LoadedScenario, seed: int) -> dict[str, Any]:
    """The scenario as a standalone mapping: seed pinned, paths absolute, no outputs."""
    raw = loaded.scenario.model_dump(by_alias=True, exclude_unset=True)
    setup = raw.setdefault("setup", {})
    setup.pop("recording", None)  # a shrink writes no recordings and no reports
    setup.pop("report", None)
    if isinstance(setup.get("risk"), str):
        setup["risk"] = str(loaded.resolve(setup["risk"]).resolve())
    exchange = setup.get("exchange") or {}
    if isinstance(exchange.get("data"), str):
        exchange["data"] = str(loaded.resolve(exchange["data"]).resolve())
    raw["seed"] = seed
    raw.pop("chaos", None)
    return _plain(raw)  # type: ignore[no-any-return]


@dataclass
class _Search:
    loaded: LoadedScenario
    seed: int
    target: str
    base: dict[str, Any]
    max_runs: int = MAX_RUNS
    runs: int = 0
    cache: dict[str, bool] = field(default_factory=dict)

    def fails(self, faults: Sequence[Fault]) -> bool:
        key = json.dumps(list(faults), sort_keys=True, default=str)
        known = self.cache.get(key)
        if known is not None:
            return known
        if self.runs >= self.max_runs:
            return False
        self.runs += 1
        try:
            scenario = Scenario.model_validate({**self.base, "chaos": list(faults)})
        except ValidationError:
            self.cache[key] = False
            return False
        loaded = LoadedScenario(
            scenario,
            source=self.loaded.source,
            sha256=self.loaded.sha256,
            lines={},
            base_dir=self.loaded.base_dir,
        )
        results = ScenarioRunner(loaded, seed=self.seed, timeline=False).run()
        verdict = results["status"] == "failed" and self.target in failed_checks(results)
        self.cache[key] = verdict
        return verdict

    def ddmin(self, faults: list[Fault]) -> list[Fault]:
        """The classic delta-debugging minimization: a 1-minimal failing subset."""
        parts = 2
        while len(faults) >= 2:
            size = -(-len(faults) // parts)
            chunks = [faults[i : i + size] for i in range(0, len(faults), size)]
            reduced = None
            for chunk in chunks:
                if self.fails(chunk):
                    reduced, parts = chunk, 2
                    break
            if reduced is None and len(chunks) > 2:
                for index in range(len(chunks)):
                    rest = [f for j, c in enumerate(chunks) if j != index for f in c]
                    if self.fails(rest):
                        reduced, parts = rest, max(parts - 1, 2)
                        break
            if reduced is not None:
                faults = reduced
            elif parts >= len(faults):
                break
            else:
                parts = min(len(faults), parts * 2)
        return faults

    def simplify(self, faults: list[Fault]) -> list[Fault]:
        """Binary-search each number of each fault towards its floor."""
        for index in range(len(faults)):
            for name, floor in FLOORS.items():
                current = faults[index].get(name)
                if not isinstance(current, int) or current <= floor:
                    continue

                def using(
                    value: int, i: int = index, key: str = name, now: list[Fault] = faults
                ) -> list[Fault]:
                    return [f | {key: value} if j == i else f for j, f in enumerate(now)]

                if self.fails(using(floor)):
                    faults = using(floor)
                    continue
                low, high = floor, current  # low passes, high fails
                while high - low > 1:
                    middle = (low + high) // 2
                    if self.fails(using(middle)):
                        high = middle
                    else:
                        low = middle
                faults = using(high)
        return faults


@dataclass
class ShrinkResult:
    """What :func:`shrink_run` found (``text`` is the standalone scenario file)."""

    scenario: str
    file: str
    seed: int
    params: dict[str, Any]
    target: str
    realized: list[Fault]
    minimal: list[Fault]
    runs: int
    text: str
    path: Path | None = None
    passes_without_faults: bool = False

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "scenario": self.scenario,
            "file": self.file,
            "seed": self.seed,
            "params": self.params,
            "target": self.target,
            "realized_faults": len(self.realized),
            "minimal_faults": len(self.minimal),
            "minimal": _plain(self.minimal),
            "runs": self.runs,
            "path": None if self.path is None else str(self.path),
            "passes_without_faults": self.passes_without_faults,
        }


def _render(result: ShrinkResult, base: dict[str, Any]) -> str:
    params = " ".join(f"{k}={format_value(v)}" for k, v in result.params.items())
    header = [
        f"# Minimal fault schedule for {result.file}, seed {result.seed}"
        + (f", {params}" if params else ""),
        f"# found by `riskbus shrink`: {len(result.minimal)} of {len(result.realized)} realized "
        f"faults ({result.runs} runs).",
        f"# It still fails on: {result.target}",
        "# Reproduce: riskbus run THIS_FILE",
    ]
    document: dict[str, Any] = {
        "name": f"{base['name']} (minimal fault schedule)",
        "description": f"Shrunk from {result.file} seed {result.seed}"
        + (f" ({params})" if params else "")
        + f"; fails on {result.target}",
    }
    document |= {k: v for k, v in base.items() if k not in ("name", "description", "steps")}
    steps = base["steps"]
    head = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    chaos = "chaos:\n" + "".join(
        "  - " + yaml.safe_dump(_plain(f), default_flow_style=True, sort_keys=False).strip() + "\n"
        for f in result.minimal
    )
    if not result.minimal:
        chaos = "chaos: []\n"
    tail = yaml.safe_dump({"steps": steps}, sort_keys=False, allow_unicode=True)
    return "\n".join(header) + "\n" + head + chaos + tail


def shrink_run(
    loaded: LoadedScenario,
    seed: int,
    params: Params = (),
    *,
    max_runs: int = MAX_RUNS,
) -> ShrinkResult:
    """Shrink the failing run of ``loaded`` (with ``params``) at ``seed``.

    Raises:
        ShrinkError: the run does not fail, or its realized schedule made deterministic no
            longer fails on the same check.
    """
    effective = apply_params(loaded, params)
    results, realized = realize(effective, seed)
    target = failure_target(results)
    if target is None:
        raise ShrinkError(
            f"{loaded.source} seed {seed} does not fail ({results['status']}"
            + (f": {results['error']}" if results["error"] else "")
            + "): nothing to shrink"
        )
    base = _base_document(effective, seed)
    search = _Search(effective, seed, target, base, max_runs=max_runs)
    if not search.fails(realized):
        raise ShrinkError(
            f"the {len(realized)} faults realized by seed {seed} of {loaded.source}, made "
            f"deterministic, no longer fail on {target}"
        )
    faults = [] if search.fails([]) else list(realized)
    for _ in range(8):  # until a fixed point (it comes within two or three rounds)
        before = faults
        faults = search.simplify(search.ddmin(faults))
        if faults == before:
            break
    ordered = sorted(faults, key=lambda f: (f.get("at_cycle", 0), f["type"]))
    if ordered != faults and search.fails(ordered):
        faults = ordered
    result = ShrinkResult(
        scenario=loaded.scenario.name,
        file=loaded.source,
        seed=seed,
        params=dict(params),
        target=target,
        realized=realized,
        minimal=faults,
        runs=search.runs,
        text="",
    )
    result.text = _render(result, base)
    result.passes_without_faults = bool(faults)
    return result


def write_minimal(result: ShrinkResult, path: str | Path) -> Path:
    """Write the minimal scenario to ``path`` after checking that, read back from its text,
    it fails on the same check.

    Raises:
        ShrinkError: the written scenario does not fail the same way.
    """
    target = Path(path)
    loaded = parse_scenario(result.text, source=str(target), base_dir=target.resolve().parent)
    quiet_logs()
    check = ScenarioRunner(loaded, timeline=False).run()
    if result.target not in failed_checks(check) or check["status"] != "failed":
        raise ShrinkError(f"the minimal scenario does not fail on {result.target} when re-read")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(result.text, encoding="utf-8")
    result.path = target
    return target


# -- from results files -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A failing run to shrink: the scenario file, the seed and the sweep parameters."""

    file: str
    seed: int
    params: Params = ()


def targets_from_results(data: Any, source: str) -> list[Target]:
    """The failing runs in a ``riskbus run --output`` or ``riskbus sweep --output`` file.

    Raises:
        BadInputError: the data is neither (``source`` named).
    """
    runs: list[Any]
    if isinstance(data, dict) and isinstance(data.get("runs"), list):
        runs = data["runs"]
    elif isinstance(data, dict):
        runs = [data]
    elif isinstance(data, list):
        runs = data
    else:
        runs = []
    targets: list[Target] = []
    for index, run in enumerate(runs):
        if not isinstance(run, dict) or "status" not in run or "seed" not in run:
            raise BadInputError(
                "not a results file of `riskbus run` or `riskbus sweep`",
                source=source,
                field=f"runs.{index}" if isinstance(data, dict) and "runs" in data else None,
            )
        if run["status"] != "failed":
            continue
        scenario = run.get("scenario")
        file = run.get("file") or (scenario.get("file") if isinstance(scenario, dict) else None)
        if not isinstance(file, str):
            raise BadInputError("a run names no scenario file", source=source, field="file")
        params = tuple((run.get("params") or {}).items())
        targets.append(Target(file, int(run["seed"]), params))
    return targets


def default_path(result: ShrinkResult, directory: Path) -> Path:
    """``DIR/<scenario stem>-seed<N>[-<params>].minimal.scenario.yaml``."""
    stem = Path(result.file).name.split(".")[0]
    extra = "".join(
        f"-{k.rsplit('.', 1)[-1]}{format_value(v)}" for k, v in sorted(result.params.items())
    )
    return directory / f"{stem}-seed{result.seed}{extra}.minimal.scenario.yaml"


def shrink_target(target: Target, base_dir: Path | None = None) -> ShrinkResult:
    """Load the target's scenario file (as named, else relative to ``base_dir``), shrink."""
    path = Path(target.file)
    if not path.exists() and base_dir is not None and (base_dir / path).exists():
        path = base_dir / path
    loaded = load_scenario(path)
    loaded.source = target.file
    return shrink_run(loaded, target.seed, target.params)


def shrink_failed_results(
    all_results: Sequence[dict[str, Any]],
    directory: Path,
    log: Callable[[str], None],
) -> list[ShrinkResult]:
    """Shrink each failed run of ``riskbus run`` and write its minimal scenario to
    ``directory``; report through ``log`` (what ``riskbus run --shrink`` calls)."""
    done: list[ShrinkResult] = []
    for results in all_results:
        if results["status"] != "failed":
            continue
        target = Target(results["scenario"]["file"], int(results.get("seed", DEFAULT_SEED)))
        try:
            result = shrink_target(target)
            path = write_minimal(result, default_path(result, directory))
        except ShrinkError as e:
            log(f"shrink: {e}")
            continue
        log(describe(result, path))
        done.append(result)
    return done


def describe(result: ShrinkResult, path: Path) -> str:
    """One paragraph: what was shrunk to what, and how to rerun it."""
    cycles = ", ".join(
        f"{f['type']}@{f['at_cycle']}" if "at_cycle" in f else f"{f['type']}@whole-run"
        for f in result.minimal
    )
    note = (
        "it passes without them" if result.passes_without_faults else "it fails even without faults"
    )
    return (
        f"shrunk {result.scenario!r} seed {result.seed}: {len(result.realized)} realized faults "
        f"→ {len(result.minimal)} ({cycles or 'none'}) in {result.runs} runs; still fails on "
        f"{result.target}; {note}\n  minimal scenario: {path} — reproduce with: riskbus run {path}"
    )
