"""Checked conversion of money values to ``Decimal``.

Accounting never sees a float: prices, quantities, fees and balances are ``Decimal``.
These helpers turn user input (``Decimal``, ``int`` or a numeric ``str``) into a
``Decimal`` and reject what makes no sense for the field, raising
:class:`~riskbus.core.errors.InvalidValueError` that names the field and the value::

    >>> positive("0", "quantity")
    Traceback (most recent call last):
    riskbus.core.errors.InvalidValueError: quantity: must be positive (got '0')

Floats are refused unless the caller opts in (``allow_float=True``, used only where a
generator's float is quantized to an instrument's tick); they are then read through their
shortest ``repr`` so ``0.1`` becomes ``Decimal("0.1")``, not the binary expansion.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from riskbus.core.errors import InvalidValueError

__all__ = ["ZERO", "MoneyInput", "as_decimal", "exponent", "finite", "non_negative", "positive"]

#: What money helpers accept. ``float`` is listed for the quantize helpers only.
MoneyInput = Decimal | int | str | float

ZERO = Decimal(0)


def as_decimal(value: object, field: str, *, allow_float: bool = False) -> Decimal:
    """Convert ``value`` to a ``Decimal`` (NaN and infinities pass; see :func:`finite`).

    Args:
        value: a ``Decimal``, an ``int`` or a numeric ``str`` (or a ``float`` if allowed).
        field: the field name used in the error.
        allow_float: accept floats, read through their shortest ``repr``.

    Raises:
        InvalidValueError: the value is not a number, is a ``bool``, or is a refused float.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise InvalidValueError.for_value(field, value, "must be a number, not a bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise InvalidValueError.for_value(field, value, "is not a number") from None
    if isinstance(value, float):
        if not allow_float:
            raise InvalidValueError.for_value(
                field, value, "must be a Decimal, int or str, not a float (money is exact)"
            )
        return Decimal(repr(value))
    raise InvalidValueError.for_value(
        field, value, f"must be a Decimal, int or str, not {type(value).__name__}"
    )


def finite(value: object, field: str, *, allow_float: bool = False) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; NaN and infinities are refused.

    Raises:
        InvalidValueError: not a number, or NaN, or infinite.
    """
    number = as_decimal(value, field, allow_float=allow_float)
    if not number.is_finite():
        raise InvalidValueError.for_value(field, value, "must be a finite number")
    return number


def positive(value: object, field: str, *, allow_float: bool = False) -> Decimal:
    """Return ``value`` as a finite ``Decimal`` greater than zero.

    Raises:
        InvalidValueError: not a finite number, or zero, or negative.
    """
    number = finite(value, field, allow_float=allow_float)
    if number <= 0:
        raise InvalidValueError.for_value(field, value, "must be positive")
    return number


def non_negative(value: object, field: str, *, allow_float: bool = False) -> Decimal:
    """Return ``value`` as a finite ``Decimal`` greater than or equal to zero.

    Raises:
        InvalidValueError: not a finite number, or negative.
    """
    number = finite(value, field, allow_float=allow_float)
    if number < 0:
        raise InvalidValueError.for_value(field, value, "must not be negative")
    return number


def exponent(number: Decimal) -> int:
    """Return the exponent of a finite ``Decimal`` (``Decimal("0.25")`` → ``-2``)."""
    value = number.as_tuple().exponent
    if not isinstance(value, int):
        raise InvalidValueError.for_value("number", number, "must be a finite number")
    return value
