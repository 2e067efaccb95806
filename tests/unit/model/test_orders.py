from __future__ import annotations

from typing import get_args

import pytest

from riskbus.core.errors import InvalidValueError, RiskbusError
from riskbus.model import (
    EVENT_TRIGGERS,
    TRANSITIONS,
    DuplicateFillError,
    InvalidOrderTransition,
    Order,
    OrderOverfillError,
    OrderSide,
    OrderStateError,
    OrderStatus,
    OrderTrigger,
    OrderType,
    TimeInForce,
    allowed_triggers,
)
from riskbus.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderStatusUnknown,
    OrderSubmitted,
    OrderTriggered,
)
from tests.stubs import D, order, order_filled, submit_order

ID = {"client_order_id": "O-1", "symbol": "MNQ"}


def submitted(**kw: object) -> OrderSubmitted:
    return submit_order(**kw).submitted(ts=2)


def accepted(ts: int = 3) -> OrderAccepted:
    return OrderAccepted(ts=ts, venue_order_id="V-9", **ID)


def working_order(**kw: object) -> Order:
    o = order(**kw)
    o.apply(submitted(**kw))
    o.apply(accepted())
    return o


def test_from_command_copies_the_spec_and_starts_initialized() -> None:
    command = submit_order(
        order_type=OrderType.STOP_LIMIT,
        price=D("99.75"),
        stop_price=D("100"),
        time_in_force=TimeInForce.IOC,
        reduce_only=True,
        enforcement=True,
        side=OrderSide.SELL,
    )
    o = Order.from_command(command)
    assert o.status is OrderStatus.INITIALIZED
    assert (o.client_order_id, o.symbol, o.side, o.quantity) == ("O-1", "MNQ", "SELL", D(2))
    assert (o.price, o.stop_price, o.time_in_force) == (D("99.75"), D(100), TimeInForce.IOC)
    assert o.reduce_only and o.enforcement and o.strategy == "test"
    assert (o.ts_init, o.ts_last) == (1, 1)
    assert o.signed_quantity == D(-2)
    assert o.avg_fill_price is None and o.leaves_qty == 2 and not o.is_open


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"quantity": D("-1")}, "quantity", "must be positive"),
        ({"quantity": D(0)}, "quantity", "must be positive"),
        ({"quantity": D("NaN")}, "quantity", "must be a finite number"),
        ({"quantity": D("Infinity")}, "quantity", "must be a finite number"),
        ({"order_type": OrderType.LIMIT}, "price", "is required for a LIMIT order"),
        ({"price": D(100)}, "price", "is not allowed for a MARKET order"),
        ({"order_type": OrderType.STOP}, "stop_price", "is required for a STOP order"),
        (
            {"order_type": OrderType.LIMIT, "price": D(1), "stop_price": D(1)},
            "stop_price",
            "is not allowed for a LIMIT order",
        ),
        ({"order_type": OrderType.LIMIT, "price": D("-5")}, "price", "must be positive"),
        ({"client_order_id": ""}, "client_order_id", "is empty"),
        ({"symbol": ""}, "symbol", "is empty"),
        ({"side": "HOLD"}, "side", "must be one of BUY, SELL"),
        ({"order_type": "ICEBERG"}, "order_type", "must be one of MARKET, LIMIT, STOP"),
        ({"time_in_force": "DAY"}, "time_in_force", "must be one of GTC, IOC, FOK"),
    ],
)
def test_invalid_specs_name_field_and_value(
    overrides: dict[str, object], field: str, problem: str
) -> None:
    with pytest.raises(InvalidValueError) as info:
        order(**overrides)
    assert info.value.field == field
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{field}: ")
    assert "(got " in str(info.value)


