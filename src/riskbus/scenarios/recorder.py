"""Recording a scenario's messages as JSON lines, and replaying them as typed events.

A recording is one header line then one line per message delivered on the bus, in delivery
order::

    {"recording":{"riskbus_version":"0.1.0","scenario":"...","scenario_sha256":"...","seed":42,"start_ts":...}}
    {"ts":1704067260000000000,"cycle":1,"event":"BotMonitoringCycleStarted","payload":{"type":"BotMonitoringCycleStarted","ts":...,"cycle_number":1}}

``ts`` is the virtual time (ns since the epoch), ``cycle`` the bot cycle it happened in and
``payload`` the message as :func:`riskbus.core.serialization.to_json` writes it (Decimals as
strings), so :func:`read_recording` rebuilds the typed objects. Nothing in a recording comes
from the wall clock: the same scenario and seed give the same bytes.

Record modes (as VCR's, for event cassettes): ``all`` always writes; ``once`` writes when
the file is missing, else compares; ``new`` compares the common part and appends the new
events; ``none`` only compares (the file must exist). A difference is reported with the
first differing line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

from riskbus.core.bus import EventBus
from riskbus.core.errors import BadInputError
from riskbus.core.messages import Command, Message
from riskbus.core.serialization import from_json, to_json

__all__ = [
    "RecordedEvent",
    "Recorder",
    "Replayer",
    "compare_recording",
    "read_recording",
]

RecordMode = Literal["once", "new", "none", "all"]


class Recorder:
    """Keeps every message delivered on the bus; cycles and counts are derived lazily.

    The bus handler is the list's own ``append`` (the hot path does nothing else); the
    cycle of each message (the last ``BotMonitoringCycleStarted`` delivered before it) and
    the counts by name are brought up to date on demand by :meth:`sync`.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._cycles: list[int] = []
        self._counts: dict[str, int] = {}
        self._cycle = 0

    def attach(self, bus: EventBus) -> Recorder:
        """Subscribe to every message on ``bus``."""
        bus.subscribe("*", self.messages.append, component="Recorder")
        return self

    def sync(self) -> None:
        """Derive the cycles and counts of the messages recorded since the last call."""
        messages = self.messages
        done = len(self._cycles)
        if done == len(messages):
            return
        cycles = self._cycles
        counts = self._counts
        cycle = self._cycle
        for message in messages[done:]:
            name = type(message).__name__
            if name == "BotMonitoringCycleStarted":
                cycle = message.cycle_number  # type: ignore[attr-defined]
            cycles.append(cycle)
            counts[name] = counts.get(name, 0) + 1
        self._cycle = cycle

    @property
    def cycles(self) -> list[int]:
        """The cycle of each recorded message."""
        self.sync()
        return self._cycles

    @property
    def counts(self) -> dict[str, int]:
        """How many messages of each name were recorded."""
        self.sync()
        return self._counts

    def count(self, name: str) -> int:
        """How many ``name`` messages were recorded."""
        self.sync()
        return self._counts.get(name, 0)

    def events(self) -> Iterator[tuple[int, Message]]:
        """The recorded events (commands left out) with their cycles."""
        for cycle, message in zip(self.cycles, self.messages, strict=True):
            if not isinstance(message, Command):
                yield cycle, message

    def lines(self, header: dict[str, Any]) -> list[bytes]:
        """The recording as JSONL lines (header first), each ending in a newline."""
        out = [json.dumps({"recording": header}, sort_keys=True, separators=(",", ":")).encode()]
        out[0] += b"\n"
        for cycle, message in zip(self.cycles, self.messages, strict=True):
            out.append(
                b'{"ts":%d,"cycle":%d,"event":"%s","payload":%s}\n'
                % (message.ts, cycle, type(message).__name__.encode(), to_json(message))
            )
        return out

    def write(self, path: str | Path, header: dict[str, Any], mode: RecordMode = "all") -> str:
        """Write or compare the recording at ``path`` per ``mode``; return a problem or ''."""
        target = Path(path)
        lines = self.lines(header)
        if mode == "all" or (mode in ("once", "new") and not target.exists()):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"".join(lines))
            return ""
        if not target.exists():
            return f"record mode 'none': no recording at {target}"
        old = target.read_bytes().splitlines(keepends=True)
        problem = compare_recording(old, lines, allow_longer=mode == "new")
        if not problem and mode == "new" and len(lines) > len(old):
            with target.open("ab") as handle:
                handle.write(b"".join(lines[len(old) :]))
        return problem


def compare_recording(old: list[bytes], new: list[bytes], *, allow_longer: bool = False) -> str:
    """Return '' when ``new`` matches ``old`` (or extends it, with ``allow_longer``)."""
    for number, (before, after) in enumerate(zip(old, new, strict=False), start=1):
        if before != after:
            return (
                f"recording differs at line {number}: expected {before.decode().strip()[:200]} "
                f"but the run gave {after.decode().strip()[:200]}"
            )
    if len(new) < len(old):
        return f"the run recorded {len(new)} lines, the recording has {len(old)}"
    if len(new) > len(old) and not allow_longer:
        return f"the run recorded {len(new) - len(old)} new lines past the recording's {len(old)}"
    return ""


@dataclass(frozen=True)
class RecordedEvent:
    """One line of a recording, typed."""

    ts: int
    cycle: int
    event: str
    message: Message


def read_recording(path: str | Path) -> tuple[dict[str, Any], list[RecordedEvent]]:
    """Read a recording: its header and its typed events.

    Raises:
        BadInputError: the file is missing or a line is malformed (file and line named).
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise BadInputError(f"cannot read: {e.strerror or e}", source=source) from e
    header: dict[str, Any] = {}
    events: list[RecordedEvent] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = msgspec.json.decode(line)
        except msgspec.DecodeError as e:
            raise BadInputError(f"malformed JSON: {e}", source=source, line=number) from None
        if not isinstance(item, dict):
            raise BadInputError("expected a JSON object", source=source, line=number)
        if "recording" in item:
            header = dict(item["recording"])
            continue
        try:
            payload = msgspec.json.encode(item["payload"])
            message = from_json(payload)
            events.append(
                RecordedEvent(
                    int(item["ts"]), int(item.get("cycle", 0)), str(item["event"]), message
                )
            )
        except (KeyError, TypeError, ValueError, BadInputError) as e:
            raise BadInputError(f"bad recorded event: {e}", source=source, line=number) from None
    return header, events


class Replayer:
    """Replays recorded events in order, at a speed, to a callback or onto a bus.

    Args:
        events: the recorded events.
        speed: virtual seconds per wall second (0.1 to 100), or None for instant.
        names: only these event names (all when empty).
        sleep: how to wait (injected for tests; the wall clock is fine in this tool).
    """

    def __init__(
        self,
        events: list[RecordedEvent],
        *,
        speed: float | None = None,
        names: set[str] | frozenset[str] = frozenset(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed is not None and not 0.1 <= speed <= 100:
            raise BadInputError(f"must be between 0.1 and 100, got {speed}", field="--speed")
        self.events = [e for e in events if not names or e.event in names]
        self.speed = speed
        self.sleep = sleep

    def replay(self, deliver: Callable[[RecordedEvent], None], bus: EventBus | None = None) -> int:
        """Deliver every event (publishing it on ``bus`` too); return how many."""
        previous: int | None = None
        for event in self.events:
            if self.speed is not None and previous is not None and event.ts > previous:
                self.sleep((event.ts - previous) / 1e9 / self.speed)
            previous = event.ts
            if bus is not None:
                bus.publish(event.message)
            deliver(event)
        return len(self.events)
