"""Simple and exponential moving averages, updated in O(1) per value.

The SMA keeps a ring buffer and a running sum. A running sum drifts: each ``+ new - old``
rounds, and over a million updates the error of a plain running sum grows past 1e-9 on
prices in the tens of thousands. So the sum is recomputed exactly with ``math.fsum`` over
the window once every ``RESYNC_UPDATES`` updates (rounded up to whole laps of the ring). The
fsum costs O(period) but runs once per ``≥ period`` updates, so updates stay O(1) amortised,
and between two resyncs at most ``RESYNC_UPDATES`` roundings can accumulate.
"""

from __future__ import annotations

import math

from riskbus.indicators._checks import check_period

__all__ = ["EMA", "RESYNC_UPDATES", "SMA"]

#: Recompute running window sums exactly at least this often (in updates).
RESYNC_UPDATES = 1024


def laps_per_resync(period: int) -> int:
    """Return how many full laps of a ring of ``period`` make about ``RESYNC_UPDATES``."""
    return max(1, RESYNC_UPDATES // period)


class SMA:
    """Simple moving average of the last ``period`` values.

    ``value`` is ``None`` until ``period`` values have been seen, then the arithmetic mean
    of the last ``period`` values. Inputs must be finite (not checked on the hot path).

    Args:
        period: window length, at least 1.

    Example:
        >>> sma = SMA(3)
        >>> for x in (1.0, 2.0, 3.0, 4.0):
        ...     sma.update(x)
        >>> sma.value
        3.0
    """

    __slots__ = ("_buffer", "_index", "_laps", "_laps_per_resync", "_sum", "period", "value")

    def __init__(self, period: int) -> None:
        self.period: int = check_period("period", period)
        self._laps_per_resync = laps_per_resync(period)
        self._buffer: list[float] = [0.0] * period
        self._index = 0
        self._laps = -1  # -1 until the first lap completes: not ready yet
        self._sum = 0.0
        self.value: float | None = None

    @property
    def ready(self) -> bool:
        """Whether ``value`` is available."""
        return self.value is not None

    @property
    def warmup(self) -> int:
        """How many inputs it takes until ``ready``."""
        return self.period

    def update(self, value: float) -> None:
        """Add one value; O(1) amortised, no allocation."""
        buffer = self._buffer
        index = self._index
        self._sum += value - buffer[index]
        buffer[index] = value
        index += 1
        if index == self.period:
            index = 0
            laps = self._laps + 1
            if laps >= self._laps_per_resync:
                laps = 0
                self._sum = math.fsum(buffer)
            self._laps = laps
        self._index = index
        if self._laps >= 0:
            self.value = self._sum / self.period

    def reset(self) -> None:
        """Forget every value seen; back to the state just after construction."""
        self._buffer = [0.0] * self.period
        self._index = 0
        self._laps = -1
        self._sum = 0.0
        self.value = None

    def __repr__(self) -> str:
        return f"SMA(period={self.period}, value={self.value!r})"


class EMA:
    """Exponential moving average with ``alpha = 2 / (period + 1)``.

    Seeding (the TA-Lib convention): ``value`` is ``None`` for the first ``period - 1``
    values; at the ``period``-th value it is the simple mean of the first ``period`` values;
    after that ``value += alpha * (x - value)``. This equals pandas
    ``ewm(span=period, adjust=False).mean()`` run on the series whose first ``period``
    values are replaced by their mean.

    Args:
        period: span of the average, at least 1 (``period=1`` follows the input).
    """

    __slots__ = ("_alpha", "_count", "_seed_sum", "period", "value")

    def __init__(self, period: int) -> None:
        self.period: int = check_period("period", period)
        self._alpha = 2.0 / (period + 1)
        self._count = 0
        self._seed_sum = 0.0
        self.value: float | None = None

    @property
    def alpha(self) -> float:
        """The smoothing factor ``2 / (period + 1)``."""
        return self._alpha

    @property
    def ready(self) -> bool:
        """Whether ``value`` is available."""
        return self.value is not None

    @property
    def warmup(self) -> int:
        """How many inputs it takes until ``ready``."""
        return self.period

    def update(self, value: float) -> None:
        """Add one value; O(1), no allocation."""
        current = self.value
        if current is not None:
            self.value = current + self._alpha * (value - current)
            return
        self._seed_sum += value
        self._count += 1
        if self._count == self.period:
            self.value = self._seed_sum / self.period

    def reset(self) -> None:
        """Forget every value seen; back to the state just after construction."""
        self._count = 0
        self._seed_sum = 0.0
        self.value = None

    def __repr__(self) -> str:
        return f"EMA(period={self.period}, value={self.value!r})"
