"""The order: its spec, its fills, and its status driven by events through the table.

An :class:`Order` is built from a ``SubmitOrder`` command (status ``INITIALIZED``) and moved
only by :meth:`Order.apply` with the order events of :mod:`riskbus.model.events.orders`.
``apply`` checks the event first and changes nothing if it raises:

* the event is for another order or symbol, or a fill is malformed → ``InvalidValueError``;
* the fill id was applied before → ``DuplicateFillError``;
* the fill would exceed the order quantity → ``OrderOverfillError``;
* ``(status, trigger)`` is not in :data:`~riskbus.model.order_status.TRANSITIONS`, or the
  event makes no sense for this order (a trigger for an order without a stop, a rejection
  after fills) → ``InvalidOrderTransition``.

A fill is ``FILL`` when it completes the quantity, ``PARTIAL_FILL`` otherwise, judged by the
quantities this order has booked (the venue's ``cum_qty``/``leaves_qty`` are informational).
"""

from __future__ import annotations

from decimal import Decimal

from riskbus.core.errors import InvalidValueError
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce, parse_enum
from riskbus.model.errors import (
    DuplicateFillError,
    InvalidOrderTransition,
    OrderOverfillError,
    OrderStateError,
)
from riskbus.model.events.account import OrderReport
from riskbus.model.events.orders import (
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
    OrderTriggered,
)
from riskbus.model.money import ZERO, MoneyInput, finite, positive
from riskbus.model.order_status import EVENT_TRIGGERS, TRANSITIONS, OrderTrigger

__all__ = ["Order"]


