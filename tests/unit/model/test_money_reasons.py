from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model.money import as_decimal, exponent, finite, non_negative, positive
from riskbus.model.reasons import format_reason, parse_reason, reason_code


def _shown(value: object) -> str:
    """How an error shows a value: a Decimal as written, anything else as its repr."""
    return str(value) if isinstance(value, Decimal) else repr(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("1.50"), Decimal("1.50")), (3, Decimal(3)), (" 0.1 ", Decimal("0.1"))],
)
def test_as_decimal_accepts_decimal_int_and_numeric_str(value: object, expected: Decimal) -> None:
    result = as_decimal(value, "price")
    assert result == expected
    assert str(result) == str(expected)


def test_as_decimal_reads_floats_through_repr_only_when_allowed() -> None:
    assert as_decimal(0.1, "price", allow_float=True) == Decimal("0.1")
    with pytest.raises(
        InvalidValueError, match=r"price: must be a Decimal, int or str, not a float"
    ):
        as_decimal(0.1, "price")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "must be a number, not a bool"),
        ("abc", "is not a number"),
        ([1], "must be a Decimal, int or str, not list"),
    ],
)
def test_as_decimal_rejects_non_numbers_naming_field_and_value(value: object, problem: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        as_decimal(value, "fee")
    assert str(info.value) == f"fee: {problem} (got {_shown(value)})"
    assert info.value.field == "fee"
    assert info.value.value == value


@pytest.mark.parametrize(
    ("check", "value", "problem"),
    [
        (finite, Decimal("NaN"), "must be a finite number"),
        (finite, Decimal("Infinity"), "must be a finite number"),
        (finite, "-inf", "must be a finite number"),
        (positive, Decimal(0), "must be positive"),
        (positive, Decimal("-1"), "must be positive"),
        (positive, Decimal("sNaN"), "must be a finite number"),
        (non_negative, Decimal("-0.01"), "must not be negative"),
    ],
)
def test_checks_reject_with_field_and_value(check: object, value: object, problem: str) -> None:
    assert callable(check)
    with pytest.raises(InvalidValueError) as info:
        check(value, "amount")
    assert str(info.value) == f"amount: {problem} (got {_shown(value)})"


def test_checks_pass_good_values_through() -> None:
    assert positive("2.5", "quantity") == Decimal("2.5")
    assert non_negative(0, "fee") == 0
    assert finite(Decimal("-3"), "pnl") == Decimal(-3)


def test_exponent_of_finite_and_refusal_of_nan() -> None:
    assert exponent(Decimal("0.25")) == -2
    assert exponent(Decimal("1E+1")) == 1
    with pytest.raises(InvalidValueError, match="finite"):
        exponent(Decimal("NaN"))


def test_format_reason_lists_values_in_order() -> None:
    text = format_reason("DAILY_LOSS_LIMIT", realized="-512.50", limit=Decimal(-500))
    assert text == "DAILY_LOSS_LIMIT: realized=-512.50, limit=-500"
    assert format_reason("HALTED") == "HALTED"


def test_format_reason_refuses_a_code_that_is_not_upper_snake_case() -> None:
    with pytest.raises(InvalidValueError, match=r"code: must be UPPER_SNAKE_CASE \(got 'daily'\)"):
        format_reason("daily", limit=1)


def test_parse_reason_round_trips_format_reason() -> None:
    text = format_reason("MAX_CONTRACTS", net=6, limit=5)
    assert parse_reason(text) == ("MAX_CONTRACTS", {"net": "6", "limit": "5"})
    assert reason_code(text) == "MAX_CONTRACTS"


def test_parse_reason_keeps_free_text_and_bare_codes() -> None:
    assert parse_reason("INSUFFICIENT_BALANCE: not enough USDT") == (
        "INSUFFICIENT_BALANCE",
        {"": "not enough USDT"},
    )
    assert parse_reason("HALTED") == ("HALTED", {})
