"""Net positions with average-cost accounting, for spot and derivatives alike.

A :class:`Position` holds the signed net quantity of one instrument (long > 0) and its cost
basis ``K = quantity · average price``. A fill on the same side adds ``qty · price`` to
``K``. A fill on the other side closes ``c = min(|fill|, |position|)`` first: it releases the
share ``c / |position|`` of ``K`` and realizes ``(exit value − released cost) · multiplier``;
whatever is left of the fill opens a new position on the other side at the fill price (a
flip).

A released cost that is not exact (a third of the basis), or exact with digits finer than
:data:`COST_QUANTUM` (or than the instrument's grid, if that is finer: a basis divided by
``2**14`` units has 14 more decimals), is rounded to that quantum. The basis then always
stays on the quantum's grid, well inside the 28 digits of the Decimal context, so every
later addition and subtraction is exact and money is conserved to the last digit (before,
an exact but long release left a basis whose next subtraction was silently rounded): for
any fill sequence,
``realized + unrealized == (Σ −signed_qty · price + quantity · mark) · multiplier``.
P&L here is gross; fees are kept beside it, per currency.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, Inexact, localcontext

from riskbus.core.errors import InvalidValueError
from riskbus.model.enums import PositionSide
from riskbus.model.events.account import PositionReport
from riskbus.model.fills import Fill
from riskbus.model.instruments import Instrument
from riskbus.model.money import ZERO, MoneyInput, exponent, positive

__all__ = ["COST_QUANTUM", "Position"]

#: Released cost basis is rounded to this many quote units (or finer; see module docs).
COST_QUANTUM = Decimal("1e-12")


class Position:
    """The net position in one instrument, kept across its openings and closings.

    Args:
        instrument: what is held; its multiplier scales P&L.

    Attributes:
        last_closed_pnl: gross P&L of the last life that ended flat (open → flat).
        trade_count: fills booked.
        ts_opened: when the current (or last) life opened from flat; ``None`` if never.
        ts_last: when the last fill was booked.
    """

    __slots__ = (
        "_average",
        "_cost",
        "_fees",
        "_last_price",
        "_mark",
        "_quantity",
        "_quantum",
        "_realized",
        "_realized_at_open",
        "_unit",
        "_unrealized",
        "instrument",
        "last_closed_pnl",
        "trade_count",
        "ts_last",
        "ts_opened",
    )

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self._quantity = ZERO
        self._cost = ZERO
        self._realized = ZERO
        self._realized_at_open = ZERO
        self._fees: dict[str, Decimal] = {}
        self._mark: Decimal | None = None
        self._last_price: Decimal | None = None
        grid = exponent(instrument.tick_size) + exponent(instrument.step_size)
        self._quantum = min(COST_QUANTUM, Decimal(1).scaleb(grid))
        self._unit = instrument.multiplier == 1  # x * 1 == x, same digits: skip it
        #: (quantity, price, cost, unrealized P&L) of the last :meth:`unrealized_pnl`
        self._unrealized: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
        #: (quantity, cost, average price) of the last :attr:`avg_price`
        self._average: tuple[Decimal, Decimal, Decimal] | None = None
        self.last_closed_pnl = ZERO
        self.trade_count = 0
        self.ts_opened: int | None = None
        self.ts_last: int | None = None

    @property
    def symbol(self) -> str:
        """The instrument's symbol."""
        return self.instrument.symbol

    @property
    def quantity(self) -> Decimal:
        """The signed net quantity: long > 0, short < 0, flat 0."""
        return self._quantity

    @property
    def side(self) -> PositionSide:
        """Long, short or flat."""
        if self._quantity > 0:
            return PositionSide.LONG
        return PositionSide.SHORT if self._quantity < 0 else PositionSide.FLAT

    @property
    def is_open(self) -> bool:
        """Whether the position is not flat."""
        return self._quantity != 0

    @property
    def cost_basis(self) -> Decimal:
        """``quantity · avg_price`` (signed like the quantity), before the multiplier."""
        return self._cost

    @property
    def avg_price(self) -> Decimal:
        """The average entry price of the open quantity (0 when flat)."""
        quantity = self._quantity
        if not quantity:
            return ZERO
        # A division, read on every price event by trade management: kept with the
        # (immutable) Decimals it came from, reused while they are the very same objects.
        cost = self._cost
        last = self._average
        if last is not None and last[0] is quantity and last[1] is cost:
            return last[2]
        value = cost / quantity
        self._average = (quantity, cost, value)
        return value

    @property
    def realized_pnl(self) -> Decimal:
        """Gross P&L realized in this instrument since the position object was made."""
        return self._realized

    @property
    def life_realized_pnl(self) -> Decimal:
        """Gross P&L realized since the position last opened from flat."""
        return self._realized - self._realized_at_open

    @property
    def fees(self) -> dict[str, Decimal]:
        """Fees paid on this instrument, per currency (a copy)."""
        return dict(self._fees)

    @property
    def mark(self) -> Decimal | None:
        """The last mark price, or the last fill price if never marked, or ``None``."""
        return self._mark if self._mark is not None else self._last_price

    def update_mark(self, price: MoneyInput) -> None:
        """Set the mark price used for unrealized P&L.

        Raises:
            InvalidValueError: ``price`` is not a positive finite number.
        """
        self._mark = positive(price, "price")

    def unrealized_pnl(self, mark: MoneyInput | None = None) -> Decimal:
        """Return the gross unrealized P&L at ``mark`` (default: :attr:`mark`).

        A flat position, or one with no price known at all, has none (0).
        """
        if mark is not None:
            price: Decimal | None = positive(mark, "mark")
        else:  # :attr:`mark`, inline: this is read for every event the risk rules see
            price = self._mark if self._mark is not None else self._last_price
        quantity = self._quantity
        if not quantity or price is None:
            return ZERO
        # Equity and the risk rules ask for this on every event while usually neither the
        # position nor its price moved: the last result is kept with the (immutable) Decimals
        # it came from and reused while they are the very same objects.
        cost = self._cost
        last = self._unrealized
        if last is not None and last[0] is quantity and last[1] is price and last[2] is cost:
            return last[3]
        value = (quantity * price - cost) * self.instrument.multiplier
        self._unrealized = (quantity, price, cost, value)
        return value

    def notional(self, mark: MoneyInput | None = None) -> Decimal:
        """Return ``|quantity| · mark · multiplier`` (0 when flat or never priced)."""
        price = positive(mark, "mark") if mark is not None else self.mark
        if price is None:
            return ZERO
        return abs(self._quantity) * price * self.instrument.multiplier

    def apply(self, fill: Fill) -> Decimal:
        """Book ``fill``; return the gross P&L it realized (quote currency).

        Raises:
            InvalidValueError: the fill is for another instrument.
        """
        if fill.symbol != self.instrument.symbol:
            raise InvalidValueError.for_value(
                "symbol", fill.symbol, f"fill does not belong to position {self.symbol}"
            )
        return self.book(fill.signed_quantity, fill.price, fill.fee, fill.fee_currency, fill.ts)

    def book(
        self, signed_quantity: Decimal, price: Decimal, fee: Decimal, fee_currency: str, ts: int
    ) -> Decimal:
        """Book a fill given as checked Decimals; return the gross P&L it realized.

        The fast path under :meth:`apply` (and the simulated venue, which builds its fills
        on the instrument's grid): nothing is validated here.
        """
        delta = signed_quantity
        realized = ZERO
        quantity = self._quantity
        if quantity and (delta > 0) != (long := quantity > 0):
            realized, delta = self._close(delta, price, long)
        if delta:
            if not self._quantity:
                self._realized_at_open = self._realized
                self.ts_opened = ts
            self._quantity += delta
            self._cost += delta * price
        if fee:
            fees = self._fees
            fees[fee_currency] = fees.get(fee_currency, ZERO) + fee
        self._last_price = price
        self.trade_count += 1
        self.ts_last = ts
        return realized

    def to_report(self) -> PositionReport:
        """Return the position as a :class:`PositionReport`."""
        return PositionReport(
            symbol=self.symbol,
            quantity=self._quantity,
            avg_price=self.avg_price,
            unrealized_pnl=self.unrealized_pnl(),
        )

    def __repr__(self) -> str:
        return (
            f"Position({self.symbol} {self._quantity} @ {self.avg_price} realized={self._realized})"
        )

    def _release(self, quantity: Decimal) -> Decimal:
        """Return the cost basis of ``quantity`` of the open position, exact when it can be."""
        with localcontext() as context:
            context.clear_flags()
            released = self._cost * quantity / self._quantity
            quantum = self._quantum
            if context.flags[Inexact] or exponent(released) < exponent(quantum):
                released = released.quantize(quantum, rounding=ROUND_HALF_EVEN)
        return released

    def _close(self, delta: Decimal, price: Decimal, long: bool) -> tuple[Decimal, Decimal]:
        """Close up to ``|delta|`` against the position (``long``: its side, which ``delta``
        opposes); return (realized, remaining delta)."""
        quantity = self._quantity
        rest = delta + quantity  # what is left of the fill if it closes everything
        if rest <= 0 if long else rest >= 0:  # |delta| >= |quantity|: it closes everything
            # the same digits as -closing · price − released with closing = −quantity,
            # released = the whole basis; quantity and basis become zeros of their exponents
            cost = self._cost
            realized = quantity * price - cost
            if not self._unit:
                realized *= self.instrument.multiplier
            self._quantity = quantity - quantity
            self._cost = cost - cost
            self._realized += realized
            self.last_closed_pnl = self._realized - self._realized_at_open
            return realized, rest
        released = self._release(-delta)
        realized = -delta * price - released
        if not self._unit:
            realized *= self.instrument.multiplier
        self._quantity = quantity + delta
        self._cost -= released
        self._realized += realized
        return realized, delta - delta
