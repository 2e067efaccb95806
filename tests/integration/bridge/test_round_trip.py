"""Events cross processes' buses through the real Redis: values, selection, groups, resume."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import Any

import redis

from riskbus.bridge import (
    StreamConsumer,
    StreamPublisher,
    bridge_status,
    current_delivery,
    dead_letter_key,
    encode_entry,
    stream_key,
)
from riskbus.core.bus import EventBus
from riskbus.core.messages import Message
from riskbus.model.enums import TradingState
from riskbus.model.events import Bar, OrderAccepted, OrderFilled, TradingStateChanged
from tests.stubs import D, order_filled


def _xrange(client: redis.Redis, key: str, start: str = "-") -> list[tuple[bytes, dict[Any, Any]]]:
    entries: Any = client.xrange(key, min=start)
    return list(entries)


def _collect(bus: EventBus, topic: type[Message] | str = "*") -> list[Message]:
    received: list[Message] = []
    bus.subscribe(topic, received.append)
    return received


def _events() -> list[Message]:
    return [
        OrderAccepted(ts=1, client_order_id="O-1", symbol="MNQ", venue_order_id="V-9"),
        order_filled(ts=2, last_price=D("100.10"), fee=D("0.000")),
        Bar(
            ts=3,
            symbol="BTC/USDT",
            interval=60_000_000_000,
            open=D("1.0"),
            high=D("1.50"),
            low=D("0.9"),
            close=D("1.25"),
            volume=D("12.5000"),
        ),
        TradingStateChanged(ts=4, old=TradingState.ACTIVE, new=TradingState.HALTED, reason="X"),
    ]


def test_typed_events_round_trip_with_equal_values(redis_url: str, prefix: str) -> None:
    source, target = EventBus(), EventBus()
    received = _collect(target)
    publisher = StreamPublisher(source, redis_url, prefix=prefix).start(background=False)
    consumer = StreamConsumer(target, redis_url, prefix=prefix).connect()
    for event in _events():
        source.publish(event)
    assert publisher.flush() == 4

    assert consumer.poll() == 4
    assert received == _events()
    filled = received[1]
    assert isinstance(filled, OrderFilled) and filled.fee == Decimal("0.000")
    assert str(filled.fee) == "0.000"  # Decimals keep their exponent across the bridge
    publisher.stop()
    consumer.stop()


def test_only_selected_types_are_published_and_applied(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    source, target = EventBus(), EventBus()
    received = _collect(target)
    publisher = StreamPublisher(
        source, redis_url, prefix=prefix, event_types=["OrderAccepted", OrderFilled, Bar]
    ).start(background=False)
    consumer = StreamConsumer(target, redis_url, prefix=prefix, event_types=[OrderFilled])
    for event in _events():
        source.publish(event)
    publisher.flush()

    assert client.xlen(stream_key(prefix)) == 3  # TradingStateChanged was not selected
    assert consumer.poll() == 1
    assert received == [_events()[1]]
    assert consumer.stats.skipped == 2
    assert consumer.stats.acknowledged == 3
    assert client.xpending(stream_key(prefix), "guard")["pending"] == 0
    publisher.stop()
    consumer.stop()


def test_members_of_a_group_share_the_entries(redis_url: str, prefix: str) -> None:
    source = EventBus()
    publisher = StreamPublisher(source, redis_url, prefix=prefix).start(background=False)
    buses = [EventBus(), EventBus()]
    received = [_collect(bus) for bus in buses]
    consumers = [
        StreamConsumer(bus, redis_url, prefix=prefix, consumer=f"guard-{i}", batch_size=7)
        for i, bus in enumerate(buses)
    ]
    events = [order_filled(ts=i, fill_id=f"T-{i}") for i in range(50)]
    for event in events:
        source.publish(event)
    publisher.flush()

    while sum(consumer.poll() for consumer in consumers):
        pass

    assert len(received[0]) > 0 and len(received[1]) > 0
    assert sorted([*received[0], *received[1]], key=lambda e: e.ts) == events
    assert {e.ts for e in received[0]}.isdisjoint({e.ts for e in received[1]})
    publisher.stop()
    for consumer in consumers:
        consumer.stop()


def test_separate_groups_each_get_every_event(redis_url: str, prefix: str) -> None:
    source = EventBus()
    publisher = StreamPublisher(source, redis_url, prefix=prefix).start(background=False)
    guard, audit = EventBus(), EventBus()
    received = [_collect(guard), _collect(audit)]
    consumers = [
        StreamConsumer(guard, redis_url, prefix=prefix, group="guard"),
        StreamConsumer(audit, redis_url, prefix=prefix, group="audit", consumer="a-1"),
    ]
    for event in _events():
        source.publish(event)
    publisher.flush()
    assert [c.poll() for c in consumers] == [4, 4]
    assert received[0] == received[1] == _events()
    publisher.stop()
    for consumer in consumers:
        consumer.stop()


def test_clean_restart_resumes_after_the_last_acknowledged_entry(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    source = EventBus()
    publisher = StreamPublisher(source, redis_url, prefix=prefix).start(background=False)
    first_bus = EventBus()
    first = _collect(first_bus)
    consumer = StreamConsumer(first_bus, redis_url, prefix=prefix, batch_size=4)
    events = [order_filled(ts=i, fill_id=f"T-{i}") for i in range(10)]
    for event in events[:6]:
        source.publish(event)
    publisher.flush()
    assert consumer.poll() == 4
    assert consumer.poll() == 2
    last_acked = client.xinfo_groups(stream_key(prefix))[0]["last-delivered-id"]
    consumer.stop()

    for event in events[6:]:
        source.publish(event)
    publisher.flush()
    second_bus = EventBus()
    second = _collect(second_bus)
    restarted = StreamConsumer(second_bus, redis_url, prefix=prefix, batch_size=4)
    assert restarted.poll() == 4
    assert restarted.poll() == 0

    assert first == events[:6]
    assert second == events[6:]
    assert restarted.stats.duplicates == 0
    entries = _xrange(client, stream_key(prefix), f"({last_acked.decode()}")
    assert len(entries) == 4
    publisher.stop()
    restarted.stop()


def test_an_event_added_twice_is_applied_once(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    source, target = EventBus(), EventBus()
    received = _collect(target)
    publisher = StreamPublisher(source, redis_url, prefix=prefix).start(background=False)
    consumer = StreamConsumer(target, redis_url, prefix=prefix)
    source.publish(_events()[0])
    publisher.flush()
    ((_, fields),) = _xrange(client, stream_key(prefix))
    client.xadd(stream_key(prefix), fields)  # a publisher retry after a lost reply

    assert consumer.poll() == 1
    client.xadd(stream_key(prefix), fields)  # and again, in a later batch
    assert consumer.poll() == 0
    assert received == [_events()[0]]
    assert consumer.stats.duplicates == 2
    assert consumer.stats.acknowledged == 3
    publisher.stop()
    consumer.stop()


def test_a_restarted_publisher_with_the_same_origin_never_reuses_an_id(
    redis_url: str, prefix: str
) -> None:
    target = EventBus()
    received = _collect(target)
    consumer = StreamConsumer(target, redis_url, prefix=prefix)
    for ts in (1, 2):  # the same bot, restarted: its sequence starts again at 1
        source = EventBus()
        publisher = StreamPublisher(source, redis_url, prefix=prefix, origin="bot-1")
        publisher.start(background=False)
        source.publish(order_filled(ts=ts))
        publisher.stop()

    assert consumer.poll() == 2
    assert [e.ts for e in received] == [1, 2]
    assert consumer.stats.duplicates == 0
    consumer.stop()


def test_an_undecodable_entry_goes_to_the_dead_letter_stream(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    target = EventBus()
    received = _collect(target)
    consumer = StreamConsumer(target, redis_url, prefix=prefix)
    payloads = [
        encode_entry("x:1", "OrderFilled", 0, b"{oops"),
        encode_entry("x:2", "NoSuchEvent", 0, b"{}"),
        b"no tabs at all",
    ]
    for payload in payloads:
        client.xadd(stream_key(prefix), {"event": payload})
    client.xadd(stream_key(prefix), {"other": "field"})

    assert consumer.poll() == 0
    assert received == []
    assert consumer.stats.rejected == 4
    dead = _xrange(client, dead_letter_key(prefix))
    assert [fields[b"event"] for _, fields in dead] == [*payloads, b""]
    errors = [fields[b"error"].decode() for _, fields in dead]
    assert "malformed message JSON" in errors[0]
    assert "unknown message type 'NoSuchEvent'" in errors[1]
    assert errors[2:] == [
        "malformed bridge entry: b'no tabs at all'",
        "malformed bridge entry: b''",
    ]
    assert client.xpending(stream_key(prefix), "guard")["pending"] == 0
    consumer.stop()


def test_bridged_events_are_not_echoed_back_but_their_consequences_are(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    bus = EventBus()
    publisher = StreamPublisher(bus, redis_url, prefix=prefix, origin="guard").start(
        background=False
    )
    consumer = StreamConsumer(bus, redis_url, prefix=prefix)

    def react(event: OrderFilled) -> None:
        delivery = current_delivery()
        assert delivery is not None and delivery.event is event
        halted = TradingStateChanged(ts=event.ts, old=TradingState.ACTIVE, new=TradingState.HALTED)
        bus.publish(halted)

    bus.subscribe(OrderFilled, react)
    other = EventBus()
    remote = StreamPublisher(other, redis_url, prefix=prefix, origin="bot").start(background=False)
    other.publish(order_filled(ts=7))
    remote.flush()
    assert consumer.poll() == 1
    assert publisher.flush() == 1  # the guard's reaction, not the fill it received

    types = [fields[b"event"].split(b"\t")[1] for _, fields in _xrange(client, stream_key(prefix))]
    assert types == [b"OrderFilled", b"TradingStateChanged"]
    publisher.stop()
    remote.stop()
    consumer.stop()


def test_background_threads_deliver_on_the_bus_loop(redis_url: str, prefix: str) -> None:
    async def scenario() -> tuple[list[Message], set[int]]:
        loop = asyncio.get_running_loop()
        source, target = EventBus(), EventBus()
        threads: set[int] = set()
        received: list[Message] = []

        def on_event(event: Message) -> None:
            threads.add(threading.get_ident())
            received.append(event)

        target.subscribe("*", on_event)
        publisher = StreamPublisher(source, redis_url, prefix=prefix).start()
        consumer = StreamConsumer(target, redis_url, prefix=prefix).start(loop=loop)
        for event in _events():
            source.publish(event)
        for _ in range(500):
            if len(received) == 4:
                break
            await asyncio.sleep(0.01)
        await asyncio.to_thread(consumer.stop)
        publisher.stop()
        return received, threads

    received, threads = asyncio.run(scenario())
    assert received == _events()
    assert threads == {threading.main_thread().ident}


def test_status_shows_streams_groups_pending_and_lag(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    source = EventBus()
    publisher = StreamPublisher(source, redis_url, prefix=prefix).start(background=False)
    consumer = StreamConsumer(EventBus(), redis_url, prefix=prefix, batch_size=3)
    for i in range(5):
        source.publish(order_filled(ts=i))
    publisher.flush()
    consumer.poll()
    client.xreadgroup("guard", "stuck", {stream_key(prefix): ">"}, count=1)

    (status,) = bridge_status(client, prefix)
    assert status.stream == stream_key(prefix)
    assert status.length == 5
    (group,) = status.groups
    assert (group.name, group.pending, group.lag, group.seen) == ("guard", 1, 1, 3)
    assert group.consumers == ["guard-1", "stuck"]
    assert status.as_dict()["groups"][0]["pending"] == 1
    publisher.stop()
    consumer.stop()
