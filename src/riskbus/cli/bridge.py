"""``riskbus bridge``: the Redis Streams bridge of the bus, from the shell.

* ``bridge status`` — every stream under the prefix: length, last id, and per consumer
  group its members, pending (delivered, not acknowledged) entries, lag (not yet
  delivered) and the size of its de-duplication set. ``--json`` for machines.
* ``bridge publish RECORDING.jsonl`` — add the events of a recording (``--types`` selects)
  to the stream, as a bot's publisher would.
* ``bridge consume`` — read as a member of a group (``--group``/``--consumer``) and print
  each event as a JSON line (or append them to ``--output``), until ``--max`` events or
  ``--idle`` seconds without any. What it prints is acknowledged.

The URL is ``--url`` or ``$RISKBUS_REDIS_URL``; the prefix ``--prefix`` or
``$RISKBUS_REDIS_PREFIX`` (default ``riskbus``)::

    RISKBUS_REDIS_URL=redis://127.0.0.1:6379/0 riskbus bridge status
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from riskbus.bridge import (
    StreamConsumer,
    StreamPublisher,
    StreamStatus,
    bridge_status,
    connect,
)
from riskbus.bridge.connection import DEFAULT_PREFIX, redact
from riskbus.bridge.envelope import DEFAULT_TOPIC, resolve_types
from riskbus.core.bus import EventBus
from riskbus.core.errors import BadInputError
from riskbus.core.messages import Message
from riskbus.core.serialization import JsonlReader, JsonlWriter, to_json

__all__ = ["app", "register"]

app = typer.Typer(
    name="bridge",
    help="Bridge the bus over Redis Streams (status, publish, consume).",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="RISKBUS_REDIS_URL", help="Redis URL.", show_default=False),
]
PrefixOption = Annotated[
    str, typer.Option("--prefix", envvar="RISKBUS_REDIS_PREFIX", help="Key prefix.")
]
TopicOption = Annotated[str, typer.Option("--topic", help="Stream name under the prefix.")]
TypesOption = Annotated[
    str | None,
    typer.Option("--types", help="Comma-separated event types (default: all events)."),
]


def register(root: typer.Typer) -> None:
    """Add the ``bridge`` group to ``root``."""
    root.add_typer(app, name="bridge")


def _url(url: str | None) -> str:
    if not url or not url.strip():
        raise BadInputError("no Redis URL: pass --url or set RISKBUS_REDIS_URL", field="--url")
    return url.strip()


def _types(types: str | None) -> list[str] | None:
    if types is None:
        return None
    names = [name.strip() for name in types.split(",") if name.strip()]
    resolve_types(names, field="--types")
    return names


def _status_table(streams: list[StreamStatus]) -> Table:
    table = Table("stream", "length", "last id", "group", "consumers", "pending", "lag", "seen")
    for stream in streams:
        head = [stream.stream, str(stream.length), stream.last_id]
        if not stream.groups:
            table.add_row(*head, "-", "", "", "", "")
        for group in stream.groups:
            lag = "?" if group.lag is None else str(group.lag)
            members = ", ".join(group.consumers)
            table.add_row(*head, group.name, members, str(group.pending), lag, str(group.seen))
            head = ["", "", ""]
    return table


@app.command("status")
def status(
    url: UrlOption = None,
    prefix: PrefixOption = DEFAULT_PREFIX,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the bridge's streams, consumer groups, pending counts and lag."""
    address = _url(url)
    client = connect(address, field="--url")
    try:
        streams = bridge_status(client, prefix, address)
    finally:
        client.close()
    if as_json:
        payload = {"url": redact(address), "prefix": prefix}
        typer.echo(json.dumps({**payload, "streams": [s.as_dict() for s in streams]}))
        return
    if not streams:
        typer.echo(f"no streams under {prefix}: at {redact(address)}")
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # pipes and logs: never fold stream names
    console.print(_status_table(streams))


@app.command("publish")
def publish(
    recording: Annotated[Path, typer.Argument(help="A JSON-lines recording of events.")],
    url: UrlOption = None,
    prefix: PrefixOption = DEFAULT_PREFIX,
    topic: TopicOption = DEFAULT_TOPIC,
    types: TypesOption = None,
) -> None:
    """Add the (selected) events of a recording to the bridge's stream."""
    if not recording.is_file():
        raise BadInputError("no such file", source=str(recording))
    bus = EventBus()
    publisher = StreamPublisher(
        bus, _url(url), prefix=prefix, topic=topic, event_types=_types(types)
    )
    publisher.start(background=False)
    try:
        for message in JsonlReader(recording):
            bus.publish(message)
            if publisher.buffered >= publisher.batch_size:
                publisher.flush()
    finally:
        publisher.stop()
    typer.echo(f"published {publisher.sent} events to {publisher.stream}")


@app.command("consume")
def consume(  # noqa: PLR0917 - typer maps the parameters to options
    url: UrlOption = None,
    prefix: PrefixOption = DEFAULT_PREFIX,
    topic: TopicOption = DEFAULT_TOPIC,
    types: TypesOption = None,
    group: Annotated[str, typer.Option(help="Consumer group.")] = "cli",
    consumer: Annotated[str, typer.Option(help="This member's name.")] = "cli-1",
    max_events: Annotated[int, typer.Option("--max", min=1, help="Stop after N.")] = 1_000_000,
    idle: Annotated[float, typer.Option(min=0, help="Stop after S seconds idle.")] = 1.0,
    output: Annotated[Path | None, typer.Option(help="Append to this JSONL file.")] = None,
) -> None:
    """Read events as a member of a consumer group and print them as JSON lines."""
    bus = EventBus()
    writer = JsonlWriter(output) if output is not None else None
    count = 0

    def emit(message: Message) -> None:
        nonlocal count
        count += 1
        if writer is not None:
            writer.write(message)
        else:
            sys.stdout.write(to_json(message).decode() + "\n")

    bus.subscribe("*", emit)
    reader = StreamConsumer(
        bus,
        _url(url),
        prefix=prefix,
        topic=topic,
        group=group,
        consumer=consumer,
        event_types=_types(types),
        batch_size=min(200, max_events),
    ).connect()
    last = time.monotonic()
    try:
        while count < max_events:
            reader.batch_size = min(reader.batch_size, max_events - count)
            if reader.poll(block_ms=100):
                last = time.monotonic()
            elif time.monotonic() - last >= idle:
                break
    finally:
        reader.stop()
        if writer is not None:
            writer.close()
    sys.stdout.flush()
    typer.echo(f"consumed {count} events from {reader.stream} as {group}/{consumer}", err=True)
