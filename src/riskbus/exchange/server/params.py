"""Binance request parameters: reading them with Binance's errors, and writing numbers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import overload

from riskbus.exchange.server.errors import bad_param, missing_param

__all__ = ["binance_id", "decimal_param", "int_param", "required", "text"]

_NUMBER = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"


def binance_id(symbol: str) -> str:
    """Return Binance's id of a ``BASE/QUOTE`` symbol (``BTC/USDT`` → ``BTCUSDT``)."""
    return symbol.replace("/", "")


def text(value: Decimal | None) -> str:
    """Return a Decimal as Binance writes numbers: a plain string (``"0"`` for None)."""
    return "0" if value is None else format(value.normalize(), "f")


def required(params: Mapping[str, str], name: str) -> str:
    """Return the parameter ``name``; raise -1102 when it is missing or empty."""
    value = params.get(name)
    if not value:
        raise missing_param(name)
    return value


def decimal_param(params: Mapping[str, str], name: str) -> Decimal | None:
    """Return the parameter ``name`` as a non-negative Decimal (None when absent); -1100."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise bad_param(name, _NUMBER) from None
    if not value.is_finite() or value < 0:
        raise bad_param(name, _NUMBER)
    return value


@overload
def int_param(
    params: Mapping[str, str], name: str, default: int, *, maximum: int | None = None
) -> int: ...


@overload
def int_param(
    params: Mapping[str, str], name: str, default: None, *, maximum: int | None = None
) -> int | None: ...


def int_param(
    params: Mapping[str, str], name: str, default: int | None, *, maximum: int | None = None
) -> int | None:
    """Return the parameter ``name`` as an int >= 0 (capped at ``maximum``); -1100."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_param(name, "^[0-9]{1,20}$") from None
    if value < 0:
        raise bad_param(name, "^[0-9]{1,20}$")
    return min(value, maximum) if maximum is not None else value
