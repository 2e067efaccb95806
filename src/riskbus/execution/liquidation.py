"""The liquidation manager: which lots to sell, and a plan the execution engine runs.

The original's liquidation manager was never published, so this is designed from what a
trader needs. A position is a list of :class:`Lot` s (quantity, cost, when acquired).
:func:`plan_liquidation` sells one symbol's position or the whole portfolio, in full or a
given quantity per symbol, choosing lots by:

* ``fifo`` — oldest first; ``lifo`` — newest first;
* ``highest_cost`` — the dearest lots first (smallest taxable gain);
* ``largest_loss`` — the lots with the biggest unrealized loss first (tax-loss harvesting);
* ``pro_rata`` — every lot gives the same fraction.

Each symbol's sale becomes sell orders of a :class:`RebalancePlan`, sliced so that no order
is worth more than ``max_notional``, with an optional limit price (``limit_offset_bps``
below the price: a floor the sale will not go under). The result also says which lots were
sold and the P&L that realizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

import msgspec

from riskbus.core.errors import InvalidValueError
from riskbus.execution.plans import PlanOrder, RebalancePlan, validate_plan
from riskbus.model.enums import OrderSide
from riskbus.model.money import ZERO, finite

__all__ = ["LiquidationPlan", "LiquidationStrategy", "Lot", "LotSale", "plan_liquidation"]

_QTY_QUANTUM = Decimal("0.00000001")
_BPS = Decimal(10_000)


class LiquidationStrategy(StrEnum):
    """How lots are chosen."""

    FIFO = "fifo"
    LIFO = "lifo"
    HIGHEST_COST = "highest_cost"
    LARGEST_LOSS = "largest_loss"
    PRO_RATA = "pro_rata"


class Lot(msgspec.Struct, frozen=True, kw_only=True):
    """``quantity`` of ``symbol`` bought at ``cost`` each, at ``acquired_at`` (ns)."""

    symbol: str
    quantity: Decimal
    cost: Decimal
    acquired_at: int
    lot_id: str = ""


class LotSale(msgspec.Struct, frozen=True, kw_only=True):
    """``quantity`` of lot ``lot`` sold at ``price``: realizing ``pnl``."""

    lot: Lot
    quantity: Decimal
    price: Decimal

    @property
    def pnl(self) -> Decimal:
        """``(price − cost) · quantity``, before fees."""
        return (self.price - self.lot.cost) * self.quantity


class LiquidationPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The plan to run, the lots it sells and the P&L they realize (before fees)."""

    plan: RebalancePlan
    sales: tuple[LotSale, ...]

    @property
    def realized_pnl(self) -> Decimal:
        """The P&L the sale realizes, before fees."""
        return sum((s.pnl for s in self.sales), ZERO)


