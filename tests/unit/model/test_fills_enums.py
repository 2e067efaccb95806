from __future__ import annotations

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model import (
    Fill,
    InstrumentKind,
    OrderSide,
    OrderStatus,
    OrderType,
)
from tests.stubs import D, fill, order_filled


def test_from_event_copies_the_fill_of_an_order_filled_event() -> None:
    event = order_filled(ts=7, strategy="sma", venue_order_id="V-1")
    built = Fill.from_event(event)
    assert (built.fill_id, built.client_order_id, built.symbol) == ("T-1", "O-1", "MNQ")
    assert (built.side, built.quantity, built.price) == (OrderSide.BUY, D(1), D("100.25"))
    assert (built.fee, built.fee_currency, built.ts, built.strategy) == (
        D("0.37"),
        "USD",
        7,
        "sma",
    )
    assert built.signed_quantity == 1
    assert fill(side=OrderSide.SELL, quantity=D(3)).signed_quantity == -3


def test_fill_normalises_numbers_and_side() -> None:
    built = fill(quantity="2", price=100, fee=0, side="SELL")
    assert built.quantity == D(2) and isinstance(built.quantity, type(D(2)))
    assert built.price == D(100) and built.fee == 0
    assert built.side is OrderSide.SELL


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"fill_id": ""}, "fill_id", "is empty"),
        ({"quantity": D(0)}, "quantity", "must be positive"),
        ({"quantity": D("-1")}, "quantity", "must be positive"),
        ({"quantity": D("NaN")}, "quantity", "must be a finite number"),
        ({"quantity": D("Infinity")}, "quantity", "must be a finite number"),
        ({"price": D(0)}, "price", "must be positive"),
        ({"fee": D("-Infinity")}, "fee", "must be a finite number"),
        ({"fee_currency": ""}, "fee_currency", "is required when the fee is not zero"),
        ({"side": "HOLD"}, "side", "must be one of BUY, SELL"),
    ],
)
def test_fill_refuses_bad_values(overrides: dict[str, object], field: str, problem: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        fill(**overrides)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: {problem} (got ")


def test_a_fee_free_fill_needs_no_fee_currency_and_a_rebate_is_allowed() -> None:
    assert fill(fee=D(0), fee_currency="").fee == 0
    assert fill(fee=D("-0.10")).fee == D("-0.10")


def test_side_sign_and_opposite() -> None:
    assert (OrderSide.BUY.sign, OrderSide.SELL.sign) == (1, -1)
    assert OrderSide.BUY.opposite is OrderSide.SELL
    assert OrderSide.SELL.opposite is OrderSide.BUY


def test_order_type_needs() -> None:
    assert [t for t in OrderType if t.needs_price] == [OrderType.LIMIT, OrderType.STOP_LIMIT]
    assert [t for t in OrderType if t.needs_stop_price] == [OrderType.STOP, OrderType.STOP_LIMIT]


def test_status_open_and_terminal() -> None:
    assert not OrderStatus.INITIALIZED.is_open and not OrderStatus.INITIALIZED.is_terminal
    assert OrderStatus.UNKNOWN.is_open and OrderStatus.PENDING_CANCEL.is_open
    assert OrderStatus.CANCELED.is_terminal and not OrderStatus.CANCELED.is_open


def test_instrument_kind_derivative_flag_and_json_values() -> None:
    assert [k.is_derivative for k in InstrumentKind] == [False, True, True]
    assert [k.value for k in InstrumentKind] == ["spot", "future", "perp"]
