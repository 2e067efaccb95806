"""Argument checks shared by the indicators (construction time only, never per update)."""

from __future__ import annotations

import math

from riskbus.core.errors import InvalidValueError

__all__ = ["check_finite", "check_period"]


def check_period(field: str, value: int, minimum: int = 1) -> int:
    """Return ``value`` if it is an ``int`` of at least ``minimum``, else raise.

    Raises:
        InvalidValueError: naming ``field`` and the rejected value.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError.for_value(field, value, "must be an integer")
    if value < minimum:
        raise InvalidValueError.for_value(field, value, f"must be at least {minimum}")
    return value


def check_finite(field: str, value: float, *, positive: bool = False) -> float:
    """Return ``value`` as a float if it is finite (and > 0 when ``positive``), else raise.

    Raises:
        InvalidValueError: naming ``field`` and the rejected value.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError.for_value(field, value, "must be a number")
    if not math.isfinite(value):
        raise InvalidValueError.for_value(field, value, "must be finite")
    if positive and value <= 0:
        raise InvalidValueError.for_value(field, value, "must be positive")
    return float(value)
