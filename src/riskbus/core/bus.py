"""The message bus: synchronous, run-to-completion, deterministic.

* ``subscribe(topic, handler)``: ``topic`` is a message class (its subclasses match too),
  a message name (``"OrderFilled"``) or ``"*"`` (everything, commands included).
* ``register(CommandType, handler)``: the one component that executes that command;
  ``send(command)`` reaches it first, then any observers subscribed to the command.
* ``publish(event)`` / ``send(command)`` while a handler runs only queue the message; the
  queue drains, in FIFO order, before the outermost call returns (run to completion).
* A handler that raises is isolated: the error is logged, a :class:`HandlerFailed` event
  is published and the other handlers still get the message.
* Interceptors see every message before it is queued and may pass it, change it, drop it
  (return None), add messages (return several) or delay it: ``bus.deliver_later(delay,
  message, after=self)`` reschedules it on the clock to re-enter the pipeline after the
  interceptor that delayed it. Chaos is built from interceptors.
* The bus keeps its own registry of who subscribes to, handles and publishes what
  (:meth:`EventBus.topology`); a message published while a handler of component C runs is
  attributed to C. The event-flow page draws that graph.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from riskbus.core.clock import Clock
from riskbus.core.errors import HandlerWiringError
from riskbus.core.messages import Command, HandlerFailed, Message

__all__ = ["EventBus", "Handler", "Interceptor", "Subscription", "Topology"]

log = logging.getLogger("riskbus.bus")

Handler = Callable[[Any], None]
Topic = type[Message] | str
_Route = tuple[Handler, str, set[type[Message]]]


class Interceptor(Protocol):
    """Sees each message before delivery; returns it, a replacement, several, or None."""

    def __call__(self, message: Message, bus: EventBus) -> Message | Iterable[Message] | None:
        """Return what should continue down the pipeline."""
        ...


@dataclass(frozen=True)
class Subscription:
    """One subscription; ``cancel()`` removes it."""

    bus: EventBus
    sequence: int
    topic: Topic
    handler: Handler
    component: str

    def cancel(self) -> None:
        """Remove this subscription (no-op if it is already gone)."""
        self.bus._unsubscribe(self)

    @property
    def topic_name(self) -> str:
        """The topic as a name: the class name, the message name or ``*``."""
        return self.topic if isinstance(self.topic, str) else self.topic.__name__


@dataclass
class Topology:
    """Who consumes, handles and publishes which messages, as seen by the bus."""

    consumes: list[tuple[str, str]] = field(default_factory=list)
    handles: list[tuple[str, str]] = field(default_factory=list)
    publishes: list[tuple[str, str]] = field(default_factory=list)

    def components(self) -> list[str]:
        """Every component name appearing in the graph, sorted."""
        names = {c for c, _ in self.consumes} | {c for c, _ in self.handles}
        names |= {c for c, _ in self.publishes}
        return sorted(names)


def component_name(handler: Handler) -> str:
    """Name a handler's component: its object's class for a bound method, else its name."""
    owner = getattr(handler, "__self__", None)
    if owner is not None:
        return type(owner).__name__
    return getattr(handler, "__qualname__", type(handler).__name__).split(".")[0]


#: The publisher of messages sent from outside any handler.
_EXTERNAL = "external"


class EventBus:
    """In-process message bus. See the module docstring for the contract.

    Args:
        clock: needed for delayed delivery and to stamp ``HandlerFailed`` events.
    """

    EXTERNAL = _EXTERNAL

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock
        self._subscriptions: list[Subscription] = []
        self._commands: dict[type[Command], tuple[Handler, str]] = {}
        self._routes: dict[type[Message], list[_Route]] = {}
        self._interceptors: list[Interceptor] = []
        self._queue: deque[Message] = deque()
        self._dispatching = False
        self._current = self.EXTERNAL
        # Who published what: one "seen" set per component keeps the hot path to one lookup.
        self._published: set[tuple[str, type[Message]]] = set()
        self._seen_by_component: dict[str, set[type[Message]]] = {}
        self._external_seen = self._seen_for(self.EXTERNAL)
        self._seen = self._external_seen
        self._sequence = 0
        self.published = 0
        self.failures = 0

    # -- wiring ------------------------------------------------------------------------

    def subscribe(
        self, topic: Topic, handler: Handler, *, component: str | None = None
    ) -> Subscription:
        """Call ``handler(message)`` for every message matching ``topic``."""
        if not isinstance(topic, str) and not (
            isinstance(topic, type) and issubclass(topic, Message)
        ):
            raise TypeError(f"topic must be a Message subclass or a name, got {topic!r}")
        self._sequence += 1
        sub = Subscription(
            self, self._sequence, topic, handler, component or component_name(handler)
        )
        self._subscriptions.append(sub)
        self._routes.clear()
        return sub

    def _unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
            self._routes.clear()

    def register(
        self, command_type: type[Command], handler: Handler, *, component: str | None = None
    ) -> None:
        """Make ``handler`` the one executor of ``command_type``.

        Raises:
            HandlerWiringError: another handler is already registered for that type.
        """
        if command_type in self._commands:
            owner = self._commands[command_type][1]
            raise HandlerWiringError(f"{command_type.__name__} is already handled by {owner}")
        self._commands[command_type] = (handler, component or component_name(handler))
        self._routes.clear()

    def unregister(self, command_type: type[Command]) -> None:
        """Remove the executor of ``command_type`` (no-op if none)."""
        self._commands.pop(command_type, None)
        self._routes.clear()

    def has_handler(self, command_type: type[Command]) -> bool:
        """Return whether some component executes ``command_type``."""
        return command_type in self._commands

    def add_interceptor(self, interceptor: Interceptor, *, first: bool = False) -> None:
        """Add an interceptor at the end of the pipeline (or at its head with ``first``)."""
        if first:
            self._interceptors.insert(0, interceptor)
        else:
            self._interceptors.append(interceptor)

    def remove_interceptor(self, interceptor: Interceptor) -> None:
        """Remove an interceptor (no-op if absent)."""
        if interceptor in self._interceptors:
            self._interceptors.remove(interceptor)

    # -- sending -----------------------------------------------------------------------

    def publish(self, message: Message) -> None:
        """Deliver an event (or any message) to its subscribers, run to completion."""
        message_type = type(message)
        seen = self._seen
        if message_type not in seen:
            seen.add(message_type)
            self._published.add((self._current, message_type))
        self.published += 1
        if self._interceptors:
            self._queue.extend(self._pipeline(message, 0))
        elif self._dispatching:
            self._queue.append(message)
            return
        else:
            # Fast path: nothing is running, deliver at once, then drain what it queued.
            self._dispatching = True
            try:
                handlers = self._routes.get(message_type)
                if handlers is None:
                    handlers = self._resolve(message_type)
                for handler, component, seen in handlers:
                    self._current = component
                    self._seen = seen
                    try:
                        handler(message)
                    except Exception as error:  # isolation: one handler never breaks others
                        self._handler_failed(handler, component, message, error)
            finally:
                self._current = _EXTERNAL
                self._seen = self._external_seen
                self._dispatching = False
            if not self._queue:
                return
        if not self._dispatching:
            self._drain()

    def send(self, command: Command) -> None:
        """Deliver a command to its registered executor (then to observers).

        Raises:
            HandlerWiringError: no component executes this command type.
        """
        if type(command) not in self._commands:
            raise HandlerWiringError(f"no handler registered for {type(command).__name__}")
        self.publish(command)

    def deliver_later(
        self, delay: int, message: Message, *, after: Interceptor | None = None
    ) -> None:
        """Re-inject ``message`` after ``delay`` ns, past the interceptor ``after``."""
        if self.clock is None:
            raise HandlerWiringError("delayed delivery needs a bus created with a clock")

        def redeliver() -> None:
            start = 0
            if after is not None and after in self._interceptors:
                start = self._interceptors.index(after) + 1
            self._queue.extend(self._pipeline(message, start))
            if not self._dispatching:
                self._drain()

        self.clock.call_later(delay, redeliver)

    # -- dispatch ----------------------------------------------------------------------

    def _pipeline(self, message: Message, start: int) -> list[Message]:
        current = [message]
        interceptors = self._interceptors
        for index in range(start, len(interceptors)):
            interceptor = interceptors[index]
            following: list[Message] = []
            for item in current:
                result = interceptor(item, self)
                if result is None:
                    continue
                if isinstance(result, Message):
                    following.append(result)
                else:
                    following.extend(result)
            current = following
            if not current:
                break
        return current

    def _drain(self) -> None:
        self._dispatching = True
        queue = self._queue
        routes = self._routes
        try:
            while queue:
                message = queue.popleft()
                handlers = routes.get(type(message))
                if handlers is None:
                    handlers = self._resolve(type(message))
                for handler, component, seen in handlers:
                    self._current = component
                    self._seen = seen
                    try:
                        handler(message)
                    except Exception as error:  # isolation: one handler never breaks others
                        self._handler_failed(handler, component, message, error)
        finally:
            self._current = self.EXTERNAL
            self._seen = self._external_seen
            self._dispatching = False

    def _seen_for(self, component: str) -> set[type[Message]]:
        seen = self._seen_by_component.get(component)
        if seen is None:
            seen = self._seen_by_component[component] = set()
        return seen

    def _resolve(self, message_type: type[Message]) -> list[_Route]:
        mro = set(message_type.__mro__)
        name = message_type.__name__
        handlers: list[_Route] = []
        executor = self._commands.get(message_type)  # type: ignore[arg-type]
        if executor is not None:
            handlers.append((executor[0], executor[1], self._seen_for(executor[1])))
        for sub in self._subscriptions:
            topic = sub.topic
            if topic in ("*", name) or (not isinstance(topic, str) and topic in mro):
                handlers.append((sub.handler, sub.component, self._seen_for(sub.component)))
        self._routes[message_type] = handlers
        return handlers

    def _handler_failed(
        self, handler: Handler, component: str, message: Message, error: Exception
    ) -> None:
        self.failures += 1
        handler_name = getattr(handler, "__qualname__", repr(handler))
        log.error(
            "handler %s failed on %s: %s",
            handler_name,
            type(message).__name__,
            error,
            exc_info=error,
        )
        if isinstance(message, HandlerFailed):
            return  # never loop on failures of failure handlers
        ts = self.clock.now() if self.clock is not None else message.ts
        self._queue.append(
            HandlerFailed(
                ts=ts,
                handler=f"{component}.{handler_name}" if "." not in handler_name else handler_name,
                message_name=type(message).__name__,
                error_type=type(error).__name__,
                error=str(error),
            )
        )

    # -- introspection -----------------------------------------------------------------

    def topology(self) -> Topology:
        """Return the graph of components and messages known to this bus, sorted."""
        consumes = sorted({(s.component, s.topic_name) for s in self._subscriptions})
        handles = sorted((c, t.__name__) for t, (_, c) in self._commands.items())
        publishes = sorted({(c, t.__name__) for (c, t) in self._published})
        return Topology(consumes=consumes, handles=handles, publishes=publishes)
