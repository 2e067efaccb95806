"""Reason strings of the form ``CODE: key=value, key=value``.

Denials, rejections and rule violations carry their reason in this one shape, so logs,
assertions and tests can match the code and read the values back::

    >>> format_reason("DAILY_LOSS_LIMIT", realized="-512.50", limit="-500")
    'DAILY_LOSS_LIMIT: realized=-512.50, limit=-500'
    >>> parse_reason("DAILY_LOSS_LIMIT: realized=-512.50, limit=-500")
    ('DAILY_LOSS_LIMIT', {'realized': '-512.50', 'limit': '-500'})
"""

from __future__ import annotations

import re

from riskbus.core.errors import InvalidValueError

__all__ = ["format_reason", "parse_reason", "reason_code"]

_CODE = re.compile(r"[A-Z][A-Z0-9_]*")


def format_reason(code: str, **values: object) -> str:
    """Build a reason: the upper-case ``code``, then ``key=value`` pairs in the given order.

    Raises:
        InvalidValueError: ``code`` is not UPPER_SNAKE_CASE.
    """
    if not _CODE.fullmatch(code):
        raise InvalidValueError.for_value("code", code, "must be UPPER_SNAKE_CASE")
    if not values:
        return code
    return f"{code}: " + ", ".join(f"{key}={value}" for key, value in values.items())


def reason_code(reason: str) -> str:
    """Return the code of a reason (the text before the first ``:``), stripped."""
    return reason.partition(":")[0].strip()


def parse_reason(reason: str) -> tuple[str, dict[str, str]]:
    """Split a reason into its code and its ``key=value`` pairs (values as strings).

    Pieces without ``=`` are kept under the key ``""`` (the last one wins), so a free-text
    reason such as ``"INSUFFICIENT_BALANCE: not enough USDT"`` still parses.
    """
    code, _, rest = reason.partition(":")
    values: dict[str, str] = {}
    for piece in rest.split(","):
        key, sep, value = piece.partition("=")
        if sep:
            values[key.strip()] = value.strip()
        elif piece.strip():
            values[""] = piece.strip()
    return code.strip(), values
