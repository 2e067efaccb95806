"""OHLCV candles: the value type, synthetic candles around a path, and interval checks.

A synthetic candle ``k`` closes at step ``k`` of its path: ``close`` is the path price at
step ``k``, ``open`` the price at step ``k-1`` (candle 0 opens at its own close), and
``ts = start + k*step (+ offset)`` is the moment the candle closes and is published. Wicks
and volume come from the seeded stream ``"market.candles"``, so asking twice gives the
same candles and generating candles never changes the prices.

Errors here are :class:`MarketDataError` subclasses (themselves
:class:`~riskbus.core.errors.BadInputError`), naming the row, 1-based.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from riskbus.core.errors import BadInputError
from riskbus.core.seeds import Seeds

__all__ = [
    "OHLCV",
    "Candle",
    "CandleIntervalError",
    "InvalidCandleError",
    "IrregularInterval",
    "MarketDataError",
    "find_irregular_intervals",
    "synthesize_candles",
    "validate_candles",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Wick size (fraction of the body edge) at volatility_multiplier 1; scales with its root.
WICK_FRACTION = 0.005


class MarketDataError(BadInputError):
    """Market data (a file, a candle list) is unusable; names the row and column.

    Args:
        message: what is wrong.
        source: the file, if any.
        row: the 1-based data row (the first record after any header is row 1).
        column: the offending column, if one is to blame.
        line: the 1-based line in a text file, if known (CSV: header is line 1).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        line: int | None = None,
    ) -> None:
        self.row = row
        self.column = column
        text = f"row {row}: {message}" if row is not None else message
        super().__init__(text, source=source, field=column, line=line)


class CandleIntervalError(MarketDataError):
    """Candle timestamps are out of order, duplicated or not one step apart."""


class InvalidCandleError(MarketDataError):
    """A candle's prices or volume are inconsistent (high < low, price <= 0, ...)."""


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; ``ts`` is ns since the epoch at which the candle closes.

    Prices are floats (generator and file values); quantize them with the instrument's
    tick before any accounting.
    """

    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class OHLCV(NamedTuple):
    """Candles as columns (one entry per step), for vectorized consumers."""

    ts: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def to_candles(self) -> list[Candle]:
        """Return the columns as a list of :class:`Candle`."""
        rows = zip(
            self.ts.tolist(),
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.volume.tolist(),
            strict=True,
        )
        return [Candle(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class IrregularInterval:
    """Two consecutive candles not exactly one step apart.

    ``row`` is the 1-based index of the later candle; ``interval`` and ``expected`` are ns.
    """

    row: int
    ts: int
    previous_ts: int
    interval: int
    expected: int

    @property
    def kind(self) -> str:
        """``"gap"`` (too far apart), ``"short"``, ``"duplicate"`` or ``"backwards"``."""
        if self.interval > self.expected:
            return "gap"
        if self.interval == 0:
            return "duplicate"
        return "backwards" if self.interval < 0 else "short"

    def describe(self) -> str:
        """Return a one-line description, e.g. ``gap: interval=90s, expected=60s``."""
        return f"{self.kind}: interval={self.interval / 1e9:g}s, expected={self.expected / 1e9:g}s"


def synthesize_candles(
    prices: FloatArray, timestamps: IntArray, seed: int, volatility_multiplier: float = 1.0
) -> OHLCV:
    """Build seeded candles whose closes are ``prices`` (see the module docstring).

    ``high >= max(open, close)``, ``0 < low <= min(open, close)`` and ``volume > 0`` hold
    for every candle; wicks scale with ``sqrt(volatility_multiplier)``.
    """
    rng = Seeds(seed).numpy("market.candles")
    n = len(prices)
    close = np.asarray(prices, dtype=np.float64)
    open_ = np.empty(n, dtype=np.float64)
    if n:
        open_[0] = close[0]
        open_[1:] = close[:-1]
    wick = min(WICK_FRACTION * math.sqrt(volatility_multiplier), 0.5)
    draws = rng.random((3, n))
    high = np.maximum(open_, close) * (1.0 + wick * draws[0])
    low = np.minimum(open_, close) * (1.0 - wick * draws[1])
    move_pct = np.abs(close / open_ - 1.0) * 100.0
    volume = (50.0 + 450.0 * draws[2]) * (1.0 + 10.0 * move_pct)
    return OHLCV(np.asarray(timestamps, dtype=np.int64), open_, high, low, close, volume)


def find_irregular_intervals(
    timestamps: Sequence[int] | IntArray, step: int
) -> list[IrregularInterval]:
    """Return every pair of consecutive timestamps that is not exactly ``step`` ns apart."""
    ts = np.asarray(timestamps, dtype=np.int64)
    if len(ts) < 2:
        return []
    diffs = np.diff(ts)
    bad = np.flatnonzero(diffs != step)
    return [
        IrregularInterval(int(i) + 2, int(ts[i + 1]), int(ts[i]), int(diffs[i]), step)
        for i in bad.tolist()
    ]


def validate_candles(
    candles: Sequence[Candle], step: int | None = None, *, source: str | None = None
) -> None:
    """Raise if the candles are inconsistent or not evenly spaced.

    Args:
        candles: the candles, oldest first.
        step: the expected interval in ns; None infers it from the first two candles.
        source: where the candles came from, for the message.

    Raises:
        InvalidCandleError: a price is not positive and finite, high < low, the body is
            outside [low, high], or the volume is negative.
        CandleIntervalError: two consecutive candles are not ``step`` apart (the first such
            pair is named; the message counts the others).
    """
    for row, candle in enumerate(candles, start=1):
        _check_candle(candle, row, source)
    if step is None:
        if len(candles) < 2:
            return
        step = candles[1].ts - candles[0].ts
    issues = find_irregular_intervals([c.ts for c in candles], step)
    if issues:
        first = issues[0]
        more = f" ({len(issues) - 1} more)" if len(issues) > 1 else ""
        raise CandleIntervalError(
            f"irregular candle interval, {first.describe()}{more}",
            source=source,
            row=first.row,
            column="ts",
        )


def _check_candle(candle: Candle, row: int, source: str | None) -> None:
    for column in ("open", "high", "low", "close"):
        value = getattr(candle, column)
        if not (math.isfinite(value) and value > 0):
            raise InvalidCandleError(
                f"price must be positive and finite (got {value!r})",
                source=source,
                row=row,
                column=column,
            )
    if candle.high < candle.low:
        raise InvalidCandleError(
            f"high {candle.high!r} is below low {candle.low!r}",
            source=source,
            row=row,
            column="high",
        )
    if candle.high < max(candle.open, candle.close) or candle.low > min(candle.open, candle.close):
        raise InvalidCandleError(
            "open/close outside [low, high]", source=source, row=row, column="high"
        )
    if not (math.isfinite(candle.volume) and candle.volume >= 0):
        raise InvalidCandleError(
            f"volume must be >= 0 and finite (got {candle.volume!r})",
            source=source,
            row=row,
            column="volume",
        )
