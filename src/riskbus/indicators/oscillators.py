"""RSI (Wilder smoothing) and MACD, updated in O(1) per close."""

from __future__ import annotations

from typing import NamedTuple

from riskbus.core.errors import InvalidValueError
from riskbus.indicators._checks import check_period
from riskbus.indicators.moving_average import EMA

__all__ = ["MACD", "RSI", "MACDValue"]


class RSI:
    """Relative Strength Index with Wilder's smoothing (``alpha = 1 / period``).

    Seeding (Wilder's and TA-Lib's convention): the first close only sets the previous
    close. The first ``period`` changes are averaged with a simple mean (average gain and
    average loss); from then on ``avg = avg + (x - avg) / period``, which is pandas
    ``ewm(alpha=1/period, adjust=False)`` seeded with that mean. ``value`` is therefore
    ``None`` until ``period + 1`` closes have been seen. ``value = 100 * avg_gain /
    (avg_gain + avg_loss)`` (the same as ``100 - 100 / (1 + RS)``); it is 50 when both
    averages are zero (a flat market).

    Args:
        period: smoothing length, at least 1 (14 is customary).
    """

    __slots__ = (
        "_alpha",
        "_count",
        "_gain_sum",
        "_loss_sum",
        "_previous",
        "avg_gain",
        "avg_loss",
        "period",
        "value",
    )

    def __init__(self, period: int = 14) -> None:
        self.period: int = check_period("period", period)
        self._alpha = 1.0 / period
        self._previous: float | None = None
        self._count = 0
        self._gain_sum = 0.0
        self._loss_sum = 0.0
        self.avg_gain = 0.0
        self.avg_loss = 0.0
        self.value: float | None = None

    @property
    def ready(self) -> bool:
        """Whether ``value`` is available."""
        return self.value is not None

    @property
    def warmup(self) -> int:
        """How many inputs it takes until ``ready``."""
        return self.period + 1

    def update(self, close: float) -> None:
        """Add one close; O(1), no allocation."""
        previous = self._previous
        self._previous = close
        if previous is None:
            return
        change = close - previous
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        if self.value is not None:
            alpha = self._alpha
            avg_gain = self.avg_gain + (gain - self.avg_gain) * alpha
            avg_loss = self.avg_loss + (loss - self.avg_loss) * alpha
        else:
            self._gain_sum += gain
            self._loss_sum += loss
            self._count += 1
            if self._count < self.period:
                return
            avg_gain = self._gain_sum / self.period
            avg_loss = self._loss_sum / self.period
        self.avg_gain = avg_gain
        self.avg_loss = avg_loss
        total = avg_gain + avg_loss
        self.value = 100.0 * avg_gain / total if total > 0.0 else 50.0

    def reset(self) -> None:
        """Forget every close seen; back to the state just after construction."""
        self._previous = None
        self._count = 0
        self._gain_sum = 0.0
        self._loss_sum = 0.0
        self.avg_gain = 0.0
        self.avg_loss = 0.0
        self.value = None

    def __repr__(self) -> str:
        return f"RSI(period={self.period}, value={self.value!r})"


class MACDValue(NamedTuple):
    """One MACD reading: the MACD line, its signal line and their difference."""

    macd: float
    signal: float
    histogram: float


class MACD:
    """Moving Average Convergence Divergence (12/26/9 by default).

    ``macd = EMA(fast) - EMA(slow)``, ``signal = EMA(signal_period)`` of the MACD line,
    ``histogram = macd - signal``. Each EMA is SMA-seeded (see :class:`EMA`): the MACD line
    exists from the ``slow``-th close, and the signal from the ``slow + signal - 1``-th,
    which is when ``value`` stops being ``None``. ``previous_macd``/``previous_signal``
    keep the readings of the close before, for crossing signals.

    Args:
        fast: fast EMA period (12).
        slow: slow EMA period (26), greater than ``fast``.
        signal: signal EMA period (9).
    """

    __slots__ = (
        "_fast",
        "_signal",
        "_slow",
        "histogram",
        "macd",
        "previous_macd",
        "previous_signal",
        "signal",
    )

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        check_period("fast", fast)
        check_period("slow", slow)
        check_period("signal", signal)
        if fast >= slow:
            raise InvalidValueError.for_value("fast", fast, f"must be less than slow={slow}")
        self._fast = EMA(fast)
        self._slow = EMA(slow)
        self._signal = EMA(signal)
        self.macd: float | None = None
        self.signal: float | None = None
        self.histogram: float | None = None
        self.previous_macd: float | None = None
        self.previous_signal: float | None = None

    @property
    def period(self) -> int:
        """The longest EMA period (``slow``)."""
        return self._slow.period

    @property
    def periods(self) -> tuple[int, int, int]:
        """``(fast, slow, signal)``."""
        return self._fast.period, self._slow.period, self._signal.period

    @property
    def ready(self) -> bool:
        """Whether the signal line (and so ``value``) is available."""
        return self.signal is not None

    @property
    def warmup(self) -> int:
        """How many inputs it takes until ``ready``."""
        return self._slow.period + self._signal.period - 1

    @property
    def value(self) -> MACDValue | None:
        """``MACDValue(macd, signal, histogram)``, or ``None`` until ready."""
        if self.macd is None or self.signal is None or self.histogram is None:
            return None
        return MACDValue(self.macd, self.signal, self.histogram)

    def update(self, close: float) -> None:
        """Add one close; O(1)."""
        fast = self._fast
        slow = self._slow
        fast.update(close)
        slow.update(close)
        slow_value = slow.value
        fast_value = fast.value
        if slow_value is None or fast_value is None:  # fast < slow, so fast is ready first
            return
        macd = fast_value - slow_value
        self.previous_macd = self.macd
        self.previous_signal = self.signal
        self.macd = macd
        signal_ema = self._signal
        signal_ema.update(macd)
        signal = signal_ema.value
        if signal is not None:
            self.signal = signal
            self.histogram = macd - signal

    def reset(self) -> None:
        """Forget every close seen; back to the state just after construction."""
        self._fast.reset()
        self._slow.reset()
        self._signal.reset()
        self.macd = self.signal = self.histogram = None
        self.previous_macd = self.previous_signal = None

    def __repr__(self) -> str:
        fast, slow, signal = self.periods
        return f"MACD(fast={fast}, slow={slow}, signal={signal}, value={self.value!r})"
