"""The Redis Streams bridge: one bus across processes, so a guard can watch remote bots.

A :class:`StreamPublisher` takes the selected events off a local bus and adds them to a
Redis stream; a :class:`StreamConsumer` reads them in a consumer group and republishes the
typed events on its own bus — at least once, de-duplicated by event id (so applied once),
resuming after a restart from the last acknowledged entry and taking over what a dead
member of its group left pending. :func:`bridge_from_env` reads ``RISKBUS_REDIS_URL``;
:func:`bridge_status` reports streams, groups, pending counts and lag. The delivery
contract is in :mod:`riskbus.bridge.redis_streams`.
"""

from __future__ import annotations

from riskbus.bridge.connection import (
    BridgeConfig,
    BridgeConfigError,
    BridgeUnavailableError,
    bridge_from_env,
    connect,
)
from riskbus.bridge.consumer import ConsumerStats
from riskbus.bridge.dedup import BoundedSeen, RedisSeenSet
from riskbus.bridge.envelope import EntryHeader, encode_entry, parse_entry
from riskbus.bridge.redis_streams import (
    Delivery,
    StreamConsumer,
    StreamPublisher,
    current_delivery,
    dead_letter_key,
    seen_key,
    stream_key,
)
from riskbus.bridge.status import GroupStatus, StreamStatus, bridge_status

__all__ = [
    "BoundedSeen",
    "BridgeConfig",
    "BridgeConfigError",
    "BridgeUnavailableError",
    "ConsumerStats",
    "Delivery",
    "EntryHeader",
    "GroupStatus",
    "RedisSeenSet",
    "StreamConsumer",
    "StreamPublisher",
    "StreamStatus",
    "bridge_from_env",
    "bridge_status",
    "connect",
    "current_delivery",
    "dead_letter_key",
    "encode_entry",
    "parse_entry",
    "seen_key",
    "stream_key",
]
