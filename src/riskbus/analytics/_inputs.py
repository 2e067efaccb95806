"""Validation of analytics inputs: every rejection is an ``InvalidValueError`` naming the field.

Arrays are summarised in messages (length, first bad index), never printed whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt

from riskbus.core.errors import InvalidValueError

__all__ = [
    "HORIZONS",
    "as_equity",
    "as_holdings",
    "as_returns",
    "check_confidence",
    "check_number",
    "check_periods_per_year",
    "horizon_days",
]

#: Named horizons in calendar days. Crypto trades every day, so a week is 7 days and a month
#: 30 (the smartfolio convention), not 5 and 21 trading days.
HORIZONS: Final[Mapping[str, int]] = MappingProxyType({"1d": 1, "1w": 7, "1m": 30})


def _as_float_array(field: str, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidValueError(f"must be numbers ({e})", field=field, value=values) from e
    if array.ndim != 1:
        raise InvalidValueError.for_value(field, array.shape, "must be one-dimensional")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        index = int(bad[0])
        raise InvalidValueError(
            f"must be finite; found {array[index]!r} at index {index}",
            field=field,
            value=float(array[index]),
        )
    return array


def as_returns(
    returns: npt.ArrayLike, *, minimum: int = 2, field: str = "returns"
) -> npt.NDArray[np.float64]:
    """Return ``returns`` as a finite 1-D float array of at least ``minimum`` values.

    Raises:
        InvalidValueError: empty, too short, not numbers, NaN or infinite.
    """
    array = _as_float_array(field, returns)
    if array.size < minimum:
        raise InvalidValueError(
            f"need at least {minimum} observations (got {array.size})",
            field=field,
            value=array.size,
        )
    return array


def as_equity(equity: npt.ArrayLike, *, field: str = "equity") -> npt.NDArray[np.float64]:
    """Return an equity curve as a finite, strictly positive 1-D array of at least 2 points."""
    array = as_returns(equity, field=field)
    bad = np.flatnonzero(array <= 0.0)
    if bad.size:
        index = int(bad[0])
        raise InvalidValueError(
            f"must be positive; found {array[index]!r} at index {index}",
            field=field,
            value=float(array[index]),
        )
    return array


def check_number(
    field: str, value: float, *, positive: bool = False, non_negative: bool = False
) -> float:
    """Return ``value`` as a float if it is a finite number (and positive/non-negative)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidValueError.for_value(field, value, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValueError.for_value(field, value, "must be finite")
    if positive and number <= 0.0:
        raise InvalidValueError.for_value(field, value, "must be positive")
    if non_negative and number < 0.0:
        raise InvalidValueError.for_value(field, value, "must not be negative")
    return number


def check_confidence(confidence: float, field: str = "confidence") -> float:
    """Return ``confidence`` if it lies strictly between 0 and 1 (e.g. 0.95)."""
    number = check_number(field, confidence)
    if not 0.0 < number < 1.0:
        raise InvalidValueError.for_value(field, confidence, "must be strictly between 0 and 1")
    return number


def check_periods_per_year(value: float, field: str = "periods_per_year") -> float:
    """Return an annualisation factor (365 for daily crypto returns), which must be positive."""
    return check_number(field, value, positive=True)


def horizon_days(horizon: int | str, field: str = "horizon") -> int:
    """Return a horizon in days from an int (days) or a name (``1d``, ``1w``, ``1m``, ``7``).

    Raises:
        InvalidValueError: unknown name, not an integer, or not positive.
    """
    if isinstance(horizon, str):
        text = horizon.strip().lower()
        if text in HORIZONS:
            return HORIZONS[text]
        try:
            horizon = int(text.removesuffix("d"))
        except ValueError:
            known = ", ".join(HORIZONS)
            raise InvalidValueError.for_value(
                field, horizon, f"must be a number of days or one of {known}"
            ) from None
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer):
        raise InvalidValueError.for_value(field, horizon, "must be a whole number of days")
    if horizon <= 0:
        raise InvalidValueError.for_value(field, horizon, "must be positive")
    return int(horizon)


def as_holdings(holdings: Mapping[str, float], field: str = "holdings") -> dict[str, float]:
    """Return ``{symbol: usd value}`` with finite, non-negative values and a positive total.

    Raises:
        InvalidValueError: empty, a bad symbol or value, or a zero total.
    """
    if not isinstance(holdings, Mapping) or not holdings:
        raise InvalidValueError.for_value(field, holdings, "must be a non-empty mapping")
    clean: dict[str, float] = {}
    for symbol, value in holdings.items():
        if not isinstance(symbol, str) or not symbol.strip():
            raise InvalidValueError.for_value(field, symbol, "symbols must be non-empty strings")
        clean[symbol] = check_number(f"{field}.{symbol}", value, non_negative=True)
    if math.fsum(clean.values()) <= 0.0:
        raise InvalidValueError.for_value(field, holdings, "total value must be positive")
    return clean
