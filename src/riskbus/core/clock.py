"""Time for every component: the ``Clock`` contract, virtual time and live time.

Domain code never reads the wall clock: it asks the injected :class:`Clock` for ``now()``
(nanoseconds since the epoch) and sets named timers and alarms on it. In a scenario the
clock is a :class:`VirtualClock` driven by the :class:`Simulator`, which pops
``(time, sequence, item)`` entries from one heap, so an hour of virtual time takes
milliseconds and two runs with the same inputs fire in the same order. Live runs use a
:class:`LiveClock` on the asyncio loop; timers, alarms and cancellation behave the same.

Callbacks take no arguments; a callback that needs the time calls ``clock.now()``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = [
    "DAY",
    "HOUR",
    "MILLISECOND",
    "MINUTE",
    "SECOND",
    "Callback",
    "Clock",
    "LiveClock",
    "Simulator",
    "TimerHandle",
    "VirtualClock",
    "from_datetime",
    "seconds",
    "to_datetime",
]

Callback = Callable[[], None]

MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def seconds(value: float) -> int:
    """Convert seconds to integer nanoseconds."""
    return round(value * SECOND)


def to_datetime(ts: int) -> datetime:
    """Convert nanoseconds since the epoch to an aware UTC ``datetime``."""
    return datetime.fromtimestamp(ts / SECOND, tz=UTC)


def from_datetime(moment: datetime) -> int:
    """Convert an aware ``datetime`` to nanoseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds * 1_000


class TimerHandle:
    """A scheduled callback; ``cancel()`` stops it from firing (again)."""

    __slots__ = ("callback", "cancelled", "interval", "name", "stop", "when")

    def __init__(
        self,
        name: str | None,
        when: int,
        callback: Callback,
        interval: int = 0,
        stop: int | None = None,
    ) -> None:
        self.name = name
        self.when = when
        self.callback = callback
        self.interval = interval
        self.stop = stop
        self.cancelled = False

    def cancel(self) -> None:
        """Stop this timer or alarm; safe to call more than once."""
        self.cancelled = True

    def __repr__(self) -> str:
        return f"TimerHandle(name={self.name!r}, when={self.when}, interval={self.interval})"


class Clock(ABC):
    """Where components get the time and schedule work. All times are ns since the epoch."""

    def __init__(self) -> None:
        self._named: dict[str, TimerHandle] = {}

    @abstractmethod
    def now(self) -> int:
        """Return the current time in nanoseconds since the epoch."""

    @abstractmethod
    def _schedule(self, handle: TimerHandle) -> None:
        """Arrange for ``handle`` to fire at ``handle.when``."""

    def set_timer(
        self,
        name: str,
        interval: int,
        callback: Callback,
        *,
        start: int | None = None,
        stop: int | None = None,
    ) -> TimerHandle:
        """Call ``callback`` every ``interval`` ns, first at ``start`` (default now+interval).

        Raises:
            ValueError: the interval is not positive or the name is already in use.
        """
        if interval <= 0:
            raise ValueError(f"timer {name!r}: interval must be positive, got {interval}")
        first = self.now() + interval if start is None else start
        return self._add(TimerHandle(name, first, callback, interval, stop))

    def set_alarm(self, name: str, at: int, callback: Callback) -> TimerHandle:
        """Call ``callback`` once at time ``at`` (at once, in order, if ``at`` is past)."""
        return self._add(TimerHandle(name, max(at, self.now()), callback))

    def call_later(self, delay: int, callback: Callback) -> TimerHandle:
        """Call ``callback`` once after ``delay`` ns; anonymous (cancel via the handle)."""
        handle = TimerHandle(None, self.now() + max(delay, 0), callback)
        self._schedule(handle)
        return handle

    def cancel(self, name: str) -> bool:
        """Cancel the timer or alarm called ``name``; return whether one was pending."""
        handle = self._named.pop(name, None)
        if handle is None:
            return False
        handle.cancel()
        return True

    def has_timer(self, name: str) -> bool:
        """Return whether a timer or alarm called ``name`` is pending."""
        return name in self._named

    def timer_names(self) -> list[str]:
        """Return the names of pending timers and alarms, sorted."""
        return sorted(self._named)

    def next_fire(self, name: str) -> int | None:
        """Return when the named timer or alarm fires next, or None if none is pending."""
        handle = self._named.get(name)
        return None if handle is None else handle.when

    def _add(self, handle: TimerHandle) -> TimerHandle:
        assert handle.name is not None
        if handle.name in self._named:
            raise ValueError(f"a timer or alarm named {handle.name!r} is already set")
        self._named[handle.name] = handle
        self._schedule(handle)
        return handle

    def _fired(self, handle: TimerHandle) -> bool:
        """Bookkeeping when ``handle`` fires; return whether it fires again later."""
        if handle.interval:
            next_when = handle.when + handle.interval
            if handle.stop is None or next_when <= handle.stop:
                handle.when = next_when
                return True
        if handle.name is not None and self._named.get(handle.name) is handle:
            del self._named[handle.name]
        return False


