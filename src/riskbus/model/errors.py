"""Errors the domain model raises on purpose, under the core ``RiskbusError`` root.

::

    RiskbusError                       (riskbus.core.errors)
    ├── InvalidValueError              bad quantity, price, symbol (core; used here too)
    ├── OrderStateError                an order cannot take this event; it is left unchanged
    │   ├── InvalidOrderTransition     the event is not allowed in the order's status
    │   ├── OrderOverfillError         the fill would take the filled quantity past the order
    │   └── DuplicateFillError         this fill id was applied before
    └── MissingMarkPriceError          equity needs a price that nobody has marked yet

An order that raises keeps the state it had before the event: the caller may log, alert or
reconcile and go on.
"""

from __future__ import annotations

from decimal import Decimal

from riskbus.core.errors import RiskbusError

__all__ = [
    "DuplicateFillError",
    "InvalidOrderTransition",
    "MissingMarkPriceError",
    "OrderOverfillError",
    "OrderStateError",
]


class OrderStateError(RiskbusError):
    """An order event cannot be applied; the order is unchanged.

    Args:
        message: what went wrong.
        client_order_id: the order concerned.
    """

    def __init__(self, message: str, *, client_order_id: str) -> None:
        super().__init__(message)
        self.client_order_id = client_order_id


class InvalidOrderTransition(OrderStateError):
    """The order's status machine has no transition for this event.

    Args:
        client_order_id: the order concerned.
        status: the order's status when the event arrived (its value, e.g. ``"FILLED"``).
        event: the name of the event, e.g. ``"OrderAccepted"``.
        detail: an optional explanation appended to the message.
    """

    def __init__(self, *, client_order_id: str, status: str, event: str, detail: str = "") -> None:
        message = f"order {client_order_id!r}: {event} is not allowed in status {status}"
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message, client_order_id=client_order_id)
        self.status = status
        self.event = event


class OrderOverfillError(OrderStateError):
    """A fill would make the filled quantity exceed the order quantity.

    Args:
        client_order_id: the order concerned.
        quantity: the order quantity.
        filled: the quantity filled before this fill.
        fill_quantity: the quantity of the offending fill.
    """

    def __init__(
        self, *, client_order_id: str, quantity: Decimal, filled: Decimal, fill_quantity: Decimal
    ) -> None:
        super().__init__(
            f"order {client_order_id!r} overfilled: filled {filled} + fill {fill_quantity} "
            f"> quantity {quantity}",
            client_order_id=client_order_id,
        )
        self.quantity = quantity
        self.filled = filled
        self.fill_quantity = fill_quantity


class DuplicateFillError(OrderStateError):
    """The fill id was already applied (a venue resend or a replayed message)."""

    def __init__(self, *, client_order_id: str, fill_id: str) -> None:
        super().__init__(
            f"order {client_order_id!r}: fill {fill_id!r} was already applied",
            client_order_id=client_order_id,
        )
        self.fill_id = fill_id


class MissingMarkPriceError(RiskbusError):
    """A value needs a mark price for ``asset`` in ``currency`` and none is known."""

    def __init__(self, asset: str, currency: str) -> None:
        super().__init__(
            f"no mark price to value {asset} in {currency}: "
            f"mark a {asset}/{currency} instrument (Portfolio.update_mark) first"
        )
        self.asset = asset
        self.currency = currency
