"""ccxt markets as riskbus :class:`~riskbus.model.instruments.Instrument` objects.

A ccxt market gives its grids in ``precision`` (tick sizes when the exchange's
``precisionMode`` is ``TICK_SIZE``, the number of decimals when it is ``DECIMAL_PLACES``)
and its minimums in ``limits``. Spot markets become ``spot`` instruments, perpetual swaps
``perp`` and dated futures ``future``, with the contract size as the multiplier. Markets
riskbus cannot account for exactly are skipped with the reason: options, inverse contracts
(their notional is in the base currency), grids given in significant digits, inactive
markets, and anything the :class:`Instrument` checks refuse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Any

from ccxt.base.decimal_to_precision import DECIMAL_PLACES, TICK_SIZE

from riskbus.core.errors import InvalidValueError
from riskbus.model.enums import InstrumentKind
from riskbus.model.events.market import Candle
from riskbus.model.instruments import Instrument

__all__ = ["candle_from_row", "instruments_from_markets", "to_decimal"]

_ONE = Decimal(1)
_MS = 1_000_000


def to_decimal(value: object) -> Decimal | None:
    """Return ``value`` (a ccxt number: float, int or numeric string) as a ``Decimal``.

    Floats are read through their shortest ``repr`` (``0.1`` → ``Decimal("0.1")``). ``None``,
    empty strings, NaN and infinities give ``None``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.quantize(_ONE) if number == number.to_integral_value() else number


def _grid(value: object, precision_mode: int) -> Decimal | None:
    number = to_decimal(value)
    if number is None:
        return None
    if precision_mode == TICK_SIZE:
        return number if number > 0 else None
    if precision_mode == DECIMAL_PLACES:
        return _ONE.scaleb(-int(number))
    return None  # SIGNIFICANT_DIGITS: no fixed grid


def _kind(market: Mapping[str, Any]) -> InstrumentKind | str:
    if market.get("spot"):
        return InstrumentKind.SPOT
    if market.get("option"):
        return "option"
    if market.get("inverse"):
        return "inverse contract"
    if market.get("swap"):
        return InstrumentKind.PERP
    if market.get("future"):
        return InstrumentKind.FUTURE
    return str(market.get("type") or "unknown type")


def _limit(market: Mapping[str, Any], name: str) -> Decimal | None:
    limits = market.get("limits") or {}
    return to_decimal((limits.get(name) or {}).get("min"))


def instrument_from_market(
    market: Mapping[str, Any], precision_mode: int, venue: str = ""
) -> Instrument | str:
    """Return the instrument of one ccxt market, or why it is skipped."""
    if market.get("active") is False:
        return "inactive"
    kind = _kind(market)
    if not isinstance(kind, InstrumentKind):
        return f"{kind} not modelled"
    precision = market.get("precision") or {}
    tick = _grid(precision.get("price"), precision_mode)
    step = _grid(precision.get("amount"), precision_mode)
    if tick is None or step is None:
        return "no fixed price or amount grid"
    min_amount = _limit(market, "amount") or Decimal(0)
    min_size = (min_amount / step).to_integral_value(rounding=ROUND_UP) * step
    multiplier = _ONE
    if kind is not InstrumentKind.SPOT:
        multiplier = to_decimal(market.get("contractSize")) or _ONE
    base, quote = str(market.get("base", "")), str(market.get("quote", ""))
    try:
        return Instrument(
            symbol=str(market["symbol"]),
            kind=kind,
            base=base,
            quote=quote,
            tick_size=tick,
            step_size=step,
            min_size=max(min_size, step).quantize(step),
            min_notional=_limit(market, "cost") or Decimal(0),
            multiplier=multiplier,
            description=f"{venue} {kind.value} {base}/{quote}".strip(),
        )
    except InvalidValueError as error:
        return f"refused: {error}"


def instruments_from_markets(
    markets: Mapping[str, Mapping[str, Any]], precision_mode: int, venue: str = ""
) -> tuple[list[Instrument], dict[str, str]]:
    """Convert ccxt's ``exchange.markets``; return the instruments and the skipped symbols.

    Returns:
        the instruments sorted by symbol, and ``{symbol: reason}`` for each skipped market.
    """
    instruments: list[Instrument] = []
    skipped: dict[str, str] = {}
    for symbol in sorted(markets):
        result = instrument_from_market(markets[symbol], precision_mode, venue)
        if isinstance(result, Instrument):
            instruments.append(result)
        else:
            skipped[symbol] = result
    return instruments, skipped


def candle_from_row(row: list[Any]) -> Candle | None:
    """Return a ccxt OHLCV row ``[ms, open, high, low, close, volume]`` as a candle."""
    values = [to_decimal(value) for value in row[1:6]]
    if len(row) < 6 or row[0] is None:
        return None
    open_, high, low, close, volume = values
    if open_ is None or high is None or low is None or close is None:
        return None
    return Candle(
        ts=int(row[0]) * _MS,
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume if volume is not None else Decimal(0),
    )
