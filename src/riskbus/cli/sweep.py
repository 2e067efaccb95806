"""``riskbus sweep | shrink``: many seeds and parameter values at once, and minimal failures.

* ``riskbus sweep PATH... [--seeds 1..1000] [--param bot.pool_count=3,5,8]...
  [--workers N] [--ray auto|ADDRESS] [--output sweep.json] [--report sweep.html]
  [--shrink]`` — runs every scenario × parameter combination × seed (a process pool over
  all cores by default; ``--ray auto`` starts a local Ray, ``--ray ADDRESS`` joins a
  cluster), shows a progress bar with the pass and fail counts, prints the pass rates, the
  capital and drawdown percentiles and the failing seeds with the command that reproduces
  each. ``--shrink`` shrinks the first failing seed of each scenario and parameter
  combination to a minimal fault schedule (a scenario file next to ``--output``, else in
  the current folder). Exit 0 when every run passed, 1 when one failed, 2 for bad input
  (the file, ``--seeds`` or the ``--param`` is named), 3 when a run crashed.
* ``riskbus shrink RESULTS.json [--output minimal.scenario.yaml]`` — takes the first
  failed run of a ``riskbus run --output`` or ``riskbus sweep --output`` file and writes
  its minimal fault schedule as a standalone scenario; exit 0 when written, 1 when the run
  does not fail (any more) or cannot be shrunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from riskbus.core.errors import BadInputError
from riskbus.scenarios.results import write_results
from riskbus.scenarios.shrink import (
    ShrinkError,
    ShrinkResult,
    Target,
    default_path,
    describe,
    shrink_target,
    targets_from_results,
    write_minimal,
)
from riskbus.scenarios.sweep import (
    ParamAxis,
    build_jobs,
    parse_param,
    parse_seeds,
    quiet_logs,
    run_sweep,
)

__all__ = ["register", "shrink", "sweep"]

out = Console(highlight=False, soft_wrap=True)
err = Console(highlight=False, soft_wrap=True, stderr=True)

#: The failing runs listed on the terminal (all of them are in the JSON and the report).
SHOWN_FAILURES = 20


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``shrink`` to ``app``."""
    app.command("sweep")(sweep)
    app.command("shrink")(shrink)


def _progress() -> Progress:
    return Progress(
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[passed]} passed[/] [red]{task.fields[failed]} failed[/]"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def _print_summary(data: dict[str, Any]) -> None:
    summary = data["summary"]
    execution = data["execution"]
    out.print(
        f"{summary['passed']}/{summary['total']} runs passed "
        f"({summary['pass_rate'] * 100:.1f} %), {summary['failed']} failed, "
        f"{summary['errors']} errors — {execution['backend']}, {execution['workers']} workers, "
        f"{execution['wall_seconds']:g} s ({execution['runs_per_minute']:g} runs/min)",
        markup=False,
    )
    for row in summary["by_scenario"]:
        out.print(
            f"  {row['scenario']}: {row['passed']}/{row['runs']} passed "
            f"({row['pass_rate'] * 100:.1f} %)",
            markup=False,
        )
    for path, cells in summary["by_param"].items():
        for cell in cells:
            out.print(
                f"  {path}={cell['value']}: {cell['passed']}/{cell['runs']} passed "
                f"({cell['pass_rate'] * 100:.1f} %)",
                markup=False,
            )
    for key, label in (("final_capital", "final capital"), ("max_drawdown_pct", "drawdown %")):
        dist = summary[key]
        if dist["count"]:
            pcts = " ".join(f"{k}={v:g}" for k, v in dist["percentiles"].items())
            out.print(f"  {label}: min={dist['min']:g} {pcts} max={dist['max']:g}", markup=False)
    failures = data["failures"]
    for failure in failures[:SHOWN_FAILURES]:
        why = "; ".join(failure["failed"]) or failure["error"] or failure["status"]
        out.print(f"  ✗ seed {failure['seed']}: {why} — {failure['reproduce']}", markup=False)
    if len(failures) > SHOWN_FAILURES:
        out.print(f"  … and {len(failures) - SHOWN_FAILURES} more failing runs", markup=False)


