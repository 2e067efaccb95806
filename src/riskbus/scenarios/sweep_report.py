"""The aggregates of a sweep, and its HTML report.

:func:`aggregate` turns the sorted run records of :func:`riskbus.scenarios.sweep.run_sweep`
into the ``summary`` and ``failures`` sections of the sweep dict::

    {
      "sweep": {"files", "seeds", "seed_count", "params": {path: [values]}, "runs"},
      "summary": {
        "total", "passed", "failed", "errors", "pass_rate",
        "by_scenario": [{"scenario", "file", "runs", "passed", "failed", "errors",
                         "pass_rate"}],
        "by_param": {path: [{"value", "runs", "passed", "failed", "errors", "pass_rate"}]},
        "final_capital": <distribution>, "max_drawdown_pct": <distribution>
      },
      "failures": [{"scenario", "file", "seed", "params", "status", "failed", "error",
                    "reproduce"}],
      "runs": [{"scenario", "file", "seed", "params", "status", "error", "failed",
                "cycles", "faults", "final_capital", "max_drawdown_pct", "reproduce"}],
      "execution": {"backend", "workers", "wall_seconds", "runs_per_minute"}
    }

A distribution is ``{"count", "min", "max", "mean", "percentiles": {"p5", "p25", "p50",
"p75", "p95"}, "histogram": {"edges": [...], "counts": [...]}}`` (linear interpolation
between closest ranks; 20 equal-width bins). :func:`render` writes the report as one
self-contained HTML page (inline CSS and SVG, every value escaped); the same sweep dict
gives the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["aggregate", "distribution", "percentile", "render"]

PERCENTILES = (5, 25, 50, 75, 95)
BINS = 20


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of sorted ``values`` (linear between closest ranks)."""
    if not values:
        raise ValueError("no values")
    position = (len(values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def distribution(raw: Sequence[float | None], bins: int = BINS) -> dict[str, Any]:
    """Count, range, mean, percentiles and a histogram of the values (None skipped)."""
    values = sorted(float(v) for v in raw if v is not None)
    if not values:
        empty: dict[str, Any] = {"edges": [], "counts": []}
        return {"count": 0, "min": None, "max": None, "mean": None, "percentiles": {}} | {
            "histogram": empty
        }
    low, high = values[0], values[-1]
    count = bins if high > low else 1
    width = (high - low) / count if high > low else 1.0
    counts = [0] * count
    for value in values:
        counts[min(count - 1, int((value - low) / width))] += 1
    return {
        "count": len(values),
        "min": round(low, 6),
        "max": round(high, 6),
        "mean": round(math.fsum(values) / len(values), 6),
        "percentiles": {f"p{q}": round(percentile(values, q), 6) for q in PERCENTILES},
        "histogram": {
            "edges": [round(low + width * i, 6) for i in range(count + 1)],
            "counts": counts,
        },
    }


def _tally(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    passed = sum(1 for r in records if r["status"] == "passed")
    failed = sum(1 for r in records if r["status"] == "failed")
    return {
        "runs": len(records),
        "passed": passed,
        "failed": failed,
        "errors": len(records) - passed - failed,
        "pass_rate": round(passed / len(records), 6) if records else 0.0,
    }


def aggregate(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``summary`` and ``failures`` of sorted run records (see the module docstring)."""
    by_file: dict[str, list[Mapping[str, Any]]] = {}
    by_param: dict[str, dict[str, tuple[Any, list[Mapping[str, Any]]]]] = {}
    for record in records:
        by_file.setdefault(record["file"], []).append(record)
        for path, value in record["params"].items():
            cell = by_param.setdefault(path, {}).setdefault(repr(value), (value, []))
            cell[1].append(record)
    total = _tally(records)
    summary = {
        "total": total["runs"],
        **{key: total[key] for key in ("passed", "failed", "errors", "pass_rate")},
        "by_scenario": [
            {"scenario": group[0]["scenario"], "file": file, **_tally(group)}
            for file, group in by_file.items()
        ],
        "by_param": {
            path: [{"value": value, **_tally(group)} for value, group in cells.values()]
            for path, cells in by_param.items()
        },
        "final_capital": distribution([r["final_capital"] for r in records]),
        "max_drawdown_pct": distribution([r["max_drawdown_pct"] for r in records]),
    }
    failures = [
        {
            key: record[key]
            for key in ("scenario", "file", "seed", "params", "status", "failed", "error")
        }
        | {"reproduce": record["reproduce"]}
        for record in records
        if record["status"] != "passed"
    ]
    return {"summary": summary, "failures": failures}


# -- HTML -------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#17803d;font-weight:600}.fail{color:#b42318;font-weight:600}
code{background:#f6f6f6;padding:1px 4px;border-radius:3px}
.bar{fill:#4c78a8}.axis{stroke:#888;stroke-width:1}svg text{font-size:11px;fill:#444}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _values(values: Sequence[object]) -> str:
    return ",".join("true" if v is True else "false" if v is False else str(v) for v in values)


def _pct(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=n>{_e(cell)}</td>" if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _histogram(title: str, dist: Mapping[str, Any], unit: str) -> str:
    counts: list[int] = dist["histogram"]["counts"]
    edges: list[float] = dist["histogram"]["edges"]
    if not counts:
        return f"<p>{_e(title)}: no values.</p>"
    width, height, left, bottom = 560, 180, 40, 30
    top = max(counts)
    bar = (width - left - 10) / len(counts)
    bars = []
    for i, count in enumerate(counts):
        h = (height - bottom - 10) * count / top if top else 0
        x = left + i * bar
        y = height - bottom - h
        tip = f"{edges[i]:g} – {edges[i + 1]:g} {unit}: {count} runs"
        bars.append(
            f'<rect class=bar x="{x:.1f}" y="{y:.1f}" width="{max(bar - 1, 1):.1f}" '
            f'height="{h:.1f}"><title>{_e(tip)}</title></rect>'
        )
    axis = (
        f'<line class=axis x1="{left}" y1="{height - bottom}" x2="{width - 10}" '
        f'y2="{height - bottom}"/>'
        f'<text x="{left}" y="{height - 12}">{_e(f"{edges[0]:g}")}</text>'
        f'<text x="{width - 10}" y="{height - 12}" text-anchor="end">'
        f"{_e(f'{edges[-1]:g}')} {_e(unit)}</text>"
        f'<text x="4" y="14">{top}</text>'
    )
    svg = (
        f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">'
        f"{''.join(bars)}{axis}</svg>"
    )
    pcts = dist["percentiles"]
    stats = _table(
        ["count", "min", *pcts, "max", "mean"],
        [[dist["count"], dist["min"], *pcts.values(), dist["max"], dist["mean"]]],
        set(range(len(pcts) + 4)),
    )
    return f"<h3>{_e(title)}</h3>{svg}{stats}"


def _status(status: str) -> str:
    css = "pass" if status == "passed" else "fail"
    return f"<span class={css}>{_e(status)}</span>"


def _failures(failures: Sequence[Mapping[str, Any]], shrunk: Mapping[str, str]) -> str:
    if not failures:
        return "<p class=pass>No failing run.</p>"
    rows = []
    for f in failures:
        params = " ".join(f"{k}={v}" for k, v in f["params"].items())
        why = "; ".join(f["failed"]) or (f["error"] or "")
        minimal = shrunk.get(f["reproduce"])
        rows.append(
            [
                _e(f["scenario"]),
                f["seed"],
                _e(params),
                _status(f["status"]),
                _e(why),
                f"<code>{_e(f['reproduce'])}</code>"
                + (f"<br>minimal: <code>riskbus run {_e(minimal)}</code>" if minimal else ""),
            ]
        )
    return _table(["scenario", "seed", "params", "status", "what failed", "reproduce"], rows, {1})


def render(sweep: Mapping[str, Any]) -> str:
    """The sweep report as one HTML page (see the module docstring)."""
    meta, summary = sweep["sweep"], sweep["summary"]
    shrunk: Mapping[str, str] = sweep.get("shrunk", {})
    parts = [
        f"<h1>Sweep: {summary['passed']}/{summary['total']} passed "
        f"({_pct(summary['pass_rate'])})</h1>",
        _table(
            ["files", "seeds", "params", "runs", "passed", "failed", "errors"],
            [
                [
                    _e(", ".join(meta["files"])),
                    _e(f"{meta['seeds']} ({meta['seed_count']})"),
                    _e(" ".join(f"{k}={_values(v)}" for k, v in meta["params"].items()) or "—"),
                    summary["total"],
                    summary["passed"],
                    summary["failed"],
                    summary["errors"],
                ]
            ],
            {3, 4, 5, 6},
        ),
        "<h2>Pass rate by scenario</h2>",
        _table(
            ["scenario", "file", "runs", "passed", "failed", "errors", "pass rate"],
            [
                [
                    _e(s["scenario"]),
                    _e(s["file"]),
                    s["runs"],
                    s["passed"],
                    s["failed"],
                    s["errors"],
                    _pct(s["pass_rate"]),
                ]
                for s in summary["by_scenario"]
            ],
            {2, 3, 4, 5, 6},
        ),
    ]
    for path, cells in summary["by_param"].items():
        parts.append(f"<h2>Pass rate by {_e(path)}</h2>")
        parts.append(
            _table(
                [path, "runs", "passed", "failed", "errors", "pass rate"],
                [
                    [
                        _e(c["value"]),
                        c["runs"],
                        c["passed"],
                        c["failed"],
                        c["errors"],
                        _pct(c["pass_rate"]),
                    ]
                    for c in cells
                ],
                {1, 2, 3, 4, 5},
            )
        )
    parts += [
        "<h2>Distributions</h2>",
        _histogram("Final capital (equity)", summary["final_capital"], ""),
        _histogram("Maximum drawdown", summary["max_drawdown_pct"], "%"),
        f"<h2>Failing runs ({len(sweep['failures'])})</h2>",
        _failures(sweep["failures"], shrunk),
    ]
    execution = sweep.get("execution") or {}
    footer = (
        f"{_e(execution.get('backend'))}, {_e(execution.get('workers'))} workers, "
        f"{_e(execution.get('wall_seconds'))} s wall, "
        f"{_e(execution.get('runs_per_minute'))} runs/min"
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>riskbus sweep</title><style>{_CSS}</style></head><body>"
        + "".join(parts)
        + f"<footer><p>{footer}</p></footer></body></html>\n"
    )