def test_happy_path_with_partial_fills_tracks_quantity_price_and_fees() -> None:
    o = order(quantity=D(3))
    assert o.apply(submitted(quantity=D(3))) is OrderStatus.SUBMITTED
    assert o.apply(accepted()) is OrderStatus.ACCEPTED
    assert o.venue_order_id == "V-9"
    first = order_filled(ts=4, last_qty=D(1), last_price=D("100.25"), fee=D("0.37"))
    assert o.apply(first) is OrderStatus.PARTIALLY_FILLED
    second = order_filled(ts=5, fill_id="T-2", last_qty=D(2), last_price=D("100.50"))
    assert o.apply(second) is OrderStatus.FILLED
    assert o.filled_qty == 3 and o.leaves_qty == 0
    assert o.avg_fill_price == (D("100.25") + 2 * D("100.50")) / 3
    assert o.fees == {"USD": D("0.74")}
    assert o.has_fill("T-1") and o.has_fill("T-2") and not o.has_fill("T-3")
    assert o.is_terminal and not o.is_open
    assert o.ts_last == 5
    assert [type(e).__name__ for e in o.events] == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "OrderFilled",
    ]


def test_fill_before_acknowledgement_then_late_ack_keeps_fill_status() -> None:
    o = order()
    o.apply(submitted())
    assert o.apply(order_filled()) is OrderStatus.PARTIALLY_FILLED
    assert o.apply(accepted()) is OrderStatus.PARTIALLY_FILLED
    assert o.apply(order_filled(fill_id="T-2")) is OrderStatus.FILLED
    assert o.apply(accepted(ts=9)) is OrderStatus.FILLED


@pytest.mark.parametrize(
    ("event", "status", "reason"),
    [
        (OrderDenied(ts=2, reason="DAILY_LOSS_LIMIT: realized=-512.50", **ID), "DENIED", "DAILY"),
        (OrderRejected(ts=2, code="NO_ROUTE", **ID), "REJECTED", "NO_ROUTE"),
    ],
)
def test_initialized_order_can_be_denied_or_rejected_locally(
    event: OrderEvent, status: str, reason: str
) -> None:
    o = order()
    assert o.apply(event) == status
    assert o.reason.startswith(reason)
    assert o.is_terminal


@pytest.mark.parametrize(
    "event",
    [
        OrderAccepted(ts=2, **ID),
        OrderCanceled(ts=2, **ID),
        OrderExpired(ts=2, **ID),
        OrderPendingCancel(ts=2, **ID),
        OrderStatusUnknown(ts=2, operation="submit", **ID),
    ],
)
def test_initialized_order_refuses_venue_events(event: OrderEvent) -> None:
    o = order()
    with pytest.raises(InvalidOrderTransition) as info:
        o.apply(event)
    assert str(info.value) == (f"order 'O-1': {event.name} is not allowed in status INITIALIZED")
    assert (info.value.status, info.value.event) == ("INITIALIZED", event.name)
    assert o.status is OrderStatus.INITIALIZED and o.events == ()


def test_filled_order_refuses_cancel_and_further_fills() -> None:
    o = working_order(quantity=D(1))
    o.apply(order_filled(leaves_qty=D(0)))
    with pytest.raises(InvalidOrderTransition):
        o.apply(OrderCanceled(ts=5, **ID))
    with pytest.raises(OrderOverfillError) as info:
        o.apply(order_filled(fill_id="T-2"))
    assert "overfilled: filled 1 + fill 1 > quantity 1" in str(info.value)
    assert o.status is OrderStatus.FILLED and o.filled_qty == 1


def test_overfill_leaves_order_unchanged() -> None:
    o = working_order()
    o.apply(order_filled())
    before = o.to_report()
    with pytest.raises(OrderOverfillError) as info:
        o.apply(order_filled(fill_id="T-2", last_qty=D(2)))
    assert (info.value.quantity, info.value.filled, info.value.fill_quantity) == (2, 1, 2)
    assert o.to_report() == before and len(o.events) == 3