class Order:
    """An order and its life.

    Args:
        client_order_id: our deterministic id.
        symbol: the instrument.
        side: buy or sell.
        quantity: the order quantity (finite, > 0).
        order_type: market, limit, stop or stop-limit.
        price: the limit price; required for limit and stop-limit, refused otherwise.
        stop_price: the trigger price; required for stop and stop-limit, refused otherwise.
        time_in_force: GTC, IOC or FOK.
        reduce_only: may only reduce a position.
        strategy: who sent it.
        enforcement: a risk-enforcement order.
        ts_init: when the order was created (ns).

    Attributes:
        venue_order_id: the venue's id, from the first event that carries one.
        reason: the last denial, rejection, cancel or error text received.
        ts_last: the ``ts`` of the last event applied.

    Raises:
        InvalidValueError: a spec value is missing, malformed or not allowed for the type.
    """

    __slots__ = (
        "_events",
        "_fees",
        "_fill_ids",
        "_fill_notional",
        "_filled_qty",
        "_status",
        "_triggered",
        "client_order_id",
        "enforcement",
        "order_type",
        "price",
        "quantity",
        "reason",
        "reduce_only",
        "side",
        "stop_price",
        "strategy",
        "symbol",
        "time_in_force",
        "ts_init",
        "ts_last",
        "venue_order_id",
    )

    def __init__(
        self,
        *,
        client_order_id: str,
        symbol: str,
        side: OrderSide,
        quantity: MoneyInput,
        order_type: OrderType = OrderType.MARKET,
        price: MoneyInput | None = None,
        stop_price: MoneyInput | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        strategy: str = "",
        enforcement: bool = False,
        ts_init: int = 0,
    ) -> None:
        if not client_order_id:
            raise InvalidValueError.for_value("client_order_id", client_order_id, "is empty")
        if not symbol:
            raise InvalidValueError.for_value("symbol", symbol, "is empty")
        self.client_order_id = client_order_id
        self.symbol = symbol
        self.side = parse_enum(OrderSide, side, "side")
        self.order_type = parse_enum(OrderType, order_type, "order_type")
        self.quantity = positive(quantity, "quantity")
        self.price = _optional_price(price, "price", self.order_type.needs_price, self.order_type)
        self.stop_price = _optional_price(
            stop_price, "stop_price", self.order_type.needs_stop_price, self.order_type
        )
        self.time_in_force = parse_enum(TimeInForce, time_in_force, "time_in_force")
        self.reduce_only = reduce_only
        self.strategy = strategy
        self.enforcement = enforcement
        self.ts_init = ts_init
        self.ts_last = ts_init
        self.venue_order_id: str | None = None
        self.reason = ""
        self._status = OrderStatus.INITIALIZED
        self._filled_qty = ZERO
        self._fill_notional = ZERO
        self._fees: dict[str, Decimal] = {}
        self._fill_ids: set[str] = set()
        self._triggered = False
        self._events: list[OrderEvent] = []

    @classmethod
    def from_command(cls, command: SubmitOrder) -> Order:
        """Build the order a ``SubmitOrder`` asks for, validating its spec.

        Raises:
            InvalidValueError: the command's spec is invalid.
        """
        return cls(
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            side=command.side,
            quantity=command.quantity,
            order_type=command.order_type,
            price=command.price,
            stop_price=command.stop_price,
            time_in_force=command.time_in_force,
            reduce_only=command.reduce_only,
            strategy=command.strategy,
            enforcement=command.enforcement,
            ts_init=command.ts,
        )

    @property
    def status(self) -> OrderStatus:
        """The current status."""
        return self._status

    @property
    def filled_qty(self) -> Decimal:
        """The quantity filled so far."""
        return self._filled_qty

    @property
    def leaves_qty(self) -> Decimal:
        """The quantity not filled yet (0 once filled; not reduced by a cancel)."""
        return self.quantity - self._filled_qty

    @property
    def avg_fill_price(self) -> Decimal | None:
        """The quantity-weighted average fill price, or ``None`` before the first fill."""
        return self._fill_notional / self._filled_qty if self._filled_qty else None

    @property
    def fees(self) -> dict[str, Decimal]:
        """Fees paid so far, per currency (a copy)."""
        return dict(self._fees)

    @property
    def triggered(self) -> bool:
        """Whether the stop of a stop or stop-limit order has triggered."""
        return self._triggered

    @property
    def events(self) -> tuple[OrderEvent, ...]:
        """Every event applied, in order."""
        return tuple(self._events)

    @property
    def is_open(self) -> bool:
        """Whether the order may still work at the venue."""
        return self._status.is_open

    @property
    def is_terminal(self) -> bool:
        """Whether the order is done (denied, rejected, filled, canceled, expired)."""
        return self._status.is_terminal

    @property
    def signed_quantity(self) -> Decimal:
        """The order quantity, positive for a buy and negative for a sell."""
        return self.quantity * self.side.sign

    def has_fill(self, fill_id: str) -> bool:
        """Whether the fill ``fill_id`` was applied."""
        return fill_id in self._fill_ids

    def can_apply(self, event: OrderEvent) -> bool:
        """Whether :meth:`apply` would accept ``event`` (nothing is changed)."""
        try:
            self._next_status(event)
        except (InvalidValueError, OrderStateError):
            return False
        return True

    def apply(self, event: OrderEvent) -> OrderStatus:
        """Apply ``event``; return the new status. On error the order is unchanged.

        Raises:
            InvalidValueError: the event is for another order, or a fill is malformed.
            DuplicateFillError: the fill id was applied before.
            OrderOverfillError: the fill exceeds the order quantity.
            InvalidOrderTransition: the status machine has no such transition.
        """
        status = self._next_status(event)
        if isinstance(event, OrderFilled):
            # Checked by _next_status; converted again in case the event holds ints or strs.
            quantity = positive(event.last_qty, "last_qty")
            fee = finite(event.fee, "fee")
            self._filled_qty += quantity
            self._fill_notional += quantity * positive(event.last_price, "last_price")
            if fee:
                self._fees[event.fee_currency] = self._fees.get(event.fee_currency, ZERO) + fee
            self._fill_ids.add(event.fill_id)
        elif isinstance(event, OrderTriggered):
            self._triggered = True
        elif isinstance(event, OrderRejected):
            self.reason = event.reason or event.code
        elif isinstance(event, OrderDenied | OrderCancelRejected | OrderCanceled):
            self.reason = event.reason
        elif isinstance(event, OrderStatusUnknown):
            self.reason = event.error
        venue_order_id = getattr(event, "venue_order_id", None)
        if venue_order_id and not self.venue_order_id:
            self.venue_order_id = venue_order_id
        self._status = status
        self.ts_last = event.ts
        self._events.append(event)
        return status

    def to_report(self) -> OrderReport:
        """Return the order's state as an :class:`OrderReport`."""
        return OrderReport(
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            quantity=self.quantity,
            status=self._status,
            filled_qty=self._filled_qty,
            venue_order_id=self.venue_order_id,
            price=self.price,
            stop_price=self.stop_price,
            avg_fill_price=self.avg_fill_price,
        )

    def __repr__(self) -> str:
        price = f" @ {self.price}" if self.price is not None else ""
        return (
            f"Order({self.client_order_id} {self.side} {self.quantity} {self.symbol} "
            f"{self.order_type}{price} {self._status} filled={self._filled_qty})"
        )

    def _next_status(self, event: OrderEvent) -> OrderStatus:
        if event.client_order_id != self.client_order_id:
            raise InvalidValueError.for_value(
                "client_order_id", event.client_order_id, f"event is not for {self.client_order_id}"
            )
        if event.symbol != self.symbol:
            raise InvalidValueError.for_value(
                "symbol", event.symbol, f"order {self.client_order_id} is for {self.symbol}"
            )
        trigger = self._trigger(event)
        key = (self._status, trigger)
        if key not in TRANSITIONS:
            raise InvalidOrderTransition(
                client_order_id=self.client_order_id, status=self._status, event=event.name
            )
        target = TRANSITIONS[key]
        return self._resting_status() if target is None else target

    def _trigger(self, event: OrderEvent) -> OrderTrigger:
        if isinstance(event, OrderFilled):
            return self._fill_trigger(event)
        if isinstance(event, OrderTriggered) and not self.order_type.needs_stop_price:
            raise InvalidOrderTransition(
                client_order_id=self.client_order_id,
                status=self._status,
                event=event.name,
                detail=f"a {self.order_type} order has no stop to trigger",
            )
        if isinstance(event, OrderRejected) and self._filled_qty:
            raise InvalidOrderTransition(
                client_order_id=self.client_order_id,
                status=self._status,
                event=event.name,
                detail=f"it has fills ({self._filled_qty}); a venue cannot reject it now",
            )
        return EVENT_TRIGGERS[type(event)]

    def _fill_trigger(self, event: OrderFilled) -> OrderTrigger:
        if event.side != self.side:
            raise InvalidValueError.for_value(
                "side", event.side, f"order {self.client_order_id} is a {self.side}"
            )
        quantity = positive(event.last_qty, "last_qty")
        positive(event.last_price, "last_price")
        finite(event.fee, "fee")
        if event.fill_id in self._fill_ids:
            raise DuplicateFillError(client_order_id=self.client_order_id, fill_id=event.fill_id)
        filled = self._filled_qty + quantity
        if filled > self.quantity:
            raise OrderOverfillError(
                client_order_id=self.client_order_id,
                quantity=self.quantity,
                filled=self._filled_qty,
                fill_quantity=quantity,
            )
        return OrderTrigger.FILL if filled == self.quantity else OrderTrigger.PARTIAL_FILL

    def _resting_status(self) -> OrderStatus:
        if self._filled_qty:
            return OrderStatus.PARTIALLY_FILLED
        return OrderStatus.TRIGGERED if self._triggered else OrderStatus.ACCEPTED


def _optional_price(
    value: MoneyInput | None, field: str, required: bool, order_type: OrderType
) -> Decimal | None:
    if value is None:
        if required:
            raise InvalidValueError.for_value(field, value, f"is required for a {order_type} order")
        return None
    if not required:
        raise InvalidValueError.for_value(field, value, f"is not allowed for a {order_type} order")
    return positive(value, field)
