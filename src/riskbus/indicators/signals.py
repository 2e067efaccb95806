"""Crossing helpers and buy/sell signals from indicator readings.

``crossover``/``crossunder`` use strict comparisons, like ``backtesting.lib.crossover``: a
touch (equal values) on either bar is not a cross. An :class:`IndicatorSignal` is what the
bot's ``IndicatorsCalculated`` event carries per indicator: ``name``, ``value``,
``buy_signal`` and ``sell_signal``.
"""

from __future__ import annotations

from typing import NamedTuple

from riskbus.core.errors import InvalidValueError
from riskbus.indicators._checks import check_finite
from riskbus.indicators.oscillators import MACD, RSI

__all__ = [
    "CrossTracker",
    "IndicatorSignal",
    "crossover",
    "crossunder",
    "macd_signal",
    "rsi_signal",
]


def crossover(previous_fast: float, previous_slow: float, fast: float, slow: float) -> bool:
    """Return whether ``fast`` crossed above ``slow``: it was strictly below, now above."""
    return previous_fast < previous_slow and fast > slow


def crossunder(previous_fast: float, previous_slow: float, fast: float, slow: float) -> bool:
    """Return whether ``fast`` crossed below ``slow``: it was strictly above, now below."""
    return previous_fast > previous_slow and fast < slow


class CrossTracker:
    """Remember the previous pair of readings and report crossings as they happen.

    Example:
        >>> tracker = CrossTracker()
        >>> [tracker.update(f, s) for f, s in ((1, 2), (3, 2), (1, 2))]
        [0, 1, -1]
    """

    __slots__ = ("_previous_fast", "_previous_slow")

    def __init__(self) -> None:
        self._previous_fast: float | None = None
        self._previous_slow: float | None = None

    def update(self, fast: float, slow: float) -> int:
        """Record a pair; return 1 on a crossover, -1 on a crossunder, else 0."""
        previous_fast = self._previous_fast
        previous_slow = self._previous_slow
        self._previous_fast = fast
        self._previous_slow = slow
        if previous_fast is None or previous_slow is None:
            return 0
        if previous_fast < previous_slow and fast > slow:
            return 1
        if previous_fast > previous_slow and fast < slow:
            return -1
        return 0

    def reset(self) -> None:
        """Forget the previous pair."""
        self._previous_fast = None
        self._previous_slow = None


class IndicatorSignal(NamedTuple):
    """One indicator's reading and what it suggests."""

    name: str
    value: float | None
    buy_signal: bool
    sell_signal: bool


def rsi_signal(
    rsi: RSI | float | None,
    *,
    oversold: float = 30.0,
    overbought: float = 70.0,
    name: str = "RSI",
) -> IndicatorSignal:
    """Read an RSI: buy when strictly below ``oversold``, sell when strictly above ``overbought``.

    Args:
        rsi: an :class:`RSI` or its value; ``None`` (not ready) gives no signal.
        oversold: the buy threshold, in [0, 100).
        overbought: the sell threshold, in (oversold, 100].
        name: the name carried by the signal.

    Raises:
        InvalidValueError: if the thresholds are out of range or out of order.
    """
    check_finite("oversold", oversold)
    check_finite("overbought", overbought)
    if not 0.0 <= oversold < 100.0:
        raise InvalidValueError.for_value("oversold", oversold, "must be in [0, 100)")
    if not oversold < overbought <= 100.0:
        raise InvalidValueError.for_value(
            "overbought", overbought, f"must be in (oversold={oversold}, 100]"
        )
    value = rsi.value if isinstance(rsi, RSI) else rsi
    if value is None:
        return IndicatorSignal(name, None, False, False)
    return IndicatorSignal(name, value, value < oversold, value > overbought)


def macd_signal(macd: MACD, *, name: str = "MACD") -> IndicatorSignal:
    """Read a MACD: buy when the MACD line crosses above its signal line, sell when below.

    The crossing compares the last two closes (strictly, see :func:`crossover`). The
    signal's ``value`` is the MACD line (``None`` until the MACD is ready).
    """
    current, signal = macd.macd, macd.signal
    previous, previous_signal = macd.previous_macd, macd.previous_signal
    if current is None or signal is None or previous is None or previous_signal is None:
        return IndicatorSignal(name, current if signal is not None else None, False, False)
    return IndicatorSignal(
        name,
        current,
        crossover(previous, previous_signal, current, signal),
        crossunder(previous, previous_signal, current, signal),
    )
