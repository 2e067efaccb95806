"""The pytest plugin: every ``*.scenario.yaml`` under the test paths is a test.

Installed with riskbus (entry point ``pytest11``: ``riskbus = riskbus.scenarios.plugin``),
so ``pytest`` alone collects scenario files next to ordinary tests::

    tests/scenarios/flash_crash_recovery.scenario.yaml::flash_crash_recovery PASSED

- The file is validated when collected (the schema, then what it refers to: market
  scenario, data file, strategy, risk config, custom assertions): a file that does not
  validate is a collection error naming the file, the key and the line.
- The item is named after the file (without ``.scenario.yaml``); ``-k`` also matches the
  scenario's ``name``. Every item has the ``scenario`` marker, and each of the file's
  ``tags`` becomes a marker too (``pytest -m chaos``), registered automatically.
- The item passes when the run's status is ``passed``. Otherwise the failure shows the
  status, the seed and the command that reproduces the run, the failing step, every
  assertion result (expected and found) and the slice of the timeline before the failure.
- ``--scenario-seed N`` runs every scenario with seed ``N``; ``--scenario-report-dir DIR``
  writes each run's results JSON and HTML report into ``DIR``.
- The seed and the file's SHA-256 are recorded as user properties (they appear in
  ``--junitxml`` output).

The plugin module imports only pytest at load time (pytest loads it before coverage
starts); the schema, the runner and the report helpers are imported when a scenario file
is collected or fails, so loading the plugin costs nothing for projects without scenarios.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from riskbus.scenarios.schema import LoadedScenario

__all__ = [
    "SUFFIX",
    "TIMELINE_SLICE",
    "ScenarioFailed",
    "ScenarioFile",
    "ScenarioItem",
    "failure_text",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
]

#: The file name ending that makes a file a scenario test.
SUFFIX = ".scenario.yaml"
#: How many timeline events a failure shows (those up to the failure).
TIMELINE_SLICE = 20
_MARK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_MARKER = "scenario: a riskbus scenario file (*.scenario.yaml) run as a test"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("riskbus", "riskbus scenarios")
    group.addoption(
        "--scenario-seed",
        type=int,
        default=None,
        dest="riskbus_scenario_seed",
        help="run every *.scenario.yaml with this seed instead of the file's.",
    )
    group.addoption(
        "--scenario-report-dir",
        default=None,
        dest="riskbus_scenario_report_dir",
        help="write each scenario's results JSON and HTML report into this folder.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if file_path.name.endswith(SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFailed(Exception):
    """A scenario run whose status is not ``passed``; carries the results dict."""

    def __init__(self, results: Mapping[str, Any]) -> None:
        super().__init__(f"scenario {results.get('status')}")
        self.results = results


class ScenarioFile(pytest.File):
    """A ``*.scenario.yaml`` file: validated on collection, one item."""

    def collect(self) -> Iterator[pytest.Item]:
        from riskbus.scenarios.runner import check_references
        from riskbus.scenarios.schema import load_scenario

        loaded = load_scenario(self.path)
        check_references(loaded)
        name = self.path.name[: -len(SUFFIX)] or self.path.name
        item = ScenarioItem.from_parent(self, name=name, loaded=loaded)
        item.add_marker(pytest.mark.scenario)
        for tag in loaded.scenario.tags:
            if _MARK_NAME.fullmatch(tag):
                _register_marker(self.config, tag)
                item.add_marker(getattr(pytest.mark, tag))
            else:
                item.extra_keyword_matches.add(tag)
        item.extra_keyword_matches.add(loaded.scenario.name)
        yield item

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        from riskbus.core.errors import BadInputError

        if isinstance(excinfo.value, BadInputError):
            return f"invalid scenario file {self.path}:\n{excinfo.value}"
        return super().repr_failure(excinfo)


def _register_marker(config: pytest.Config, name: str) -> None:
    """Declare a tag as a marker, so ``--strict-markers`` accepts it."""
    declared = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    if name not in declared:
        config.addinivalue_line("markers", f"{name}: scenario tag")


class ScenarioItem(pytest.Item):
    """One scenario run; fails unless the run's status is ``passed``."""

    def __init__(self, *, loaded: LoadedScenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        #: The results dict of the last run (``None`` before it ran).
        self.results: dict[str, Any] | None = None

    def runtest(self) -> None:
        from riskbus.scenarios.runner import ScenarioRunner

        seed = self.config.getoption("riskbus_scenario_seed")
        results = ScenarioRunner(self.loaded, seed=seed).run()
        self.results = results
        self.user_properties.append(("seed", results.get("seed")))
        self.user_properties.append(("scenario_sha256", results.get("scenario_sha256")))
        report_dir = self.config.getoption("riskbus_scenario_report_dir")
        if report_dir:
            self._write_reports(Path(report_dir), results)
        if results.get("status") != "passed":
            raise ScenarioFailed(results)

    def _write_reports(self, folder: Path, results: dict[str, Any]) -> None:
        from riskbus.scenarios import report_html
        from riskbus.scenarios.results import write_results

        write_results(results, folder / f"{self.name}.json")
        (folder / f"{self.name}.html").write_text(report_html.render(results), encoding="utf-8")

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScenarioFailed):
            return failure_text(excinfo.value.results)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"scenario: {self.loaded.scenario.name}"


