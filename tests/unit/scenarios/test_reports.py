"""The HTML and Markdown reports: self-contained, complete, escaped and deterministic."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from riskbus.scenarios import report_html, report_md
from tests.unit.scenarios._results_fixture import results

_BUNDLED = (
    Path(__file__).parents[3] / "src/riskbus/scenarios/data/flash_crash_recovery.scenario.yaml"
)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def with_class(self, css: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(t, a) for t, a in self.tags if css in (a.get("class") or "").split()]


def _parse(document: str) -> _Tags:
    parser = _Tags()
    parser.feed(document)
    parser.close()
    return parser


# -- HTML -------------------------------------------------------------------------------


def test_html_is_one_self_contained_document() -> None:
    document = report_html.render(results())
    tags = _parse(document)
    assert document.startswith("<!DOCTYPE html>")
    assert document.rstrip().endswith("</html>")
    assert tags.named("script") == []
    assert tags.named("link") == []
    assert tags.named("iframe") == []
    assert tags.named("img") == []
    for _, attrs in tags.tags:
        for key in ("src", "href", "xlink:href", "action"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (key, value)
    assert "@import" not in document
    assert "url(" not in document
    assert "http://" not in document
    assert "https://" not in document
    assert len(tags.named("style")) == 1


def test_html_summary_names_everything_needed_to_reproduce() -> None:
    data = results()
    document = report_html.render(data)
    for text in (
        "Flash Crash Recovery Test",
        "FAILED",
        data["scenario_sha256"],
        "0.1.0",
        "42",
        "0.012 s",
        "3000 s (50 cycles)",
        "riskbus run examples/scenarios/flash_crash_recovery.scenario.yaml --seed 42",
        "examples/scenarios/flash_crash_recovery.scenario.yaml",
    ):
        assert text in document, text
    assert 'class="failed"' in document
    assert 'id="failed-step"' in document
    assert "1 assertion failed: event_count.PositionPurchased.min" in document


def test_html_chart_marks_buys_and_sells_and_shades_fault_windows() -> None:
    data = results()
    tags = _parse(report_html.render(data))
    assert len(tags.named("svg")) == 1
    assert len(tags.with_class("price-line")) == 1
    points = tags.with_class("price-line")[0][1]["points"] or ""
    assert len(points.split()) == len(data["prices"])
    assert len(tags.with_class("buy")) >= 2
    assert [t for t, _ in tags.with_class("trade")] == ["path", "path", "path"]
    assert len([1 for t, a in tags.with_class("trade") if "buy" in (a["class"] or "")]) == 2
    assert len([1 for t, a in tags.with_class("trade") if "sell" in (a["class"] or "")]) == 1
    windows = tags.with_class("fault-window")
    assert [a["data-fault-id"] for _, a in windows] == ["F1", "F2"]
    assert all(t == "rect" for t, _ in windows)
    # The never-healed outage is shaded to the right edge of the plot.
    outage = windows[1][1]
    right = float(outage["x"] or 0) + float(outage["width"] or 0)
    assert right == pytest.approx(960 - 16, abs=0.2)
    assert "never healed" in report_html.render(data)


def test_html_chart_is_well_formed_svg() -> None:
    import xml.etree.ElementTree as ET

    chart = report_html.price_chart(results())
    root = ET.fromstring(chart)
    assert root.tag == "svg"
    assert root.get("viewBox") == "0 0 960 320"


def test_html_chart_thins_long_series_but_keeps_the_extremes() -> None:
    data = results()
    data["prices"] = [
        {"cycle": i, "t": float(i), "price": 100.0 + (i % 97) - (500.0 if i == 54_321 else 0)}
        for i in range(100_000)
    ]
    data["virtual_seconds"] = 100_000.0
    chart = report_html.price_chart(data)
    points = re.search(r'class="price-line" points="([^"]*)"', chart)
    assert points is not None
    pairs = points.group(1).split()
    assert len(pairs) <= report_html.CHART_MAX_POINTS + 4
    lowest = max(float(pair.split(",")[1]) for pair in pairs)  # SVG y grows downwards
    assert lowest == pytest.approx(320 - 40 - (320 - 24 - 40) * 0.06 / 1.12, abs=1.0)


def test_html_assertion_rows_show_expected_and_found() -> None:
    data = results()
    document = report_html.render(data)
    rows = re.findall(r'<tr class="(pass|fail)">(.*?)</tr>', document)
    assertion_rows = [(cls, row) for cls, row in rows if "event_count" in row or "no_panic" in row]
    assert [cls for cls, _ in assertion_rows[:3]] == ["fail", "pass", "pass"]
    failing = assertion_rows[0][1]
    assert "event_count.PositionPurchased.min" in failing
    assert "&gt;= 3" in failing
    assert "<td>2</td>" in failing
    assert "Assertions: 3/4 passed" in document
    assert "invariant.capital_conserved" in document


def test_html_chaos_report_lists_every_fault_with_start_and_heal() -> None:
    document = report_html.render(results())
    section = document[document.index('id="chaos"') : document.index('id="steps"')]
    assert "1500 s (cycle 25)" in section
    assert "1505 s (cycle 25)" in section
    assert "2700 s (cycle 45)" in section
    assert "not healed" in section
    assert "Events delayed" in section
    assert "exchange_outage windows" in section


def test_html_timeline_lists_the_events() -> None:
    data = results()
    document = report_html.render(data)
    section = document[document.index('id="timeline"') :]
    assert f"{len(data['timeline'])} events" in section
    assert section.count("<tr") == len(data["timeline"]) + 1
    assert 'class="fault"' in section
    assert "cycle_number=17" in section


def test_html_escapes_hostile_strings() -> None:
    document = report_html.render(results(hostile=True))
    assert "<script" not in document
    assert "&lt;script&gt;" in document
    assert _parse(document).named("script") == []
    assert "alert(&quot;x&quot;)" in document


def test_html_is_deterministic() -> None:
    data = results()
    first = report_html.render(data)
    assert report_html.render(copy.deepcopy(data)) == first
    assert data == results()


@pytest.mark.parametrize("status", ["passed", "error"])
def test_html_other_statuses(status: str) -> None:
    document = report_html.render(results(status=status))
    assert status.upper() in document
    if status == "error":
        assert "RuntimeError: the world fell over" in document
        assert "No prices were fetched." in document
        assert "No assertions were checked." in document
    else:
        assert 'id="failed-step"' not in document


def test_html_survives_a_minimal_results_dict() -> None:
    document = report_html.render({})
    assert "<svg" not in document
    assert "ERROR" in document


# -- Markdown ---------------------------------------------------------------------------


def test_markdown_has_every_section() -> None:
    text = report_md.render(results())
    for heading in (
        "# ❌ Flash Crash Recovery Test: FAILED",
        "## Failed step",
        "## Steps",
        "## Assertions: 3/4 passed",
        "## Chaos",
        "## Exchange",
        "## Bot",
        "## Trades",
        "## Timeline",
    ):
        assert heading in text, heading
    assert "| ❌ | event_count.PositionPurchased.min | &gt;= 3 | 2 | 1 |" in text
    assert "| F2 | exchange_outage | duration_cycles=3 | 2700 s (cycle 45) | not healed |" in text
    assert "| Seed | 42 |" in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_markdown_escapes_cells() -> None:
    data = results(hostile=True)
    data["assertions"]["results"][1]["name"] = "a|b\nc"
    text = report_md.render(data)
    assert "<script" not in text
    assert "a\\|b c" in text
    header = next(line for line in text.splitlines() if line.startswith("|   | Assertion"))
    rows = [line for line in text.splitlines() if "a\\|b c" in line]
    assert rows
    unescaped = len(re.findall(r"(?<!\\)\|", rows[0]))
    assert unescaped == header.count("|")


def test_markdown_caps_the_timeline() -> None:
    data = results()
    data["timeline"] = [
        {"t": float(i), "cycle": i, "event": "BotMonitoringCycleStarted", "summary": ""}
        for i in range(report_md.MARKDOWN_TIMELINE_LIMIT + 10)
    ]
    text = report_md.render(data)
    assert f"the first {report_md.MARKDOWN_TIMELINE_LIMIT} events are shown" in text


def test_markdown_error_and_deterministic() -> None:
    data = results(status="error")
    text = report_md.render(data)
    assert "## Error" in text
    assert "RuntimeError: the world fell over" in text
    assert "No assertions were checked." in text
    assert report_md.render(copy.deepcopy(data)) == text
    assert report_md.render({}).startswith("# 💥 scenario: ERROR")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (True, "true"), (3000.0, "3000"), (0.1 + 0.2, "0.3"), ([1, "a"], '[1, "a"]')],
)
def test_fmt_value(value: Any, shown: str) -> None:
    assert report_md.fmt_value(value) == shown


# -- against the real runner ------------------------------------------------------------


def test_reports_render_real_runner_results() -> None:
    from riskbus.scenarios.runner import run_scenario

    data = run_scenario(_BUNDLED)
    assert data["prices"]
    tags = _parse(report_html.render(data))
    assert len(tags.with_class("trade")) == len(data["trades"])
    assert len(tags.with_class("fault-window")) == len(data["chaos"]["faults"])
    text = report_md.render(data)
    for item in data["assertions"]["results"]:
        assert item["name"] in text


# -- several runs in one document -------------------------------------------------------


def test_html_many_is_one_document_with_unique_ids() -> None:
    runs = [results(), results(status="passed"), results(status="error", hostile=True)]
    document = report_html.render_many(runs)
    tags = _parse(document)
    assert document.count("<!DOCTYPE html>") == 1
    assert len(tags.named("html")) == 1
    assert len(tags.named("style")) == 1
    ids = [attrs["id"] for _, attrs in tags.tags if attrs.get("id")]
    assert len(ids) == len(set(ids))
    assert "s1-summary" in ids
    assert "s3-summary" in ids
    links = [attrs["href"] for attrs in tags.named("a")]
    assert links == ["#s1-summary", "#s2-summary", "#s3-summary"]
    assert all(link[1:] in ids for link in links if link)
    assert "1 error, 1 failed, 1 passed" in document
    assert "<script" not in document
    assert len(tags.named("svg")) == 2


def test_markdown_many_demotes_each_report_under_a_summary() -> None:
    runs = [results(), results(status="error")]
    text = report_md.render_many(runs)
    assert text.startswith("# 2 scenarios\n")
    assert "| Flash Crash Recovery Test | failed | 3/4 | 42 | 0.012 s |" in text
    assert "## ❌ Flash Crash Recovery Test: FAILED" in text
    assert "## 💥 Flash Crash Recovery Test: ERROR" in text
    assert "### Assertions: 3/4 passed" in text
    assert "RuntimeError: the world fell over" in text
    assert [line for line in text.splitlines() if line.startswith("# ")] == ["# 2 scenarios"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0123, "0.012 s"), (0.000123, "0.00012 s"), (0.0, "0 s"), (3060.0, "3060 s")],
)
def test_fmt_seconds(value: float, shown: str) -> None:
    assert report_md.fmt_seconds(value) == shown
