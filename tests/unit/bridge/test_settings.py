"""Bridge settings, checked before any connection: URLs, env variables, names, types."""

from __future__ import annotations

import pytest

from riskbus.bridge import BridgeConfig, BridgeConfigError, bridge_from_env
from riskbus.bridge.connection import check_name, redact, validate_url
from riskbus.bridge.envelope import resolve_types
from riskbus.core.bus import EventBus
from riskbus.core.messages import Event
from riskbus.model.events import OrderEvent, OrderFilled


def test_no_url_in_the_environment_keeps_the_bus_in_process() -> None:
    assert bridge_from_env({}) is None
    assert bridge_from_env({"RISKBUS_REDIS_URL": "  "}) is None


def test_the_url_and_prefix_come_from_the_environment() -> None:
    config = bridge_from_env(
        {"RISKBUS_REDIS_URL": "redis://h:6380/2", "RISKBUS_REDIS_PREFIX": "desk"}
    )
    assert config == BridgeConfig(url="redis://h:6380/2", prefix="desk")
    default = bridge_from_env({"RISKBUS_REDIS_URL": "rediss://h"})
    assert default == BridgeConfig(url="rediss://h", prefix="riskbus")


def test_a_bad_url_in_the_environment_names_the_variable_and_the_url() -> None:
    with pytest.raises(BridgeConfigError) as caught:
        bridge_from_env({"RISKBUS_REDIS_URL": "postgres://u:pw@h/db"})
    assert caught.value.field == "RISKBUS_REDIS_URL"
    assert "postgres://u:***@h/db" in str(caught.value)
    assert "pw@" not in str(caught.value)


def test_a_bad_prefix_in_the_environment_names_the_variable() -> None:
    with pytest.raises(BridgeConfigError, match="RISKBUS_REDIS_PREFIX"):
        bridge_from_env({"RISKBUS_REDIS_URL": "redis://h", "RISKBUS_REDIS_PREFIX": "a b"})


def test_config_builds_publishers_and_consumers_without_connecting() -> None:
    config = BridgeConfig(url="redis://127.0.0.1:1/0", prefix="desk")
    bus = EventBus()
    publisher = config.publisher(bus, ["OrderFilled"])
    consumer = config.consumer(bus, group="g", consumer="c", event_types=[OrderFilled])
    assert (publisher.stream, publisher.event_types) == ("desk:events", (OrderFilled,))
    assert (consumer.stream, consumer.group, consumer.consumer) == ("desk:events", "g", "c")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:secret@h:1/0", "redis://:***@h:1/0"),
        ("redis://user:secret@h/0", "redis://user:***@h/0"),
        ("redis://h:1/0", "redis://h:1/0"),
    ],
)
def test_passwords_are_redacted(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    "url", ["redis://localhost", "rediss://h:6380/1", "unix:///tmp/redis.sock?db=1"]
)
def test_valid_urls_pass(url: str) -> None:
    assert validate_url(url) == url


@pytest.mark.parametrize("name", ["", "a b", "a:b", "tab\there"])
def test_names_refuse_blanks_and_colons(name: str) -> None:
    with pytest.raises(BridgeConfigError, match="group"):
        check_name(name, "group")


def test_event_types_resolve_names_classes_and_bases() -> None:
    assert resolve_types(None) == (Event,)
    assert resolve_types("OrderFilled") == (OrderFilled,)
    assert resolve_types([Event, " OrderFilled "]) == (Event, OrderFilled)
    assert OrderFilled in resolve_types([OrderEvent])  # a union alias: its members


@pytest.mark.parametrize(
    ("value", "problem"), [([], "at least one"), ([42], "not a message type"), (["Nope"], "Nope")]
)
def test_bad_event_types_name_the_parameter(value: list[object], problem: str) -> None:
    with pytest.raises(BridgeConfigError, match=problem) as caught:
        resolve_types(value)  # type: ignore[arg-type]
    assert caught.value.field == "event_types"
