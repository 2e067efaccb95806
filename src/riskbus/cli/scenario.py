"""``riskbus run | demo | validate | replay``: scenario files from the command line.

* ``riskbus run FILE... [--seed N] [--output results.json] [--report report.html]
  [--format json|html|markdown|junit] [--record rec.jsonl] [--verbose]`` — exit 0 when
  every scenario passed, 1 when an assertion failed, 2 for bad input (the message names
  the file, the key and the line), 3 when a run crashed. A failure prints its seed and the
  command that reproduces it.
* ``riskbus demo [--out DIR]`` — runs the bundled flash-crash-recovery scenario and writes
  its HTML report (``./riskbus-demo/`` by default).
* ``riskbus validate FILE...`` — checks scenario files without running them.
* ``riskbus replay REC.jsonl [--speed X] [--filter NAME]`` — prints a recording's events as
  typed events, instantly or at ``X`` times virtual speed (0.1 to 100).
"""

from __future__ import annotations

import importlib
import json
import logging
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from riskbus.core.errors import BadInputError
from riskbus.scenarios.recorder import RecordedEvent, Replayer, read_recording
from riskbus.scenarios.results import summarize, write_results
from riskbus.scenarios.runner import ScenarioRunner, check_references
from riskbus.scenarios.schema import LoadedScenario, load_scenario

__all__ = ["demo", "register", "replay", "run", "validate"]

out = Console(highlight=False, soft_wrap=True)
err = Console(highlight=False, soft_wrap=True, stderr=True)

_FORMATS = ("json", "html", "markdown", "junit")
_SUFFIXES = {".html": "html", ".htm": "html", ".md": "markdown", ".xml": "junit", ".json": "json"}
_RENDERERS = {"html": "report_html", "markdown": "report_md", "junit": "junit"}


def register(app: typer.Typer) -> None:
    """Add ``run``, ``demo``, ``validate`` and ``replay`` to ``app``."""
    app.command("run")(run)
    app.command("demo")(demo)
    app.command("validate")(validate)
    app.command("replay")(replay)


# -- rendering --------------------------------------------------------------------------


def render(results: list[dict[str, Any]], fmt: str) -> tuple[str, str]:
    """Render ``results`` as ``fmt``; return the text and the format actually used.

    HTML, Markdown and JUnit come from ``riskbus.scenarios.report_html`` / ``report_md`` /
    ``junit`` (``render(results) -> str``); when a renderer is not installed the JSON is
    returned instead (the second value says ``json``).
    """
    if fmt != "json":
        try:
            module = importlib.import_module(f"riskbus.scenarios.{_RENDERERS[fmt]}")
        except ImportError:
            module = None
        if module is not None:
            if len(results) > 1 and hasattr(module, "render_many"):
                return str(module.render_many(results)), fmt
            if len(results) == 1:
                return str(module.render(results[0])), fmt
            return "\n".join(str(module.render(r)) for r in results), fmt
    payload: Any = results[0] if len(results) == 1 else results
    return json.dumps(payload, indent=2, default=str) + "\n", "json"


def _summary(results: dict[str, Any]) -> str:
    a = results["assertions"]
    status = results["status"].upper()
    return (
        f"{status:<6} {results['scenario']['name']} — {a['passed']}/{a['total']} assertions, "
        f"{results['cycles']} cycles, {results['virtual_seconds']:g}s virtual in "
        f"{results['duration_seconds'] * 1000:.1f} ms (seed {results['seed']})"
    )


def _explain(results: dict[str, Any], console: Console | None = None) -> None:
    console = console or out
    if results["status"] == "error":
        console.print(f"  error: {results['error']}", markup=False)
    step = results["failed_step"]
    if step is not None and step["kind"] != "assert":
        console.print(
            f"  step {step['index'] + 1} ({step['description']}): {step['message']}", markup=False
        )
    for check in results["assertions"]["results"]:
        if not check["passed"]:
            console.print(
                f"  ✗ {check['name']}: expected {check['expected']}, found {check['actual']} — "
                f"{check['message']}",
                markup=False,
            )
    console.print(
        f"  seed {results['seed']} — reproduce with: {results['reproduce']}", markup=False
    )


