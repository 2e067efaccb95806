"""The order status machine as an explicit table.

Each order event is one :class:`OrderTrigger`; :data:`TRANSITIONS` maps
``(status, trigger)`` to the next status. A pair that is not in the table is illegal: the
order raises :class:`~riskbus.model.errors.InvalidOrderTransition` and keeps its state.

The happy path is ``INITIALIZED → SUBMITTED → ACCEPTED → PARTIALLY_FILLED → FILLED``.
The table also admits what a real venue does:

* a fill before the acknowledgement (``SUBMITTED → FILLED``), a late acknowledgement after
  fills (``PARTIALLY_FILLED``/``FILLED`` stay), IOC/FOK cancels straight from ``SUBMITTED``;
* cancel races: a fill while ``PENDING_CANCEL`` (a partial one keeps the cancel pending),
  a cancel rejected because the order filled first (``FILLED`` stays), and late fills after
  ``CANCELED``/``EXPIRED`` (the fill is booked; a fill that completes the order makes it
  ``FILLED``);
* outcome unknown: a submit or cancel that timed out goes to ``UNKNOWN`` until the
  reconciler settles it with the venue's answer.

:data:`RESUME` as a target means "back to the resting status the order's history gives":
``PARTIALLY_FILLED`` if anything filled, else ``TRIGGERED`` if its stop triggered, else
``ACCEPTED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from riskbus.model.enums import OrderStatus
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderPendingCancel,
    OrderRejected,
    OrderStatusUnknown,
    OrderSubmitted,
    OrderTriggered,
)

__all__ = ["EVENT_TRIGGERS", "RESUME", "TRANSITIONS", "OrderTrigger", "allowed_triggers"]


class OrderTrigger(StrEnum):
    """What an order event does to the status machine."""

    SUBMIT = "SUBMIT"
    DENY = "DENY"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    TRIGGER = "TRIGGER"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCEL_REJECT = "CANCEL_REJECT"
    PARTIAL_FILL = "PARTIAL_FILL"
    FILL = "FILL"
    CANCEL = "CANCEL"
    EXPIRE = "EXPIRE"
    UNKNOWN = "UNKNOWN"


#: The trigger of each order event type; ``OrderFilled`` is ``FILL`` when it completes the
#: order and ``PARTIAL_FILL`` otherwise, so it is decided by the order, not listed here.
EVENT_TRIGGERS: Mapping[type, OrderTrigger] = MappingProxyType(
    {
        OrderSubmitted: OrderTrigger.SUBMIT,
        OrderDenied: OrderTrigger.DENY,
        OrderAccepted: OrderTrigger.ACCEPT,
        OrderRejected: OrderTrigger.REJECT,
        OrderTriggered: OrderTrigger.TRIGGER,
        OrderPendingCancel: OrderTrigger.PENDING_CANCEL,
        OrderCancelRejected: OrderTrigger.CANCEL_REJECT,
        OrderCanceled: OrderTrigger.CANCEL,
        OrderExpired: OrderTrigger.EXPIRE,
        OrderStatusUnknown: OrderTrigger.UNKNOWN,
    }
)

#: Target meaning "the resting status the order's fills and trigger give".
RESUME: Final = None

S = OrderStatus
T = OrderTrigger

_TABLE: dict[tuple[OrderStatus, OrderTrigger], OrderStatus | None] = {
    # Before sending: the risk engine denies, or the execution layer sends or refuses.
    (S.INITIALIZED, T.SUBMIT): S.SUBMITTED,
    (S.INITIALIZED, T.DENY): S.DENIED,
    (S.INITIALIZED, T.REJECT): S.REJECTED,
    # Sent, not yet acknowledged.
    (S.SUBMITTED, T.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, T.REJECT): S.REJECTED,
    (S.SUBMITTED, T.TRIGGER): S.TRIGGERED,
    (S.SUBMITTED, T.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.SUBMITTED, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.SUBMITTED, T.FILL): S.FILLED,
    (S.SUBMITTED, T.CANCEL): S.CANCELED,
    (S.SUBMITTED, T.EXPIRE): S.EXPIRED,
    (S.SUBMITTED, T.UNKNOWN): S.UNKNOWN,
    # Working at the venue.
    (S.ACCEPTED, T.REJECT): S.REJECTED,
    (S.ACCEPTED, T.TRIGGER): S.TRIGGERED,
    (S.ACCEPTED, T.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.ACCEPTED, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.ACCEPTED, T.FILL): S.FILLED,
    (S.ACCEPTED, T.CANCEL): S.CANCELED,
    (S.ACCEPTED, T.EXPIRE): S.EXPIRED,
    (S.TRIGGERED, T.REJECT): S.REJECTED,
    (S.TRIGGERED, T.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.TRIGGERED, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.TRIGGERED, T.FILL): S.FILLED,
    (S.TRIGGERED, T.CANCEL): S.CANCELED,
    (S.TRIGGERED, T.EXPIRE): S.EXPIRED,
    (S.PARTIALLY_FILLED, T.ACCEPT): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, T.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PARTIALLY_FILLED, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.PARTIALLY_FILLED, T.FILL): S.FILLED,
    (S.PARTIALLY_FILLED, T.CANCEL): S.CANCELED,
    (S.PARTIALLY_FILLED, T.EXPIRE): S.EXPIRED,
    # A cancel request is in flight.
    (S.PENDING_CANCEL, T.ACCEPT): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.REJECT): S.REJECTED,
    (S.PENDING_CANCEL, T.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.CANCEL_REJECT): RESUME,
    (S.PENDING_CANCEL, T.PARTIAL_FILL): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.FILL): S.FILLED,
    (S.PENDING_CANCEL, T.CANCEL): S.CANCELED,
    (S.PENDING_CANCEL, T.EXPIRE): S.EXPIRED,
    (S.PENDING_CANCEL, T.UNKNOWN): S.UNKNOWN,
    # Outcome unknown: the reconciler reports what the venue says.
    (S.UNKNOWN, T.ACCEPT): RESUME,
    (S.UNKNOWN, T.REJECT): S.REJECTED,
    (S.UNKNOWN, T.TRIGGER): S.TRIGGERED,
    (S.UNKNOWN, T.PENDING_CANCEL): S.PENDING_CANCEL,
    (S.UNKNOWN, T.PARTIAL_FILL): S.PARTIALLY_FILLED,
    (S.UNKNOWN, T.FILL): S.FILLED,
    (S.UNKNOWN, T.CANCEL): S.CANCELED,
    (S.UNKNOWN, T.EXPIRE): S.EXPIRED,
    (S.UNKNOWN, T.UNKNOWN): S.UNKNOWN,
    # Late venue messages after a terminal status: book them, keep the outcome.
    (S.FILLED, T.ACCEPT): S.FILLED,
    (S.FILLED, T.CANCEL_REJECT): S.FILLED,
    (S.CANCELED, T.PARTIAL_FILL): S.CANCELED,
    (S.CANCELED, T.FILL): S.FILLED,
    (S.EXPIRED, T.PARTIAL_FILL): S.EXPIRED,
    (S.EXPIRED, T.FILL): S.FILLED,
}

del S, T

#: ``(status, trigger) → next status`` (:data:`RESUME` for "the resting status"). Read-only.
TRANSITIONS: Mapping[tuple[OrderStatus, OrderTrigger], OrderStatus | None] = MappingProxyType(
    _TABLE
)


def allowed_triggers(status: OrderStatus) -> frozenset[OrderTrigger]:
    """Return the triggers the table allows in ``status``."""
    return frozenset(trigger for (state, trigger) in TRANSITIONS if state is status)
