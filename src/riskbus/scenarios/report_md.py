"""The Markdown report of one scenario run, and the text helpers the other reports share.

:func:`render` turns the results dict (the JSON written by ``riskbus run --output``, see
:mod:`riskbus.scenarios.results`) into a Markdown document: summary, failed step, steps,
assertions (expected vs found), chaos report (every fault with its start and heal), exchange
and bot figures, trades and the event timeline. The output depends only on the results, so
the same results always give the same bytes.

The helpers (:func:`fmt_value`, :func:`fmt_seconds`, :func:`section`, ...) read the results
dict defensively: a missing or null key shows as ``—`` rather than raising, so a report can
always be written, even for a run that crashed before building its world.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "CHAOS_COUNTERS",
    "MARKDOWN_TIMELINE_LIMIT",
    "assertion_results",
    "fault_row",
    "faults",
    "fmt_number",
    "fmt_seconds",
    "fmt_value",
    "fmt_when",
    "render",
    "render_many",
    "rows",
    "scenario_field",
    "section",
    "status_of",
    "summary_rows",
]

#: The Markdown timeline shows at most this many events (the HTML report shows them all).
MARKDOWN_TIMELINE_LIMIT = 500

_DASH = "—"
_STATUS_ICON = {"passed": "✅", "failed": "❌", "error": "💥"}


# -- shared helpers ---------------------------------------------------------------------


def section(results: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``results[key]`` when it is a mapping, else an empty mapping."""
    value = results.get(key)
    return value if isinstance(value, Mapping) else {}