# -- commands ---------------------------------------------------------------------------


def run(  # noqa: PLR0917 - typer maps the parameters to options
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.", show_default=False)],
    seed: Annotated[int | None, typer.Option(help="Root seed (overrides the file's).")] = None,
    output: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write a report here.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Report format: json, html, markdown or junit."),
    ] = None,
    record: Annotated[Path | None, typer.Option(help="Write the JSONL recording here.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show each step.")] = False,
    shrink: Annotated[
        bool, typer.Option("--shrink", help="Shrink a failure to a minimal fault schedule.")
    ] = False,
) -> None:
    """Run scenario files; exit 0 if all pass, 1 if an assertion fails, 2 on bad input."""
    if fmt is not None and fmt not in _FORMATS:
        raise BadInputError(f"must be one of {', '.join(_FORMATS)}, got {fmt!r}", field="--format")
    _quiet(verbose)
    # the rendered results go to stdout: then the summary lines go to stderr
    console = err if fmt is not None and report is None else out
    loaded = [load_scenario(path) for path in files]  # every file validated before running
    all_results: list[dict[str, Any]] = []
    codes: set[int] = set()
    for index, scenario in enumerate(loaded):
        target = record
        if record is not None and len(loaded) > 1:
            target = record.with_name(f"{record.stem}-{index + 1}{record.suffix}")
        runner = ScenarioRunner(
            scenario,
            seed=seed,
            record=target,
            verbose=verbose,
            log=lambda line: console.print(line, markup=False),
        )
        results = runner.run()
        all_results.append(results)
        console.print(_summary(results), markup=False)
        if results["status"] != "passed":
            _explain(results, console)
        if results["status"] == "failed":
            codes.add(1)
        elif results["status"] == "error":
            codes.add(2 if isinstance(runner.error, BadInputError) else 3)
    _write_outputs(loaded, all_results, output, report, fmt, console)
    if shrink:
        from riskbus.scenarios.shrink import shrink_failed_results

        folder = output.parent if output is not None else Path()
        shrink_failed_results(all_results, folder, lambda line: console.print(line, markup=False))
    for code in (2, 3, 1):
        if code in codes:
            raise typer.Exit(code)


def _write_outputs(  # noqa: PLR0917
    loaded: list[LoadedScenario],
    all_results: list[dict[str, Any]],
    output: Path | None,
    report: Path | None,
    fmt: str | None,
    console: Console,
) -> None:
    """Write the results JSON and the report(s) asked for."""
    if output is not None:
        write_results(all_results[0] if len(all_results) == 1 else all_results, output)  # type: ignore[arg-type]
        console.print(f"results: {output}", markup=False)
    if report is not None:
        wanted = fmt or _SUFFIXES.get(report.suffix.lower(), "html")
        text, used = render(all_results, wanted)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
        note = "" if used == wanted else f" (JSON: no {wanted} renderer installed)"
        console.print(f"report: {report}{note}", markup=False)
    elif fmt is not None:
        text, _ = render(all_results, fmt)
        typer.echo(text, nl=False)
    else:
        for scenario, results in zip(loaded, all_results, strict=True):
            _file_report(scenario, results, console)


def _quiet(verbose: bool) -> None:
    """Keep the components' warnings (a failed fetch, a rejected order: expected under
    chaos) off the terminal unless ``--verbose``."""
    logger = logging.getLogger("riskbus")
    if not verbose and not logger.handlers:
        logger.addHandler(logging.NullHandler())


