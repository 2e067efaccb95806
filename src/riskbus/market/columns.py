"""Parsing one column of an OHLCV file into numbers or timestamps, naming the bad row.

Columns arrive either as Python lists of strings (CSV, Parquet string columns) or as NumPy
arrays (typed Parquet columns). Conversion is vectorized; only when it fails is the column
scanned value by value to find and name the first bad row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from riskbus.core.clock import from_datetime
from riskbus.core.errors import InvalidValueError
from riskbus.market.base import FloatArray, IntArray
from riskbus.market.candles import MarketDataError

__all__ = ["Locator", "TimestampUnit", "parse_numbers", "parse_timestamps", "zone"]

TimestampUnit = Literal["auto", "s", "ms", "us", "ns", "iso"]
_SCALE = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}

Column = Sequence[object] | np.ndarray


@dataclass(frozen=True, slots=True)
class Locator:
    """Where rows come from: the file and, for text files, each data row's line."""

    source: str
    lines: Sequence[int] | None = None

    def error(
        self,
        message: str,
        index: int | None,
        column: str | None,
        cls: type[MarketDataError] = MarketDataError,
    ) -> MarketDataError:
        """Build ``cls`` for the 0-based data ``index`` (reported 1-based) and ``column``."""
        if index is None:
            line = 1 if self.lines is not None else None  # about the header, not a row
            return cls(message, source=self.source, column=column, line=line)
        line = self.lines[index] if self.lines is not None else None
        return cls(message, source=self.source, row=index + 1, column=column, line=line)


def zone(name: str) -> tzinfo:
    """Return the time zone called ``name`` (IANA, e.g. ``Europe/Paris``, or ``UTC``)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as e:
        raise InvalidValueError.for_value("timezone", name, "is not a known time zone") from e


def _first_bad_number(values: Column) -> tuple[int, object]:
    for i, value in enumerate(values):
        try:
            float(value)
        except (TypeError, ValueError):
            return i, value
    raise AssertionError("conversion failed but every value parses")  # pragma: no cover


def parse_numbers(values: Column, column: str, where: Locator) -> FloatArray:
    """Return the column as float64; raise naming the row of a missing or bad value."""
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        index, bad = _first_bad_number(values)
        problem = "missing value" if bad in ("", None) else f"cannot parse {bad!r} as a number"
        raise where.error(problem, index, column) from None
    finite = np.isfinite(numbers)
    if not finite.all():
        index = int(np.argmin(finite))
        bad = values[index]
        bad = bad.item() if isinstance(bad, np.generic) else bad
        problem = "missing value" if bad in ("", None) else f"must be a finite number (got {bad!r})"
        raise where.error(problem, index, column)
    return numbers


def _unit_for(first: float) -> str:
    magnitude = abs(first)
    if magnitude < 1e11:
        return "s"
    if magnitude < 1e14:
        return "ms"
    return "us" if magnitude < 1e17 else "ns"


def _numeric(values: Column) -> np.ndarray | None:
    array = values if isinstance(values, np.ndarray) else np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind != "U":
        return None
    try:
        return array.astype(np.int64)  # integer strings: exact, even for ns epochs
    except (ValueError, OverflowError):
        pass
    try:
        return array.astype(np.float64)
    except ValueError:
        return None


def _epoch(values: Column, unit: TimestampUnit) -> IntArray | None:
    """Convert numeric epochs to ns, or return None if the column is not all numbers."""
    numbers = _numeric(values)
    if numbers is None or (numbers.dtype.kind == "f" and not np.isfinite(numbers).all()):
        return None
    chosen = _unit_for(float(numbers[0])) if unit == "auto" else unit
    if numbers.dtype.kind == "f":
        return np.round(numbers * _SCALE[chosen]).astype(np.int64)
    return numbers.astype(np.int64) * _SCALE[chosen]


def _iso(values: Column, column: str, where: Locator, zone_info: tzinfo) -> IntArray:
    out = np.empty(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        if value in ("", None):
            raise where.error("missing timestamp", i, column)
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise where.error(f"cannot parse {value!r} as a timestamp", i, column) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone_info)
        out[i] = from_datetime(moment)
    return out


def parse_timestamps(
    values: Column, column: str, where: Locator, *, unit: TimestampUnit, zone_info: tzinfo
) -> IntArray:
    """Return the column as int64 ns since the epoch.

    Args:
        values: the raw column.
        column: its name in the file, for errors.
        where: the locator for errors.
        unit: ``s``/``ms``/``us``/``ns`` for numeric epochs, ``iso`` for ISO-8601 strings,
            ``auto`` to take numbers as epochs (unit from the first value's magnitude:
            below 1e11 seconds, 1e14 ms, 1e17 µs, else ns) and anything else as ISO.
        zone_info: the zone of naive ISO timestamps (aware ones keep their offset).
    """
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    if unit != "iso":
        ns = _epoch(values, unit)
        if ns is not None:
            return ns
        if unit != "auto":
            parse_numbers(values, column, where)  # names the first non-number
            raise AssertionError("unreachable")  # pragma: no cover
    return _iso(values, column, where, zone_info)
