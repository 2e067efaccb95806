"""Property: no event sequence moves an order through an illegal transition silently.

For every event: either ``(status, trigger)`` is in the table and the order lands on the
table's target, or the order raises and is exactly as it was before.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.errors import InvalidValueError
from riskbus.model import (
    TRANSITIONS,
    DuplicateFillError,
    InvalidOrderTransition,
    Order,
    OrderOverfillError,
    OrderSide,
    OrderStatus,
    OrderTrigger,
    OrderType,
)
from riskbus.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderPendingCancel,
    OrderRejected,
    OrderStatusUnknown,
    OrderSubmitted,
    OrderTriggered,
)
from tests.stubs import D, order_filled

ID = {"client_order_id": "O-1", "symbol": "MNQ"}
SIMPLE: dict[OrderTrigger, Any] = {
    OrderTrigger.SUBMIT: lambda ts: OrderSubmitted(
        ts=ts, side=OrderSide.BUY, order_type=OrderType.MARKET, quantity=D(1), **ID
    ),
    OrderTrigger.DENY: lambda ts: OrderDenied(ts=ts, reason="TEST: x=1", **ID),
    OrderTrigger.ACCEPT: lambda ts: OrderAccepted(ts=ts, venue_order_id=f"V-{ts}", **ID),
    OrderTrigger.REJECT: lambda ts: OrderRejected(ts=ts, code="NOPE", **ID),
    OrderTrigger.TRIGGER: lambda ts: OrderTriggered(ts=ts, **ID),
    OrderTrigger.PENDING_CANCEL: lambda ts: OrderPendingCancel(ts=ts, **ID),
    OrderTrigger.CANCEL_REJECT: lambda ts: OrderCancelRejected(ts=ts, reason="late", **ID),
    OrderTrigger.CANCEL: lambda ts: OrderCanceled(ts=ts, **ID),
    OrderTrigger.EXPIRE: lambda ts: OrderExpired(ts=ts, **ID),
    OrderTrigger.UNKNOWN: lambda ts: OrderStatusUnknown(ts=ts, operation="submit", **ID),
}


@st.composite
def orders_and_events(draw: st.DrawFn) -> tuple[Order, list[OrderEvent]]:
    order_type = draw(st.sampled_from(OrderType))
    quantity = D(draw(st.integers(1, 5)))
    order = Order(
        client_order_id="O-1",
        symbol="MNQ",
        side=OrderSide.BUY,
        quantity=quantity,
        order_type=order_type,
        price=D(100) if order_type.needs_price else None,
        stop_price=D(99) if order_type.needs_stop_price else None,
    )
    events: list[OrderEvent] = []
    for ts in range(1, draw(st.integers(1, 14)) + 1):
        if draw(st.integers(0, 3)) == 0:
            events.append(
                order_filled(
                    ts=ts,
                    fill_id=f"T-{draw(st.integers(1, 6))}",  # repeats test duplicate fills
                    last_qty=D(draw(st.integers(1, 3))),
                    last_price=D(100) + D(draw(st.integers(-4, 4))) / 4,
                    fee=D("0.37"),
                )
            )
        else:
            events.append(SIMPLE[draw(st.sampled_from(sorted(SIMPLE)))](ts))
    return order, events


def state(order: Order) -> tuple[object, ...]:
    return (
        order.to_report(),
        order.fees,
        order.triggered,
        order.reason,
        order.ts_last,
        order.events,
        tuple(order.has_fill(f"T-{n}") for n in range(1, 7)),
    )


@settings(max_examples=300, deadline=None)
@given(orders_and_events())
def test_events_follow_the_table_or_raise_and_change_nothing(
    case: tuple[Order, list[OrderEvent]],
) -> None:
    order, events = case
    seen_fills: set[str] = set()
    triggered = False
    for event in events:
        before, status = state(order), order.status
        expected_error: type[Exception] | None = None
        if event.name == "OrderFilled":
            assert hasattr(event, "last_qty") and hasattr(event, "fill_id")
            filled = order.filled_qty + event.last_qty
            if event.fill_id in seen_fills:
                expected_error = DuplicateFillError
            elif filled > order.quantity:
                expected_error = OrderOverfillError
            trigger = OrderTrigger.FILL if filled == order.quantity else OrderTrigger.PARTIAL_FILL
        else:
            trigger = next(t for t, build in SIMPLE.items() if type(build(0)) is type(event))
            if trigger is OrderTrigger.TRIGGER and not order.order_type.needs_stop_price:
                expected_error = InvalidOrderTransition
            if trigger is OrderTrigger.REJECT and order.filled_qty:
                expected_error = InvalidOrderTransition
        if expected_error is None and (status, trigger) not in TRANSITIONS:
            expected_error = InvalidOrderTransition

        if expected_error is not None:
            assert not order.can_apply(event)
            try:
                order.apply(event)
            except (InvalidOrderTransition, OrderOverfillError, DuplicateFillError) as error:
                assert type(error) is expected_error
            else:
                raise AssertionError(f"{event.name} in {status} was applied silently")
            assert state(order) == before
            continue

        assert order.can_apply(event)
        new_status = order.apply(event)
        if event.name == "OrderFilled":
            seen_fills.add(event.fill_id)  # type: ignore[union-attr]
        triggered = triggered or trigger is OrderTrigger.TRIGGER
        target = TRANSITIONS[(status, trigger)]
        if target is None:  # RESUME: the resting status the history gives
            target = (
                OrderStatus.PARTIALLY_FILLED
                if order.filled_qty
                else (OrderStatus.TRIGGERED if triggered else OrderStatus.ACCEPTED)
            )
        assert new_status is target is order.status
        assert order.events[-1] is event
        check_invariants(order)


def check_invariants(order: Order) -> None:
    assert Decimal(0) <= order.filled_qty <= order.quantity
    if order.status is OrderStatus.FILLED:
        assert order.filled_qty == order.quantity and order.leaves_qty == 0
    if order.status is OrderStatus.PARTIALLY_FILLED:
        assert 0 < order.filled_qty < order.quantity
    if order.status in (OrderStatus.DENIED, OrderStatus.REJECTED):
        assert order.filled_qty == 0


def test_misrouted_events_raise_value_errors_not_transitions() -> None:
    order = Order(client_order_id="O-1", symbol="MNQ", side=OrderSide.BUY, quantity=D(1))
    with pytest.raises(InvalidValueError) as info:
        order.apply(OrderAccepted(ts=1, client_order_id="O-2", symbol="MNQ"))
    assert info.value.field == "client_order_id"
    assert order.status is OrderStatus.INITIALIZED
