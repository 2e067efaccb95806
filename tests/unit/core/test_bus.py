from __future__ import annotations

import logging

import pytest

from riskbus.core.bus import EventBus, component_name
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.errors import HandlerWiringError
from riskbus.core.messages import Command, Event, HandlerFailed, Message


class Pinged(Event, frozen=True, kw_only=True):
    n: int = 0


class Ponged(Event, frozen=True, kw_only=True):
    n: int = 0


class DoThing(Command, frozen=True, kw_only=True):
    what: str = "x"


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def on_any(self, message: Message) -> None:
        self.seen.append((message.name, getattr(message, "n", -1)))


def test_subscribe_by_type_name_and_star_in_subscription_order() -> None:
    bus = EventBus()
    calls: list[str] = []
    bus.subscribe("*", lambda m: calls.append("star"))
    bus.subscribe(Pinged, lambda m: calls.append("type"))
    bus.subscribe("Pinged", lambda m: calls.append("name"))
    bus.subscribe(Event, lambda m: calls.append("base"))
    bus.subscribe(Ponged, lambda m: calls.append("other"))
    bus.publish(Pinged(ts=1))
    assert calls == ["star", "type", "name", "base"]


def test_run_to_completion_queues_nested_publishes_in_fifo_order() -> None:
    bus = EventBus()
    order: list[str] = []

    def on_ping(m: Pinged) -> None:
        order.append(f"ping{m.n}:start")
        if m.n == 0:
            bus.publish(Ponged(ts=1, n=1))
            bus.publish(Ponged(ts=1, n=2))
        order.append(f"ping{m.n}:end")

    bus.subscribe(Pinged, on_ping)
    bus.subscribe(Ponged, lambda m: order.append(f"pong{m.n}"))
    bus.publish(Pinged(ts=1, n=0))
    assert order == ["ping0:start", "ping0:end", "pong1", "pong2"]
    assert bus.published == 3


def test_failing_handler_is_isolated_logged_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    got: list[int] = []
    failures: list[HandlerFailed] = []

    def boom(m: Pinged) -> None:
        raise RuntimeError("kaput")

    bus.subscribe(Pinged, boom)
    bus.subscribe(Pinged, lambda m: got.append(m.n))
    bus.subscribe(HandlerFailed, failures.append)
    with caplog.at_level(logging.ERROR, logger="riskbus.bus"):
        bus.publish(Pinged(ts=5, n=7))
    assert got == [7]
    assert len(failures) == 1
    assert failures[0].message_name == "Pinged"
    assert failures[0].error_type == "RuntimeError"
    assert failures[0].error == "kaput"
    assert failures[0].ts == 5
    assert "kaput" in caplog.text
    assert bus.failures == 1


def test_failure_of_a_handlerfailed_handler_does_not_loop() -> None:
    bus = EventBus()

    def boom(m: Message) -> None:
        raise ValueError("again")

    bus.subscribe("*", boom)
    bus.publish(Pinged(ts=1))
    # Pinged fails -> HandlerFailed published -> its handler fails -> not republished
    assert bus.failures == 2


def test_command_goes_to_its_one_handler_then_observers() -> None:
    bus = EventBus()
    order: list[str] = []
    bus.subscribe("*", lambda m: order.append("observer"))
    bus.register(DoThing, lambda c: order.append(f"exec:{c.what}"))
    bus.send(DoThing(ts=1, what="go"))
    assert order == ["exec:go", "observer"]
    assert bus.has_handler(DoThing)


def test_command_without_handler_and_double_registration_are_wiring_errors() -> None:
    bus = EventBus()
    with pytest.raises(HandlerWiringError, match="no handler registered for DoThing"):
        bus.send(DoThing(ts=1))
    bus.register(DoThing, lambda c: None, component="Exec")
    with pytest.raises(HandlerWiringError, match="already handled by Exec"):
        bus.register(DoThing, lambda c: None)
    bus.unregister(DoThing)
    assert not bus.has_handler(DoThing)


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    got: list[int] = []
    sub = bus.subscribe(Pinged, lambda m: got.append(m.n))
    bus.publish(Pinged(ts=1, n=1))
    sub.cancel()
    sub.cancel()
    bus.publish(Pinged(ts=1, n=2))
    assert got == [1]


