"""JUnit XML: parses back, counts match, failures say what was expected and found."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from riskbus.scenarios import junit
from tests.unit.scenarios._results_fixture import HOSTILE, results

# The common JUnit shape CI tools read (Jenkins' junit-10.xsd, GitLab, GitHub reporters).
_SUITE_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "file"}
_SUITE_CHILDREN = ["properties", "testcase", "system-out", "system-err"]
_CASE_ATTRS = {"name", "classname", "time"}
_CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}


def _parse(document: str) -> ET.Element:
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(document.encode("utf-8"))


def _check_shape(root: ET.Element) -> None:
    """Validate the common JUnit schema shape (elements, order, attributes, number types)."""
    assert root.tag == "testsuites"
    assert set(root.attrib) <= {"name", "tests", "failures", "errors", "skipped", "time"}
    for suite in root:
        assert suite.tag == "testsuite"
        assert {"name", "tests"} <= set(suite.attrib) <= _SUITE_ATTRS
        for key in ("tests", "failures", "errors", "skipped"):
            assert int(suite.get(key, "0")) >= 0
        float(suite.get("time", "0"))
        order = [_SUITE_CHILDREN.index(child.tag) for child in suite]
        assert order == sorted(order), [child.tag for child in suite]
        for prop in suite.iter("property"):
            assert set(prop.attrib) == {"name", "value"}
        cases = suite.findall("testcase")
        assert len(cases) == int(suite.get("tests", "-1"))
        failures = errors = 0
        for case in cases:
            assert {"name", "classname"} <= set(case.attrib) <= _CASE_ATTRS
            float(case.get("time", "0"))
            for child in case:
                assert child.tag in _CASE_CHILDREN
                if child.tag in {"failure", "error"}:
                    assert set(child.attrib) <= {"message", "type"}
            failures += len(case.findall("failure"))
            errors += len(case.findall("error"))
        assert failures == int(suite.get("failures", "-1"))
        assert errors == int(suite.get("errors", "-1"))


def test_one_suite_one_case_per_assertion_and_counts_match() -> None:
    data = results()
    root = _parse(junit.render(data))
    _check_shape(root)
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "Flash Crash Recovery Test"
    assert suite.get("tests") == str(data["assertions"]["total"]) == "4"
    assert suite.get("failures") == str(data["assertions"]["failed"]) == "1"
    assert suite.get("errors") == "0"
    assert suite.get("time") == "0.012"
    assert suite.get("timestamp") == "2026-11-22T08:30:00"
    names = [case.get("name") for case in suite.findall("testcase")]
    assert names == [item["name"] for item in data["assertions"]["results"]]
    assert root.get("tests") == "4"
    assert root.get("failures") == "1"


def test_failure_says_expected_and_found() -> None:
    suite = _parse(junit.render(results())).find("testsuite")
    assert suite is not None
    failing = [case for case in suite.findall("testcase") if case.find("failure") is not None]
    assert [case.get("name") for case in failing] == ["event_count.PositionPurchased.min"]
    failure = failing[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "expected >= 3, found 2"
    assert failure.get("type") == "event_count"
    text = failure.text or ""
    assert "expected:  >= 3" in text
    assert "found:     2" in text
    assert "reproduce: riskbus run" in text


def test_properties_carry_seed_and_sha256() -> None:
    data = results()
    suite = _parse(junit.render(data)).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "42"
    assert props["scenario_sha256"] == data["scenario_sha256"]
    assert props["riskbus_version"] == "0.1.0"
    assert props["reproduce"] == data["reproduce"]
    out = suite.find("system-out")
    assert out is not None
    assert "--seed 42" in (out.text or "")


def test_passed_run() -> None:
    root = _parse(junit.render(results(status="passed")))
    _check_shape(root)
    assert root.get("failures") == "0"
    assert root.get("tests") == "4"


def test_error_run_is_an_error_not_a_failure() -> None:
    root = _parse(junit.render(results(status="error")))
    _check_shape(root)
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("errors") == "1"
    assert suite.get("failures") == "0"
    case = suite.find("testcase")
    assert case is not None
    assert case.get("name") == "run"
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "RuntimeError"
    assert "the world fell over" in (error.get("message") or "")


def test_failed_step_without_failed_assertion_is_a_failure() -> None:
    data = results()
    data["assertions"]["results"][0]["passed"] = True
    data["failed_step"] = {
        "index": 0,
        "kind": "wait_for_event",
        "description": "wait_for_event: PositionSold (timeout 300s)",
        "status": "failed",
        "message": "PositionSold did not occur within 300 s",
    }
    root = _parse(junit.render(data))
    _check_shape(root)
    assert root.get("failures") == "1"
    assert root.get("tests") == "5"


def test_many_results_give_one_suite_each() -> None:
    document = junit.render_many([results(), results(status="passed"), results(status="error")])
    root = _parse(document)
    _check_shape(root)
    assert len(root.findall("testsuite")) == 3
    assert root.get("tests") == str(4 + 4 + 1)
    assert root.get("failures") == "1"
    assert root.get("errors") == "1"


def test_hostile_text_is_escaped_and_control_characters_dropped() -> None:
    data = results(hostile=True)
    data["assertions"]["results"][0]["message"] = "bell\x07 and nul\x00 here"
    document = junit.render(data)
    root = _parse(document)
    _check_shape(root)
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == HOSTILE
    assert "<script>" not in document
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert "bell and nul here" in (failure.text or "")


def test_deterministic() -> None:
    assert junit.render(results()) == junit.render(results())
