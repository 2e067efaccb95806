"""The account: balances per currency, positions per symbol, marks, equity and P&L.

Fills move money by instrument kind:

* **spot** — the quote balance moves by the notional (``−signed_qty · price``) and the base
  balance by the signed quantity, like a cash account;
* **futures and perps** — margin-style: only the realized P&L moves the quote balance.

Either way the fee leaves the ``fee_currency`` balance. Equity in a currency ``C`` is the
``C`` balance, plus every other balance valued at the mark of its spot pair in ``C``, plus the
unrealized P&L of derivative positions quoted in ``C``. So, starting from cash only and
with fees in ``C``, ``equity − initial == realized + unrealized − fees``, to the last digit.

The portfolio is pure: :meth:`Portfolio.apply_fill` returns the position events to publish
(``PositionOpened``/``PositionChanged``/``PositionClosed``; a flip returns a close then an
open) and the component that owns the portfolio publishes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from riskbus.core.errors import InvalidValueError
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.enums import InstrumentKind, OrderSide, PositionSide
from riskbus.model.errors import DuplicateFillError, MissingMarkPriceError
from riskbus.model.events.account import (
    AccountSnapshot,
    Balance,
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.events.orders import OrderFilled
from riskbus.model.fills import Fill
from riskbus.model.instruments import Instrument
from riskbus.model.money import ZERO, MoneyInput, finite, non_negative, positive
from riskbus.model.positions import Position

__all__ = ["Portfolio"]

_BUY = OrderSide.BUY
_SPOT = InstrumentKind.SPOT


class Portfolio:
    """Balances, positions and marks of one account.

    Args:
        registry: the instruments fills may refer to.
        balances: opening balances per currency.
        currency: the default currency for equity and P&L totals.
    """

    def __init__(
        self,
        registry: InstrumentRegistry,
        balances: Mapping[str, MoneyInput] | None = None,
        *,
        currency: str = "USDT",
    ) -> None:
        self.registry = registry
        self._instruments = registry.index()  # live: instruments added later are known
        self.currency = currency
        self._balances: dict[str, Decimal] = {}
        for asset, amount in (balances or {}).items():
            self._balances[asset] = finite(amount, f"balances.{asset}")
        self._positions: dict[str, Position] = {}
        #: the positions in futures and perps (their unrealized P&L is part of equity), in
        #: booking order, as :attr:`_positions` holds them
        self._derivatives: list[Position] = []
        #: signed size by symbol of the open positions (see :meth:`open_sizes`)
        self._open: dict[str, Decimal] = {}
        self._marks: dict[str, Decimal] = {}
        self._fees: dict[str, Decimal] = {}
        self._fill_ids: set[str] = set()
        self._reserved: dict[str, Decimal] = {}

    # -- balances -------------------------------------------------------------------------

    def balance(self, currency: str) -> Decimal:
        """Return the balance of ``currency`` (0 if never held)."""
        return self._balances.get(currency, ZERO)

    @property
    def balances(self) -> dict[str, Decimal]:
        """Every balance by currency (a copy)."""
        return dict(self._balances)

    def deposit(self, currency: str, amount: MoneyInput) -> Decimal:
        """Add ``amount`` (> 0) to ``currency``; return the new balance."""
        return self._move(currency, positive(amount, "amount"))

    def withdraw(self, currency: str, amount: MoneyInput) -> Decimal:
        """Take ``amount`` (> 0) from ``currency``; return the new balance.

        Raises:
            InvalidValueError: the amount is not positive or exceeds the balance.
        """
        value = positive(amount, "amount")
        if value > self.balance(currency):
            raise InvalidValueError.for_value(
                "amount", amount, f"exceeds the {currency} balance {self.balance(currency)}"
            )
        return self._move(currency, -value)

    def set_balance(self, currency: str, amount: MoneyInput) -> None:
        """Overwrite the balance of ``currency`` (e.g. after reconciling with the venue)."""
        self._balances[currency] = finite(amount, "amount")

    # -- reservations ---------------------------------------------------------------------

    def reserved(self, currency: str) -> Decimal:
        """Return the amount of ``currency`` locked by open orders (0 if none)."""
        return self._reserved.get(currency, ZERO)

    @property
    def reservations(self) -> dict[str, Decimal]:
        """Every locked amount by currency (a copy; currencies with none are absent)."""
        return dict(self._reserved)

    def free(self, currency: str) -> Decimal:
        """Return the balance of ``currency`` not locked by open orders (may be < 0 after a
        withdrawal below the locked amount)."""
        return self._balances.get(currency, ZERO) - self._reserved.get(currency, ZERO)

    def funds(self) -> tuple[Mapping[str, Decimal], Mapping[str, Decimal]]:
        """The live balance and lock mappings by currency (read them, never change them).

        For a hot path that compares free funds without a call per order (the simulated
        venue's market orders): ``free = balances.get(c, 0) − locks.get(c, 0)``.
        """
        return self._balances, self._reserved

    def reserve(self, currency: str, amount: MoneyInput) -> Decimal:
        """Lock ``amount`` (>= 0) of ``currency`` for an open order; return the total locked.

        The balance itself is unchanged: a reservation only lowers :meth:`free`. Whoever
        reserves checks :meth:`free` first (the simulated venue does, when it accepts an
        order) and releases the same amount when the order ends.
        """
        value = non_negative(amount, "amount")
        total = self._reserved.get(currency, ZERO) + value
        if total:
            self._reserved[currency] = total
        return total

    def release(self, currency: str, amount: MoneyInput) -> Decimal:
        """Unlock ``amount`` (>= 0) of ``currency``; return what stays locked.

        Raises:
            InvalidValueError: more than is locked would be released.
        """
        value = non_negative(amount, "amount")
        held = self._reserved.get(currency, ZERO)
        if value > held:
            raise InvalidValueError.for_value(
                "amount", amount, f"exceeds the {held} {currency} locked by open orders"
            )
        left = held - value
        if left:
            self._reserved[currency] = left
        else:
            self._reserved.pop(currency, None)
        return left

    # -- positions and marks --------------------------------------------------------------

    def position(self, symbol: str) -> Position | None:
        """Return the position in ``symbol``, flat or open, or ``None`` if never traded."""
        return self._positions.get(symbol)

    @property
    def positions(self) -> dict[str, Position]:
        """Every position ever traded, by symbol (a copy of the mapping)."""
        return dict(self._positions)

    def open_positions(self) -> tuple[Position, ...]:
        """The positions that are not flat, by symbol."""
        return tuple(p for _, p in sorted(self._positions.items()) if p.is_open)

    def mark(self, symbol: str) -> Decimal | None:
        """Return the mark price of ``symbol``, or ``None`` if never marked or traded."""
        return self._marks.get(symbol)

    def update_mark(self, symbol: str, price: MoneyInput) -> None:
        """Set the mark price of ``symbol``.

        Raises:
            InvalidValueError: ``price`` is not positive and finite, or the symbol is unknown.
        """
        if not self.mark_known(symbol, price):
            self.registry.get(symbol)  # raises, naming close matches

    def mark_known(self, symbol: str, price: MoneyInput) -> bool:
        """Set the mark price of ``symbol`` if the registry knows it; return whether it did.

        For feeds that may carry symbols the account does not trade (they are ignored).

        Raises:
            InvalidValueError: ``price`` is not positive and finite.
        """
        if symbol not in self._instruments:
            return False
        # Marked on every bar or quote: a finite positive Decimal (the feeds' case) is taken
        # as it is, anything else is checked and converted by ``positive``.
        if type(price) is Decimal and price.is_finite() and price > ZERO:
            value = price
        else:
            value = positive(price, "price")
        self._marks[symbol] = value
        position = self._positions.get(symbol)
        if position is not None:
            position._mark = value  # Position.update_mark without checking ``value`` again
        return True

    def on_bar(self, bar: Bar) -> None:
        """Mark ``bar.symbol`` at the bar's close."""
        self.update_mark(bar.symbol, bar.close)

    def mark_bar(self, bar: Bar) -> None:
        """:meth:`mark_known` at the bar's close: a symbol the registry lacks is ignored.

        Raises:
            InvalidValueError: the close is not positive and finite.
        """
        # mark_known, inline: a backtest marks every bar (one call less on its hot path)
        symbol = bar.symbol
        if symbol not in self._instruments:
            return
        price = bar.close
        if type(price) is Decimal and price.is_finite() and price > ZERO:
            value = price
        else:
            value = positive(price, "price")
        self._marks[symbol] = value
        position = self._positions.get(symbol)
        if position is not None:
            position._mark = value

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Mark ``tick.symbol`` at the quote's mid."""
        self.update_mark(tick.symbol, tick.mid)

    def on_trade_tick(self, tick: TradeTick) -> None:
        """Mark ``tick.symbol`` at the trade price."""
        self.update_mark(tick.symbol, tick.price)

    # -- fills ----------------------------------------------------------------------------

    def has_fill(self, fill_id: str) -> bool:
        """Whether the fill ``fill_id`` was booked."""
        return fill_id in self._fill_ids

    def on_order_filled(self, event: OrderFilled) -> tuple[PositionEvent, ...]:
        """Book the fill an ``OrderFilled`` event reports; see :meth:`apply_fill`."""
        return self.apply_fill(Fill.from_event(event))

    def apply_fill(self, fill: Fill) -> tuple[PositionEvent, ...]:
        """Book ``fill`` in balances and its position; return the position events.

        Raises:
            InvalidValueError: the symbol is unknown.
            DuplicateFillError: the fill id was booked before (nothing changes).
        """
        instrument = self.registry.get(fill.symbol)
        if fill.fill_id in self._fill_ids:
            raise DuplicateFillError(client_order_id=fill.client_order_id, fill_id=fill.fill_id)
        position = self._position_for(instrument)
        before = position.quantity
        signed, price, fee = fill.signed_quantity, fill.price, fill.fee
        realized = position.book(signed, price, fee, fill.fee_currency, fill.ts)
        self._index(position)
        self._settle(instrument, fill.fill_id, signed, price, realized)
        if fee:
            self._charge(fee, fill.fee_currency)
        return _position_events(position, before, realized, fill)

    def record_fill(self, event: OrderFilled, instrument: Instrument | None = None) -> None:
        """Book a fill this process made itself, without checks or position events.

        The fast path of the simulated venue: ``event`` must already hold Decimals on the
        instrument's grid (a positive quantity and price, a finite fee). Anything that comes
        from outside goes through :meth:`on_order_filled` instead.

        Raises:
            InvalidValueError: the symbol is unknown.
            DuplicateFillError: the fill id was booked before (nothing changes).
        """
        if instrument is None:
            instrument = self.registry.get(event.symbol)
        fill_id = event.fill_id
        if fill_id in self._fill_ids:
            raise DuplicateFillError(client_order_id=event.client_order_id, fill_id=fill_id)
        quantity = event.last_qty
        signed = quantity if event.side is _BUY else -quantity
        price, fee = event.last_price, event.fee
        position = self._positions.get(instrument.symbol)
        if position is None:
            position = self._position_for(instrument)
        realized = position.book(signed, price, fee, event.fee_currency, event.ts)
        # _index inlined
        size = position._quantity
        if size:
            self._open[instrument.symbol] = size
        else:
            self._open.pop(instrument.symbol, None)
        # _settle and _charge inlined: this is the venue's per-fill hot path
        balances = self._balances
        quote = instrument.quote
        if instrument.kind is not _SPOT:
            balances[quote] = balances.get(quote, ZERO) + realized
        else:
            balances[quote] = balances.get(quote, ZERO) - signed * price
            base = instrument.base
            balances[base] = balances.get(base, ZERO) + signed
        if fee:
            currency = event.fee_currency
            balances[currency] = balances.get(currency, ZERO) - fee
            fees = self._fees
            fees[currency] = fees.get(currency, ZERO) + fee
        self._fill_ids.add(fill_id)
        if instrument.symbol not in self._marks:
            self.update_mark(instrument.symbol, price)

    def _index(self, position: Position) -> None:
        """Keep :meth:`open_sizes` up to date with a position that just booked a fill."""
        size = position._quantity
        if size:
            self._open[position.instrument.symbol] = size
        else:
            self._open.pop(position.instrument.symbol, None)

    def _position_for(self, instrument: Instrument) -> Position:
        symbol = instrument.symbol
        position = self._positions.get(symbol)
        if position is None:
            position = self._positions[symbol] = Position(instrument)
            if instrument.kind is not _SPOT:
                self._derivatives.append(position)
            mark = self._marks.get(symbol)
            if mark is not None:
                position.update_mark(mark)
        return position

    def _settle(
        self,
        instrument: Instrument,
        fill_id: str,
        signed_quantity: Decimal,
        price: Decimal,
        realized: Decimal,
    ) -> None:
        """Move the balances of a fill its position has booked (fees: :meth:`_charge`)."""
        balances = self._balances
        quote = instrument.quote
        if instrument.kind is not _SPOT:
            balances[quote] = balances.get(quote, ZERO) + realized
        else:
            balances[quote] = balances.get(quote, ZERO) - signed_quantity * price
            base = instrument.base
            balances[base] = balances.get(base, ZERO) + signed_quantity
        self._fill_ids.add(fill_id)
        if instrument.symbol not in self._marks:
            # Until a feed marks it, the first traded price is the best price known.
            self.update_mark(instrument.symbol, price)

    def _charge(self, fee: Decimal, currency: str) -> None:
        balances = self._balances
        balances[currency] = balances.get(currency, ZERO) - fee
        fees = self._fees
        fees[currency] = fees.get(currency, ZERO) + fee

    # -- totals ---------------------------------------------------------------------------

    def fees(self, currency: str | None = None) -> Decimal:
        """Return the fees paid in ``currency`` (default: the portfolio currency)."""
        return self._fees.get(currency or self.currency, ZERO)

    def realized_pnl(self, currency: str | None = None) -> Decimal:
        """Return the gross realized P&L of instruments quoted in ``currency``."""
        quote = currency or self.currency
        return sum(
            (p.realized_pnl for p in self._positions.values() if p.instrument.quote == quote),
            ZERO,
        )

    def unrealized_pnl(self, currency: str | None = None) -> Decimal:
        """Return the gross unrealized P&L at the marks of positions quoted in ``currency``."""
        quote = currency or self.currency
        return sum(
            (p.unrealized_pnl() for p in self._positions.values() if p.instrument.quote == quote),
            ZERO,
        )

    def equity(self, currency: str | None = None) -> Decimal:
        """Return the account's value in ``currency`` (default: the portfolio currency).

        Raises:
            MissingMarkPriceError: a balance or a derivative position cannot be valued in
                ``currency`` (no spot pair to it, or the pair was never marked).
        """
        quote = currency or self.currency
        balances = self._balances
        total = balances.get(quote, ZERO)
        for asset, amount in balances.items():
            if asset != quote and amount:
                total += amount * self._asset_price(asset, quote)
        # Read per event by the risk rules: only the derivative positions are walked, and
        # ``is_open`` is tested on the position's own field (same package), not a property.
        for position in self._derivatives:
            quantity = position._quantity
            if not quantity:
                continue
            instrument = position.instrument
            if instrument.quote != quote:
                raise MissingMarkPriceError(instrument.quote, quote)
            # Position.unrealized_pnl()'s remembered result, looked up inline
            last = position._unrealized
            if last is not None and last[0] is quantity and last[2] is position._cost:
                mark = position._mark
                if last[1] is (mark if mark is not None else position._last_price):
                    total += last[3]
                    continue
            total += position.unrealized_pnl()
        return total

    def open_sizes(self) -> Mapping[str, Decimal]:
        """Signed quantity by symbol of the open (not flat) positions, in the order they
        opened from flat.

        The portfolio's own index, kept by every fill it books (read by the risk rules on
        every event, it is not rebuilt for each): read it, do not change it; copy it to
        keep it.
        """
        return self._open

    def snapshot(self, ts: int, currency: str | None = None) -> AccountSnapshot:
        """Return an :class:`AccountSnapshot` event valued in ``currency`` at ``ts``."""
        quote = currency or self.currency
        return AccountSnapshot(
            ts=ts,
            currency=quote,
            balances=self.balance_rows(),
            equity=self.equity(quote),
            realized_pnl=self.realized_pnl(quote),
            unrealized_pnl=self.unrealized_pnl(quote),
            fees=self.fees(quote),
        )

    def balance_rows(self) -> tuple[Balance, ...]:
        """Return every balance as a :class:`Balance` (``free`` = total − locked), by name."""
        reserved = self._reserved
        return tuple(
            Balance(currency=asset, total=amount, free=amount - reserved.get(asset, ZERO))
            for asset, amount in sorted(self._balances.items())
        )

    def _asset_price(self, asset: str, quote: str) -> Decimal:
        instrument = self.registry.spot_for(asset, quote)
        mark = self._marks.get(instrument.symbol) if instrument is not None else None
        if mark is None:
            raise MissingMarkPriceError(asset, quote)
        return mark

    def _move(self, currency: str, amount: Decimal) -> Decimal:
        balance = self._balances[currency] = self._balances.get(currency, ZERO) + amount
        return balance


def _position_events(
    position: Position, before: Decimal, realized: Decimal, fill: Fill
) -> tuple[PositionEvent, ...]:
    after = position.quantity
    flipped = bool(before) and bool(after) and (after > 0) != (before > 0)
    if before and (not after or flipped):
        closed = PositionClosed(
            ts=fill.ts,
            symbol=position.symbol,
            side=PositionSide.FLAT,
            quantity=ZERO,
            avg_price=ZERO,
            realized_pnl=position.last_closed_pnl,
            unrealized_pnl=ZERO,
            trade_pnl=realized,
            fee=fill.fee,
            currency=position.instrument.quote,
            fill_id=fill.fill_id,
        )
        if not flipped:
            return (closed,)
        return (closed, _current(PositionOpened, position, ZERO, ZERO, fill))
    if not before:
        return (_current(PositionOpened, position, ZERO, fill.fee, fill),)
    return (_current(PositionChanged, position, realized, fill.fee, fill),)


def _current(
    kind: type[PositionOpened | PositionChanged],
    position: Position,
    trade_pnl: Decimal,
    fee: Decimal,
    fill: Fill,
) -> PositionOpened | PositionChanged:
    return kind(
        ts=fill.ts,
        symbol=position.symbol,
        side=position.side,
        quantity=position.quantity,
        avg_price=position.avg_price,
        realized_pnl=position.life_realized_pnl,
        unrealized_pnl=position.unrealized_pnl(),
        trade_pnl=trade_pnl,
        fee=fee,
        currency=position.instrument.quote,
        fill_id=fill.fill_id,
    )
