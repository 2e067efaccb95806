"""The HTML report of one scenario run: one self-contained file, no scripts, no external assets.

:func:`render` turns the results dict (see :mod:`riskbus.scenarios.results`) into a single
HTML page with inline CSS and an inline SVG chart:

- the summary (status, scenario, seed, SHA-256 of the file, riskbus version, wall and
  virtual seconds, the command that reproduces the run) and, when the run failed, the
  failing step or the error;
- the assertions, each with what was expected and what was found;
- the chaos report: the counters, and every fault with when it started and healed;
- the price chart: the fetched prices as a line, buys (▲) and sells (▼) marked, fault
  windows shaded (a fault never healed is shaded to the end of the run);
- the steps, the exchange and bot figures, the trades and the event timeline.

Every value from the results is escaped, so a scenario name such as ``<script>`` shows as
text. The output depends only on the results: the same results give the same bytes.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from riskbus.scenarios.report_md import (
    CHAOS_COUNTERS,
    assertion_results,
    fault_row,
    faults,
    fmt_number,
    fmt_seconds,
    fmt_value,
    fmt_when,
    rows,
    scenario_field,
    section,
    status_of,
    summary_rows,
)

__all__ = ["CHART_MAX_POINTS", "price_chart", "render", "render_many"]

#: Above this many prices the chart keeps each bucket's first, lowest, highest and last.
CHART_MAX_POINTS = 2000

_W, _H = 960, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 16, 24, 40

_CSS = """
:root { --ok: #1a7f37; --bad: #cf222e; --err: #8250df; --fg: #1f2328; --muted: #656d76;
  --line: #d0d7de; --bg: #ffffff; --alt: #f6f8fa; --fault: #fb8f44; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1040px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
header { border-left: 6px solid var(--muted); padding: 8px 16px; background: var(--alt); }
header.passed { border-color: var(--ok); } header.failed { border-color: var(--bad); }
header.error { border-color: var(--err); }
.badge { display: inline-block; padding: 1px 10px; border-radius: 12px; color: #fff;
  font-weight: 600; font-size: 12px; letter-spacing: .05em; background: var(--muted); }
.badge.passed { background: var(--ok); } .badge.failed { background: var(--bad); }
.badge.error { background: var(--err); }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--alt); font-weight: 600; }
table.kv th { width: 200px; }
tr.fail td { background: #ffebe9; } tr.pass td:first-child { color: var(--ok); }
tr.fail td:first-child { color: var(--bad); font-weight: 700; }
tr.fault td { background: #fff1e5; } tr.buy td:nth-child(3) { color: var(--ok); }
tr.sell td:nth-child(3) { color: var(--bad); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
pre { background: var(--alt); padding: 8px 12px; overflow-x: auto; white-space: pre-wrap; }
.callout { border: 1px solid var(--bad); background: #ffebe9; padding: 8px 12px; }
.chart { width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
.chart .grid { stroke: #eaeef2; stroke-width: 1; }
.chart .axis { stroke: var(--muted); stroke-width: 1; }
.chart text { font-size: 11px; fill: var(--muted); font-family: system-ui, sans-serif; }
.chart .price-line { fill: none; stroke: #0969da; stroke-width: 1.5; }
.chart .fault-window { fill: var(--fault); fill-opacity: .18; stroke: var(--fault);
  stroke-opacity: .5; }
.chart .fault-label { fill: #bc4c00; }
.chart .buy { fill: var(--ok); } .chart .sell { fill: var(--bad); }
.legend span { margin-right: 16px; } .legend .sw { display: inline-block; width: 12px; height: 12px;
  vertical-align: -1px; margin-right: 4px; }
details summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
"""


def _e(value: object) -> str:
    """Escaped text of any results value."""
    return html.escape(fmt_value(value), quote=True)


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _c(value: float) -> str:
    """An SVG coordinate."""
    return f"{value:.1f}"


def _slug(value: object) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", fmt_value(value).lower()).strip("-") or "x"


# -- the chart --------------------------------------------------------------------------


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """At most about :data:`CHART_MAX_POINTS` points, keeping each bucket's extremes."""
    if len(points) <= CHART_MAX_POINTS:
        return points
    size = math.ceil(len(points) / (CHART_MAX_POINTS // 4))
    kept: list[tuple[float, float]] = []
    for start in range(0, len(points), size):
        bucket = points[start : start + size]
        low = min(range(len(bucket)), key=lambda i: bucket[i][1])
        high = max(range(len(bucket)), key=lambda i: bucket[i][1])
        for index in sorted({0, low, high, len(bucket) - 1}):
            kept.append(bucket[index])
    return kept


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[low, high]``."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _domain(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.06 if high != low else abs(low) * 0.01 or 1.0
    return low - pad, high + pad


def price_chart(results: Mapping[str, Any]) -> str:
    """The inline SVG price chart (an empty string when the run fetched no prices)."""
    points = [
        (t, p)
        for item in rows(results, "prices")
        if (t := _num(item.get("t"))) is not None and (p := _num(item.get("price"))) is not None
    ]
    if not points:
        return ""
    points.sort(key=lambda point: point[0])
    trades = [
        (t, p, item)
        for item in rows(results, "trades")
        if (t := _num(item.get("t"))) is not None and (p := _num(item.get("price"))) is not None
    ]
    windows = [
        (start, _num(item.get("end_t")), item)
        for item in faults(results)
        if (start := _num(item.get("start_t"))) is not None
    ]
    end = max(
        [points[-1][0], _num(results.get("virtual_seconds")) or 0.0]
        + [t for t, _, _ in trades]
        + [s for s, _, _ in windows]
        + [e for _, e, _ in windows if e is not None]
    )
    x_low = min([points[0][0], 0.0])
    x_high = end if end > x_low else x_low + 1.0
    y_low, y_high = _domain([p for _, p in points] + [p for _, p, _ in trades])
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(t: float) -> float:
        return _LEFT + (t - x_low) / (x_high - x_low) * plot_w

    def y(price: float) -> float:
        return _TOP + (y_high - price) / (y_high - y_low) * plot_h

    name = scenario_field(results, "name") or "scenario"
    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" '
        f'aria-label="{html.escape("Price chart of " + name, quote=True)}">',
        f"<title>{html.escape('Price chart of ' + name)}</title>",
        '<g class="grid-lines">',
    ]
    for tick in _ticks(y_low, y_high):
        out.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_c(y(tick))}" '
            f'y2="{_c(y(tick))}"/><text x="{_LEFT - 6}" y="{_c(y(tick) + 4)}" '
            f'text-anchor="end">{html.escape(fmt_number(tick))}</text>'
        )
    for tick in _ticks(x_low, x_high, 8):
        out.append(
            f'<line class="grid" x1="{_c(x(tick))}" x2="{_c(x(tick))}" y1="{_TOP}" '
            f'y2="{_H - _BOTTOM}"/><text x="{_c(x(tick))}" y="{_H - _BOTTOM + 16}" '
            f'text-anchor="middle">{html.escape(fmt_number(tick))}</text>'
        )
    out.append("</g>")
    out.append('<g class="fault-windows">')
    for start, stop, item in windows:
        x0, x1 = x(start), x(stop if stop is not None else x_high)
        row = fault_row(item)
        healed = "never healed" if stop is None else f"healed {row['healed']}"
        tip = f"{row['id']} {row['kind']}: {row['details']} — from {row['started']}, {healed}"
        out.append(
            f'<rect class="fault-window fault-{_slug(item.get("kind"))}" '
            f'data-fault-id="{_e(item.get("fault_id"))}" x="{_c(x0)}" y="{_TOP}" '
            f'width="{_c(max(x1 - x0, 2.0))}" height="{plot_h}">'
            f"<title>{html.escape(tip)}</title></rect>"
            f'<text class="fault-label" x="{_c(x0 + 2)}" y="{_TOP - 6}">'
            f"{html.escape(row['id'])}</text>"
        )
    out.append("</g>")
    path = " ".join(f"{_c(x(t))},{_c(y(p))}" for t, p in _thin(points))
    out.append(f'<polyline class="price-line" points="{path}"/>')
    out.append('<g class="trades">')
    for t, p, item in trades:
        side = "sell" if str(item.get("side")).lower() == "sell" else "buy"
        cx, cy = x(t), y(p)
        if side == "buy":
            shape = (
                f"M{_c(cx)},{_c(cy - 7)} L{_c(cx - 6)},{_c(cy + 5)} L{_c(cx + 6)},{_c(cy + 5)} Z"
            )
        else:
            shape = (
                f"M{_c(cx)},{_c(cy + 7)} L{_c(cx - 6)},{_c(cy - 5)} L{_c(cx + 6)},{_c(cy - 5)} Z"
            )
        tip = (
            f"{side} {fmt_value(item.get('quantity'))} @ {fmt_value(item.get('price'))}, "
            f"{fmt_when(item.get('t'), item.get('cycle'))}, pool {fmt_value(item.get('pool'))}"
        )
        out.append(
            f'<path class="trade {side}" d="{shape}"><title>{html.escape(tip)}</title></path>'
        )
    out.append("</g>")
    out.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_H - _BOTTOM}"/>'
        f'<line class="axis" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{_H - _BOTTOM}" '
        f'y2="{_H - _BOTTOM}"/>'
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_H - 6}" text-anchor="middle">'
        "virtual seconds</text>"
    )
    out.append("</svg>")
    return "".join(out)


# -- sections ---------------------------------------------------------------------------


def _kv(pairs: Sequence[tuple[object, object]]) -> str:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs)
    return f'<table class="kv">{body}</table>'


def _table(header: Sequence[str], body: Sequence[tuple[str, Sequence[object]]]) -> str:
    """A table; each row is (css class, cells)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = [
        f'<tr class="{cls}">' + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>"
        for cls, cells in body
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _header(results: Mapping[str, Any]) -> str:
    status = status_of(results)
    css = _slug(status)
    name = scenario_field(results, "name") or "scenario"
    description = scenario_field(results, "description")
    out = [
        f'<header class="{css}"><h1>{html.escape(name)} '
        f'<span class="badge {css}">{html.escape(status.upper())}</span></h1>'
    ]
    if description:
        out.append(f'<p class="muted">{html.escape(description)}</p>')
    out.append("</header>")
    return "".join(out)


def _summary(results: Mapping[str, Any]) -> str:
    out = ['<section id="summary"><h2>Summary</h2>', _kv(summary_rows(results))]
    error = results.get("error")
    if error:
        out.append(f'<div class="callout"><strong>Error</strong><pre>{_e(error)}</pre></div>')
    failed = results.get("failed_step")
    if isinstance(failed, Mapping):
        out.append(
            f'<div class="callout" id="failed-step"><strong>Failed step '
            f"{_e(failed.get('index'))}</strong> <code>{_e(failed.get('kind'))}</code> "
            f"{_e(failed.get('description'))}<br>"
            f"{_e(failed.get('message') or failed.get('status'))}"
            "</div>"
        )
    out.append("</section>")
    return "".join(out)


def _chart_section(results: Mapping[str, Any]) -> str:
    chart = price_chart(results)
    if not chart:
        return (
            '<section id="chart"><h2>Price</h2>'
            '<p class="muted">No prices were fetched.</p></section>'
        )
    exchange = section(results, "exchange")
    title = " ".join(
        fmt_value(exchange.get(key)) for key in ("symbol", "market_scenario") if exchange.get(key)
    )
    legend = (
        '<p class="legend"><span><i class="sw" style="background:#0969da"></i>price</span>'
        '<span style="color:#1a7f37">▲ buy</span><span style="color:#cf222e">▼ sell</span>'
        '<span><i class="sw" style="background:#fb8f44;opacity:.4"></i>fault window</span></p>'
    )
    heading = f"Price{' — ' + html.escape(title) if title else ''}"
    return f'<section id="chart"><h2>{heading}</h2>{chart}{legend}</section>'


def _assertions(results: Mapping[str, Any]) -> str:
    summary = section(results, "assertions")
    found = assertion_results(results)
    head = (
        f'<section id="assertions"><h2>Assertions: {_e(summary.get("passed", 0))}/'
        f"{_e(summary.get('total', len(found)))} passed</h2>"
    )
    if not found:
        return head + '<p class="muted">No assertions were checked.</p></section>'
    body = [
        (
            "pass" if item.get("passed") else "fail",
            [
                "✔" if item.get("passed") else "✘",
                item.get("name"),
                item.get("expected"),
                item.get("actual"),
                "invariant" if item.get("step") is None else item.get("step"),
                item.get("message") or "",
            ],
        )
        for item in found
    ]
    header = ["", "Assertion", "Expected", "Found", "Step", "Message"]
    return head + _table(header, body) + "</section>"


def _chaos(results: Mapping[str, Any]) -> str:
    chaos = section(results, "chaos")
    out = ['<section id="chaos"><h2>Chaos</h2>']
    counters = [(label, chaos.get(key)) for key, label in CHAOS_COUNTERS if key in chaos]
    by_kind = chaos.get("by_kind")
    if isinstance(by_kind, Mapping):
        counters += [(f"{kind} windows", count) for kind, count in sorted(by_kind.items())]
    if counters:
        out.append(_kv(counters))
    windows = faults(results)
    if windows:
        header = ["Fault", "Kind", "Details", "Started", "Healed", "Duration"]
        body = [("fault", list(fault_row(item).values())) for item in windows]
        out.append(_table(header, body))
    elif not counters:
        out.append('<p class="muted">No chaos.</p>')
    out.append("</section>")
    return "".join(out)


def _steps(results: Mapping[str, Any]) -> str:
    steps = rows(results, "steps")
    if not steps:
        return ""
    body = [
        (
            "fail" if step.get("status") in {"failed", "error"} else "pass",
            [
                step.get("index"),
                step.get("description") or step.get("kind"),
                step.get("status"),
                fmt_when(step.get("t_start"), step.get("cycle_start")),
                fmt_when(step.get("t_end"), step.get("cycle_end")),
                step.get("message") or "",
            ],
        )
        for step in steps
    ]
    header = ["#", "Step", "Status", "From", "To", "Message"]
    return f'<section id="steps"><h2>Steps</h2>{_table(header, body)}</section>'


def _figures(results: Mapping[str, Any]) -> str:
    parts = []
    for key, title in (("exchange", "Exchange"), ("bot", "Bot")):
        figures = section(results, key)
        if figures:
            parts.append(f"<div><h2>{title}</h2>{_kv(list(figures.items()))}</div>")
    return f'<section id="figures">{"".join(parts)}</section>' if parts else ""


def _trades(results: Mapping[str, Any]) -> str:
    trades = rows(results, "trades")
    if not trades:
        return ""
    body = [
        (
            "sell" if str(trade.get("side")).lower() == "sell" else "buy",
            [
                fmt_when(trade.get("t"), trade.get("cycle")),
                trade.get("cycle"),
                trade.get("side"),
                trade.get("price"),
                trade.get("quantity"),
                trade.get("pool"),
            ],
        )
        for trade in trades
    ]
    header = ["When", "Cycle", "Side", "Price", "Quantity", "Pool"]
    return f'<section id="trades"><h2>Trades</h2>{_table(header, body)}</section>'


def _event_class(name: str) -> str:
    if name.startswith("Fault"):
        return "fault"
    if name == "PositionPurchased":
        return "buy"
    if name == "PositionSold":
        return "sell"
    return ""


def _timeline(results: Mapping[str, Any]) -> str:
    events = rows(results, "timeline")
    if not events:
        return ""
    body = [
        (
            _event_class(str(event.get("event", ""))),
            [
                fmt_seconds(event.get("t"), 3),
                event.get("cycle"),
                event.get("event"),
                event.get("summary") or "",
            ],
        )
        for event in events
    ]
    note = ""
    if results.get("timeline_truncated"):
        note = f'<p class="muted">Timeline cut: the first {len(events)} events are kept.</p>'
    return (
        f'<section id="timeline"><h2>Timeline</h2><details open><summary>{len(events)} events'
        f"</summary>{_table(['t', 'Cycle', 'Event', 'Summary'], body)}</details>{note}</section>"
    )


def _body(results: Mapping[str, Any], prefix: str = "") -> str:
    """Every section of one run. ``prefix`` goes before each element id (several runs on one
    page); values are escaped, so the only ``id="`` in the output are the report's own."""
    parts = [
        _header(results),
        _summary(results),
        _chart_section(results),
        _assertions(results),
        _chaos(results),
        _steps(results),
        _figures(results),
        _trades(results),
        _timeline(results),
    ]
    body = "\n".join(part for part in parts if part)
    return body.replace(' id="', f' id="{prefix}') if prefix else body


def _document(title: str, body: str, footer: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        body,
        f"<footer>{footer}</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def render(results: Mapping[str, Any]) -> str:
    """The HTML report of one run's results: a complete, self-contained document."""
    name = scenario_field(results, "name") or "scenario"
    title = f"{name} — {status_of(results).upper()} — riskbus scenario report"
    footer = f"riskbus {_e(results.get('riskbus_version'))} · seed {_e(results.get('seed'))}"
    return _document(title, _body(results), footer)


def render_many(all_results: Sequence[Mapping[str, Any]]) -> str:
    """One self-contained HTML document for several runs: an index, then each run's report."""
    counts: dict[str, int] = {}
    for results in all_results:
        counts[status_of(results)] = counts.get(status_of(results), 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    index = []
    for number, results in enumerate(all_results, start=1):
        status = status_of(results)
        checks = section(results, "assertions")
        index.append(
            f'<tr class="{"pass" if status == "passed" else "fail"}">'
            f'<td><a href="#s{number}-summary">{html.escape(scenario_field(results, "name"))}'
            f"</a></td><td>{html.escape(status)}</td>"
            f"<td>{_e(checks.get('passed', 0))}/{_e(checks.get('total', 0))}</td>"
            f"<td>{_e(results.get('seed'))}</td>"
            f"<td>{html.escape(fmt_seconds(results.get('duration_seconds')))}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("Scenario", "Status", "Assertions", "Seed", "Wall time")
    )
    overall = (
        "passed" if set(counts) <= {"passed"} else ("error" if "error" in counts else "failed")
    )
    body = [
        f'<header class="{overall}"><h1>{len(all_results)} scenarios '
        f'<span class="badge {overall}">{html.escape(overall.upper())}</span></h1>'
        f'<p class="muted">{html.escape(tally)}</p></header>',
        f'<section id="index"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(index)}</tbody></table></section>",
    ]
    body += [
        f'<article id="s{number}">{_body(results, prefix=f"s{number}-")}</article>'
        for number, results in enumerate(all_results, start=1)
    ]
    versions = sorted({fmt_value(r.get("riskbus_version")) for r in all_results})
    title = f"{len(all_results)} scenarios — {overall.upper()} — riskbus scenario report"
    return _document(title, "\n".join(body), f"riskbus {html.escape(', '.join(versions))}")