def _shrink_failures(data: dict[str, Any], directory: Path) -> None:
    """Shrink the first failure of each scenario and parameter combination; note the
    minimal scenario files in ``data`` (``shrunk``: reproduce command → file; ``shrink``)."""
    seen: set[tuple[str, str]] = set()
    shrunk: dict[str, str] = {}
    summaries: list[dict[str, Any]] = []
    for failure in data["failures"]:
        key = (failure["file"], json.dumps(failure["params"], sort_keys=True, default=str))
        if failure["status"] != "failed" or key in seen:
            continue
        seen.add(key)
        target = Target(failure["file"], failure["seed"], tuple(failure["params"].items()))
        result = _shrink_one(target, lambda r: default_path(r, directory))
        if result is not None and result.path is not None:
            shrunk[failure["reproduce"]] = str(result.path)
            summaries.append(result.as_dict())
    data["shrunk"] = shrunk
    data["shrink"] = summaries


def _shrink_one(
    target: Target, where: Callable[[ShrinkResult], Path], base_dir: Path | None = None
) -> ShrinkResult | None:
    try:
        result = shrink_target(target, base_dir)
        path = write_minimal(result, where(result))
    except ShrinkError as e:
        out.print(f"shrink: {e}", markup=False)
        return None
    out.print(describe(result, path), markup=False)
    return result


def sweep(  # noqa: PLR0917 - typer maps the parameters to options
    paths: Annotated[list[Path], typer.Argument(help="Scenario YAML files.", show_default=False)],
    seeds: Annotated[str, typer.Option(help="Seeds: 1..1000, 1,2,5 or both.")] = "1..100",
    params: Annotated[
        list[str] | None,
        typer.Option("--param", help="PATH=V1,V2 under setup, e.g. bot.pool_count=3,5,8."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: all cores).")
    ] = None,
    ray: Annotated[
        str | None, typer.Option(help="Run on Ray: 'auto' (local) or a cluster ADDRESS.")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write the sweep JSON here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    do_shrink: Annotated[
        bool, typer.Option("--shrink", help="Shrink failing seeds to minimal fault schedules.")
    ] = False,
) -> None:
    """Run scenarios × parameter values × seeds; exit 0 if all pass, 1 if any fails."""
    seed_list = parse_seeds(seeds)
    axes: list[ParamAxis] = [parse_param(text) for text in params or []]
    if len({axis.path for axis in axes}) != len(axes):
        raise BadInputError("a parameter path is given twice", field="--param")
    quiet_logs()
    files = [str(p) for p in paths]
    _, jobs = build_jobs(files, seed_list, axes)  # bad input exits 2 before the bar shows
    counts = {"passed": 0, "failed": 0}
    with _progress() as progress:
        task = progress.add_task("sweep", total=len(jobs), passed=0, failed=0)

        def on_result(record: dict[str, Any]) -> None:
            counts["passed" if record["status"] == "passed" else "failed"] += 1
            progress.update(task, advance=1, passed=counts["passed"], failed=counts["failed"])

        data = run_sweep(
            files,
            seed_list,
            axes,
            workers=workers,
            ray=ray,
            on_result=on_result,
            seeds_text=seeds,
        )
    _print_summary(data)
    if do_shrink:
        _shrink_failures(data, output.parent if output is not None else Path())
    if output is not None:
        write_results(data, output)
        out.print(f"results: {output}", markup=False)
    if report is not None:
        from riskbus.scenarios.sweep_report import render

        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(render(data), encoding="utf-8")
        out.print(f"report: {report}", markup=False)
    summary = data["summary"]
    if summary["errors"]:
        raise typer.Exit(3)
    if summary["failed"]:
        raise typer.Exit(1)


def shrink(
    results: Annotated[
        Path, typer.Argument(help="Results JSON of `riskbus run` or `riskbus sweep`.")
    ],
    output: Annotated[Path | None, typer.Option(help="Write the minimal scenario here.")] = None,
) -> None:
    """Shrink the first failed run in RESULTS to a minimal fault schedule (a scenario file)."""
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInputError(f"cannot read: {e.strerror or e}", source=str(results)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInputError(f"not JSON: {e}", source=str(results)) from None
    targets = targets_from_results(data, str(results))
    if not targets:
        raise BadInputError("no failed run to shrink", source=str(results))
    quiet_logs()
    target = targets[0]
    if len(targets) > 1:
        out.print(
            f"{len(targets)} failed runs; shrinking the first: {target.file} seed {target.seed}",
            markup=False,
        )
    result = _shrink_one(
        target, lambda r: output or default_path(r, results.parent), results.parent
    )
    if result is None:
        raise typer.Exit(1)
