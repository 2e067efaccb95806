from __future__ import annotations

from decimal import ROUND_UP, Decimal

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model import (
    BUILTIN_INSTRUMENTS,
    Instrument,
    InstrumentKind,
    InstrumentRegistry,
    default_registry,
)
from tests.stubs import D

REGISTRY = default_registry()
MNQ = REGISTRY.get("MNQ")
BTC = REGISTRY.get("BTC/USDT")


def _shown(value: object) -> str:
    """How an error shows a value: a Decimal as written, anything else as its repr."""
    return str(value) if isinstance(value, Decimal) else repr(value)


@pytest.mark.parametrize(
    ("symbol", "multiplier", "tick_value", "base"),
    [
        ("MNQ", "2", "0.50", "NDX"),
        ("NQ", "20", "5.00", "NDX"),
        ("MES", "5", "1.25", "SPX"),
        ("ES", "50", "12.50", "SPX"),
    ],
)
def test_futures_catalogue_has_the_cme_tick_economics(
    symbol: str, multiplier: str, tick_value: str, base: str
) -> None:
    instrument = REGISTRY.get(symbol)
    assert instrument.kind is InstrumentKind.FUTURE
    assert instrument.tick_size == D("0.25")
    assert str(instrument.multiplier) == multiplier
    assert instrument.tick_value == D(tick_value)
    assert (instrument.base, instrument.quote) == (base, "USD")
    assert (instrument.step_size, instrument.min_size) == (D(1), D(1))


@pytest.mark.parametrize(
    ("symbol", "tick", "step"),
    [
        ("BTC/USDT", "0.01", "0.00001"),
        ("ETH/USDT", "0.01", "0.0001"),
        ("SOL/USDT", "0.01", "0.001"),
    ],
)
def test_spot_catalogue_has_binance_grids(symbol: str, tick: str, step: str) -> None:
    instrument = REGISTRY.get(symbol)
    assert instrument.kind is InstrumentKind.SPOT
    assert (instrument.tick_size, instrument.step_size) == (D(tick), D(step))
    assert instrument.min_size == D(step)
    assert instrument.min_notional == D(5)
    assert instrument.multiplier == 1
    assert (instrument.base, instrument.quote) == tuple(symbol.split("/"))


def test_perp_is_a_derivative_margined_in_usdt() -> None:
    perp = REGISTRY.get("BTC/USDT:USDT")
    assert perp.kind is InstrumentKind.PERP
    assert perp.is_derivative and MNQ.is_derivative and not BTC.is_derivative
    assert perp.quote == "USDT"


def test_default_registry_returns_a_fresh_copy() -> None:
    registry = default_registry()
    registry.add(Instrument.future("YM", base="DJI", tick_size=1, tick_value=5))
    assert "YM" in registry and "YM" not in default_registry()
    assert len(default_registry()) == len(BUILTIN_INSTRUMENTS) == 8


def test_registry_lists_symbols_sorted_and_iterates_instruments() -> None:
    assert REGISTRY.symbols == tuple(sorted(i.symbol for i in BUILTIN_INSTRUMENTS))
    assert {i.symbol for i in REGISTRY} == set(REGISTRY.symbols)
    assert REGISTRY.find("NOPE") is None
    assert REGISTRY.find("ES") is REGISTRY.get("ES")


