"""Working orders of the simulated venue and the pure rules that check and match them.

Reason codes produced here: ``INVALID_QUANTITY``, ``MIN_SIZE``, ``STEP_SIZE``,
``INVALID_PRICE``, ``TICK_SIZE`` and ``MIN_NOTIONAL``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.events.account import OrderReport
from riskbus.model.instruments import Instrument
from riskbus.model.reasons import format_reason

__all__ = ["SimOrder", "check_order", "crosses", "triggered"]

_ZERO = Decimal(0)
_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT)


class SimOrder(msgspec.Struct, gc=False):
    """One order as the venue holds it.

    A mutable struct the garbage collector does not track (``gc=False``): the venue keeps
    every order it took, and tracked, they made each collection walk them all. It holds
    no reference back to anything that holds it, so it can never be part of a cycle.

    Attributes:
        command: the order as submitted.
        venue_order_id: the venue's id.
        status: the venue's status of it.
        filled: the quantity filled so far.
        notional: the sum of fill quantity × price (for the average price).
        triggered: whether a stop's trigger price traded.
        queue_ahead: quantity still queued ahead of it at its limit price.
        resting: whether it rested on the book (its later fills are maker fills).
        held: the amount of ``hold_currency`` its open quantity locks in the account.
        hold_currency: the currency it locks (quote for buys and derivatives, base for
            spot sells; empty when it locks nothing, e.g. reduce-only).
        hold_rate: the amount locked per unit of open quantity.
        checked_price: the price its funds were checked at, while it is matched right
            after that check (a fill at that price or better cannot fail the check again).
    """

    command: SubmitOrder
    venue_order_id: str
    status: OrderStatus = OrderStatus.ACCEPTED
    filled: Decimal = _ZERO
    notional: Decimal = _ZERO
    triggered: bool = False
    queue_ahead: Decimal = _ZERO
    resting: bool = False
    held: Decimal = _ZERO
    hold_currency: str = ""
    hold_rate: Decimal = _ZERO
    checked_price: Decimal | None = None

    @property
    def leaves(self) -> Decimal:
        """The quantity still open."""
        return self.command.quantity - self.filled

    @property
    def working_type(self) -> OrderType:
        """How the order works now: a triggered stop is market, a stop-limit is limit."""
        kind = self.command.order_type
        if kind is OrderType.STOP_LIMIT and self.triggered:
            return OrderType.LIMIT
        if kind is OrderType.STOP and self.triggered:
            return OrderType.MARKET
        return kind

    def report(self) -> OrderReport:
        """Return the order's state as an :class:`OrderReport`."""
        command = self.command
        return OrderReport(
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            quantity=command.quantity,
            status=self.status,
            filled_qty=self.filled,
            venue_order_id=self.venue_order_id,
            price=command.price,
            stop_price=command.stop_price,
            avg_fill_price=self.notional / self.filled if self.filled else None,
        )


def check_order(command: SubmitOrder, instrument: Instrument, reference: Decimal) -> str | None:
    """Return the rejection reason of ``command`` on ``instrument``, or None if it is valid.

    ``reference`` is the price a market or stop order's notional is measured at.
    """
    quantity = command.quantity
    if not quantity.is_finite() or quantity <= 0:
        return format_reason("INVALID_QUANTITY", quantity=quantity)
    if quantity < instrument.min_size:
        return format_reason("MIN_SIZE", quantity=quantity, min_size=instrument.min_size)
    if quantity % instrument.step_size:
        return format_reason("STEP_SIZE", quantity=quantity, step_size=instrument.step_size)
    for name, needed in (("price", _PRICED), ("stop_price", _STOPS)):
        value: Decimal | None = getattr(command, name)
        if command.order_type not in needed:
            continue
        if value is None or not value.is_finite() or value <= 0:
            return format_reason("INVALID_PRICE", field=name, value=value)
        if value % instrument.tick_size:
            return format_reason("TICK_SIZE", field=name, value=value, tick=instrument.tick_size)
    price = command.price if command.order_type in _PRICED else reference
    assert price is not None  # checked above for priced orders
    notional = quantity * price * instrument.multiplier
    if notional < instrument.min_notional:
        return format_reason("MIN_NOTIONAL", notional=notional, min=instrument.min_notional)
    return None


def crosses(command: SubmitOrder, bid: Decimal, ask: Decimal) -> bool:
    """Whether a limit order's price reaches the other side of the quote."""
    assert command.price is not None
    if command.side is OrderSide.BUY:
        return command.price >= ask
    return command.price <= bid


def triggered(command: SubmitOrder, price: Decimal) -> bool:
    """Whether a stop order's trigger price has traded at ``price``."""
    assert command.stop_price is not None
    if command.side is OrderSide.BUY:
        return price >= command.stop_price
    return price <= command.stop_price


def is_immediate(command: SubmitOrder) -> bool:
    """Whether the order must not rest (IOC or FOK)."""
    return command.time_in_force is not TimeInForce.GTC
