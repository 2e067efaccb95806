"""Recordings: ``GET /api/recordings`` lists the JSONL recordings of ``recordings_dir``;
``GET /api/recordings/{name}?offset&limit`` pages through one's timeline (typed events, read
back with :func:`~riskbus.scenarios.recorder.read_recording`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query

from riskbus.scenarios.recorder import RecordedEvent, read_recording
from riskbus.scenarios.results import summarize
from riskbus.service.deps import ServicesDep, SettingsDep
from riskbus.service.errors import ApiError, error_responses
from riskbus.service.schemas import RecordingOut, RecordingTimeline, TimelineEvent

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["recordings"])


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.glob("*.jsonl")) if p.is_file()}


def _header(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        item = json.loads(first)
    except ValueError:
        return {}
    header = item.get("recording") if isinstance(item, dict) else None
    return dict(header) if isinstance(header, dict) else {}


@router.get("/recordings", response_model=list[RecordingOut], summary="List the recordings")
def list_recordings(settings: SettingsDep) -> list[RecordingOut]:
    """Every ``*.jsonl`` recording in ``recordings_dir``, by name."""
    rows = []
    for name, path in _files(settings.recordings_dir).items():
        stat = path.stat()
        header = _header(path)
        with path.open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
        seed = header.get("seed")
        rows.append(
            RecordingOut(
                name=name,
                size=stat.st_size,
                events=max(0, lines - (1 if header else 0)),
                scenario=header.get("scenario"),
                seed=seed if isinstance(seed, int) else None,
                modified=stat.st_mtime,
            )
        )
    return rows


def _events(services: ServicesDep, path: Path) -> tuple[dict[str, Any], list[RecordedEvent]]:
    stat = path.stat()
    stamp = (stat.st_size, stat.st_mtime_ns)
    key = f"recording:{path}"
    cached = services.cache.get(key)
    if cached is None or cached[0] != stamp:
        cached = services.cache[key] = (stamp, read_recording(path))
    header, events = cached[1]
    return header, events


@router.get(
    "/recordings/{name}",
    response_model=RecordingTimeline,
    responses=error_responses(400, 404),
    summary="A recording's timeline",
)
def get_recording(
    name: str,
    settings: SettingsDep,
    services: ServicesDep,
    offset: int = Query(default=0, ge=0, le=10_000_000),
    limit: int = Query(default=500, ge=1, le=5000),
) -> RecordingTimeline:
    """The recording's header and events ``offset`` … ``offset + limit``."""
    path = _files(settings.recordings_dir).get(name)
    if path is None:
        raise ApiError(404, "RECORDING_NOT_FOUND", f"no recording named {name!r}")
    header, events = _events(services, path)
    start = int(header.get("start_ts") or (events[0].ts if events else 0))
    page = events[offset : offset + limit]
    return RecordingTimeline(
        name=name,
        header=header,
        total=len(events),
        offset=offset,
        limit=limit,
        events=[
            TimelineEvent(
                index=offset + n,
                t=round((e.ts - start) / 1e9, 6),
                cycle=e.cycle,
                event=e.event,
                summary=summarize(e.message),
            )
            for n, e in enumerate(page)
        ],
    )
