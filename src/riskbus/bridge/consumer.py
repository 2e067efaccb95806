"""The consuming half of the bridge: a consumer group member that republishes on a local bus.

See :mod:`riskbus.bridge.redis_streams` for the delivery contract. One :meth:`poll` takes
entries from, in this order: this consumer's own pending entries (after a restart: read but
never acknowledged), then entries other consumers of the group left pending for longer than
``claim_idle_ms`` (``XAUTOCLAIM``, checked every ``claim_idle_ms``), then new entries.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import redis

from riskbus.bridge.connection import (
    DEFAULT_PREFIX,
    BridgeConfigError,
    BridgeUnavailableError,
    check_name,
    connect,
    unavailable,
    validate_url,
)
from riskbus.bridge.dedup import DEFAULT_MAX_SIZE, DEFAULT_TTL_MS, RedisSeenSet
from riskbus.bridge.envelope import (
    DEFAULT_TOPIC,
    ENTRY_FIELD,
    Delivery,
    EntryHeader,
    EventTypes,
    dead_letter_key,
    parse_entry,
    publish_delivery,
    resolve_types,
    seen_key,
    stream_key,
)
from riskbus.core.bus import EventBus
from riskbus.core.errors import BadInputError
from riskbus.core.messages import Message, message_type

__all__ = ["ConsumerStats", "StreamConsumer"]

log = logging.getLogger("riskbus.bridge")

_Entry = tuple[bytes, dict[bytes, bytes] | None]


@dataclass
class ConsumerStats:
    """Counters of one consumer since it was created."""

    applied: int = 0  # republished on the local bus
    duplicates: int = 0  # skipped: the group had applied that event id already
    skipped: int = 0  # not a selected type
    rejected: int = 0  # undecodable: moved to the dead-letter stream
    lost: int = 0  # pending entries trimmed from the stream before they were applied
    claimed: int = 0  # taken over from other consumers of the group
    acknowledged: int = 0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _type_name(payload: bytes) -> str:
    parts = payload.split(b"\t", 2)
    return parts[1].decode(errors="replace") if len(parts) > 1 else ""


class StreamConsumer:
    """Read the topic's stream in a consumer group and republish typed events on ``bus``.

    Args:
        bus: the local bus that receives the events.
        url: the Redis URL.
        prefix: the key prefix of the streams.
        group: the consumer group; its members share the entries.
        consumer: this member's name, stable across restarts (it resumes its pending entries).
        event_types: classes or names to apply (subclasses included); None = all events.
        topic: the stream's name under ``prefix``.
        batch_size: entries per read and per commit.
        claim_idle_ms: take over entries another member left pending this long.
        start_id: where a new group starts: ``"0"`` (the whole stream) or ``"$"`` (new only).
        seen_max_size: the bound on the group's seen-set.
        seen_ttl_ms: how long (stream time) the seen-set remembers an event id.
    """

    def __init__(
        self,
        bus: EventBus,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        group: str = "guard",
        consumer: str = "guard-1",
        event_types: EventTypes = None,
        topic: str = DEFAULT_TOPIC,
        batch_size: int = 200,
        claim_idle_ms: int = 30_000,
        start_id: str = "0",
        seen_max_size: int = DEFAULT_MAX_SIZE,
        seen_ttl_ms: int = DEFAULT_TTL_MS,
    ) -> None:
        self.bus = bus
        self.url = validate_url(url)
        self.prefix = check_name(prefix, "prefix")
        self.topic = check_name(topic, "topic")
        self.group = check_name(group, "group")
        self.consumer = check_name(consumer, "consumer")
        self.stream = stream_key(prefix, topic)
        self.event_types = resolve_types(event_types)
        if batch_size < 1 or claim_idle_ms < 1:
            raise BridgeConfigError("batch_size and claim_idle_ms must be positive")
        self.batch_size = batch_size
        self.claim_idle_ms = claim_idle_ms
        self.start_id = start_id
        self._seen_bounds = (seen_max_size, seen_ttl_ms)
        self.stats = ConsumerStats()
        self._wanted: dict[str, bool] = {}
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {}
        self._client: redis.Redis | None = None
        self._seen: RedisSeenSet | None = None
        self._own_cursor: str | None = "0"  # None once our own pending entries are done
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self._uncommitted: tuple[list[tuple[tuple[Any, ...], dict[str, Any]]], str] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._apply: Callable[[list[Delivery]], None] = self._apply_here

    # -- lifecycle ---------------------------------------------------------------------

    def connect(self) -> StreamConsumer:
        """Connect and create the group if it does not exist (idempotent).

        Raises:
            BridgeUnavailableError: Redis does not answer at ``url``.
        """
        if self._client is not None:
            return self
        client = connect(self.url, retry=False)
        try:
            client.xgroup_create(self.stream, self.group, id=self.start_id, mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                client.close()
                raise BridgeConfigError(
                    f"cannot create group {self.group!r} on {self.stream}: {e}",
                    field="prefix/topic" if "WRONGTYPE" in str(e) else "start_id",
                ) from e
        except redis.RedisError as e:
            client.close()
            raise unavailable(self.url, e) from e
        max_size, ttl_ms = self._seen_bounds
        self._seen = RedisSeenSet(
            client, seen_key(self.prefix, self.topic, self.group), max_size=max_size, ttl_ms=ttl_ms
        )
        self._client = client
        return self

    def start(self, *, loop: asyncio.AbstractEventLoop | None = None) -> StreamConsumer:
        """Connect and poll in a background thread until :meth:`stop`.

        Args:
            loop: when given, events are republished on this loop's thread (the bus is not
                thread-safe: give the loop that owns it); otherwise on the polling thread.
        """
        self.connect()
        if self._thread is not None:
            return self
        if loop is not None:
            self._apply = _on_loop(loop, self._apply_here)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"riskbus-bridge-consume-{self.consumer}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the background thread (if any) after its current batch; close the client."""
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None
            self._seen = None

    def _run(self) -> None:
        backoff = 0.05
        while not self._stopping.is_set():
            try:
                self.poll(block_ms=100)
                backoff = 0.05
            except BridgeUnavailableError as e:
                log.warning("bridge consumer %s: %s; retrying", self.consumer, e)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # keep consuming: one bad batch must not stop the guard's feed
                log.exception("bridge consumer %s failed on a batch", self.consumer)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    # -- one batch ---------------------------------------------------------------------

    def poll(self, block_ms: int | None = None) -> int:
        """Read, apply and commit one batch; return how many events were republished.

        Args:
            block_ms: wait up to this long for new entries; None or 0 returns at once.

        Raises:
            BridgeUnavailableError: Redis failed; an applied but uncommitted batch is
                committed by the next call before anything new is read.
        """
        self.connect()
        try:
            if self._uncommitted is not None:
                self._recommit()
            entries, redelivered = self._next_entries(block_ms or None)
            return self._process(entries, redelivered)
        except redis.RedisError as e:
            raise unavailable(self.url, e) from e

    def _client_or_fail(self) -> redis.Redis:
        if self._client is None:  # pragma: no cover - connect() ran just before
            raise BridgeConfigError("the consumer is not connected", field="connect()")
        return self._client

    def _read(self, cursor: str, block_ms: int | None) -> list[_Entry]:
        client = self._client_or_fail()
        reply: Any = client.xreadgroup(
            self.group, self.consumer, {self.stream: cursor}, count=self.batch_size, block=block_ms
        )
        if not reply:
            return []
        entries: list[_Entry] = reply[0][1]
        return entries

    def _next_entries(self, block_ms: int | None) -> tuple[list[_Entry], bool]:
        if self._own_cursor is not None:
            entries = self._read(self._own_cursor, None)
            if entries:
                self._own_cursor = _text(entries[-1][0])
                return entries, True
            self._own_cursor = None
        if time.monotonic() >= self._next_claim:  # wall-clock ok: a live Redis adapter
            claimed = self._claim()
            if claimed:
                return claimed, True
        return self._read(">", block_ms), False

    def _claim(self) -> list[_Entry]:
        client = self._client_or_fail()
        reply: Any = client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id=self._claim_cursor,
            count=self.batch_size,
        )
        self._claim_cursor = _text(reply[0])
        if self._claim_cursor == "0-0":  # a full pass over the pending entries: rest a while
            self._next_claim = time.monotonic() + self.claim_idle_ms / 1000  # wall-clock ok
        entries: list[_Entry] = [e for e in reply[1] if e is not None]
        self.stats.claimed += len(entries)
        if len(reply) > 2 and reply[2]:  # Redis 7: ids deleted while pending
            self.stats.lost += len(reply[2])
            log.error(
                "bridge entries %s of %s were trimmed before they were applied",
                [_text(i) for i in reply[2]],
                self.stream,
            )
        return entries

    def _wanted_type(self, name: str) -> bool:
        wanted = self._wanted.get(name)
        if wanted is None:
            try:
                cls = message_type(name)
            except KeyError:
                wanted = True  # let decoding reject it into the dead-letter stream
            else:
                wanted = issubclass(cls, self.event_types)
            self._wanted[name] = wanted
        return wanted

    def _select(self, entries: list[_Entry]) -> list[tuple[str, bytes]]:
        """Return ``(entry id, payload)`` of the entries to look at; count the others."""
        selected: list[tuple[str, bytes]] = []
        for raw_id, fields in entries:
            entry_id = _text(raw_id)
            payload = fields.get(ENTRY_FIELD) if fields else None
            if not fields:  # trimmed away while pending (read back empty): nothing to apply
                self.stats.lost += 1
                log.error(
                    "bridge entry %s of %s was trimmed before it was applied", entry_id, self.stream
                )
            elif payload is None:
                selected.append((entry_id, b""))  # not ours: the dead-letter stream says why
            elif self._wanted_type(_type_name(payload)):
                selected.append((entry_id, payload))
            else:
                self.stats.skipped += 1
        return selected

    def _process(self, entries: list[_Entry], redelivered: bool) -> int:
        if not entries:
            return 0
        seen_set = self._seen
        assert seen_set is not None
        parsed: list[tuple[str, bytes, EntryHeader | None]] = []
        for entry_id, payload in self._select(entries):
            try:
                parsed.append((entry_id, payload, parse_entry(payload)))
            except ValueError:
                parsed.append((entry_id, payload, None))
        done = seen_set.seen([header.event_id for _, _, header in parsed if header is not None])
        pipeline = self._client_or_fail().pipeline(transaction=True)
        deliveries: list[Delivery] = []
        for entry_id, payload, header in parsed:
            if header is not None and header.event_id in done:
                self.stats.duplicates += 1
                continue
            try:
                if header is None:
                    raise BadInputError(f"malformed bridge entry: {payload[:80]!r}")
                event = self._decode(header.type_name, header.data)
            except BadInputError as e:
                self.stats.rejected += 1
                dead = {ENTRY_FIELD: payload, b"entry": entry_id, b"error": str(e)}
                pipeline.xadd(dead_letter_key(self.prefix, self.topic), dead)  # type: ignore[arg-type]
                continue
            done.add(header.event_id)
            deliveries.append(
                Delivery(
                    header.event_id,
                    entry_id,
                    self.stream,
                    event,
                    header.sent_ns,
                    redelivered,
                    pipeline,
                )
            )
        if deliveries:
            self._apply(deliveries)
        marks = [(d.event_id, int(d.entry_id.split("-", 1)[0])) for d in deliveries]
        seen_set.mark(pipeline, marks)
        pipeline.xack(self.stream, self.group, *[_text(raw_id) for raw_id, _ in entries])
        self._commit(pipeline, marks[0][0] if marks else "")
        self.stats.applied += len(deliveries)
        self.stats.acknowledged += len(entries)
        return len(deliveries)

    def _decode(self, name: str, data: bytes) -> Message:
        # One decoder per type named by the entry: the generic decoder of every registered
        # type costs more per event than the rest of the consumer together.
        decoder = self._decoders.get(name)
        if decoder is None:
            try:
                decoder = msgspec.json.Decoder(message_type(name))
            except KeyError as e:
                raise BadInputError(str(e.args[0]), field="type") from None
            self._decoders[name] = decoder
        try:
            message: Message = decoder.decode(data)
        except msgspec.ValidationError as e:
            raise BadInputError(f"invalid message: {e}") from e
        except msgspec.DecodeError as e:
            raise BadInputError(f"malformed message JSON: {e}") from e
        return message

    def _apply_here(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            publish_delivery(self.bus, delivery)

    def _commit(self, pipeline: Any, probe: str) -> None:
        stack = list(pipeline.command_stack)
        try:
            pipeline.execute()
        except redis.RedisError:
            # The reply may be lost after EXEC ran: the next poll checks the probe mark
            # before sending the transaction again, so handler effects never run twice.
            self._uncommitted = (stack, probe)
            raise

    def _recommit(self) -> None:
        assert self._uncommitted is not None and self._seen is not None
        stack, probe = self._uncommitted
        if probe and self._seen.seen([probe]):
            self._uncommitted = None
            return
        pipeline = self._client_or_fail().pipeline(transaction=True)
        for args, options in stack:
            pipeline.pipeline_execute_command(*args, **options)
        pipeline.execute()
        self._uncommitted = None


def _on_loop(
    loop: asyncio.AbstractEventLoop, apply: Callable[[list[Delivery]], None]
) -> Callable[[list[Delivery]], None]:
    """Wrap ``apply`` to run on ``loop``'s thread; the caller waits for it to finish."""

    def run(deliveries: list[Delivery]) -> None:
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def call() -> None:
            try:
                apply(deliveries)
            except BaseException as e:  # hand it to the waiting thread
                done.set_exception(e)
            else:
                done.set_result(None)

        loop.call_soon_threadsafe(call)
        done.result()

    return run
