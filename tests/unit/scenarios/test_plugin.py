"""The pytest plugin, end to end through the real runner: collection, outcomes, failure text,
``-k``, markers from ``tags``, collection errors, seeds and report files."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest

# Imported here so that pytester's in-process runs (which restore ``sys.modules`` after each
# run) do not import the runner and everything under it again, run after run.
import riskbus.scenarios.runner
import riskbus.scenarios.schema  # noqa: F401

pytest_plugins = ["pytester"]

_PASSING = """\
name: "Quiet market"
tags: [smoke, nightly]
setup:
  exchange:
    scenario: sideways
steps:
  - wait_for_cycles: 5
  - assert:
      event_count:
        BotMonitoringCycleStarted: {min: 5}
"""

_FAILING = """\
name: "Impossible expectation"
setup:
  exchange:
    scenario: sideways
steps:
  - wait_for_cycles: 5
  - assert:
      event_count:
        BotMonitoringCycleStarted: {exact: 999}
"""

_BAD = """\
name: "Typo"
setup:
  exchange:
    scenaro: sideways
steps:
  - wait_for_cycles: 5
"""


def _args(*args: str) -> list[str]:
    """Load the plugin by its entry point when installed, else by module name."""
    installed = any(ep.name == "riskbus" for ep in entry_points(group="pytest11"))
    base = ["-p", "no:cacheprovider", "--strict-markers"]
    if not installed:
        base += ["-p", "riskbus.scenarios.plugin"]
    return [*base, *args]


@pytest.fixture
def scenarios(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".scenario.yaml", quiet_market=_PASSING, impossible=_FAILING)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    return pytester


def test_entry_point_is_declared() -> None:
    # The editable install carries the pyproject's [project.entry-points.pytest11].
    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("riskbus") == "riskbus.scenarios.plugin"


def test_scenario_files_are_collected_next_to_python_tests(scenarios: pytest.Pytester) -> None:
    result = scenarios.runpytest(*_args("--collect-only", "-q"))
    result.stdout.fnmatch_lines(
        [
            "impossible.scenario.yaml::impossible",
            "quiet_market.scenario.yaml::quiet_market",
            "test_plain.py::test_plain",
        ],
        consecutive=False,
    )
    assert result.ret == 0


def test_outcomes_and_failure_text(scenarios: pytest.Pytester) -> None:
    result = scenarios.runpytest(*_args("-rf"))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*scenario: Impossible expectation *",
            "event_count.BotMonitoringCycleStarted.exact: expected == 999, found 5 [[]seed 42[]]",
            "scenario 'Impossible expectation' FAILED (seed 42*",
            "*reproduce: riskbus run *impossible.scenario.yaml --seed 42",
            "Failing step 1 (assert): assert: event_count",
            "*1 of 1 assertions failed*",
            "Assertions: */* passed",
            "  FAIL event_count.BotMonitoringCycleStarted.exact: expected == 999, found 5 (step 1)",
            "*Expected exactly 999 BotMonitoringCycleStarted events, got 5",
            "  ok   invariant.*",
            "Timeline, the last * events before the failing step's end:",
            "*c5  BotMonitoringCycleCompleted*",
            "FAILED impossible.scenario.yaml::impossible - event_count.Bot*",
        ],
        consecutive=False,
    )


def _selected(pytester: pytest.Pytester, *args: str) -> list[str]:
    """The node ids a selection collects (collection only: nothing runs)."""
    result = pytester.runpytest(*_args("--collect-only", "-q", *args))
    return sorted(line for line in result.outlines if "::" in line)


def test_dash_k_matches_the_file_and_the_scenario_name(scenarios: pytest.Pytester) -> None:
    assert _selected(scenarios, "-k", "quiet_market") == [
        "quiet_market.scenario.yaml::quiet_market"
    ]
    # "Impossible" is only in the scenario's name, not in its file name.
    assert _selected(scenarios, "-k", "Impossible and expectation") == [
        "impossible.scenario.yaml::impossible"
    ]


def test_markers_from_tags_and_the_scenario_marker(scenarios: pytest.Pytester) -> None:
    # --strict-markers is on (see _args): the tags are registered by the plugin.
    assert _selected(scenarios, "-m", "smoke or nightly") == [
        "quiet_market.scenario.yaml::quiet_market"
    ]
    assert _selected(scenarios, "-m", "scenario and not smoke") == [
        "impossible.scenario.yaml::impossible"
    ]


def test_an_invalid_file_is_a_collection_error_naming_key_and_line(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".scenario.yaml", typo=_BAD)
    result = pytester.runpytest(*_args())
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "invalid scenario file *typo.scenario.yaml:",
            "*typo.scenario.yaml:4 setup.exchange.scenaro*",
        ]
    )


def test_other_yaml_files_are_ignored(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", config="name: not a scenario\n")
    result = pytester.runpytest(*_args())
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_seed_option_report_dir_and_junitxml_properties(scenarios: pytest.Pytester) -> None:
    import xml.etree.ElementTree as ET

    reports = scenarios.path / "reports"
    junit_xml = scenarios.path / "junit.xml"
    result = scenarios.runpytest(
        *_args(
            "-k",
            "quiet_market",
            "--scenario-seed",
            "7",
            "--scenario-report-dir",
            str(reports),
            f"--junitxml={junit_xml}",
        )
    )
    result.assert_outcomes(passed=1, deselected=2)
    data = json.loads((reports / "quiet_market.json").read_text(encoding="utf-8"))
    assert data["seed"] == 7
    assert data["status"] == "passed"
    html = (reports / "quiet_market.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Quiet market" in html
    props = {p.get("name"): p.get("value") for p in ET.parse(junit_xml).getroot().iter("property")}
    assert props["seed"] == "7"
    assert props["scenario_sha256"] == data["scenario_sha256"]


def test_a_file_referring_to_nothing_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".scenario.yaml",
        nowhere=_PASSING.replace("scenario: sideways", "scenario: no_such_market"),
    )
    result = pytester.runpytest(*_args())
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*nowhere.scenario.yaml:5 setup.exchange.scenario*no_such_market*"]
    )
