"""Bridge failures: unreachable Redis, bad URLs, a commit whose reply was an error."""

from __future__ import annotations

import socket

import pytest
import redis

from riskbus.bridge import (
    BridgeConfigError,
    BridgeUnavailableError,
    StreamConsumer,
    StreamPublisher,
    bridge_status,
    current_delivery,
    stream_key,
)
from riskbus.core.bus import EventBus
from riskbus.core.errors import BadInputError, OperationalError, TransientError
from riskbus.model.events import OrderFilled
from tests.stubs import order_filled


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_unreachable_redis_is_a_transient_error_naming_the_url_without_password() -> None:
    url = f"redis://:hunter2@127.0.0.1:{_closed_port()}/0"
    with pytest.raises(BridgeUnavailableError) as caught:
        StreamPublisher(EventBus(), url).start()
    message = str(caught.value)
    assert isinstance(caught.value, TransientError)
    assert "127.0.0.1" in message and ":***@" in message and "hunter2" not in message
    with pytest.raises(BridgeUnavailableError, match="unavailable"):
        StreamConsumer(EventBus(), url).poll()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:6379", "scheme must be one of"),
        ("redis://127.0.0.1:99999/0", "invalid Redis URL"),
        ("redis://127.0.0.1:6379/notadb", "invalid Redis URL"),
        ("", "empty"),
    ],
)
def test_a_malformed_url_is_refused_before_connecting(url: str, problem: str) -> None:
    with pytest.raises(BridgeConfigError, match=problem) as caught:
        StreamConsumer(EventBus(), url)
    assert isinstance(caught.value, BadInputError) and isinstance(caught.value, OperationalError)
    assert caught.value.field == "url"


def test_unknown_event_type_names_the_parameter(redis_url: str) -> None:
    with pytest.raises(BridgeConfigError, match=r"OrderFiled.*did you mean OrderFilled"):
        StreamPublisher(EventBus(), redis_url, event_types=["OrderFiled"])


def test_an_error_reply_after_exec_is_not_committed_twice(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    bus = EventBus()
    calls: list[str] = []
    client.rpush(f"{prefix}:a-list", "x")

    def apply(event: OrderFilled) -> None:
        delivery = current_delivery()
        assert delivery is not None
        calls.append(delivery.event_id)
        delivery.pipeline.rpush(f"{prefix}:applied", delivery.event_id)
        if len(calls) == 1:
            delivery.pipeline.incr(f"{prefix}:a-list")  # fails inside EXEC: WRONGTYPE

    bus.subscribe(OrderFilled, apply)
    publisher_bus = EventBus()
    publisher = StreamPublisher(publisher_bus, redis_url, prefix=prefix, origin="p").start(
        background=False
    )
    publisher_bus.publish(order_filled())
    publisher.flush()
    consumer = StreamConsumer(bus, redis_url, prefix=prefix)

    with pytest.raises(BridgeUnavailableError, match="WRONGTYPE"):
        consumer.poll()
    assert consumer.poll() == 0  # the next poll settles the batch: EXEC had run

    event_id = f"p:{publisher.session}:1"
    assert calls == [event_id]
    assert client.lrange(f"{prefix}:applied", 0, -1) == [event_id.encode()]
    assert client.xpending(stream_key(prefix), "guard")["pending"] == 0
    publisher.stop()
    consumer.stop()


def test_status_of_an_unreachable_redis_names_it() -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    broken = redis.Redis.from_url(url, socket_connect_timeout=1)
    with pytest.raises(BridgeUnavailableError, match=f"Redis at {url}"):
        bridge_status(broken, "riskbus", url)