def _file_report(loaded: LoadedScenario, results: dict[str, Any], console: Console) -> None:
    """Write the report the scenario file asks for (``setup.report.output``), if any."""
    setup = loaded.scenario.setup.report
    if setup.output is None:
        return
    stem = Path(loaded.source).name.split(".")[0]
    target = loaded.resolve(setup.output.replace("{scenario_name}", stem))
    text, used = render([results], setup.format)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    note = "" if used == setup.format else f" (JSON: no {setup.format} renderer installed)"
    console.print(f"report: {target}{note}", markup=False)


def bundled_demo() -> Path:
    """The path of the bundled flash-crash-recovery scenario."""
    return Path(
        str(resources.files("riskbus.scenarios") / "data" / "flash_crash_recovery.scenario.yaml")
    )


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the report and results go.")] = Path(
        "riskbus-demo"
    ),
    seed: Annotated[int | None, typer.Option(help="Root seed.")] = None,
) -> None:
    """Run the bundled flash-crash-recovery scenario and write its HTML report."""
    _quiet(False)
    loaded = load_scenario(bundled_demo())
    results = ScenarioRunner(loaded, seed=seed).run()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_results(results, out_dir / "results.json")
    text, used = render([results], "html")
    report = out_dir / ("report.html" if used == "html" else "report.json")
    report.write_text(text, encoding="utf-8")
    out.print(_summary(results), markup=False)
    note = "" if used == "html" else " (JSON: the HTML renderer is not installed)"
    out.print(f"report: {report.resolve()}{note}", markup=False)
    out.print(f"results: {(out_dir / 'results.json').resolve()}", markup=False)
    if results["status"] != "passed":
        _explain(results)
        raise typer.Exit(1 if results["status"] == "failed" else 3)


def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.", show_default=False)],
) -> None:
    """Check scenario files without running them; exit 2 if any is invalid."""
    errors: list[BadInputError] = []
    for path in files:
        try:
            loaded: LoadedScenario = load_scenario(path)
            check_references(loaded)
        except BadInputError as e:
            errors.append(e)
            continue
        scenario = loaded.scenario
        out.print(
            f"ok {path}: {scenario.name!r}, {len(loaded.steps)} steps, "
            f"{len(scenario.chaos or [])} chaos actions",
            markup=False,
        )
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise BadInputError("\n".join(str(e) for e in errors))


def replay(
    recording: Annotated[Path, typer.Argument(help="A JSONL recording.", show_default=False)],
    speed: Annotated[
        str, typer.Option(help="Virtual seconds per wall second (0.1-100), or 'instant'.")
    ] = "instant",
    names: Annotated[
        list[str] | None, typer.Option("--filter", help="Only these events (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event.")] = False,
) -> None:
    """Replay a recording's events (typed) to the terminal."""
    factor: float | None = None
    if speed != "instant":
        try:
            factor = float(speed.rstrip("xX"))
        except ValueError:
            raise BadInputError(
                f"expected a number or 'instant', got {speed!r}", field="--speed"
            ) from None
    import riskbus.model.events  # noqa: F401  (the event catalogue, to check --filter)
    from riskbus.core.messages import message_type

    for name in names or ():
        try:
            message_type(name)
        except KeyError as error:
            raise BadInputError(str(error.args[0]), field="--filter") from None
    header, events = read_recording(recording)
    replayer = Replayer(events, speed=factor, names=set(names or ()))
    start = int(header.get("start_ts") or (events[0].ts if events else 0))

    def show(event: RecordedEvent) -> None:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "t": (event.ts - start) / 1e9,
                        "cycle": event.cycle,
                        "event": event.event,
                        "summary": summarize(event.message),
                    }
                )
            )
        else:
            out.print(
                f"+{(event.ts - start) / 1e9:>10.3f}s  cycle {event.cycle:<5} {event.event:<28} "
                f"{summarize(event.message)}",
                markup=False,
            )

    if header and not as_json:
        out.print(
            f"recording of {header.get('scenario')!r} (seed {header.get('seed')}), "
            f"{len(replayer.events)} of {len(events)} events",
            markup=False,
        )
    replayer.replay(show)
