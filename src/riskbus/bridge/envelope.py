"""What travels on the bridge: stream keys, the selected types, and the current delivery."""

from __future__ import annotations

import contextvars
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from riskbus.bridge.connection import BridgeConfigError
from riskbus.core.bus import EventBus
from riskbus.core.messages import Event, Message, message_type
from riskbus.model import events as _catalogue  # noqa: F401  # registers every event type by name

__all__ = [
    "DEFAULT_TOPIC",
    "ENTRY_FIELD",
    "Delivery",
    "EntryHeader",
    "EventTypes",
    "current_delivery",
    "dead_letter_key",
    "encode_entry",
    "parse_entry",
    "publish_delivery",
    "resolve_types",
    "seen_key",
    "stream_key",
]

DEFAULT_TOPIC = "events"

#: What may select event types: classes, names, union aliases (``OrderEvent``); None = all.
EventTypes: typing.TypeAlias = "Iterable[type[Message] | str | types.UnionType] | str | None"


#: The one field of a stream entry: ``{event id}\t{type}\t{sent ns}\t{JSON}``. One field, not
#: four: redis-py packs and parses every field in Python, which is most of the cost per event.
ENTRY_FIELD = b"event"


class EntryHeader(typing.NamedTuple):
    """The parts of an entry: the event id, the type name, the sent time (ns), the JSON."""

    event_id: str
    type_name: str
    sent_ns: int
    data: bytes


def encode_entry(event_id: str, type_name: str, sent_ns: int, data: bytes) -> bytes:
    """Return the entry payload of one event (JSON never holds a raw tab or newline)."""
    return b"%s\t%s\t%d\t%s" % (event_id.encode(), type_name.encode(), sent_ns, data)


def parse_entry(payload: bytes) -> EntryHeader:
    """Split an entry payload made by :func:`encode_entry`.

    Raises:
        ValueError: the payload does not have the four parts.
    """
    parts = payload.split(b"\t", 3)
    if len(parts) != 4:
        raise ValueError(f"malformed bridge entry: {payload[:80]!r}")
    event_id, type_name, sent, data = parts
    return EntryHeader(event_id.decode(), type_name.decode(), int(sent), data)


def stream_key(prefix: str, topic: str = DEFAULT_TOPIC) -> str:
    """Return the stream of ``topic``: ``{prefix}:{topic}``."""
    return f"{prefix}:{topic}"


def seen_key(prefix: str, topic: str, group: str) -> str:
    """Return the seen-set of ``group`` on ``topic``."""
    return f"{prefix}:{topic}:seen:{group}"


def dead_letter_key(prefix: str, topic: str = DEFAULT_TOPIC) -> str:
    """Return the stream where undecodable entries of ``topic`` are kept."""
    return f"{prefix}:{topic}:dead"


@dataclass(frozen=True)
class Delivery:
    """The bridged event being republished, visible to handlers via :func:`current_delivery`.

    Attributes:
        event_id: the publisher's id of the event.
        entry_id: the stream entry id (``<ms>-<seq>``).
        stream: the stream key.
        event: the decoded event.
        sent_ns: the publisher's wall clock when it took the event (ns).
        redelivered: the entry was delivered before (a restart or a take-over).
        pipeline: a Redis ``MULTI`` pipeline; commands queued on it commit atomically with
            the acknowledgement of the batch (exactly once across crashes).
    """

    event_id: str
    entry_id: str
    stream: str
    event: Message
    sent_ns: int
    redelivered: bool
    pipeline: Any


_CURRENT: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar(
    "riskbus_bridge_delivery", default=None
)


def current_delivery() -> Delivery | None:
    """Return the delivery being republished by a consumer, or None outside one."""
    return _CURRENT.get()


def publish_delivery(bus: EventBus, delivery: Delivery) -> None:
    """Publish ``delivery.event`` on ``bus`` with ``delivery`` as the current delivery."""
    token = _CURRENT.set(delivery)
    try:
        bus.publish(delivery.event)
    finally:
        _CURRENT.reset(token)


def resolve_types(event_types: EventTypes, field: str = "event_types") -> tuple[type[Message], ...]:
    """Turn names and classes into message classes; None means every :class:`Event`.

    Raises:
        BridgeConfigError: a name is not a registered message type, or an item is neither.
    """
    if event_types is None:
        return (Event,)
    if isinstance(event_types, str):
        event_types = [event_types]
    resolved: list[type[Message]] = []
    for item in event_types:
        if isinstance(item, str):
            try:
                resolved.append(message_type(item.strip()))
            except KeyError as e:
                raise BridgeConfigError(str(e.args[0]), field=field) from None
        elif isinstance(item, type) and issubclass(item, Message):
            resolved.append(item)
        elif _is_message_union(item):  # an alias such as ``OrderEvent``
            resolved.extend(typing.get_args(item))
        else:
            raise BridgeConfigError(f"not a message type: {item!r}", field=field)
    if not resolved:
        raise BridgeConfigError("select at least one event type", field=field)
    return tuple(resolved)


def _is_message_union(item: object) -> bool:
    members = typing.get_args(item)
    return bool(members) and all(isinstance(m, type) and issubclass(m, Message) for m in members)