def test_subscribe_rejects_a_non_message_topic() -> None:
    with pytest.raises(TypeError, match="topic must be"):
        EventBus().subscribe(int, lambda m: None)  # type: ignore[arg-type]


def test_interceptors_pass_change_drop_and_add() -> None:
    bus = EventBus()
    rec = Recorder()
    bus.subscribe("*", rec.on_any)

    def interceptor(message: Message, b: EventBus) -> Message | list[Message] | None:
        if isinstance(message, Pinged):
            if message.n == 1:
                return None  # drop
            if message.n == 2:
                return Pinged(ts=message.ts, n=20)  # change
            if message.n == 3:
                return [message, Ponged(ts=message.ts, n=30)]  # add
        return message  # pass

    bus.add_interceptor(interceptor)
    for n in range(4):
        bus.publish(Pinged(ts=1, n=n))
    assert rec.seen == [("Pinged", 0), ("Pinged", 20), ("Pinged", 3), ("Ponged", 30)]
    bus.remove_interceptor(interceptor)
    bus.publish(Pinged(ts=1, n=1))
    assert rec.seen[-1] == ("Pinged", 1)


def test_delay_reschedules_on_the_clock_past_the_delaying_interceptor() -> None:
    sim = Simulator()
    bus = EventBus(sim.clock)
    arrivals: list[tuple[int, int]] = []
    later_seen: list[int] = []
    bus.subscribe(Pinged, lambda m: arrivals.append((m.n, sim.now())))

    def delayer(message: Message, b: EventBus) -> Message | None:
        if isinstance(message, Pinged) and message.n == 1:
            b.deliver_later(2 * SECOND, message, after=delayer)
            return None
        return message

    def after(message: Message, b: EventBus) -> Message:
        later_seen.append(getattr(message, "n", -1))
        return message

    bus.add_interceptor(delayer)
    bus.add_interceptor(after)
    start = sim.now()
    bus.publish(Pinged(ts=start, n=1))
    bus.publish(Pinged(ts=start, n=2))
    assert arrivals == [(2, start)]
    sim.run_for(3 * SECOND)
    assert arrivals == [(2, start), (1, start + 2 * SECOND)]
    assert later_seen == [2, 1]  # the delayed message still went through "after", once


def test_deliver_later_needs_a_clock() -> None:
    with pytest.raises(HandlerWiringError, match="needs a bus created with a clock"):
        EventBus().deliver_later(1, Pinged(ts=1))


def test_interceptor_can_be_put_first() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.add_interceptor(lambda m, b: seen.append("second") or m)
    bus.add_interceptor(lambda m, b: seen.append("first") or m, first=True)
    bus.publish(Pinged(ts=1))
    assert seen == ["first", "second"]


class Pinger:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        bus.subscribe(Pinged, self.on_pinged)

    def on_pinged(self, m: Pinged) -> None:
        self.bus.publish(Ponged(ts=m.ts, n=m.n))


def test_topology_records_consumers_handlers_and_publishers() -> None:
    bus = EventBus()
    Pinger(bus)
    bus.register(DoThing, lambda c: None, component="Executor")
    bus.publish(Pinged(ts=1))
    topo = bus.topology()
    assert ("Pinger", "Pinged") in topo.consumes
    assert ("Executor", "DoThing") in topo.handles
    assert ("Pinger", "Ponged") in topo.publishes
    assert (EventBus.EXTERNAL, "Pinged") in topo.publishes
    assert topo.components() == ["Executor", "Pinger", "external"]


def test_component_name_of_functions_and_methods() -> None:
    def free(m: Message) -> None:
        return None

    assert component_name(free) == "test_component_name_of_functions_and_methods"
    assert component_name(Recorder().on_any) == "Recorder"