# -- the failure text -------------------------------------------------------------------


def _failure_moment(results: Mapping[str, Any]) -> float | None:
    step = results.get("failed_step")
    if isinstance(step, Mapping):
        t = step.get("t_end")
        if isinstance(t, int | float) and not isinstance(t, bool):
            return float(t)
    return None


def _timeline_slice(results: Mapping[str, Any]) -> list[str]:
    from riskbus.scenarios.report_md import fmt_seconds, fmt_value, rows

    events = rows(results, "timeline")
    moment = _failure_moment(results)
    if moment is not None:
        events = [
            e for e in events if isinstance(e.get("t"), int | float) and float(e["t"]) <= moment
        ]
    shown = events[-TIMELINE_SLICE:]
    if not shown:
        return []
    where = "before the failing step's end" if moment is not None else "at the end of the run"
    lines = [f"Timeline, the last {len(shown)} events {where}:"]
    for event in shown:
        cycle = event.get("cycle")
        lines.append(
            f"  {fmt_seconds(event.get('t'), 3):>14}  "
            f"{'c' + fmt_value(cycle) if cycle is not None else '':>5}  "
            f"{fmt_value(event.get('event'))}  {fmt_value(event.get('summary') or '')}".rstrip()
        )
    return lines


def _headline(results: Mapping[str, Any]) -> str:
    """The first line (pytest's short summary shows it): what failed, and the seed."""
    from riskbus.scenarios.report_md import assertion_results, fmt_value, status_of

    seed = f"[seed {fmt_value(results.get('seed'))}]"
    if results.get("error"):
        return f"{status_of(results)}: {fmt_value(results.get('error'))} {seed}"
    failed = [item for item in assertion_results(results) if not item.get("passed")]
    if failed:
        first = failed[0]
        more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
        return (
            f"{fmt_value(first.get('name'))}: expected {fmt_value(first.get('expected'))}, "
            f"found {fmt_value(first.get('actual'))}{more} {seed}"
        )
    step = results.get("failed_step")
    if isinstance(step, Mapping):
        return f"step {fmt_value(step.get('index'))}: {fmt_value(step.get('message'))} {seed}"
    return f"scenario {status_of(results)} {seed}"


def failure_text(results: Mapping[str, Any]) -> str:
    """What a failed scenario item shows: status, reproduction, failing step, assertions and
    the timeline before the failure."""
    from riskbus.scenarios.report_md import (
        assertion_results,
        fmt_seconds,
        fmt_value,
        scenario_field,
        status_of,
    )

    status = status_of(results)
    name = scenario_field(results, "name") or "scenario"
    lines = [
        _headline(results),
        "",
        f"scenario {name!r} {status.upper()} (seed {fmt_value(results.get('seed'))}, "
        f"{fmt_seconds(results.get('virtual_seconds'), 1)} virtual, "
        f"{fmt_value(results.get('cycles'))} cycles)",
        f"  file:      {scenario_field(results, 'file') or '—'}",
        f"  sha256:    {fmt_value(results.get('scenario_sha256'))}",
        f"  reproduce: {fmt_value(results.get('reproduce'))}",
    ]
    if results.get("error"):
        lines += ["", f"Error: {fmt_value(results.get('error'))}"]
    step = results.get("failed_step")
    if isinstance(step, Mapping):
        lines += [
            "",
            f"Failing step {fmt_value(step.get('index'))} ({fmt_value(step.get('kind'))}): "
            f"{fmt_value(step.get('description'))}",
            f"  {fmt_value(step.get('message') or step.get('status'))}",
        ]
    checks = assertion_results(results)
    passed = sum(1 for item in checks if item.get("passed"))
    lines += ["", f"Assertions: {passed}/{len(checks)} passed"]
    for item in checks:
        mark = "ok  " if item.get("passed") else "FAIL"
        where = "invariant" if item.get("step") is None else f"step {fmt_value(item.get('step'))}"
        lines.append(
            f"  {mark} {fmt_value(item.get('name'))}: expected {fmt_value(item.get('expected'))}, "
            f"found {fmt_value(item.get('actual'))} ({where})"
        )
        if not item.get("passed") and item.get("message"):
            lines.append(f"       {fmt_value(item.get('message'))}")
    timeline = _timeline_slice(results)
    if timeline:
        lines += ["", *timeline]
    return "\n".join(lines)
