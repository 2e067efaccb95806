"""The seen-set that de-duplicates bridged events by event id, per consumer group.

Delivery through Redis Streams is at least once: an entry read but not acknowledged (the
consumer died) is delivered again, and a publisher that retried an ``XADD`` may have added
the same event twice. The consumer therefore remembers which event ids its group has
applied and skips those it meets again.

The set is a Redis sorted set ``{prefix}:{topic}:seen:{group}``: member = event id, score =
the millisecond part of the stream entry id (Redis' clock when it was added). It is
bounded two ways, both driven by the data, not by the consumer's clock:

* **size**: at most ``max_size`` ids are kept (the oldest by score go first);
* **age**: ids whose entry is more than ``ttl_ms`` older than the newest marked one go,
  and the whole key expires after ``ttl_ms`` without marks.

An id forgotten this way can no longer be recognised, so ``max_size``/``ttl_ms`` must cover
the longest redelivery gap (a consumer's downtime plus the claim idle time). Marks are
queued on the consumer's commit transaction, together with the ``XACK``: an event is
either applied-marked-acknowledged or none of these.

:class:`BoundedSeen` is the same policy in memory: the reference model the Redis version is
tested against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import redis

__all__ = ["DEFAULT_MAX_SIZE", "DEFAULT_TTL_MS", "BoundedSeen", "RedisSeenSet"]

DEFAULT_MAX_SIZE = 1_000_000
DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000


def _check_bounds(max_size: int, ttl_ms: int) -> None:
    if max_size < 1:
        raise ValueError(f"max_size must be at least 1, got {max_size}")
    if ttl_ms < 1:
        raise ValueError(f"ttl_ms must be at least 1, got {ttl_ms}")


class BoundedSeen:
    """In-memory seen-set with the policy of :class:`RedisSeenSet` (a reference model).

    Ties in score are broken by member, as Redis orders sorted-set members.
    """

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE, ttl_ms: int = DEFAULT_TTL_MS) -> None:
        _check_bounds(max_size, ttl_ms)
        self.max_size = max_size
        self.ttl_ms = ttl_ms
        self._scores: dict[str, int] = {}

    def seen(self, event_ids: Iterable[str]) -> set[str]:
        """Return the ids among ``event_ids`` that were marked and not yet forgotten."""
        return {event_id for event_id in event_ids if event_id in self._scores}

    def mark(self, marks: Sequence[tuple[str, int]]) -> None:
        """Remember each ``(event_id, score_ms)``; then trim by age and by size."""
        if not marks:
            return
        latest = dict(marks)  # an id marked twice keeps its last score, as ZADD does
        self._scores.update(latest)
        newest = max(latest.values())
        horizon = newest - self.ttl_ms
        for event_id in [e for e, s in self._scores.items() if s < horizon]:
            del self._scores[event_id]
        excess = len(self._scores) - self.max_size
        if excess > 0:
            oldest = sorted(self._scores.items(), key=lambda item: (item[1], item[0]))
            for event_id, _ in oldest[:excess]:
                del self._scores[event_id]

    def __len__(self) -> int:
        return len(self._scores)


class RedisSeenSet:
    """The seen-set of one consumer group, kept in Redis (see the module docstring).

    Args:
        client: the Redis client.
        key: the sorted set's key.
        max_size: how many ids to keep at most.
        ttl_ms: how long (in entry time) an id is remembered.
    """

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        ttl_ms: int = DEFAULT_TTL_MS,
    ) -> None:
        _check_bounds(max_size, ttl_ms)
        self.client = client
        self.key = key
        self.max_size = max_size
        self.ttl_ms = ttl_ms

    def seen(self, event_ids: Sequence[str]) -> set[str]:
        """Return the ids among ``event_ids`` this group has already applied."""
        if not event_ids:
            return set()
        scores: list[Any] = self.client.zmscore(self.key, list(event_ids))
        return {e for e, score in zip(event_ids, scores, strict=True) if score is not None}

    def mark(self, pipeline: Any, marks: Sequence[tuple[str, int]]) -> None:
        """Queue on ``pipeline`` the commands that remember ``marks`` and trim the set."""
        if not marks:
            return
        latest = dict(marks)  # an id marked twice keeps its last score
        pipeline.zadd(self.key, latest)
        newest = max(latest.values())
        pipeline.zremrangebyscore(self.key, "-inf", f"({newest - self.ttl_ms}")
        pipeline.zremrangebyrank(self.key, 0, -(self.max_size + 1))
        pipeline.pexpire(self.key, self.ttl_ms)

    def __len__(self) -> int:
        return int(self.client.zcard(self.key))

    def clear(self) -> None:
        """Forget every id (the group will apply redelivered events again)."""
        self.client.delete(self.key)
