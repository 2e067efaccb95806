"""The results of a scenario run: one JSON-ready dict, the input of every report.

Shape (every key always present; money and prices as floats, for reports only; ``t`` is
virtual seconds since the scenario start)::

    {
      "scenario": {"name", "description", "file"},
      "status": "passed" | "failed" | "error",   # failed: an assertion, invariant or step
                                                 # failed; error: no world, or the run raised
      "error": null | "ExceptionType: message",
      "duration_seconds": 0.012,                 # wall time of the run itself
      "start_time": "...+00:00", "end_time": "...+00:00",   # wall clock (ISO)
      "seed": 42, "scenario_sha256": "hex", "riskbus_version": "0.1.0",
      "virtual_seconds": 3059.0, "cycles": 50,
      "reproduce": "riskbus run FILE --seed 42",
      "recording": null | "path.jsonl",
      "steps": [{"index", "kind", "description", "status", "message",
                 "t_start", "t_end", "cycle_start", "cycle_end"}],
      "failed_step": null | <the first failed step>,
      "assertions": {"total", "passed", "failed", "pass_rate",
                     "results": [{"name", "passed", "message", "expected", "actual",
                                  "kind", "step"}]},
      "chaos": {"events_delayed", "events_dropped", "events_modified", "failures_injected",
                "total_delay_ms", "total_events", "current_cycle",        # original keys
                "faults_started", "faults_healed", "by_kind": {kind: n},
                "faults": [{"fault_id", "kind", "details", "start_t", "end_t",
                            "start_cycle", "end_cycle"}]},
      "exchange": {"min_price", "max_price", "total_return_pct",          # original keys
                   "mean_price", "volatility", "call_count", "symbol", "market_scenario",
                   "initial_price", "final_price"},
      "bot": {"strategy", "initial_capital", "final_capital", "available_capital",
              "peak_capital", "max_drawdown_pct", "purchases", "sales", "open_positions",
              "failed_fetches", "restarts"},
      "prices": [{"cycle", "t", "price"}],   # at most 5000: every prices_stride-th fetch
      "prices_stride": 1,
      "trades": [{"cycle", "t", "side": "buy" | "sell", "price", "quantity", "pool"}],
      "timeline": [{"t", "cycle", "event", "summary"}],   # events, commands left out
      "timeline_truncated": false
    }

See also ``/tmp/results_shape.md`` (the same, annotated, for report writers).
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from riskbus.core.messages import Message
from riskbus.model.events.bot import PositionPurchased, PositionSold
from riskbus.model.events.market import MarketPriceFetched

__all__ = [
    "PRICE_LIMIT",
    "TIMELINE_LIMIT",
    "chart_rows",
    "empty_results",
    "price_points",
    "summarize",
    "timeline_entry",
    "write_results",
]

#: The most timeline entries a results file keeps (the first ones).
TIMELINE_LIMIT = 5000
#: The most price points a results file keeps (evenly spaced; ``prices_stride`` says how).
PRICE_LIMIT = 5000

_SKIP_FIELDS = {"ts", "indicators", "candles", "positions"}
_FIELDS: dict[type[Message], tuple[str, ...]] = {}


def summarize(message: Message, limit: int = 160) -> str:
    """A short ``key=value`` summary of a message's fields."""
    kind = type(message)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind.__struct_fields__ if f not in _SKIP_FIELDS)
    parts = []
    for name in fields:
        value = getattr(message, name)
        if value is None or value in ("", ()):
            continue
        parts.append(f"{name}={value}")
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeline_entry(message: Message, cycle: int, start_ts: int) -> dict[str, Any]:
    """One timeline row."""
    return {
        "t": round((message.ts - start_ts) / 1e9, 6),
        "cycle": cycle,
        "event": message.name,
        "summary": summarize(message),
    }