def rows(results: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The mappings of the list ``results[key]`` (other items and a missing key are skipped)."""
    value = results.get(key)
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def scenario_field(results: Mapping[str, Any], key: str) -> str:
    """``name``, ``description`` or ``file`` of the scenario ("" when unknown).

    Accepts the scenario as a mapping (``{"name": ..., ...}``) or, as the original framework
    wrote it, as the bare name.
    """
    scenario = results.get("scenario")
    if isinstance(scenario, Mapping):
        value = scenario.get(key)
        return "" if value is None else str(value)
    if key == "name" and scenario is not None:
        return str(scenario)
    return ""


def status_of(results: Mapping[str, Any]) -> str:
    """``passed``, ``failed`` or ``error`` (anything else is shown as given, lower case)."""
    return str(results.get("status") or "error").lower()


def assertion_results(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every assertion result, in the order they were checked."""
    return rows(section(results, "assertions"), "results")


def faults(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every fault window of the chaos report."""
    return rows(section(results, "chaos"), "faults")


def fmt_number(value: float | int) -> str:
    """A number without noise: ``3000`` for ``3000.0``, at most 10 significant digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


def fmt_value(value: object) -> str:
    """Any results value as one line of text (``—`` for null; JSON for lists and mappings)."""
    if value is None:
        return _DASH
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return fmt_number(value)
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def fmt_seconds(value: object, digits: int = 3) -> str:
    """Seconds as ``1.234 s`` (``—`` when unknown)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and math.isfinite(value):
            text = f"{value:.{digits}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            if text in {"0", "-0"} and value != 0:
                text = format(value, ".2g")  # a very short wall time is not "0 s"
            return f"{text} s"
        return f"{fmt_number(value)} s"
    return _DASH


def fmt_when(t: object, cycle: object) -> str:
    """A virtual moment as ``1500 s (cycle 25)``; ``—`` when neither is known."""
    parts = []
    if isinstance(t, int | float) and not isinstance(t, bool):
        parts.append(fmt_seconds(t, 1))
    if isinstance(cycle, int) and not isinstance(cycle, bool):
        parts.append(f"cycle {cycle}" if parts == [] else f"(cycle {cycle})")
    return " ".join(parts) or _DASH


def summary_rows(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The summary as (label, value) pairs, in display order."""
    cycles = results.get("cycles")
    virtual = fmt_seconds(results.get("virtual_seconds"), 1)
    if isinstance(cycles, int):
        virtual += f" ({cycles} cycles)"
    pairs = [
        ("Status", status_of(results)),
        ("Scenario", scenario_field(results, "name")),
        ("File", scenario_field(results, "file")),
        ("Seed", fmt_value(results.get("seed"))),
        ("Scenario SHA-256", fmt_value(results.get("scenario_sha256"))),
        ("riskbus version", fmt_value(results.get("riskbus_version"))),
        ("Wall time", fmt_seconds(results.get("duration_seconds"))),
        ("Virtual time", virtual),
        ("Reproduce", fmt_value(results.get("reproduce"))),
    ]
    if results.get("recording"):
        pairs.append(("Recording", fmt_value(results.get("recording"))))
    return pairs


def fault_row(fault: Mapping[str, Any]) -> dict[str, str]:
    """One fault window as display strings: id, kind, details, started, healed, duration."""
    start, end = fault.get("start_t"), fault.get("end_t")
    healed = fmt_when(end, fault.get("end_cycle"))
    if end is None and fault.get("end_cycle") is None:
        healed = "not healed"
    duration = _DASH
    if isinstance(start, int | float) and isinstance(end, int | float):
        duration = fmt_seconds(float(end) - float(start), 1)
    return {
        "id": fmt_value(fault.get("fault_id")),
        "kind": fmt_value(fault.get("kind")),
        "details": fmt_value(fault.get("details") or ""),
        "started": fmt_when(start, fault.get("start_cycle")),
        "healed": healed,
        "duration": duration,
    }


CHAOS_COUNTERS = (
    ("faults_started", "Faults started"),
    ("faults_healed", "Faults healed"),
    ("events_delayed", "Events delayed"),
    ("events_dropped", "Events dropped"),
    ("events_modified", "Events modified"),
    ("failures_injected", "Failures injected"),
    ("total_delay_ms", "Total delay (ms)"),
    ("total_events", "Events seen"),
    ("current_cycle", "Last cycle"),
)


# -- Markdown ---------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A table cell: one line, pipes escaped, HTML-significant characters neutralised."""
    text = " ".join(fmt_value(value).split())
    return (
        text.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
    ) or " "


def _table(header: Sequence[str], body: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return [*lines, ""]


def _summary(results: Mapping[str, Any]) -> list[str]:
    status = status_of(results)
    name = _cell(scenario_field(results, "name") or "scenario")
    icon = _STATUS_ICON.get(status)
    out = [f"# {icon + ' ' if icon else ''}{name}: {status.upper()}", ""]
    description = scenario_field(results, "description")
    if description:
        out += [f"> {_cell(description)}", ""]
    out += _table(["", ""], summary_rows(results))
    error = results.get("error")
    if error:
        out += ["## Error", "", "```text", str(error).replace("```", "'''"), "```", ""]
    failed = results.get("failed_step")
    if isinstance(failed, Mapping):
        out += [
            "## Failed step",
            "",
            f"Step {fmt_value(failed.get('index'))} (`{_cell(failed.get('kind'))}`): "
            f"{_cell(failed.get('description'))}",
            "",
            f"> {_cell(failed.get('message') or failed.get('status'))}",
            "",
        ]
    return out


def _steps(results: Mapping[str, Any]) -> list[str]:
    steps = rows(results, "steps")
    if not steps:
        return []
    body = [
        [
            step.get("index"),
            step.get("description") or step.get("kind"),
            step.get("status"),
            fmt_when(step.get("t_start"), step.get("cycle_start")),
            fmt_when(step.get("t_end"), step.get("cycle_end")),
            step.get("message") or "",
        ]
        for step in steps
    ]
    return ["## Steps", "", *_table(["#", "Step", "Status", "From", "To", "Message"], body)]


def _assertions(results: Mapping[str, Any]) -> list[str]:
    summary = section(results, "assertions")
    found = assertion_results(results)
    head = (
        f"## Assertions: {fmt_value(summary.get('passed', 0))}/"
        f"{fmt_value(summary.get('total', len(found)))} passed"
    )
    if not found:
        return [head, "", "No assertions were checked.", ""]
    body = [
        [
            "✅" if item.get("passed") else "❌",
            item.get("name"),
            item.get("expected"),
            item.get("actual"),
            "invariant" if item.get("step") is None else item.get("step"),
            item.get("message") or "",
        ]
        for item in found
    ]
    return [head, "", *_table(["", "Assertion", "Expected", "Found", "Step", "Message"], body)]


def _chaos(results: Mapping[str, Any]) -> list[str]:
    chaos = section(results, "chaos")
    out = ["## Chaos", ""]
    counters = [(label, chaos.get(key)) for key, label in CHAOS_COUNTERS if key in chaos]
    if counters:
        out += _table(["Counter", "Value"], counters)
    by_kind = chaos.get("by_kind")
    if isinstance(by_kind, Mapping) and by_kind:
        out += _table(["Kind", "Fault windows"], sorted(by_kind.items()))
    windows = [fault_row(fault) for fault in faults(results)]
    if windows:
        header = ["Fault", "Kind", "Details", "Started", "Healed", "Duration"]
        out += _table(header, [list(row.values()) for row in windows])
    elif not counters:
        out += ["No chaos.", ""]
    return out


def _figures(title: str, figures: Mapping[str, Any]) -> list[str]:
    if not figures:
        return []
    return [f"## {title}", "", *_table(["", ""], list(figures.items()))]


def _trades(results: Mapping[str, Any]) -> list[str]:
    trades = rows(results, "trades")
    if not trades:
        return []
    body = [
        [
            fmt_when(trade.get("t"), trade.get("cycle")),
            trade.get("side"),
            trade.get("price"),
            trade.get("quantity"),
            trade.get("pool"),
        ]
        for trade in trades
    ]
    return ["## Trades", "", *_table(["When", "Side", "Price", "Quantity", "Pool"], body)]


def _timeline(results: Mapping[str, Any]) -> list[str]:
    events = rows(results, "timeline")
    if not events:
        return []
    shown = events[:MARKDOWN_TIMELINE_LIMIT]
    body = [
        [fmt_seconds(e.get("t"), 3), e.get("cycle"), e.get("event"), e.get("summary") or ""]
        for e in shown
    ]
    out = ["## Timeline", "", *_table(["t", "Cycle", "Event", "Summary"], body)]
    if len(events) > len(shown) or results.get("timeline_truncated"):
        out += [f"_Timeline cut: the first {len(shown)} events are shown._", ""]
    return out


def render(results: Mapping[str, Any]) -> str:
    """The Markdown report of one run's results (ends with exactly one newline)."""
    lines = [
        *_summary(results),
        *_steps(results),
        *_assertions(results),
        *_chaos(results),
        *_figures("Exchange", section(results, "exchange")),
        *_figures("Bot", section(results, "bot")),
        *_trades(results),
        *_timeline(results),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _demote(text: str) -> str:
    """Every heading one level down (code blocks left alone)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        out.append("#" + line if line.startswith("#") and not fenced else line)
    return "\n".join(out)


def render_many(all_results: Sequence[Mapping[str, Any]]) -> str:
    """One Markdown document for several runs: a summary table, then each run's report."""
    body = [
        [
            scenario_field(results, "name"),
            status_of(results),
            f"{fmt_value(section(results, 'assertions').get('passed', 0))}/"
            f"{fmt_value(section(results, 'assertions').get('total', 0))}",
            results.get("seed"),
            fmt_seconds(results.get("duration_seconds")),
        ]
        for results in all_results
    ]
    lines = [
        f"# {len(all_results)} scenarios",
        "",
        *_table(["Scenario", "Status", "Assertions", "Seed", "Wall time"], body),
    ]
    reports = [_demote(render(results)) for results in all_results]
    return "\n".join(lines) + "\n" + "\n---\n\n".join(reports)