@pytest.mark.parametrize(
    ("symbol", "suggestion"),
    [
        ("mnq", "did you mean MNQ"),
        ("BTCUSDT", "did you mean BTC/USDT"),
        ("ESS", "did you mean ES"),
    ],
)
def test_unknown_symbol_names_the_symbol_and_close_matches(symbol: str, suggestion: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        REGISTRY.get(symbol)
    assert info.value.field == "symbol"
    assert f"(got {symbol!r})" in str(info.value)
    assert suggestion in str(info.value)


def test_unknown_symbol_without_close_match_lists_known_symbols() -> None:
    with pytest.raises(InvalidValueError, match=r"unknown instrument; known: BTC/USDT, "):
        REGISTRY.get("ZZZZZZZZZZZZ")
    with pytest.raises(InvalidValueError, match=r"symbol: unknown instrument \(got 'X'\)"):
        InstrumentRegistry().get("X")


def test_registry_refuses_duplicates_unless_replacing() -> None:
    registry = default_registry()
    changed = Instrument.future("MNQ", base="NDX", tick_size="0.25", tick_value="1")
    with pytest.raises(InvalidValueError, match=r"symbol: is already registered"):
        registry.add(changed)
    registry.add(changed, replace=True)
    assert registry.get("MNQ").multiplier == 4


def test_spot_for_finds_the_pair_of_an_asset() -> None:
    assert REGISTRY.spot_for("ETH", "USDT") is REGISTRY.get("ETH/USDT")
    assert REGISTRY.spot_for("BTC", "USD") is None


@pytest.mark.parametrize(
    ("price", "expected"),
    [("100.13", "100.25"), ("100.12", "100.00"), ("100.125", "100.00"), (100.38, "100.50")],
)
def test_quantize_price_snaps_to_nearest_tick(price: object, expected: str) -> None:
    result = MNQ.quantize_price(price)  # type: ignore[arg-type]
    assert result == D(expected)
    assert str(result) == expected


def test_quantize_price_honours_rounding_and_keeps_tick_precision() -> None:
    assert str(MNQ.quantize_price("100.01", ROUND_UP)) == "100.25"
    assert str(BTC.quantize_price(50000)) == "50000.00"


def test_quantize_quantity_rounds_towards_zero() -> None:
    assert str(BTC.quantize_quantity(0.123456789)) == "0.12345"
    assert str(BTC.quantize_quantity("-0.123456789")) == "-0.12345"
    assert str(MNQ.quantize_quantity("2.9")) == "2"


def test_quantize_on_a_coarse_grid_keeps_the_value() -> None:
    coarse = Instrument.future("C", base="X", tick_size="1E+1", tick_value="10")
    assert coarse.quantize_price(123) == 120
    assert coarse.multiplier == 1


@pytest.mark.parametrize("price", ["100.25", D("100.25"), 100])
def test_validate_price_returns_a_decimal_on_the_grid(price: object) -> None:
    assert MNQ.validate_price(price) == D(price)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("100.10", "is not a multiple of the tick size 0.25 for MNQ"),
        (D("0"), "must be positive"),
        (D("-100"), "must be positive"),
        (D("NaN"), "must be a finite number"),
        (D("Infinity"), "must be a finite number"),
        ("x", "is not a number"),
    ],
)
def test_validate_price_names_field_and_value(price: object, problem: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        MNQ.validate_price(price)  # type: ignore[arg-type]
    assert str(info.value) == f"price: {problem} (got {_shown(price)})"
    assert info.value.field == "price"


@pytest.mark.parametrize(
    ("quantity", "problem"),
    [
        (D("-1"), "must be positive"),
        (D("0"), "must be positive"),
        (D("NaN"), "must be a finite number"),
        (D("-Infinity"), "must be a finite number"),
        (D("0.000015"), "is not a multiple of the step size 0.00001 for BTC/USDT"),
    ],
)
def test_validate_quantity_names_field_and_value(quantity: Decimal, problem: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        BTC.validate_quantity(quantity)
    assert str(info.value) == f"quantity: {problem} (got {_shown(quantity)})"
    assert info.value.field == "quantity"
    assert info.value.value == quantity or quantity.is_nan()


def test_validate_quantity_refuses_below_minimum_size() -> None:
    lot = Instrument(
        symbol="LOT",
        kind=InstrumentKind.SPOT,
        base="L",
        quote="USD",
        tick_size=D("0.01"),
        step_size=D(1),
        min_size=D(10),
    )
    assert lot.validate_quantity(10) == 10
    with pytest.raises(InvalidValueError, match=r"quantity: is below the minimum size 10 for LOT"):
        lot.validate_quantity(9)


def test_validate_notional_applies_the_minimum() -> None:
    assert BTC.validate_notional("0.0001", "50000") == D("5.0000")
    with pytest.raises(InvalidValueError) as info:
        BTC.validate_notional("0.00009", "50000")
    assert info.value.field == "notional"
    assert "below the minimum notional 5 USDT for BTC/USDT" in str(info.value)


def test_notional_and_pnl_use_the_multiplier() -> None:
    assert MNQ.notional(D(-3), D("20000")) == D(120000)
    assert MNQ.pnl(D(2), D("100.25"), D("101.00")) == D("3.00")
    assert MNQ.pnl(D(-2), D("100.25"), D("101.00")) == D("-3.00")
    assert BTC.pnl(D("0.5"), D(50000), D(51000)) == D(500)
    assert MNQ.ticks(D("1.00")) == 4
    assert str(MNQ) == "MNQ"


def test_precision_properties_follow_the_grid() -> None:
    assert (MNQ.price_precision, MNQ.size_precision) == (2, 0)
    assert (BTC.price_precision, BTC.size_precision) == (2, 5)


def test_instrument_normalises_numeric_strings_to_decimals() -> None:
    built = Instrument(
        symbol="S",
        kind="spot",  # type: ignore[arg-type]
        base="A",
        quote="B",
        tick_size="0.1",  # type: ignore[arg-type]
        step_size=1,  # type: ignore[arg-type]
        min_size=1,  # type: ignore[arg-type]
    )
    assert built.kind is InstrumentKind.SPOT
    assert isinstance(built.tick_size, Decimal) and isinstance(built.step_size, Decimal)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"symbol": ""}, "symbol: must not be empty"),
        ({"tick_size": D(0)}, "instrument S tick_size: must be positive"),
        ({"step_size": D("-1")}, "instrument S step_size: must be positive"),
        ({"min_size": D("0.5")}, "instrument S min_size: must be a multiple of 1"),
        ({"min_notional": D(-1)}, "instrument S min_notional: must not be negative"),
        ({"multiplier": D(2)}, "instrument S multiplier: must be 1 for a spot instrument"),
        ({"kind": "option"}, "instrument S kind: must be one of spot, future, perp"),
        ({"kind": 3}, "instrument S kind: must be one of spot, future, perp"),
    ],
)
def test_instrument_refuses_bad_specs(overrides: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "symbol": "S",
        "kind": InstrumentKind.SPOT,
        "base": "A",
        "quote": "B",
        "tick_size": D("0.1"),
        "step_size": D(1),
        "min_size": D(1),
    }
    fields.update(overrides)
    with pytest.raises(InvalidValueError, match=message):
        Instrument(**fields)  # type: ignore[arg-type]


def test_future_refuses_a_tick_value_without_exact_multiplier() -> None:
    with pytest.raises(InvalidValueError, match=r"tick_value: does not give an exact multiplier"):
        Instrument.future("X", base="X", tick_size="3", tick_value="1")
