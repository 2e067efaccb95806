"""Recovery paths in one process: own pending entries, take-over, trimmed entries, limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from riskbus.bridge import (
    BridgeConfigError,
    Delivery,
    StreamConsumer,
    StreamPublisher,
    current_delivery,
    encode_entry,
    stream_key,
)
from riskbus.core.bus import EventBus
from riskbus.core.messages import HandlerFailed
from riskbus.model.events import OrderFilled
from tests.stubs import order_filled


def _publish(redis_url: str, prefix: str, count: int) -> list[OrderFilled]:
    bus = EventBus()
    publisher = StreamPublisher(bus, redis_url, prefix=prefix, origin="bot").start(background=False)
    events = [order_filled(ts=i, fill_id=f"T-{i}") for i in range(count)]
    for event in events:
        bus.publish(event)
    publisher.stop()
    return events


def _read_without_ack(client: redis.Redis, prefix: str, consumer: str, count: int) -> list[bytes]:
    reply: list[tuple[bytes, list[tuple[bytes, object]]]] = client.xreadgroup(  # type: ignore[assignment]
        "guard", consumer, {stream_key(prefix): ">"}, count=count
    )
    return [entry_id for entry_id, _ in reply[0][1]]


def _recording_consumer(
    redis_url: str, prefix: str, name: str, **options: Any
) -> tuple[StreamConsumer, list[Delivery]]:
    bus = EventBus()
    deliveries: list[Delivery] = []

    def record(event: OrderFilled) -> None:
        delivery = current_delivery()
        assert delivery is not None and delivery.event is event
        deliveries.append(delivery)

    bus.subscribe(OrderFilled, record)
    consumer = StreamConsumer(bus, redis_url, prefix=prefix, consumer=name, **options)
    return consumer.connect(), deliveries


def test_a_restarted_consumer_first_finishes_its_own_pending_entries(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    events = _publish(redis_url, prefix, 8)
    consumer, deliveries = _recording_consumer(redis_url, prefix, "guard-1", batch_size=3)
    _read_without_ack(client, prefix, "guard-1", 5)  # what a crashed guard-1 had read

    assert [consumer.poll() for _ in range(4)] == [3, 2, 3, 0]
    assert [d.event for d in deliveries] == events
    assert [d.redelivered for d in deliveries] == [True] * 5 + [False] * 3
    origins, sessions, sequences = zip(*(d.event_id.split(":") for d in deliveries), strict=True)
    assert set(origins) == {"bot"} and len(set(sessions)) == 1
    assert sequences == tuple(str(i) for i in range(1, 9))
    assert client.xpending(stream_key(prefix), "guard")["pending"] == 0


def test_a_member_takes_over_the_entries_a_dead_member_left_idle(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    events = _publish(redis_url, prefix, 6)
    consumer, deliveries = _recording_consumer(redis_url, prefix, "guard-2", claim_idle_ms=20)
    _read_without_ack(client, prefix, "guard-dead", 4)
    time.sleep(0.05)

    assert consumer.poll() == 4
    assert consumer.stats.claimed == 4
    assert consumer.poll() == 2
    assert [d.event for d in deliveries] == events
    assert client.xpending(stream_key(prefix), "guard")["pending"] == 0


def test_entries_trimmed_while_pending_are_counted_as_lost(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    _publish(redis_url, prefix, 6)
    consumer, deliveries = _recording_consumer(redis_url, prefix, "guard-1", claim_idle_ms=20)
    mine = _read_without_ack(client, prefix, "guard-1", 2)
    theirs = _read_without_ack(client, prefix, "guard-dead", 2)
    client.xdel(stream_key(prefix), mine[0], theirs[0])
    time.sleep(0.05)

    while consumer.poll() or consumer.stats.acknowledged < 3:
        pass
    assert consumer.stats.lost == 2
    assert [d.event.fill_id for d in deliveries] == ["T-1", "T-3", "T-4", "T-5"]  # type: ignore[attr-defined]
    assert client.xpending(stream_key(prefix), "guard")["pending"] == 0


def test_an_entry_with_wrong_fields_is_rejected_with_the_field(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    consumer, deliveries = _recording_consumer(redis_url, prefix, "guard-1")
    client.xadd(stream_key(prefix), {"event": encode_entry("x:1", "OrderFilled", 0, b'{"ts":1}')})
    assert consumer.poll() == 0
    assert deliveries == [] and consumer.stats.rejected == 1
    dead: Any = client.xrange(f"{prefix}:events:dead")
    ((_, fields),) = dead
    assert b"invalid message: Object missing required field" in fields[b"error"]


def test_a_full_publisher_buffer_fails_the_handler_visibly(redis_url: str, prefix: str) -> None:
    bus = EventBus()
    failures: list[HandlerFailed] = []
    bus.subscribe(HandlerFailed, failures.append)
    publisher = StreamPublisher(bus, redis_url, prefix=prefix, max_buffer=2)
    with pytest.raises(BridgeConfigError, match="not started"):
        publisher.flush()
    assert publisher.start(background=False).start() is publisher
    for i in range(3):
        bus.publish(order_filled(ts=i))
    assert publisher.buffered == 2
    assert [f.message_name for f in failures] == ["OrderFilled"]
    assert "bridge buffer full: 2 events not yet sent" in failures[0].error
    assert publisher.flush() == 2
    publisher.stop()


def test_a_key_of_another_type_in_the_way_is_named(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    client.set(stream_key(prefix), "not a stream")
    with pytest.raises(BridgeConfigError, match="WRONGTYPE") as caught:
        StreamConsumer(EventBus(), redis_url, prefix=prefix).connect()
    assert caught.value.field == "prefix/topic"


@pytest.mark.parametrize("option", ["batch_size", "claim_idle_ms"])
def test_consumer_limits_must_be_positive(redis_url: str, option: str) -> None:
    with pytest.raises(BridgeConfigError, match="must be positive"):
        StreamConsumer(EventBus(), redis_url, **{option: 0})  # type: ignore[arg-type]


def test_publisher_limits_must_be_positive(redis_url: str) -> None:
    with pytest.raises(BridgeConfigError, match="must be positive"):
        StreamPublisher(EventBus(), redis_url, max_buffer=0)
