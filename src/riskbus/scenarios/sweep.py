"""Sweeps: the matrix of scenario files × parameter values × seeds, run in parallel.

:func:`run_sweep` runs every combination once and returns the sweep dict (aggregated by
:func:`riskbus.scenarios.sweep_report.aggregate`):

* seeds come from :func:`parse_seeds` (``1..1000``, ``1,2,5``, or both: ``1..10,42``);
* a parameter axis (:func:`parse_param`, ``bot.pool_count=3,5,8``) overrides a dotted path
  of the scenario's ``setup`` (``setup.`` may be written or not); the path and every value
  are validated by the scenario schema before anything runs (:func:`apply_params`), so a
  typo exits 2 naming the parameter;
* the runs go to all local cores (``workers``; ``1`` runs them in this process; more fork
  ``workers − 1`` children that work beside this process, see
  :mod:`riskbus.scenarios.sweep_fork`; a spawned ``multiprocessing`` pool where there is
  no fork), or to Ray: ``ray="auto"`` starts a local Ray (``ray.init(num_cpus=workers)``),
  any other value is the address of a cluster. Each job carries the scenario's text, so a
  cluster needs no shared file system (files the scenario refers to excepted).

A run depends only on the scenario text, its seed and its parameters, and the records are
sorted by (file, parameter combination, seed): the sweep dict is the same whichever backend
and however many workers ran it, except its ``execution`` section (backend, workers, wall
time). Every failing run carries the exact command that reproduces it.
"""

from __future__ import annotations

import itertools
import logging
import os
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from riskbus.core.errors import BadInputError
from riskbus.scenarios.schema import LoadedScenario, Scenario, Setup, load_scenario, parse_scenario

__all__ = [
    "Job",
    "ParamAxis",
    "apply_params",
    "build_jobs",
    "default_workers",
    "failed_checks",
    "format_value",
    "param_combos",
    "parse_param",
    "parse_seeds",
    "quiet_logs",
    "reproduce_command",
    "run_batch",
    "run_job",
    "run_sweep",
]

#: The most seeds one sweep accepts (a guard against ``1..10**9`` typos).
MAX_SEEDS = 1_000_000

Params = tuple[tuple[str, Any], ...]


# -- the matrix -------------------------------------------------------------------------


