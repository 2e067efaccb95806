"""Order events: everything that happens to an order after a ``SubmitOrder``.

Every event names the order by ``client_order_id`` (ours, deterministic) and carries the
``symbol``; ``venue_order_id`` is the exchange's id once known. An :class:`~riskbus.model.
orders.Order` applies these events through its transition table (``Order.apply``).

Local outcomes: ``OrderDenied`` (the risk engine refused it; never sent). Venue outcomes:
``OrderAccepted``, ``OrderRejected``, ``OrderTriggered``, ``OrderFilled`` (one per fill;
partial fills carry ``leaves_qty > 0``), ``OrderCanceled``, ``OrderExpired``,
``OrderCancelRejected``. In between: ``OrderSubmitted`` (sent), ``OrderPendingCancel``
(cancel sent) and ``OrderStatusUnknown`` (a submit or cancel whose outcome is unknown; the
reconciler settles it).
"""

from __future__ import annotations

from decimal import Decimal

from riskbus.core.messages import Event
from riskbus.model.enums import LiquiditySide, OrderSide, OrderType, TimeInForce
from riskbus.model.reasons import reason_code

__all__ = [
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderPendingCancel",
    "OrderRejected",
    "OrderStatusUnknown",
    "OrderSubmitted",
    "OrderTriggered",
]


class OrderSubmitted(Event, frozen=True, kw_only=True):
    """The order was sent to the venue, with its full spec (as in ``SubmitOrder``)."""

    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    strategy: str = ""
    enforcement: bool = False


class OrderDenied(Event, frozen=True, kw_only=True):
    """The risk engine refused the order before it was sent.

    ``reason`` is ``CODE: key=value, ...`` (see :mod:`riskbus.model.reasons`).
    """

    client_order_id: str
    symbol: str
    reason: str
    strategy: str = ""

    @property
    def code(self) -> str:
        """The reason code, e.g. ``"DAILY_LOSS_LIMIT"``."""
        return reason_code(self.reason)


class OrderAccepted(Event, frozen=True, kw_only=True):
    """The venue acknowledged the order; it is working."""

    client_order_id: str
    symbol: str
    venue_order_id: str | None = None


class OrderRejected(Event, frozen=True, kw_only=True):
    """The venue refused the order. ``code`` is machine-readable (``INSUFFICIENT_BALANCE``)."""

    client_order_id: str
    symbol: str
    code: str
    reason: str = ""
    venue_order_id: str | None = None


class OrderTriggered(Event, frozen=True, kw_only=True):
    """A stop or stop-limit order's stop price traded; it now works as market or limit."""

    client_order_id: str
    symbol: str
    venue_order_id: str | None = None


class OrderPendingCancel(Event, frozen=True, kw_only=True):
    """A cancel request for the order was sent; the venue has not answered yet."""

    client_order_id: str
    symbol: str
    venue_order_id: str | None = None


class OrderCancelRejected(Event, frozen=True, kw_only=True):
    """The venue refused to cancel the order (usually: it filled first)."""

    client_order_id: str
    symbol: str
    reason: str = ""
    venue_order_id: str | None = None


class OrderFilled(Event, frozen=True, kw_only=True):
    """One fill of an order (there are several for partial fills).

    Attributes:
        fill_id: the venue's trade id, unique per fill (duplicates are refused).
        last_qty: the quantity of this fill (> 0).
        last_price: the price of this fill.
        cum_qty: the venue's total filled quantity after this fill.
        leaves_qty: the venue's remaining open quantity after this fill.
        fee: the fee of this fill in ``fee_currency`` (negative for a rebate).
        liquidity: maker or taker.
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    fill_id: str
    last_qty: Decimal
    last_price: Decimal
    cum_qty: Decimal
    leaves_qty: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: LiquiditySide = LiquiditySide.TAKER
    venue_order_id: str | None = None
    strategy: str = ""

    @property
    def is_last(self) -> bool:
        """Whether the venue says nothing is left to fill."""
        return self.leaves_qty == 0


class OrderCanceled(Event, frozen=True, kw_only=True):
    """The order is canceled (by request, or by the venue for IOC/FOK remainders)."""

    client_order_id: str
    symbol: str
    reason: str = ""
    venue_order_id: str | None = None


class OrderExpired(Event, frozen=True, kw_only=True):
    """The order's time in force ran out."""

    client_order_id: str
    symbol: str
    venue_order_id: str | None = None


class OrderStatusUnknown(Event, frozen=True, kw_only=True):
    """A request about the order timed out or failed after sending: the outcome is unknown.

    ``operation`` is ``"submit"`` or ``"cancel"``. Reconcile before retrying.
    """

    client_order_id: str
    symbol: str
    operation: str
    error: str = ""


#: Every event an :class:`~riskbus.model.orders.Order` applies.
OrderEvent = (
    OrderSubmitted
    | OrderDenied
    | OrderAccepted
    | OrderRejected
    | OrderTriggered
    | OrderPendingCancel
    | OrderCancelRejected
    | OrderFilled
    | OrderCanceled
    | OrderExpired
    | OrderStatusUnknown
)
