"""Bollinger Bands and the Average True Range (Wilder), updated in O(1) per input."""

from __future__ import annotations

import math
from typing import NamedTuple

from riskbus.core.errors import InvalidValueError
from riskbus.indicators._checks import check_finite, check_period
from riskbus.indicators.moving_average import laps_per_resync

__all__ = ["ATR", "BollingerBands", "BollingerValue"]

#: Re-centre when the window variance falls below this share of the squared offsets: the
#: relative rounding error of ``sum_squares - sum * mean`` grows as their ratio.
_CANCELLATION = 1e-4


class BollingerValue(NamedTuple):
    """One Bollinger reading."""

    middle: float
    upper: float
    lower: float


class BollingerBands:
    """Bollinger Bands: the SMA of the window ± ``k`` standard deviations.

    The standard deviation is the **population** one (``ddof=0``, Bollinger's definition,
    TA-Lib's, and pandas ``rolling(n).std(ddof=0)``); pass ``ddof=1`` for the sample one.
    Running sums are kept of ``x - shift`` and ``(x - shift)²``, where ``shift`` is the
    exact window mean at the last resync: shifting avoids the catastrophic cancellation of
    ``E[x²] - mean²`` on large prices (and, unlike the sliding Welford recurrence, no
    rounding error of the mean feeds back into the variance). The shift and both sums are
    recomputed exactly (two passes, ``math.fsum``) about every ``RESYNC_UPDATES`` updates,
    and sooner (at most twice per lap of the window, so still O(1) amortised) when the
    window has drifted so far from the shift that the subtraction would cancel: the
    variance smaller than 1e-4 of the sum of squared offsets. ``value`` is ``None`` until
    ``period`` values have been seen.

    Args:
        period: window length (20 customary); at least 1, or 2 with ``ddof=1``.
        k: band width in standard deviations (2.0 customary), positive.
        ddof: 0 (population, default) or 1 (sample).
    """

    __slots__ = (
        "_buffer",
        "_divisor",
        "_index",
        "_laps",
        "_laps_per_resync",
        "_shift",
        "_sum",
        "_sum_squares",
        "k",
        "lower",
        "middle",
        "period",
        "std",
        "upper",
    )

    def __init__(self, period: int = 20, k: float = 2.0, ddof: int = 0) -> None:
        if type(ddof) is not int or ddof not in (0, 1):
            raise InvalidValueError.for_value("ddof", ddof, "must be 0 or 1")
        self.period: int = check_period("period", period, minimum=1 + ddof)
        self.k = check_finite("k", k, positive=True)
        self._divisor = period - ddof
        self._laps_per_resync = laps_per_resync(period)
        self._buffer: list[float] = [0.0] * period
        self._index = 0
        self._laps = -1
        self._shift = 0.0
        self._sum = 0.0
        self._sum_squares = 0.0
        self.middle: float | None = None
        self.upper: float | None = None
        self.lower: float | None = None
        self.std: float | None = None

    @property
    def ddof(self) -> int:
        """Delta degrees of freedom of the standard deviation (0 population, 1 sample)."""
        return self.period - self._divisor

    @property
    def ready(self) -> bool:
        """Whether the bands are available."""
        return self.middle is not None

    @property
    def warmup(self) -> int:
        """How many inputs it takes until ``ready``."""
        return self.period

    @property
    def value(self) -> BollingerValue | None:
        """``BollingerValue(middle, upper, lower)``, or ``None`` until ready."""
        if self.middle is None or self.upper is None or self.lower is None:
            return None
        return BollingerValue(self.middle, self.upper, self.lower)

    def update(self, value: float) -> None:
        """Add one value; O(1) amortised, no allocation."""
        buffer = self._buffer
        index = self._index
        old = buffer[index]
        buffer[index] = value
        index += 1
        if self._laps >= 0:  # full window: replace ``old`` by ``value``
            shift = self._shift
            new_offset = value - shift
            old_offset = old - shift
            self._sum += new_offset - old_offset
            self._sum_squares += new_offset * new_offset - old_offset * old_offset
        if index == self.period:
            index = 0
            self._laps += 1
            if self._laps == 0 or self._laps >= self._laps_per_resync:
                self._resync()
        self._index = index
        laps = self._laps
        if laps >= 0:
            mean_offset = self._sum / self.period
            m2 = self._sum_squares - self._sum * mean_offset
            if m2 < self._sum_squares * _CANCELLATION and laps > 0:
                self._resync()  # the window drifted far from the shift: re-centre
                mean_offset = self._sum / self.period
                m2 = self._sum_squares - self._sum * mean_offset
            std = math.sqrt(m2 / self._divisor) if m2 > 0.0 else 0.0
            mean = self._shift + mean_offset
            width = self.k * std
            self.std = std
            self.middle = mean
            self.upper = mean + width
            self.lower = mean - width

    def _resync(self) -> None:
        buffer = self._buffer
        shift = math.fsum(buffer) / self.period
        offsets = [x - shift for x in buffer]
        self._shift = shift
        self._sum = math.fsum(offsets)
        self._sum_squares = math.fsum([d * d for d in offsets])
        self._laps = 0

    def reset(self) -> None:
        """Forget every value seen; back to the state just after construction."""
        self._buffer = [0.0] * self.period
        self._index = 0
        self._laps = -1
        self._shift = 0.0
        self._sum = 0.0
        self._sum_squares = 0.0
        self.middle = self.upper = self.lower = self.std = None

    def __repr__(self) -> str:
        return f"BollingerBands(period={self.period}, k={self.k}, value={self.value!r})"


