"""Fault hooks of the simulated exchange: what a real venue does on a bad day.

Each hook is armed by a method on :class:`Faults` and consulted by the exchange on every
call. Reason codes: ``REJECTED_BY_VENUE`` (reject-next), ``VENUE_UNAVAILABLE`` (outage)
and ``RATE_LIMITED`` (rate limit).
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from riskbus.core.clock import Clock
from riskbus.core.errors import InvalidValueError

__all__ = ["Faults"]


class Faults:
    """The armed faults of one simulated venue.

    Args:
        clock: the clock outage windows and rate-limit windows are measured on.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._reject_next = 0
        self._lose_acks = 0
        self._outages: list[tuple[int, int]] = []
        self._stale_from: int | None = None
        self._gap = Decimal(0)
        self._rate_limit: tuple[int, int] | None = None
        self._calls: deque[int] = deque()
        #: Whether any fault can change a call's outcome (the fast path skips them all).
        self.active = False

    @property
    def gap(self) -> Decimal:
        """The cumulative price shift in percent (0 when prices are not gapped)."""
        return self._gap

    @gap.setter
    def gap(self, percent: Decimal) -> None:
        self._gap = Decimal(percent)
        self._refresh()

    def reject_next(self, count: int = 1) -> None:
        """Reject the next ``count`` orders with ``REJECTED_BY_VENUE``."""
        self._reject_next += _non_negative("count", count)
        self._refresh()

    def outage(self, start: int, end: int) -> None:
        """Fail every call whose time is in ``[start, end)`` (ns)."""
        if end <= start:
            raise InvalidValueError.for_value("end", end, f"must be after start {start}")
        self._outages.append((start, end))
        self._refresh()

    def lose_next_ack(self, count: int = 1) -> None:
        """Place the next ``count`` orders but answer ``OrderStatusUnknown``."""
        self._lose_acks += _non_negative("count", count)
        self._refresh()

    def stale_prices(self, step: int) -> None:
        """Freeze the quoted price at market step ``step`` (until :meth:`fresh_prices`)."""
        self._stale_from = _non_negative("step", step)
        self._refresh()

    def fresh_prices(self) -> None:
        """Let prices update again."""
        self._stale_from = None
        self._refresh()

    def price_gap(self, percent: Decimal | int | str) -> None:
        """Shift every later price by ``percent`` % (negative for a gap down; cumulative)."""
        gap = self._gap + Decimal(percent)
        if gap <= -100:
            raise InvalidValueError.for_value("percent", percent, "would make prices <= 0")
        self.gap = gap

    def rate_limit(self, calls: int, window: int) -> None:
        """Allow ``calls`` calls per ``window`` ns; refuse the rest with ``RATE_LIMITED``."""
        if calls < 1 or window < 1:
            raise InvalidValueError.for_value("rate_limit", (calls, window), "must be >= 1")
        self._rate_limit = (calls, window)
        self._calls.clear()
        self._refresh()

    def clear_rejects(self) -> None:
        """Disarm the rejections :meth:`reject_next` armed and not used yet."""
        self._reject_next = 0
        self._refresh()

    def clear_lost_acks(self) -> None:
        """Disarm the lost acknowledgements :meth:`lose_next_ack` armed and not used yet."""
        self._lose_acks = 0
        self._refresh()

    def clear_rate_limit(self) -> None:
        """Remove the rate limit."""
        self._rate_limit = None
        self._calls.clear()
        self._refresh()

    def clear(self) -> None:
        """Disarm every fault."""
        self._reject_next = self._lose_acks = 0
        self._outages.clear()
        self._stale_from = None
        self._gap = Decimal(0)
        self._rate_limit = None
        self._calls.clear()
        self._refresh()

    # -- consulted by the exchange --------------------------------------------------------

    def in_outage(self) -> bool:
        """Whether the venue is down now."""
        now = self._clock.now()
        return any(start <= now < end for start, end in self._outages)

    def take_rate_slot(self) -> bool:
        """Count one call; return False when it is over the rate limit."""
        if self._rate_limit is None:
            return True
        calls, window = self._rate_limit
        now = self._clock.now()
        while self._calls and self._calls[0] <= now - window:
            self._calls.popleft()
        if len(self._calls) >= calls:
            return False
        self._calls.append(now)
        return True

    def take_reject(self) -> bool:
        """Consume one armed rejection; return whether there was one."""
        if self._reject_next:
            self._reject_next -= 1
            self._refresh()
            return True
        return False

    def take_lost_ack(self) -> bool:
        """Consume one armed lost acknowledgement; return whether there was one."""
        if self._lose_acks:
            self._lose_acks -= 1
            self._refresh()
            return True
        return False

    def price_step(self, step: int) -> int:
        """Return the step prices are read from (the frozen one while prices are stale)."""
        return step if self._stale_from is None else min(step, self._stale_from)

    def _refresh(self) -> None:
        self.active = bool(
            self._reject_next
            or self._lose_acks
            or self._outages
            or self._rate_limit
            or self._stale_from is not None
            or self._gap
        )


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise InvalidValueError.for_value(name, value, "must be >= 0")
    return value
