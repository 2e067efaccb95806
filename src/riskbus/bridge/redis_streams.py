"""Bridge selected bus events to Redis Streams and back, at least once, de-duplicated.

Layout: **one stream per topic**, ``{prefix}:{topic}`` (topic ``events`` by default), not one
per event type. A guard's rules depend on the order of different event types from one bot
(``OrderAccepted`` before ``OrderFilled`` before ``PositionOpened``); one stream keeps the
publisher's order across types, which separate streams could not. A consumer that selects
only some types acknowledges and skips the others. Each entry is one event, in one field
``event`` = ``{event id}\\t{type}\\t{sent}\\t{JSON}`` (one field rather than four: redis-py
packs and parses each field in Python, the main cost per event):

* event id: ``{origin}:{session}:{sequence}``, assigned by the publisher (events carry no id
  of their own); ``session`` is random per publisher object, so two publishers — or one
  restarted — never reuse an id even with the same ``origin``; a retried ``XADD`` re-uses
  the id, so the consumer recognises the copy;
* type: the message class name (selection needs no decoding); JSON:
  :func:`~riskbus.core.serialization.to_json`;
* sent: the publisher's wall clock (ns) when the event was taken off its bus.

:class:`StreamPublisher` subscribes to the selected types on a local bus, buffers what it
sees (the bus handler only encodes and appends) and a background thread ``XADD``\\ s batches
through a pipeline (streams capped at ``maxlen`` entries, approximately).

:class:`StreamConsumer` reads with a consumer group (``XREADGROUP``) and, for one batch:
decodes, skips ids its group has applied (:mod:`riskbus.bridge.dedup`), republishes the
rest on its local bus, then commits in **one** ``MULTI``/``EXEC``: the seen-set marks, the
``XACK`` and whatever the handlers queued on :attr:`Delivery.pipeline`. The batch is
therefore acknowledged exactly when it is marked applied; a consumer killed before the
commit leaves its entries pending, and they are delivered again — to it after a restart
(it first re-reads its own pending entries) or to another consumer of the group, which
takes over entries idle for ``claim_idle_ms`` (``XAUTOCLAIM``). Handlers whose effects must
survive a crash exactly once write them through :func:`current_delivery` ``().pipeline``;
in-memory effects die with the process anyway. Entries that do not decode go to
``{prefix}:{topic}:dead`` with the error, and are acknowledged.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
from collections import deque
from secrets import token_hex

import redis

from riskbus.bridge.connection import (
    DEFAULT_PREFIX,
    BridgeConfigError,
    BridgeUnavailableError,
    check_name,
    connect,
    redact,
    unavailable,
    validate_url,
)
from riskbus.bridge.consumer import StreamConsumer
from riskbus.bridge.envelope import (
    DEFAULT_TOPIC,
    ENTRY_FIELD,
    Delivery,
    EventTypes,
    current_delivery,
    dead_letter_key,
    encode_entry,
    resolve_types,
    seen_key,
    stream_key,
)
from riskbus.core.bus import EventBus, Subscription
from riskbus.core.messages import Message
from riskbus.core.serialization import to_json

__all__ = [
    "DEFAULT_TOPIC",
    "Delivery",
    "StreamConsumer",
    "StreamPublisher",
    "current_delivery",
    "dead_letter_key",
    "resolve_types",
    "seen_key",
    "stream_key",
]

log = logging.getLogger("riskbus.bridge")


def default_origin() -> str:
    """Return the default publisher origin: ``host-pid``."""
    return f"{socket.gethostname()}-{os.getpid()}"


class StreamPublisher:
    """Publish the selected events of a local bus to the topic's Redis stream.

    Args:
        bus: the local bus to listen to.
        url: the Redis URL.
        prefix: the key prefix of every stream.
        event_types: classes or names to bridge (subclasses included); None = all events.
        topic: the stream's name under ``prefix``.
        origin: names this publisher in its event ids (default: ``host-pid``); the ids also
            carry a random session, so they stay unique whatever the origin.
        maxlen: approximate cap on the stream's length.
        batch_size: events per ``XADD`` pipeline.
        flush_interval: seconds the background thread waits for a fuller batch.
        max_buffer: events held while Redis is unreachable before the handler raises.
    """

    def __init__(
        self,
        bus: EventBus,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        event_types: EventTypes = None,
        topic: str = DEFAULT_TOPIC,
        origin: str | None = None,
        maxlen: int = 1_000_000,
        batch_size: int = 500,
        flush_interval: float = 0.002,
        max_buffer: int = 100_000,
    ) -> None:
        self.bus = bus
        self.url = validate_url(url)
        self.prefix = check_name(prefix, "prefix")
        self.topic = check_name(topic, "topic")
        self.stream = stream_key(prefix, topic)
        self.event_types = resolve_types(event_types)
        self.origin = check_name(origin, "origin") if origin is not None else default_origin()
        self.session = token_hex(4)
        if min(maxlen, batch_size, max_buffer) < 1:
            raise BridgeConfigError("maxlen, batch_size and max_buffer must be positive")
        self.maxlen = maxlen
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        self.sent = 0
        self._sequence = itertools.count(1)
        self._buffer: deque[bytes] = deque()  # entry payloads
        self._subscriptions: list[Subscription] = []
        self._client: redis.Redis | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()

    @property
    def buffered(self) -> int:
        """Events taken from the bus and not yet added to the stream."""
        return len(self._buffer)

    def start(self, *, background: bool = True) -> StreamPublisher:
        """Connect, subscribe to the bus and (unless ``background=False``) start flushing.

        Raises:
            BridgeUnavailableError: Redis does not answer at ``url``.
        """
        if self._client is not None:
            return self
        self._client = connect(self.url)
        for event_type in self.event_types:
            self._subscriptions.append(
                self.bus.subscribe(event_type, self._on_event, component="StreamPublisher")
            )
        if background:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"riskbus-bridge-publish-{self.topic}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Unsubscribe, send what is buffered and close the connection.

        Raises:
            BridgeUnavailableError: the buffered events could not be sent (they are kept).
        """
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()
        if self._thread is not None:
            self._stopping.set()
            self._wake.set()
            self._thread.join()
            self._thread = None
        if self._client is not None:
            try:
                self.flush()
            finally:  # what could not be sent stays buffered for a later start()
                self._client.close()
                self._client = None

    def _on_event(self, event: Message) -> None:
        delivery = current_delivery()
        if delivery is not None and delivery.event is event:
            return  # it came from the stream: never echo it back
        if len(self._buffer) >= self.max_buffer:
            raise BridgeUnavailableError(
                f"bridge buffer full: {len(self._buffer)} events not yet sent to "
                f"{redact(self.url)}",
                redact(self.url),
            )
        event_id = f"{self.origin}:{self.session}:{next(self._sequence)}"
        name = type(event).__name__
        self._buffer.append(encode_entry(event_id, name, time.time_ns(), to_json(event)))
        if len(self._buffer) >= self.batch_size:
            self._wake.set()

    def flush(self) -> int:
        """Add every buffered event to the stream now; return how many were added.

        Raises:
            BridgeUnavailableError: Redis failed; the unsent batch stays buffered, in order.
        """
        if self._client is None:
            raise BridgeConfigError("the publisher is not started", field="start()")
        total = 0
        with self._flush_lock:
            while self._buffer:
                count = min(self.batch_size, len(self._buffer))
                batch = [self._buffer.popleft() for _ in range(count)]
                pipeline = self._client.pipeline(transaction=False)
                for payload in batch:
                    pipeline.xadd(self.stream, {ENTRY_FIELD: payload})
                pipeline.xtrim(self.stream, maxlen=self.maxlen, approximate=True)
                try:
                    pipeline.execute()
                except redis.RedisError as e:
                    # A retry may add some twice: same event id, the consumer skips the copy.
                    self._buffer.extendleft(reversed(batch))
                    raise unavailable(self.url, e) from e
                total += count
                self.sent += count
        return total

    def _run(self) -> None:
        backoff = 0.05
        while not self._stopping.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self.flush()
                backoff = 0.05
            except BridgeUnavailableError as e:
                log.warning("bridge publisher: %s; retrying in %.2f s", e, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
