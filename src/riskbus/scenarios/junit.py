"""JUnit XML of scenario runs, in the shape CI tools read (Jenkins, GitLab, GitHub actions).

One ``<testsuite>`` per scenario, one ``<testcase>`` per assertion result (invariants and
step results included, as the results list them). A failed assertion carries a
``<failure>`` whose message says what was expected and what was found; a run that could
not be built or crashed (status ``error``) gets a ``run`` test case with an ``<error>``.
The suite's ``<properties>`` hold the seed, the scenario file's SHA-256, the riskbus
version and the command that reproduces the run.

The document follows the common JUnit schema (``testsuites > testsuite > properties,
testcase*, system-out``; counts as attributes) and is built with :mod:`xml.etree`, so any
text is escaped and characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from riskbus.scenarios.report_md import (
    assertion_results,
    fmt_value,
    scenario_field,
    status_of,
)

__all__ = ["render", "render_many", "suite"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _text(value: object) -> str:
    return _NOT_XML.sub("", fmt_value(value))


def _seconds(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{max(float(value), 0.0):.3f}"
    return "0.000"


def _classname(results: Mapping[str, Any]) -> str:
    name = scenario_field(results, "name") or scenario_field(results, "file") or "scenario"
    return _text("scenarios." + re.sub(r"\s+", "_", name.strip()))


def _failure_text(item: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    lines = [
        f"assertion: {_text(item.get('name'))}",
        f"expected:  {_text(item.get('expected'))}",
        f"found:     {_text(item.get('actual'))}",
    ]
    step = item.get("step")
    lines.append(f"step:      {'invariant' if step is None else _text(step)}")
    if item.get("message"):
        lines.append(f"message:   {_text(item.get('message'))}")
    if results.get("reproduce"):
        lines.append(f"reproduce: {_text(results.get('reproduce'))}")
    return "\n".join(lines)


def _property(parent: ET.Element, name: str, value: object) -> None:
    if value is not None and value != "":
        ET.SubElement(parent, "property", name=name, value=_text(value))


def suite(results: Mapping[str, Any]) -> ET.Element:
    """The ``<testsuite>`` element of one run's results."""
    status = status_of(results)
    classname = _classname(results)
    element = ET.Element("testsuite", name=_text(scenario_field(results, "name") or "scenario"))
    properties = ET.SubElement(element, "properties")
    _property(properties, "seed", results.get("seed"))
    _property(properties, "scenario_sha256", results.get("scenario_sha256"))
    _property(properties, "riskbus_version", results.get("riskbus_version"))
    _property(properties, "scenario_file", scenario_field(results, "file"))
    _property(properties, "status", status)
    _property(properties, "virtual_seconds", results.get("virtual_seconds"))
    _property(properties, "cycles", results.get("cycles"))
    _property(properties, "reproduce", results.get("reproduce"))

    tests = failures = errors = 0
    for item in assertion_results(results):
        tests += 1
        case = ET.SubElement(
            element, "testcase", classname=classname, name=_text(item.get("name")), time="0.000"
        )
        if not item.get("passed"):
            failures += 1
            message = f"expected {_text(item.get('expected'))}, found {_text(item.get('actual'))}"
            failure = ET.SubElement(
                case, "failure", message=message, type=_text(item.get("kind") or "assertion")
            )
            failure.text = _failure_text(item, results)

    failed_step = results.get("failed_step")
    if status == "error" or tests == 0 or (status == "failed" and failures == 0):
        tests += 1
        case = ET.SubElement(
            element,
            "testcase",
            classname=classname,
            name="run",
            time=_seconds(results.get("duration_seconds")),
        )
        if status == "error":
            errors += 1
            error_text = _text(results.get("error") or "the run did not complete")
            kind = error_text.split(":", 1)[0] if ":" in error_text else "error"
            error = ET.SubElement(case, "error", message=error_text, type=kind)
            error.text = error_text
        elif status == "failed":
            failures += 1
            step = failed_step if isinstance(failed_step, Mapping) else {}
            message = _text(step.get("message") or "the scenario failed")
            failure = ET.SubElement(case, "failure", message=message, type="step")
            failure.text = f"step {_text(step.get('index'))}: {_text(step.get('description'))}"
            failure.text += f"\n{message}"

    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", "0")
    element.set("time", _seconds(results.get("duration_seconds")))
    start = results.get("start_time")
    if isinstance(start, str) and (match := _TIMESTAMP.match(start)):
        element.set("timestamp", match.group(0))
    if scenario_field(results, "file"):
        element.set("file", _text(scenario_field(results, "file")))

    out: list[str] = []
    if results.get("reproduce"):
        out.append(f"reproduce: {_text(results.get('reproduce'))}")
    if isinstance(failed_step, Mapping):
        out.append(
            f"failed step {_text(failed_step.get('index'))} "
            f"({_text(failed_step.get('description'))}): {_text(failed_step.get('message'))}"
        )
    if out:
        ET.SubElement(element, "system-out").text = "\n".join(out)
    return element


def render_many(all_results: Iterable[Mapping[str, Any]]) -> str:
    """One JUnit document with one ``<testsuite>`` per results dict."""
    root = ET.Element("testsuites", name="riskbus scenarios")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time = 0.0
    for results in all_results:
        element = suite(results)
        root.append(element)
        for key in totals:
            totals[key] += int(element.get(key, "0"))
        time += float(element.get("time", "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{time:.3f}")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def render(results: Mapping[str, Any]) -> str:
    """The JUnit document of one run's results."""
    return render_many([results])
