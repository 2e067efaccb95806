"""Fills: one execution of part of an order, as accounting sees it.

A :class:`Fill` is the validated, accounting-side view of an ``OrderFilled`` event: a
positive quantity at a positive price, and a finite fee (negative for a maker rebate).
:meth:`Fill.from_event` builds one; :meth:`riskbus.model.portfolio.Portfolio.apply_fill`
books it.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
from msgspec.structs import force_setattr

from riskbus.core.errors import InvalidValueError
from riskbus.model.enums import LiquiditySide, OrderSide, parse_enum
from riskbus.model.events.orders import OrderFilled
from riskbus.model.money import ZERO, finite, positive

__all__ = ["Fill"]


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    """One execution.

    Attributes:
        fill_id: the venue's trade id, unique per fill.
        client_order_id: the order it belongs to.
        symbol: the instrument.
        side: buy or sell.
        quantity: the quantity executed (> 0).
        price: the execution price (> 0).
        fee: the fee in ``fee_currency`` (may be negative: a rebate).
        fee_currency: the currency of the fee; empty only when ``fee`` is 0.
        ts: when it happened (ns).
        liquidity: maker or taker.
        strategy: who sent the order.
    """

    fill_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal = ZERO
    fee_currency: str = ""
    ts: int = 0
    liquidity: LiquiditySide = LiquiditySide.TAKER
    strategy: str = ""

    def __post_init__(self) -> None:
        if not self.fill_id:
            raise InvalidValueError.for_value("fill_id", self.fill_id, "is empty")
        # Normalise ints and numeric strings to Decimal so accounting only sees Decimals.
        force_setattr(self, "quantity", positive(self.quantity, "quantity"))
        force_setattr(self, "price", positive(self.price, "price"))
        force_setattr(self, "fee", finite(self.fee, "fee"))
        if self.fee and not self.fee_currency:
            raise InvalidValueError.for_value(
                "fee_currency", self.fee_currency, "is required when the fee is not zero"
            )
        force_setattr(self, "side", parse_enum(OrderSide, self.side, "side"))

    @classmethod
    def from_event(cls, event: OrderFilled) -> Fill:
        """Build the fill an ``OrderFilled`` event reports.

        Raises:
            InvalidValueError: the event's quantity, price or fee is not acceptable.
        """
        return cls(
            fill_id=event.fill_id,
            client_order_id=event.client_order_id,
            symbol=event.symbol,
            side=event.side,
            quantity=event.last_qty,
            price=event.last_price,
            fee=event.fee,
            fee_currency=event.fee_currency,
            ts=event.ts,
            liquidity=event.liquidity,
            strategy=event.strategy,
        )

    @property
    def signed_quantity(self) -> Decimal:
        """The quantity, positive for a buy and negative for a sell."""
        return self.quantity * self.side.sign