def test_duplicate_fill_is_refused() -> None:
    o = working_order()
    o.apply(order_filled())
    with pytest.raises(DuplicateFillError, match="fill 'T-1' was already applied"):
        o.apply(order_filled())
    assert o.filled_qty == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"last_qty": D(0)}, "last_qty"),
        ({"last_qty": D("-1")}, "last_qty"),
        ({"last_price": D("NaN")}, "last_price"),
        ({"fee": D("Infinity")}, "fee"),
        ({"side": OrderSide.SELL}, "side"),
        ({"client_order_id": "O-2"}, "client_order_id"),
        ({"symbol": "ES"}, "symbol"),
    ],
)
def test_malformed_or_misrouted_fill_is_refused(overrides: dict[str, object], field: str) -> None:
    o = working_order()
    with pytest.raises(InvalidValueError) as info:
        o.apply(order_filled(**overrides))
    assert info.value.field == field
    assert o.filled_qty == 0 and o.status is OrderStatus.ACCEPTED
    assert not o.can_apply(order_filled(**overrides))


def test_cancel_flow_and_cancel_reject_resumes_the_resting_status() -> None:
    o = working_order(quantity=D(3))
    o.apply(order_filled())
    assert o.apply(OrderPendingCancel(ts=5, **ID)) is OrderStatus.PENDING_CANCEL
    assert o.apply(OrderPendingCancel(ts=5, **ID)) is OrderStatus.PENDING_CANCEL
    rejected = OrderCancelRejected(ts=6, reason="TOO_LATE", **ID)
    assert o.apply(rejected) is OrderStatus.PARTIALLY_FILLED
    assert o.reason == "TOO_LATE"
    o.apply(OrderPendingCancel(ts=7, **ID))
    assert o.apply(order_filled(fill_id="T-2")) is OrderStatus.PENDING_CANCEL
    assert o.apply(OrderCanceled(ts=8, reason="user", **ID)) is OrderStatus.CANCELED
    assert o.filled_qty == 2 and o.reason == "user"


def test_cancel_reject_resumes_accepted_or_triggered_when_nothing_filled() -> None:
    plain = working_order(order_type=OrderType.LIMIT, price=D(100))
    plain.apply(OrderPendingCancel(ts=5, **ID))
    assert plain.apply(OrderCancelRejected(ts=6, **ID)) is OrderStatus.ACCEPTED
    stop = working_order(order_type=OrderType.STOP, stop_price=D(90))
    assert stop.apply(OrderTriggered(ts=4, **ID)) is OrderStatus.TRIGGERED
    assert stop.triggered
    stop.apply(OrderPendingCancel(ts=5, **ID))
    assert stop.apply(OrderCancelRejected(ts=6, **ID)) is OrderStatus.TRIGGERED


def test_cancel_lost_to_a_fill_keeps_filled() -> None:
    o = working_order(quantity=D(1))
    o.apply(OrderPendingCancel(ts=4, **ID))
    assert o.apply(order_filled(leaves_qty=D(0))) is OrderStatus.FILLED
    assert o.apply(OrderCancelRejected(ts=6, reason="filled", **ID)) is OrderStatus.FILLED


def test_late_fills_after_cancel_or_expiry_are_booked() -> None:
    canceled = working_order(quantity=D(3))
    canceled.apply(OrderCanceled(ts=4, **ID))
    assert canceled.apply(order_filled()) is OrderStatus.CANCELED
    assert canceled.apply(order_filled(fill_id="T-2", last_qty=D(2))) is OrderStatus.FILLED
    expired = working_order()
    expired.apply(OrderExpired(ts=4, **ID))
    assert expired.apply(order_filled()) is OrderStatus.EXPIRED
    assert expired.filled_qty == 1


def test_trigger_is_only_for_stop_orders() -> None:
    o = working_order()
    with pytest.raises(InvalidOrderTransition, match="a MARKET order has no stop to trigger"):
        o.apply(OrderTriggered(ts=4, **ID))
    assert not o.triggered


def test_an_order_with_fills_cannot_be_rejected() -> None:
    o = working_order()
    o.apply(order_filled())
    o.apply(OrderPendingCancel(ts=4, **ID))
    with pytest.raises(InvalidOrderTransition, match=r"it has fills \(1\)"):
        o.apply(OrderRejected(ts=5, code="LATE", **ID))
    assert o.status is OrderStatus.PENDING_CANCEL


