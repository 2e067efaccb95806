"""Live and structural views of the bus.

* ``GET /api/runs/{test_id}/events`` — server-sent events: one ``log`` event per log line of
  the run (``{"level", "message", "ts"}``, levels INFO/SUCCESS/WARNING/ERROR), then one
  ``end`` event (``{"status"}``) when the run has ended; the stream then closes.
* ``GET /api/eventflow`` — the components and the messages each publishes, consumes and
  handles, read from the bus's own registry (:meth:`~riskbus.core.bus.EventBus.topology`)
  after a scenario world ran (default: the bundled flash-crash scenario), or from the
  service's live bus (``source=desk``). Nothing in it is written by hand.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from riskbus.core.bus import Topology
from riskbus.core.messages import Command, Message, message_types
from riskbus.service.deps import CatalogDep, DeskDep, RunsDep, ServicesDep
from riskbus.service.errors import ApiError, error_responses
from riskbus.service.routes.scenarios import find_run
from riskbus.service.runs import ScenarioRun
from riskbus.service.schemas import EventFlowOut, FlowEdge, FlowNode

__all__ = ["graph", "router"]

router = APIRouter(prefix="/api", tags=["events"])

#: The scenario the event-flow graph is built from by default.
DEFAULT_FLOW_SCENARIO = "flash_crash_recovery"
_KEEPALIVE_SECONDS = 15.0


def _sse(event: str, data: dict[str, object], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


async def _stream(run: ScenarioRun, request: Request) -> AsyncIterator[str]:
    seen = 0
    while True:
        while seen < len(run.lines):
            line = run.lines[seen]
            seen += 1
            yield _sse("log", {"level": line.level, "message": line.message, "ts": line.ts}, seen)
        if run.done:
            yield _sse("end", {"status": run.status, "test_id": run.test_id})
            return
        if await request.is_disconnected():
            return
        before = len(run.lines)
        await run.wait(seen, _KEEPALIVE_SECONDS)
        if len(run.lines) == before and not run.done:
            yield ": keep-alive\n\n"


@router.get(
    "/runs/{test_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **error_responses(404)},
    summary="A run's live log (server-sent events)",
)
async def run_events(test_id: str, request: Request, runs: RunsDep) -> StreamingResponse:
    """Stream the run's log lines as they come; the stream ends when the run ends."""
    run = find_run(runs, test_id)
    return StreamingResponse(
        _stream(run, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _kind(name: str, kinds: dict[str, type[Message]]) -> Literal["event", "command", "any"]:
    if name == "*":
        return "any"
    cls = kinds.get(name)
    return "command" if cls is not None and issubclass(cls, Command) else "event"


def graph(topology: Topology, *, source: str, scenario: str | None) -> EventFlowOut:
    """The node/edge form of a bus topology."""
    kinds = message_types()
    nodes: dict[str, FlowNode] = {
        f"c:{name}": FlowNode(id=f"c:{name}", kind="component", label=name)
        for name in topology.components()
    }
    edges: list[FlowEdge] = []

    def message(name: str) -> str:
        key = f"m:{name}"
        if key not in nodes:
            nodes[key] = FlowNode(id=key, kind=_kind(name, kinds), label=name)
        return key

    for component, name in topology.publishes:
        edges.append(FlowEdge(source=f"c:{component}", target=message(name), kind="publishes"))
    for component, name in topology.consumes:
        edges.append(FlowEdge(source=message(name), target=f"c:{component}", kind="consumes"))
    for component, name in topology.handles:
        edges.append(FlowEdge(source=message(name), target=f"c:{component}", kind="handles"))
    return EventFlowOut(
        source=source,
        scenario=scenario,
        nodes=sorted(nodes.values(), key=lambda n: n.id),
        edges=edges,
    )


@router.get(
    "/eventflow",
    response_model=EventFlowOut,
    responses=error_responses(400, 404),
    summary="The event-flow graph, from the bus's registry",
)
def eventflow(
    services: ServicesDep,
    catalog: CatalogDep,
    desk: DeskDep,
    source: Literal["scenario", "desk"] = "scenario",
    scenario: str = Query(default=DEFAULT_FLOW_SCENARIO, min_length=1, max_length=200),
) -> EventFlowOut:
    """Run the scenario's world (virtual time, milliseconds) and read its bus's topology."""
    if source == "desk":
        return graph(desk.bus.topology(), source="desk", scenario=None)
    entry = catalog.find(scenario)
    if entry is None:
        raise ApiError(404, "SCENARIO_NOT_FOUND", f"no scenario named {scenario!r}")
    if entry.loaded is None:
        raise ApiError(400, "INVALID_SCENARIO", entry.error or "invalid scenario")
    key = f"eventflow:{entry.path}:{entry.loaded.sha256}"
    cached = services.cache.get(key)
    if isinstance(cached, EventFlowOut):
        return cached
    from riskbus.scenarios.runner import ScenarioRunner

    runner = ScenarioRunner(entry.loaded, timeline=False, log=lambda _line: None)
    runner.run()
    if runner.world is None:
        raise ApiError(
            400, "INVALID_SCENARIO", f"the scenario's world did not build: {runner.error}"
        )
    result = graph(runner.world.bus.topology(), source="scenario", scenario=entry.name)
    services.cache[key] = result
    return result
