"""Tradable instruments: price and size grids, minimums, and contract economics.

An :class:`Instrument` knows its tick (price grid), step (quantity grid), minimum size and
notional, and for futures its contract multiplier, so that ``notional = qty · price ·
multiplier`` and ``P&L = qty · (exit − entry) · multiplier`` hold for every kind. For a
future quoted as "$0.50 per 0.25 tick" (MNQ) the multiplier is ``0.50 / 0.25 = 2``.

Prices and quantities that reach accounting must be on the grid: ``quantize_*`` snaps a
value to it (quantities round down, so an order never grows), ``validate_*`` refuses a
value that is off it, naming the field and the value.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import msgspec
from msgspec.structs import force_setattr

from riskbus.core.errors import InvalidValueError
from riskbus.model.enums import InstrumentKind, parse_enum
from riskbus.model.money import ZERO, MoneyInput, exponent, finite, non_negative, positive

__all__ = ["Instrument"]

_ONE = Decimal(1)


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """A tradable instrument.

    Attributes:
        symbol: the unique symbol, e.g. ``"BTC/USDT"`` or ``"MNQ"``.
        kind: spot, future or perp.
        base: the asset bought (spot) or the underlying (futures), e.g. ``"BTC"``.
        quote: the currency prices, P&L and fees are in, e.g. ``"USDT"`` or ``"USD"``.
        tick_size: the price grid.
        step_size: the quantity grid.
        min_size: the smallest order quantity.
        min_notional: the smallest order value in ``quote`` (0 for none).
        multiplier: quote value of one unit of price per unit of quantity (1 for spot).
        description: free text for humans.
    """

    symbol: str
    kind: InstrumentKind
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_size: Decimal
    min_notional: Decimal = ZERO
    multiplier: Decimal = _ONE
    description: str = ""

    def __post_init__(self) -> None:
        if not self.symbol:
            raise InvalidValueError.for_value("symbol", self.symbol, "must not be empty")
        where = f"instrument {self.symbol}"
        # Normalise ints and numeric strings to Decimal; the struct is frozen afterwards.
        force_setattr(self, "kind", parse_enum(InstrumentKind, self.kind, f"{where} kind"))
        force_setattr(self, "tick_size", positive(self.tick_size, f"{where} tick_size"))
        force_setattr(self, "step_size", positive(self.step_size, f"{where} step_size"))
        force_setattr(self, "multiplier", positive(self.multiplier, f"{where} multiplier"))
        min_notional = non_negative(self.min_notional, f"{where} min_notional")
        force_setattr(self, "min_notional", min_notional)
        force_setattr(self, "min_size", non_negative(self.min_size, f"{where} min_size"))
        if self.min_size % self.step_size != 0:
            raise InvalidValueError.for_value(
                f"{where} min_size", self.min_size, f"must be a multiple of {self.step_size}"
            )
        if self.kind is InstrumentKind.SPOT and self.multiplier != 1:
            raise InvalidValueError.for_value(
                f"{where} multiplier", self.multiplier, "must be 1 for a spot instrument"
            )

    @classmethod
    def future(
        cls,
        symbol: str,
        *,
        base: str,
        tick_size: MoneyInput,
        tick_value: MoneyInput,
        quote: str = "USD",
        kind: InstrumentKind = InstrumentKind.FUTURE,
        step_size: MoneyInput = 1,
        min_size: MoneyInput = 1,
        description: str = "",
    ) -> Instrument:
        """Build a future from its tick economics ("``tick_value`` per ``tick_size``").

        Raises:
            InvalidValueError: a value is not positive, or the multiplier is not exact.
        """
        tick = positive(tick_size, "tick_size")
        value = positive(tick_value, "tick_value")
        multiplier = value / tick
        if multiplier * tick != value:
            raise InvalidValueError.for_value(
                "tick_value", value, f"does not give an exact multiplier over tick {tick}"
            )
        return cls(
            symbol=symbol,
            kind=kind,
            base=base,
            quote=quote,
            tick_size=tick,
            step_size=positive(step_size, "step_size"),
            min_size=non_negative(min_size, "min_size"),
            multiplier=_tidy(multiplier),
            description=description,
        )

    @property
    def tick_value(self) -> Decimal:
        """The quote value of one tick on one contract (``tick_size · multiplier``)."""
        return self.tick_size * self.multiplier

    @property
    def price_precision(self) -> int:
        """Decimal places of the price grid (``0.25`` → 2)."""
        return max(0, -exponent(self.tick_size))

    @property
    def size_precision(self) -> int:
        """Decimal places of the quantity grid (``0.00001`` → 5)."""
        return max(0, -exponent(self.step_size))

    @property
    def is_derivative(self) -> bool:
        """Whether fills settle margin-style (futures and perps)."""
        return self.kind.is_derivative

    def quantize_price(self, price: MoneyInput, rounding: str = ROUND_HALF_EVEN) -> Decimal:
        """Snap ``price`` to the nearest tick (or as ``rounding`` says, e.g. ``ROUND_UP``).

        Floats are accepted here (generators produce them) and read through their ``repr``.

        Raises:
            InvalidValueError: ``price`` is not a finite number.
        """
        number = finite(price, "price", allow_float=True)
        return self._snap(number, self.tick_size, rounding)

    def quantize_quantity(self, quantity: MoneyInput, rounding: str = ROUND_DOWN) -> Decimal:
        """Snap ``quantity`` to the step grid, towards zero by default (never enlarges it).

        Raises:
            InvalidValueError: ``quantity`` is not a finite number.
        """
        number = finite(quantity, "quantity", allow_float=True)
        return self._snap(number, self.step_size, rounding)

    def validate_price(self, price: MoneyInput) -> Decimal:
        """Return ``price`` as a ``Decimal`` if it is finite, positive and on the tick grid.

        Raises:
            InvalidValueError: naming the field ``price`` and the value.
        """
        number = positive(price, "price")
        if number % self.tick_size != 0:
            raise InvalidValueError.for_value(
                "price", price, f"is not a multiple of the tick size {self.tick_size} for {self}"
            )
        return number

    def validate_quantity(self, quantity: MoneyInput) -> Decimal:
        """Return ``quantity`` if it is finite, positive, on the step grid and ≥ the minimum.

        Raises:
            InvalidValueError: naming the field ``quantity`` and the value.
        """
        number = positive(quantity, "quantity")
        if number % self.step_size != 0:
            raise InvalidValueError.for_value(
                "quantity",
                quantity,
                f"is not a multiple of the step size {self.step_size} for {self}",
            )
        if number < self.min_size:
            raise InvalidValueError.for_value(
                "quantity", quantity, f"is below the minimum size {self.min_size} for {self}"
            )
        return number

    def validate_notional(self, quantity: MoneyInput, price: MoneyInput) -> Decimal:
        """Return the order's notional if it reaches ``min_notional``.

        Raises:
            InvalidValueError: naming the field ``notional`` and the value.
        """
        value = self.notional(quantity, price)
        if value < self.min_notional:
            raise InvalidValueError.for_value(
                "notional",
                value,
                f"is below the minimum notional {self.min_notional} {self.quote} for {self}",
            )
        return value

    def notional(self, quantity: MoneyInput, price: MoneyInput) -> Decimal:
        """Return ``|quantity| · price · multiplier`` in the quote currency."""
        qty = finite(quantity, "quantity")
        return abs(qty) * positive(price, "price") * self.multiplier

    def pnl(self, quantity: MoneyInput, entry_price: MoneyInput, exit_price: MoneyInput) -> Decimal:
        """Return the quote P&L of a signed ``quantity`` (long > 0) from entry to exit."""
        qty = finite(quantity, "quantity")
        entry = positive(entry_price, "entry_price")
        exit_ = positive(exit_price, "exit_price")
        return qty * (exit_ - entry) * self.multiplier

    def ticks(self, price_change: MoneyInput) -> Decimal:
        """Return how many ticks ``price_change`` spans (may be fractional or negative)."""
        return finite(price_change, "price_change") / self.tick_size

    def __str__(self) -> str:
        return self.symbol

    @staticmethod
    def _snap(number: Decimal, grid: Decimal, rounding: str) -> Decimal:
        steps = (number / grid).to_integral_value(rounding=rounding)
        return (steps * grid).quantize(grid) if exponent(grid) <= 0 else steps * grid


def _tidy(number: Decimal) -> Decimal:
    """Write an integral ``Decimal`` without an exponent (``2E+1`` → ``20``)."""
    return number.quantize(_ONE) if number == number.to_integral_value() else number