class ATR:
    """Average True Range with Wilder's smoothing (``alpha = 1 / period``).

    ``TR = max(high - low, |high - previous close|, |low - previous close|)`` (bars must
    have ``high >= low``; not checked on the hot path). Seeding (as
    for :class:`~riskbus.indicators.RSI`, TA-Lib's convention): the first bar only sets
    the previous close; the first ``period`` true ranges are averaged with a simple mean;
    then ``atr = atr + (tr - atr) / period`` (pandas ``ewm(alpha=1/period, adjust=False)``
    seeded with that mean). ``value`` is ``None`` until ``period + 1`` bars are seen.

    Args:
        period: smoothing length, at least 1 (14 customary).
    """

    __slots__ = ("_alpha", "_count", "_previous_close", "_tr_sum", "period", "true_range", "value")

    def __init__(self, period: int = 14) -> None:
        self.period: int = check_period("period", period)
        self._alpha = 1.0 / period
        self._previous_close: float | None = None
        self._count = 0
        self._tr_sum = 0.0
        self.true_range: float | None = None
        self.value: float | None = None

    @property
    def ready(self) -> bool:
        """Whether ``value`` is available."""
        return self.value is not None

    @property
    def warmup(self) -> int:
        """How many bars it takes until ``ready``."""
        return self.period + 1

    def update(self, high: float, low: float, close: float) -> None:
        """Add one bar; O(1), no allocation."""
        previous = self._previous_close
        self._previous_close = close
        if previous is None:
            return
        # max(high, previous) - min(low, previous): the same three-way max when high >= low,
        # with the same float operations, and no builtin calls on the hot path.
        top = high if high > previous else previous
        bottom = low if low < previous else previous
        tr = top - bottom
        self.true_range = tr
        current = self.value
        if current is not None:
            self.value = current + (tr - current) * self._alpha
            return
        self._tr_sum += tr
        self._count += 1
        if self._count == self.period:
            self.value = self._tr_sum / self.period

    def reset(self) -> None:
        """Forget every bar seen; back to the state just after construction."""
        self._previous_close = None
        self._count = 0
        self._tr_sum = 0.0
        self.true_range = None
        self.value = None

    def __repr__(self) -> str:
        return f"ATR(period={self.period}, value={self.value!r})"
