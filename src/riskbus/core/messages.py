"""Base classes of every message on the bus, and the registry of message types.

Events (past tense) and commands (imperative) are frozen, keyword-only ``msgspec.Struct``
subclasses of :class:`Event` and :class:`Command`. Every concrete subclass registers itself
by class name when it is defined, so that a recording can be decoded back into typed
objects and so that tools (the event-flow page) can list what exists. Names are unique.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

__all__ = [
    "Command",
    "Event",
    "HandlerFailed",
    "Message",
    "message_type",
    "message_types",
]

_REGISTRY: dict[str, type[Message]] = {}


class Message(msgspec.Struct, frozen=True, kw_only=True, tag=True, gc=False):
    """Anything sent on the bus. ``ts`` is nanoseconds since the epoch, from the Clock.

    Messages are not tracked by the garbage collector (``gc=False``, inherited by every
    subclass): they are frozen and hold only scalars, Decimals, enums and tuples of other
    messages, so they can never be part of a reference cycle, and tracking them made the
    collector run over every event a simulation keeps (a fifth of the simulated venue's
    submit → fill time). ``tests/unit/core/test_messages.py`` checks no message type
    declares a mutable field that could close a cycle.
    """

    ts: int

    #: Set on abstract bases so they are not registered as concrete message types.
    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        cls.abstract = False
        name = cls.__name__
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not cls:
            raise TypeError(
                f"message type name {name!r} is already used by "
                f"{existing.__module__}.{existing.__qualname__}"
            )
        _REGISTRY[name] = cls

    @property
    def name(self) -> str:
        """The message type's name, as used in subscriptions and recordings."""
        return type(self).__name__


class Event(Message, frozen=True, kw_only=True):
    """Something that happened. Named in the past tense (``OrderFilled``)."""

    abstract: ClassVar[bool] = True


class Command(Message, frozen=True, kw_only=True):
    """A request for one component to act. Named in the imperative (``SubmitOrder``)."""

    abstract: ClassVar[bool] = True


class HandlerFailed(Event, frozen=True, kw_only=True):
    """A bus handler raised while handling ``message_name``; the others still ran."""

    handler: str
    message_name: str
    error_type: str
    error: str


def message_type(name: str) -> type[Message]:
    """Return the registered message class called ``name``.

    Raises:
        KeyError: no message type has that name; the message lists close matches.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown message type {name!r}{hint}") from None


def message_types() -> dict[str, type[Message]]:
    """Return every registered message type by name (a copy, sorted by name)."""
    return dict(sorted(_REGISTRY.items()))