def empty_results(
    *, name: str, description: str, file: str, seed: int, sha256: str, version: str
) -> dict[str, Any]:
    """The results skeleton (status ``error`` until filled in)."""
    return {
        "scenario": {"name": name, "description": description, "file": file},
        "status": "error",
        "error": None,
        "duration_seconds": 0.0,
        "start_time": None,
        "end_time": None,
        "seed": seed,
        "scenario_sha256": sha256,
        "riskbus_version": version,
        "virtual_seconds": 0.0,
        "cycles": 0,
        "reproduce": f"riskbus run {file} --seed {seed}",
        "recording": None,
        "steps": [],
        "failed_step": None,
        "assertions": {"total": 0, "passed": 0, "failed": 0, "pass_rate": 0.0, "results": []},
        "chaos": {
            "events_delayed": 0,
            "events_dropped": 0,
            "events_modified": 0,
            "failures_injected": 0,
            "total_delay_ms": 0,
            "total_events": 0,
            "current_cycle": 0,
            "faults_started": 0,
            "faults_healed": 0,
            "by_kind": {},
            "faults": [],
        },
        "exchange": {},
        "bot": {},
        "prices": [],
        "prices_stride": 1,
        "trades": [],
        "timeline": [],
        "timeline_truncated": False,
    }


def market_section(
    prices: list[float], *, symbol: str, scenario: str, calls: int
) -> dict[str, Any]:
    """The ``exchange`` section from the prices the bot fetched."""
    if not prices:
        return {
            "min_price": None,
            "max_price": None,
            "total_return_pct": 0.0,
            "mean_price": None,
            "volatility": 0.0,
            "call_count": calls,
            "symbol": symbol,
            "market_scenario": scenario,
            "initial_price": None,
            "final_price": None,
        }
    returns = [b / a - 1 for a, b in itertools.pairwise(prices) if a]
    return {
        "min_price": min(prices),
        "max_price": max(prices),
        "total_return_pct": round((prices[-1] / prices[0] - 1) * 100, 6),
        "mean_price": round(statistics.fmean(prices), 6),
        "volatility": round(statistics.pstdev(returns), 8) if len(returns) > 1 else 0.0,
        "call_count": calls,
        "symbol": symbol,
        "market_scenario": scenario,
        "initial_price": prices[0],
        "final_price": prices[-1],
    }


def chart_rows(
    cycles: Iterable[int], messages: Iterable[Message], start_ts: int
) -> tuple[list[tuple[int, int, float]], list[dict[str, Any]]]:
    """The fetched prices ``(cycle, ts, price)`` and the trades, from the recorded messages."""
    prices: list[tuple[int, int, float]] = []
    trades: list[dict[str, Any]] = []
    for cycle, message in zip(cycles, messages, strict=True):
        kind = type(message)
        if isinstance(message, MarketPriceFetched):
            prices.append((cycle, message.ts, float(message.current_price)))
        elif kind is PositionPurchased or kind is PositionSold:
            buy = kind is PositionPurchased
            trades.append(
                {
                    "cycle": _cycle(message.cycle_id, cycle),  # type: ignore[attr-defined]
                    "t": round((message.ts - start_ts) / 1e9, 6),
                    "side": "buy" if buy else "sell",
                    "price": float(
                        message.purchase_price if buy else message.sale_price  # type: ignore[attr-defined]
                    ),
                    "quantity": float(message.quantity),  # type: ignore[attr-defined]
                    "pool": message.pool,  # type: ignore[attr-defined]
                }
            )
    return prices, trades


def price_points(
    prices: list[tuple[int, int, float]], start_ts: int, limit: int = PRICE_LIMIT
) -> tuple[list[dict[str, Any]], int]:
    """At most ``limit`` chart points (every ``stride``-th, the last kept), and the stride."""
    stride = max(1, -(-len(prices) // limit))
    chosen = prices[::stride]
    if prices and chosen[-1] is not prices[-1]:
        chosen.append(prices[-1])
    points = [
        {"cycle": cycle, "t": round((ts - start_ts) / 1e9, 6), "price": price}
        for cycle, ts, price in chosen
    ]
    return points, stride


def _cycle(cycle_id: str, fallback: int) -> int:
    return int(cycle_id) if cycle_id.isdigit() else fallback


def write_results(results: dict[str, Any], path: str | Path) -> Path:
    """Write ``results`` as indented JSON (one results dict, or a list of them)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return target