def parse_seeds(text: str, *, field: str = "--seeds") -> list[int]:
    """Parse ``1..1000``, ``1,2,5`` or a mix (``1..10,42``) into the seeds, in order.

    Raises:
        BadInputError: the text is not a seed list (``field`` named).
    """
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            if ".." in part:
                low_text, high_text = part.split("..", 1)
                low, high = int(low_text), int(high_text)
                if high < low:
                    raise BadInputError(f"empty range {part!r} (end before start)", field=field)
                if high - low + 1 + len(seeds) > MAX_SEEDS:
                    raise BadInputError(f"more than {MAX_SEEDS} seeds", field=field)
                seeds.extend(range(low, high + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise BadInputError(
                f"expected seeds such as 1..1000 or 1,2,5, got {text!r}", field=field
            ) from None
    if any(seed < 0 for seed in seeds):
        raise BadInputError(f"seeds must be >= 0, got {text!r}", field=field)
    unique = list(dict.fromkeys(seeds))
    if not unique:
        raise BadInputError("no seeds", field=field)
    return unique


@dataclass(frozen=True)
class ParamAxis:
    """One ``--param PATH=V1,V2,...``: a dotted path under ``setup`` and its values."""

    path: str
    values: tuple[Any, ...]

    @property
    def text(self) -> str:
        """The axis as written on the command line."""
        return f"{self.path}={','.join(format_value(v) for v in self.values)}"


def format_value(value: Any) -> str:
    """A parameter value as it is written on the command line (YAML scalar syntax)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def parse_param(text: str) -> ParamAxis:
    """Parse ``bot.pool_count=3,5,8`` (values are YAML scalars: ``3``, ``0.5``, ``volatile``).

    Raises:
        BadInputError: no ``=``, an empty path or no value (``--param`` named).
    """
    path, sep, values_text = text.partition("=")
    path = path.strip()
    if path.startswith("setup."):
        path = path[len("setup.") :]
    if not sep or not path or not values_text.strip():
        raise BadInputError(
            f"expected PATH=VALUE[,VALUE...] such as bot.pool_count=3,5,8, got {text!r}",
            field="--param",
        )
    values: list[Any] = []
    for piece in values_text.split(","):
        try:
            value = yaml.safe_load(piece.strip())
        except yaml.YAMLError:
            value = piece.strip()
        if isinstance(value, list | dict):
            value = piece.strip()
        values.append(value)
    return ParamAxis(path, tuple(dict.fromkeys(values)))


def param_combos(axes: Sequence[ParamAxis]) -> list[Params]:
    """Every combination of the axes' values (one empty combination without axes)."""
    if not axes:
        return [()]
    return [
        tuple(zip((a.path for a in axes), values, strict=True))
        for values in itertools.product(*(a.values for a in axes))
    ]


def _is_mapping(annotation: Any) -> bool:
    """Whether ``annotation`` is ``dict[...]`` or a union with one (``dict | str | None``)."""
    if get_origin(annotation) is dict or annotation is dict:
        return True
    return any(_is_mapping(arg) for arg in get_args(annotation) if get_origin(annotation))


def _check_path(path: str) -> None:
    """Raise BadInputError unless ``path`` names a field of ``setup`` (or a key below a
    free-form mapping such as ``bot.params``)."""
    parts = path.split(".")
    model: type[BaseModel] = Setup
    for index, part in enumerate(parts):
        where = "setup" + "".join(f".{p}" for p in parts[:index])
        field = model.model_fields.get(part)
        if field is None:
            known = ", ".join(model.model_fields)
            raise BadInputError(
                f"unknown parameter {path!r}: {where} has no {part!r} (it has: {known})",
                field="--param",
            )
        annotation = field.annotation
        if index == len(parts) - 1:
            return
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        if _is_mapping(annotation):  # a free-form mapping: any key below is the user's
            return
        raise BadInputError(
            f"unknown parameter {path!r}: {where}.{part} is a value, not a mapping",
            field="--param",
        )


def apply_params(loaded: LoadedScenario, params: Params) -> LoadedScenario:
    """Return ``loaded`` with each ``(path, value)`` set under its ``setup``, validated.

    Raises:
        BadInputError: a path is not in the schema, or a value does not validate (the
            parameter and the scenario file are named).
    """
    if not params:
        return loaded
    raw = loaded.scenario.model_dump(by_alias=True, exclude_unset=True)
    for path, value in params:
        _check_path(path)
        node = raw.setdefault("setup", {})
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise BadInputError(
                    f"cannot set {path!r}: setup.{part} is not a mapping in this scenario",
                    source=loaded.source,
                    field="--param",
                )
            node = child
        node[parts[-1]] = value
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in e.errors()
        )
        combo = " ".join(f"{p}={format_value(v)}" for p, v in params)
        raise BadInputError(
            f"parameter {combo} is invalid: {problems}", source=loaded.source, field="--param"
        ) from None
    return LoadedScenario(
        scenario,
        source=loaded.source,
        sha256=loaded.sha256,
        lines=loaded.lines,
        base_dir=loaded.base_dir,
    )


# -- one run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One cell of the matrix: a scenario file (as given), a seed and parameter values."""

    file_index: int
    combo_index: int
    file: str
    seed: int
    params: Params = ()

    @property
    def key(self) -> tuple[int, int, int]:
        """The sort key of its record: file, combination, seed."""
        return (self.file_index, self.combo_index, self.seed)


#: A scenario's text and folder, by the file name the jobs use (what a worker needs).
Sources = dict[str, tuple[str, str]]

_CACHE: dict[tuple[str, Params], LoadedScenario] = {}


def _loaded(job: Job, sources: Sources) -> LoadedScenario:
    key = (job.file, job.params)
    loaded = _CACHE.get(key)
    if loaded is None:
        base = _CACHE.get((job.file, ()))
        if base is None:
            text, folder = sources[job.file]
            base = parse_scenario(text, source=job.file, base_dir=Path(folder))
            _CACHE[(job.file, ())] = base
        loaded = _CACHE[key] = apply_params(base, job.params)
    return loaded


def reproduce_command(file: str, seed: int, params: Params = ()) -> str:
    """The command that reruns one cell: ``riskbus run`` without parameters, else a
    one-seed ``riskbus sweep`` with them."""
    if not params:
        return f"riskbus run {shlex.quote(file)} --seed {seed}"
    flags = " ".join(f"--param {shlex.quote(f'{p}={format_value(v)}')}" for p, v in params)
    return f"riskbus sweep {shlex.quote(file)} --seeds {seed} {flags}"


def failed_checks(results: dict[str, Any]) -> list[str]:
    """The names of a run's failed assertions, then its failed step (if not an assert)."""
    names = [c["name"] for c in results["assertions"]["results"] if not c["passed"]]
    step = results.get("failed_step")
    if step is not None and step["kind"] != "assert":
        names.append(f"step {step['index'] + 1}: {step['description']}")
    return names


def run_job(job: Job, sources: Sources) -> dict[str, Any]:
    """Run one cell; return its record (no wall-clock values: see the module docstring)."""
    from riskbus.scenarios.runner import ScenarioRunner

    loaded = _loaded(job, sources)
    results = ScenarioRunner(loaded, seed=job.seed, timeline=False).run()
    bot = results.get("bot") or {}
    return {
        "scenario": results["scenario"]["name"],
        "file": job.file,
        "seed": job.seed,
        "params": {path: value for path, value in job.params},
        "status": results["status"],
        "error": results["error"],
        "failed": failed_checks(results),
        "cycles": results["cycles"],
        "faults": results["chaos"]["faults_started"],
        "final_capital": bot.get("final_capital"),
        "max_drawdown_pct": bot.get("max_drawdown_pct"),
        "reproduce": reproduce_command(job.file, job.seed, job.params),
        "_key": list(job.key),
    }


def quiet_logs() -> None:
    """Keep the components' warnings (expected under chaos) off the terminal."""
    logger = logging.getLogger("riskbus")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


def run_batch(sources: Sources, jobs: Sequence[Job]) -> list[dict[str, Any]]:
    """Run several cells in this process (the unit of work of a pool or Ray worker)."""
    quiet_logs()
    return [run_job(job, sources) for job in jobs]


#: The scenario sources of a pool worker, set once when it starts (see :func:`_run_pool`).
_WORKER_SOURCES: Sources = {}


def _start_worker(sources: Sources) -> None:
    global _WORKER_SOURCES
    _WORKER_SOURCES = sources
    quiet_logs()


def _pool_batch(jobs: Sequence[Job]) -> list[dict[str, Any]]:
    return run_batch(_WORKER_SOURCES, jobs)


# -- running the matrix -----------------------------------------------------------------

OnResult = Callable[[dict[str, Any]], None]

#: Batches per pool worker (a batch is a few jobs: no scenario text travels with it).
_POOL_BATCHES = 25


def _batches(jobs: Sequence[Job], workers: int, per_worker: int = 8) -> list[list[Job]]:
    """Cut ``jobs`` into about ``per_worker`` batches per worker (1 to 50 jobs each)."""
    size = max(1, min(50, len(jobs) // (workers * per_worker)))
    return [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]


def _guided_batches(jobs: Sequence[Job], workers: int) -> list[list[Job]]:
    """Cut ``jobs`` into shrinking batches: each a quarter of the remaining share of one
    worker (1 to 50 jobs), so the last ones are single jobs and the workers end together
    while the first ones stay large (few messages)."""
    batches: list[list[Job]] = []
    start = 0
    while start < len(jobs):
        size = max(1, min(50, (len(jobs) - start) // (workers * 4)))
        batches.append(list(jobs[start : start + size]))
        start += size
    return batches


def _run_pool(
    sources: Sources, jobs: Sequence[Job], workers: int, on_result: OnResult
) -> list[dict[str, Any]]:
    import multiprocessing

    records: list[dict[str, Any]] = []

    def deliver(batch_records: list[dict[str, Any]]) -> None:
        for record in batch_records:
            records.append(record)
            on_result(record)

    if "fork" in multiprocessing.get_all_start_methods():
        # this process works too, beside workers − 1 forked children
        from riskbus.scenarios.sweep_fork import run_forked

        quiet_logs()
        batches = _guided_batches(jobs, workers)
        run_forked(batches, lambda batch: run_batch(sources, batch), workers, deliver)
        return records
    batches = _batches(jobs, workers, per_worker=_POOL_BATCHES)
    # spawn (no fork on the platform): each worker imports riskbus and gets the sources
    # once, when it starts; a batch is then only its jobs
    pool = multiprocessing.get_context().Pool(
        workers, initializer=_start_worker, initargs=(sources,)
    )
    try:
        for batch_records in pool.imap_unordered(_pool_batch, batches):
            deliver(batch_records)
    except BaseException:
        pool.terminate()
        raise
    # let the workers exit on their own (a terminate would kill them while, e.g., coverage
    # saves its data in a SIGTERM handler, and the join could then wait forever)
    pool.close()
    pool.join()
    return records


def _run_ray(
    sources: Sources, jobs: Sequence[Job], workers: int, address: str, on_result: OnResult
) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError as e:  # pragma: no cover - ray is a dependency
        raise BadInputError("ray is not installed", field="--ray") from e
    started = False
    if not ray.is_initialized():
        if address == "auto":
            ray.init(
                num_cpus=workers,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
        else:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        started = True
    try:
        remote = ray.remote(num_cpus=1)(run_batch)
        shared = ray.put(sources)
        pending = [remote.remote(shared, batch) for batch in _batches(jobs, workers)]
        records: list[dict[str, Any]] = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for record in ray.get(done[0]):
                records.append(record)
                on_result(record)
        return records
    finally:
        if started:
            ray.shutdown()


def _read_sources(paths: Sequence[str | Path]) -> tuple[Sources, list[LoadedScenario]]:
    sources: Sources = {}
    loaded: list[LoadedScenario] = []
    for path in paths:
        scenario = load_scenario(path)  # validated here: bad files exit 2 before any run
        sources[str(path)] = (
            Path(path).read_text(encoding="utf-8"),
            str(Path(path).resolve().parent),
        )
        loaded.append(scenario)
    return sources, loaded


def build_jobs(
    paths: Sequence[str | Path], seeds: Sequence[int], axes: Sequence[ParamAxis] = ()
) -> tuple[Sources, list[Job]]:
    """Validate the files and every parameter combination; return the sources and jobs.

    Raises:
        ScenarioFileError: a file is invalid.
        BadInputError: a parameter path or value is invalid, or a scenario's references
            (market scenario, strategy, risk file) do not resolve with it.
    """
    from riskbus.scenarios.runner import check_references

    if not paths:
        raise BadInputError("no scenario files given", field="PATH")
    if not seeds:
        raise BadInputError("no seeds", field="--seeds")
    paths_seen = [str(p) for p in paths]
    if len(set(paths_seen)) != len(paths_seen):
        raise BadInputError("a scenario file is given twice", field="PATH")
    sources, loaded = _read_sources(paths)
    combos = param_combos(axes)
    for scenario in loaded:
        for combo in combos:
            check_references(apply_params(scenario, combo))
    jobs = [
        Job(file_index, combo_index, str(path), seed, combo)
        for file_index, path in enumerate(paths)
        for combo_index, combo in enumerate(combos)
        for seed in seeds
    ]
    return sources, jobs


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(
    paths: Sequence[str | Path],
    seeds: Sequence[int],
    axes: Sequence[ParamAxis] = (),
    *,
    workers: int | None = None,
    ray: str | None = None,
    on_result: OnResult | None = None,
    seeds_text: str | None = None,
) -> dict[str, Any]:
    """Run the matrix and return the sweep dict (see :mod:`riskbus.scenarios.sweep_report`).

    Args:
        paths: scenario files.
        seeds: the seeds of every cell.
        axes: parameter axes (their product is run for every file).
        workers: processes (default: all cores; 1 runs in this process).
        ray: ``"auto"`` for a local Ray, or a cluster address (default: no Ray).
        on_result: called with each record as it arrives (progress).
        seeds_text: the seeds as written (kept in the output).
    """
    from riskbus.scenarios.sweep_report import aggregate

    if workers is not None and workers < 1:
        raise BadInputError(f"must be >= 1, got {workers}", field="--workers")
    count = workers or default_workers()
    sources, jobs = build_jobs(paths, seeds, axes)
    notify = on_result or (lambda _record: None)
    started = time.perf_counter()  # wall-clock ok: throughput only
    if ray is not None:
        backend = "ray" if ray == "auto" else f"ray {ray}"
        records = _run_ray(sources, jobs, count, ray, notify)
    elif count == 1 or len(jobs) == 1:
        backend = "in-process"
        quiet_logs()
        records = []
        for job in jobs:
            record = run_job(job, sources)
            records.append(record)
            notify(record)
    else:
        backend = "process pool"
        records = _run_pool(sources, jobs, min(count, len(jobs)), notify)
    wall = time.perf_counter() - started  # wall-clock ok
    records.sort(key=lambda record: tuple(record["_key"]))
    for record in records:
        del record["_key"]
    sweep = {
        "sweep": {
            "files": [str(p) for p in paths],
            "seeds": seeds_text or _seeds_text(seeds),
            "seed_count": len(seeds),
            "params": {axis.path: list(axis.values) for axis in axes},
            "runs": len(records),
        },
        **aggregate(records),
        "runs": records,
        "execution": {
            "backend": backend,
            "workers": count,
            "wall_seconds": round(wall, 3),
            "runs_per_minute": round(len(records) / wall * 60, 1) if wall > 0 else None,
        },
    }
    return sweep


def _seeds_text(seeds: Iterable[int]) -> str:
    values = list(seeds)
    if values and values == list(range(values[0], values[0] + len(values))) and len(values) > 2:
        return f"{values[0]}..{values[-1]}"
    return ",".join(map(str, values))