def plan_liquidation(
    lots: Iterable[Lot],
    prices: Mapping[str, Decimal],
    *,
    plan_id: str,
    strategy: LiquidationStrategy | str = LiquidationStrategy.FIFO,
    symbol: str | None = None,
    quantities: Mapping[str, Decimal] | None = None,
    max_notional: Decimal | None = None,
    limit_offset_bps: Decimal | None = None,
    platform: str = "simulator",
    cash: str = "USDT",
) -> LiquidationPlan:
    """Plan the sale of ``symbol``'s position (or every position) by ``strategy``.

    Args:
        lots: the lots held.
        prices: the current price per symbol.
        plan_id: the plan's id.
        strategy: how lots are chosen.
        symbol: liquidate only this symbol (default: all).
        quantities: sell only this much of a symbol (default: all of it).
        max_notional: slice orders so none is worth more than this.
        limit_offset_bps: give each order a limit this many bps under the price.
        platform: the venue hint.
        cash: the cash currency.

    Raises:
        InvalidValueError: an unknown strategy, a symbol with no lots or no price, a
            quantity above what is held, or a non-positive ``max_notional``; the field is
            named.
    """
    try:
        how = LiquidationStrategy(strategy)
    except ValueError:
        valid = ", ".join(s.value for s in LiquidationStrategy)
        raise InvalidValueError.for_value("strategy", strategy, f"valid: {valid}") from None
    if max_notional is not None and finite(max_notional, "max_notional") <= 0:
        raise InvalidValueError.for_value("max_notional", max_notional, "must be positive")
    by_symbol: dict[str, list[Lot]] = {}
    for lot in lots:
        if finite(lot.quantity, f"lots.{lot.symbol}.quantity") <= 0:
            raise InvalidValueError.for_value(
                f"lots.{lot.symbol}.quantity", lot.quantity, "must be positive"
            )
        by_symbol.setdefault(lot.symbol, []).append(lot)
    if symbol is not None and symbol not in by_symbol:
        raise InvalidValueError.for_value("symbol", symbol, "no lots held in this symbol")
    targets = [symbol] if symbol is not None else sorted(by_symbol)

    sales: list[LotSale] = []
    orders: list[PlanOrder] = []
    for name in targets:
        price = prices.get(name)
        if price is None or finite(price, f"prices.{name}") <= 0:
            raise InvalidValueError.for_value(f"prices.{name}", price, "needs a positive price")
        held = sum((lot.quantity for lot in by_symbol[name]), ZERO)
        wanted = (quantities or {}).get(name, held)
        if finite(wanted, f"quantities.{name}") <= 0 or wanted > held:
            raise InvalidValueError.for_value(
                f"quantities.{name}", wanted, f"must be > 0 and at most the {held} held"
            )
        sold = _select(by_symbol[name], wanted, how, price)
        sales.extend(sold)
        total = sum((s.quantity for s in sold), ZERO)
        limit = None
        if limit_offset_bps is not None:
            limit = price * (1 - finite(limit_offset_bps, "limit_offset_bps") / _BPS)
        orders.extend(
            _slices(
                name, total, price=price, max_notional=max_notional, platform=platform, limit=limit
            )
        )

    numbered = tuple(
        msgspec.structs.replace(o, order_id=f"{plan_id}-{n:04d}") for n, o in enumerate(orders, 1)
    )
    cash_delta = -sum((o.usd for o in numbered), ZERO)
    plan = validate_plan(
        RebalancePlan(plan_id=plan_id, cash=cash, orders=numbered, cash_delta=cash_delta)
    )
    return LiquidationPlan(plan=plan, sales=tuple(sales))


def _select(
    lots: list[Lot], wanted: Decimal, how: LiquidationStrategy, price: Decimal
) -> list[LotSale]:
    if how is LiquidationStrategy.PRO_RATA:
        held = sum((lot.quantity for lot in lots), ZERO)
        fraction = wanted / held
        sales = [
            LotSale(
                lot=lot,
                quantity=(lot.quantity * fraction).quantize(_QTY_QUANTUM, rounding=ROUND_DOWN),
                price=price,
            )
            for lot in lots
        ]
        short = wanted - sum((s.quantity for s in sales), ZERO)
        if short:  # rounding dust goes to the first lot that can take it
            for i, sale in enumerate(sales):
                room = sale.lot.quantity - sale.quantity
                if room >= short:
                    sales[i] = msgspec.structs.replace(sale, quantity=sale.quantity + short)
                    break
        return [s for s in sales if s.quantity > 0]
    order = {
        LiquidationStrategy.FIFO: lambda lot: (lot.acquired_at, lot.lot_id),
        LiquidationStrategy.LIFO: lambda lot: (-lot.acquired_at, lot.lot_id),
        LiquidationStrategy.HIGHEST_COST: lambda lot: (-lot.cost, lot.acquired_at),
        LiquidationStrategy.LARGEST_LOSS: lambda lot: (price - lot.cost, lot.acquired_at),
    }[how]
    remaining = wanted
    sales = []
    for lot in sorted(lots, key=order):
        if remaining <= 0:
            break
        take = min(lot.quantity, remaining)
        sales.append(LotSale(lot=lot, quantity=take, price=price))
        remaining -= take
    return sales


def _slices(
    symbol: str,
    quantity: Decimal,
    *,
    price: Decimal,
    max_notional: Decimal | None,
    platform: str,
    limit: Decimal | None,
) -> list[PlanOrder]:
    if max_notional is None or quantity * price <= max_notional:
        chunks = [quantity]
    else:
        size = (max_notional / price).quantize(_QTY_QUANTUM, rounding=ROUND_DOWN)
        if size <= 0:
            raise InvalidValueError.for_value(
                "max_notional", max_notional, f"is below one quantum of {symbol}"
            )
        full, rest = divmod(quantity, size)
        chunks = [size] * int(full) + ([rest] if rest else [])
    return [
        PlanOrder(
            order_id="",
            symbol=symbol,
            side=OrderSide.SELL,
            usd=-(chunk * price),
            quantity=chunk,
            price=price,
            platform=platform,
            priority=2,
            limit_price=limit,
        )
        for chunk in chunks
    ]
