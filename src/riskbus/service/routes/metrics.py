"""``GET /metrics``: Prometheus text exposition (format 0.0.4), written here (no client
library): bus events and their rate, rule evaluations, violations, denials, the
enforcement-latency histogram, scenario runs by status and plans by outcome."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from riskbus.service.deps import ServicesDep

__all__ = ["render_metrics", "router"]

router = APIRouter(tags=["metrics"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metric(lines: list[str], name: str, kind: str, help_text: str) -> None:
    lines.append(f"# HELP {name} {help_text}")
    lines.append(f"# TYPE {name} {kind}")


def _g(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def render_metrics(services: ServicesDep) -> str:
    """The exposition text of the service's counters."""
    desk, runs, plans = services.desk, services.runs, services.plans
    lines: list[str] = []
    events = desk.bus.published + runs.events_recorded
    _metric(lines, "riskbus_events_total", "counter", "Events through the service's buses.")
    lines.append(f'riskbus_events_total{{bus="desk"}} {desk.bus.published}')
    lines.append(f'riskbus_events_total{{bus="scenarios"}} {runs.events_recorded}')
    now = time.monotonic()
    last = services.cache.get("metrics:last")
    if isinstance(last, tuple):
        elapsed, previous = now - last[0], last[1]
    else:
        elapsed, previous = now - services.started, 0
    services.cache["metrics:last"] = (now, events)
    rate = (events - previous) / elapsed if elapsed > 0 else 0.0
    _metric(lines, "riskbus_events_per_second", "gauge", "Events per second since the last scrape.")
    lines.append(f"riskbus_events_per_second {rate:.6f}")
    _metric(lines, "riskbus_rule_evaluations_total", "counter", "Risk rule evaluations.")
    lines.append(f"riskbus_rule_evaluations_total {desk.evaluations}")
    _metric(lines, "riskbus_rule_violations_total", "counter", "Risk rule violations.")
    lines.append(f"riskbus_rule_violations_total {desk.violations}")
    _metric(lines, "riskbus_order_denials_total", "counter", "Orders denied before sending.")
    lines.append(f"riskbus_order_denials_total {desk.denials + plans.denials}")
    _metric(lines, "riskbus_enforcements_total", "counter", "Enforcements triggered.")
    lines.append(f"riskbus_enforcements_total {desk.enforcements}")
    name = "riskbus_enforcement_latency_seconds"
    _metric(lines, name, "histogram", "From an event entering the bus to its enforcement.")
    hist = desk.latency
    for bound, count in zip(hist.buckets, hist.counts, strict=True):
        lines.append(f'{name}_bucket{{le="{bound:g}"}} {count}')
    lines.append(f'{name}_bucket{{le="+Inf"}} {hist.count}')
    lines.append(f"{name}_sum {hist.total:.9f}")
    lines.append(f"{name}_count {hist.count}")
    _metric(lines, "riskbus_scenario_runs", "gauge", "Scenario runs kept, by status.")
    for status, count in runs.counts().items():
        lines.append(f'riskbus_scenario_runs{{status="{status}"}} {count}')
    _metric(lines, "riskbus_scenario_runs_finished_total", "counter", "Runs ended, by status.")
    for status in ("passed", "failed", "error", "stopped"):
        lines.append(
            f'riskbus_scenario_runs_finished_total{{status="{status}"}} {runs.finished[status]}'
        )
    _metric(lines, "riskbus_plans", "gauge", "Rebalancing plans, by status.")
    for status, count in plans.outcomes().items():
        lines.append(f'riskbus_plans{{status="{status}"}} {count}')
    _metric(lines, "riskbus_uptime_seconds", "gauge", "Seconds since the service started.")
    lines.append(f"riskbus_uptime_seconds {now - services.started:.3f}")
    return "\n".join(lines) + "\n"


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
    summary="Prometheus metrics",
)
async def metrics(services: ServicesDep) -> PlainTextResponse:
    """The service's counters in the Prometheus text format."""
    return PlainTextResponse(render_metrics(services), media_type=CONTENT_TYPE)