def test_outcome_unknown_is_settled_by_the_venue_answer() -> None:
    o = order()
    o.apply(submitted())
    unknown = OrderStatusUnknown(ts=3, operation="submit", error="timeout", **ID)
    assert o.apply(unknown) is OrderStatus.UNKNOWN
    assert o.is_open and o.reason == "timeout"
    assert o.apply(unknown) is OrderStatus.UNKNOWN
    assert o.apply(accepted()) is OrderStatus.ACCEPTED
    o.apply(order_filled())
    o.apply(OrderPendingCancel(ts=5, **ID))
    o.apply(OrderStatusUnknown(ts=6, operation="cancel", **ID))
    assert o.apply(accepted(ts=7)) is OrderStatus.PARTIALLY_FILLED


def test_rejection_keeps_code_when_no_text() -> None:
    o = order()
    o.apply(submitted())
    o.apply(OrderRejected(ts=3, code="INSUFFICIENT_BALANCE", reason="need 5 USDT", **ID))
    assert o.reason == "need 5 USDT" and o.status is OrderStatus.REJECTED


def test_venue_order_id_is_kept_from_the_first_event_that_has_one() -> None:
    o = order()
    o.apply(submitted())
    o.apply(OrderAccepted(ts=3, **ID))
    assert o.venue_order_id is None
    o.apply(order_filled(venue_order_id="V-1"))
    o.apply(order_filled(fill_id="T-2", venue_order_id="V-2"))
    assert o.venue_order_id == "V-1"


def test_to_report_and_repr_describe_the_order() -> None:
    o = working_order(order_type=OrderType.LIMIT, price=D("100.25"))
    o.apply(order_filled())
    report = o.to_report()
    assert report.status is OrderStatus.PARTIALLY_FILLED
    assert (report.filled_qty, report.avg_fill_price, report.price) == (1, D("100.25"), D("100.25"))
    assert report.venue_order_id == "V-9"
    assert repr(o) == "Order(O-1 BUY 2 MNQ LIMIT @ 100.25 PARTIALLY_FILLED filled=1)"


def test_can_apply_checks_without_changing_anything() -> None:
    o = order()
    assert o.can_apply(submitted())
    assert not o.can_apply(accepted())
    assert o.status is OrderStatus.INITIALIZED and o.events == ()


def test_transition_table_shape() -> None:
    terminal = {s for s in OrderStatus if s.is_terminal}
    assert terminal == {"DENIED", "REJECTED", "FILLED", "CANCELED", "EXPIRED"}
    assert allowed_triggers(OrderStatus.DENIED) == frozenset()
    assert allowed_triggers(OrderStatus.REJECTED) == frozenset()
    assert allowed_triggers(OrderStatus.INITIALIZED) == {
        OrderTrigger.SUBMIT,
        OrderTrigger.DENY,
        OrderTrigger.REJECT,
    }
    for (status, _), target in TRANSITIONS.items():
        assert target is None or target is not OrderStatus.INITIALIZED
        assert status in OrderStatus
    with pytest.raises(TypeError):
        TRANSITIONS[(OrderStatus.FILLED, OrderTrigger.CANCEL)] = OrderStatus.CANCELED  # type: ignore[index]


def test_order_errors_sit_under_riskbus_error() -> None:
    assert issubclass(InvalidOrderTransition, OrderStateError)
    assert issubclass(OrderOverfillError, OrderStateError)
    assert issubclass(DuplicateFillError, OrderStateError)
    assert issubclass(OrderStateError, RiskbusError)
    assert not issubclass(OrderStateError, InvalidValueError)


def test_every_order_event_has_a_trigger() -> None:
    listed = set(EVENT_TRIGGERS) | {OrderFilled}
    assert listed == set(get_args(OrderEvent))
    assert set(EVENT_TRIGGERS.values()) | {OrderTrigger.FILL, OrderTrigger.PARTIAL_FILL} == set(
        OrderTrigger
    )


def test_fee_free_fills_add_no_fee_entry_and_loose_numbers_are_converted() -> None:
    o = working_order()
    o.apply(order_filled(fee=D(0), fee_currency="", last_qty="1", last_price="100.50"))
    assert o.fees == {}
    assert o.filled_qty == D(1) and o.avg_fill_price == D("100.50")
