"""What the bridge's streams hold: length, groups, consumers, pending entries and lag."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

from riskbus.bridge.connection import unavailable

__all__ = ["GroupStatus", "StreamStatus", "bridge_status"]


@dataclass(frozen=True)
class GroupStatus:
    """One consumer group of a stream.

    Attributes:
        name: the group.
        consumers: its members' names.
        pending: entries delivered and not yet acknowledged.
        lag: entries not yet delivered to the group (None when Redis cannot tell).
        last_delivered_id: the last entry id delivered to the group.
        seen: the size of the group's de-duplication set.
    """

    name: str
    consumers: list[str]
    pending: int
    lag: int | None
    last_delivered_id: str
    seen: int


@dataclass(frozen=True)
class StreamStatus:
    """One stream under the prefix."""

    stream: str
    length: int
    last_id: str
    groups: list[GroupStatus] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the status as JSON-compatible values."""
        return {
            "stream": self.stream,
            "length": self.length,
            "last_id": self.last_id,
            "groups": [vars(group) for group in self.groups],
        }


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _group(client: redis.Redis, stream: str, info: dict[Any, Any]) -> GroupStatus:
    name = _text(info["name"])
    consumers = client.xinfo_consumers(stream, name)
    lag = info.get("lag")
    seen = int(client.zcard(f"{stream}:seen:{name}"))
    return GroupStatus(
        name=name,
        consumers=sorted(_text(c["name"]) for c in consumers),
        pending=int(info["pending"]),
        lag=None if lag is None else int(lag),
        last_delivered_id=_text(info["last-delivered-id"]),
        seen=seen,
    )


def bridge_status(client: redis.Redis, prefix: str, url: str = "") -> list[StreamStatus]:
    """Return every stream whose key starts with ``{prefix}:``, sorted by key.

    Raises:
        BridgeUnavailableError: Redis failed while reading.
    """
    try:
        keys = sorted(_text(key) for key in client.scan_iter(match=f"{prefix}:*", _type="stream"))
        result = []
        for stream in keys:
            info = client.xinfo_stream(stream)
            groups = [_group(client, stream, g) for g in client.xinfo_groups(stream)]
            result.append(
                StreamStatus(
                    stream=stream,
                    length=int(info["length"]),
                    last_id=_text(info["last-generated-id"]),
                    groups=groups,
                )
            )
        return result
    except redis.RedisError as e:
        raise unavailable(url or repr(client), e) from e
