"""Market time of the exchange server: the wall clock times a speed factor, or stepped.

The market starts at the first step of the price paths. With ``speed`` N one wall second
moves the market N virtual seconds (``speed=0``: the market moves only when stepped);
:meth:`MarketClock.advance` moves it on by hand (``POST /_chaos/step`` in tests). The
server's *own* clock (``/api/v3/time``, the ``recvWindow`` check) stays the wall clock,
as on the real venue; market data, order and trade times are market time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from riskbus.core.clock import Clock, TimerHandle
from riskbus.core.errors import InvalidValueError, OperationalError

__all__ = ["MarketClock", "MarketTimeClock"]

_NS = 1_000_000_000


class MarketClock:
    """Virtual market time in ns.

    Args:
        start: the market time at start (ns since the epoch).
        speed: virtual seconds per wall second (0: stepped only).
        monotonic: the wall clock in seconds (injectable for tests).
    """

    def __init__(
        self, start: int, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if speed < 0:
            raise InvalidValueError.for_value("speed", speed, "must be >= 0")
        self.start = start
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = 0

    def now(self) -> int:
        """Return the market time (ns)."""
        elapsed = 0
        if self.speed:
            elapsed = int((self._monotonic() - self._origin) * self.speed * _NS)
        return self.start + self._offset + elapsed

    def elapsed_seconds(self) -> float:
        """Return the market seconds since the start."""
        return (self.now() - self.start) / _NS

    def advance(self, nanoseconds: int) -> None:
        """Move the market on by ``nanoseconds`` (>= 0)."""
        if nanoseconds < 0:
            raise InvalidValueError.for_value("seconds", nanoseconds / _NS, "must be >= 0")
        self._offset += nanoseconds


class MarketTimeClock(Clock):
    """The :class:`~riskbus.core.clock.Clock` the simulated venue stamps its events with.

    The server runs the venue without latency, so nothing is ever scheduled on it.
    """

    def __init__(self, market: MarketClock) -> None:
        super().__init__()
        self._market = market

    def now(self) -> int:
        return self._market.now()

    def _schedule(self, handle: TimerHandle) -> None:
        raise OperationalError("the exchange server's venue runs without timers (no latency)")