class VirtualClock(Clock):
    """A clock whose time moves only when its :class:`Simulator` pops the next item."""

    def __init__(self, simulator: Simulator, start: int) -> None:
        super().__init__()
        self._simulator = simulator
        self._now = start

    def now(self) -> int:
        return self._now

    def _schedule(self, handle: TimerHandle) -> None:
        self._simulator._push(handle)


class Simulator:
    """Runs virtual time: a heap of ``(time, sequence, handle)`` popped in order.

    Args:
        start: the initial virtual time in ns since the epoch (default 2024-01-01 UTC).

    Items scheduled for the same time fire in the order they were scheduled. Timers,
    alarms, delayed bus messages, exchange latency and market data are all heap items.
    """

    DEFAULT_START = 1_704_067_200 * SECOND  # 2024-01-01T00:00:00Z

    def __init__(self, start: int = DEFAULT_START) -> None:
        self._heap: list[tuple[int, int, TimerHandle]] = []
        self._sequence = itertools.count()
        self.clock = VirtualClock(self, start)
        self.fired = 0

    def now(self) -> int:
        """Return the current virtual time."""
        return self.clock._now

    @property
    def pending(self) -> int:
        """Number of heap items not yet popped (cancelled ones included until popped)."""
        return len(self._heap)

    def next_time(self) -> int | None:
        """Return the time of the next live item, or None when nothing is pending."""
        heap = self._heap
        while heap and heap[0][2].cancelled:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def schedule(self, at: int, callback: Callback) -> TimerHandle:
        """Run ``callback`` at virtual time ``at`` (not before now)."""
        handle = TimerHandle(None, max(at, self.clock._now), callback)
        self._push(handle)
        return handle

    def _push(self, handle: TimerHandle) -> None:
        heapq.heappush(self._heap, (handle.when, next(self._sequence), handle))

    def _pop_until(self, deadline: int, predicate: Callable[[], bool] | None) -> bool:
        heap = self._heap
        pop = heapq.heappop
        push = heapq.heappush
        sequence = self._sequence
        clock = self.clock
        while heap and heap[0][0] <= deadline:
            when, _, handle = pop(heap)
            if handle.cancelled:
                continue
            clock._now = when
            if clock._fired(handle):
                push(heap, (handle.when, next(sequence), handle))
            self.fired += 1
            handle.callback()
            if predicate is not None and predicate():
                return True
        return False

    def run_until(self, until: int | Callable[[], bool], timeout: int | None = None) -> bool:
        """Run to a time, or until a predicate holds.

        ``run_until(t)`` fires every item due at or before ``t`` and leaves the clock at
        ``t``; it returns True. ``run_until(predicate, timeout)`` fires items until
        ``predicate()`` is true (checked first, then after each item) and returns True, or
        returns False with the clock at now+timeout when the deadline passes first.
        """
        if callable(until):
            if until():
                return True
            if timeout is None:
                raise ValueError("run_until(predicate) needs a timeout")
            deadline = self.clock._now + timeout
            if self._pop_until(deadline, until):
                return True
            self.clock._now = max(self.clock._now, deadline)
            return False
        if until < self.clock._now:
            raise ValueError(f"cannot run back in time to {until} (now {self.clock._now})")
        self._pop_until(until, None)
        self.clock._now = until
        return True

    def run_for(self, duration: int) -> None:
        """Run ``duration`` ns of virtual time."""
        self.run_until(self.clock._now + duration)

    def run(self, limit: int | None = None) -> int:
        """Fire items until the heap is empty (or ``limit`` items fired); return the count.

        A repeating timer never empties the heap: pass ``limit`` or use ``run_until``.
        """
        fired_before = self.fired
        heap = self._heap
        while heap and (limit is None or self.fired - fired_before < limit):
            self._pop_until(heap[0][0], None)
            # _pop_until fires everything due at that instant; stop when over the limit
        return self.fired - fired_before


class LiveClock(Clock):
    """Wall-clock time; timers run as callbacks on the asyncio event loop.

    Args:
        loop: the loop to schedule on (default: the running loop at first use).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__()
        self._loop = loop
        self._handles: dict[int, asyncio.TimerHandle] = {}

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The asyncio loop the timers run on."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> int:
        return time.time_ns()  # wall-clock ok: this is the live clock

    def _schedule(self, handle: TimerHandle) -> None:
        delay = max(handle.when - time.time_ns(), 0) / SECOND  # wall-clock ok
        key = id(handle)
        self._handles[key] = self.loop.call_later(delay, self._fire, handle)

    def _fire(self, handle: TimerHandle) -> None:
        self._handles.pop(id(handle), None)
        if handle.cancelled:
            return
        if self._fired(handle):
            self._schedule(handle)
        handle.callback()

    def cancel(self, name: str) -> bool:
        handle = self._named.get(name)
        if handle is not None:
            pending = self._handles.pop(id(handle), None)
            if pending is not None:
                pending.cancel()
        return super().cancel(name)
