"""PricePath: quotes, Decimal prices at the tick, statistics, time of each step."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.clock import SECOND
from riskbus.core.errors import InvalidValueError
from riskbus.market import DEFAULT_START, PricePath, generate, to_tick


def make(prices: list[float], **kw: object) -> PricePath:
    return PricePath(np.array(prices), **kw)  # type: ignore[arg-type]


def test_buy_and_sell_sit_half_the_spread_around_the_price() -> None:
    path = make([100.0, 200.0], spread_bps=20)
    assert path.buy_prices.tolist() == pytest.approx([100.1, 200.2])
    assert path.sell_prices.tolist() == pytest.approx([99.9, 199.8])
    quote = path.quote_at(1, "0.01")
    assert (quote.step, quote.price, quote.buy, quote.sell) == (
        1,
        Decimal("200.00"),
        Decimal("200.20"),
        Decimal("199.80"),
    )


def test_price_at_quantizes_half_even_to_the_tick() -> None:
    path = make([100.125, 100.135, 0.3])
    assert path.price_at(0, "0.01") == Decimal("100.12")
    assert path.price_at(1, Decimal("0.01")) == Decimal("100.14")
    assert path.price_at(0, "0.5") == Decimal("100.0")
    assert path.price_at(2) == Decimal("0.3")  # no tick: the float's shortest repr
    assert path.price_at(-1, "0.1") == Decimal("0.3")
    assert str(path.price_at(0, "1")) == "100"
    assert str(path.price_at(1, 0.01)) == "100.14"  # a float tick is read by its repr


def _snap_by_division(value: float, tick: Decimal) -> str:
    """The grid snap written out: half-even units of the tick, at the tick's exponent."""
    try:
        units = (Decimal(repr(value)) / tick).to_integral_value(rounding=ROUND_HALF_EVEN)
        return str((units * tick).quantize(tick))
    except InvalidOperation:
        return "InvalidOperation"


_TICKS = ["0.01", "1E-2", "0.010", "1", "1.0", "1E+1", "10", "0.0001", "0.25", "1E-8", "1E+6"]


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.floats(min_value=0, max_value=1e7, allow_nan=False),
        st.integers(0, 10**6).map(lambda n: n / 200),  # exact halves of the finer grids
        st.floats(min_value=1e20, max_value=1e30),  # more digits than the context holds
    ),
    st.sampled_from(_TICKS),
)
def test_to_tick_on_a_power_of_ten_grid_is_the_division_snap(value: float, text: str) -> None:
    """Powers of ten take a quantize shortcut; it gives the same digits in every spelling."""
    tick = Decimal(text)
    try:
        got = str(to_tick(value, tick))
    except InvalidOperation:
        got = "InvalidOperation"
    assert got == _snap_by_division(value, tick)


@pytest.mark.parametrize("tick", ["0", "-0.01", "abc", "NaN"])
def test_a_bad_tick_is_named(tick: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        to_tick(1.0, tick)
    assert info.value.field == "tick"


def test_steps_out_of_range_raise_index_error() -> None:
    path = make([1.0, 2.0])
    with pytest.raises(IndexError):
        path.price_at(2)
    with pytest.raises(IndexError):
        path.quote_at(-3)


def test_stats_report_min_max_their_steps_return_and_volatility() -> None:
    stats = make([100.0, 110.0, 99.0, 120.0]).stats()
    returns = np.array([0.1, -0.1, 120 / 99 - 1])
    assert (stats.steps, stats.first, stats.last) == (4, 100.0, 120.0)
    assert (stats.min, stats.min_step, stats.max, stats.max_step) == (99.0, 2, 120.0, 3)
    assert stats.mean == pytest.approx(107.25)
    assert stats.total_return_pct == pytest.approx(20.0)
    assert stats.volatility == pytest.approx(returns.std())
    assert stats.as_dict()["min_step"] == 2
    assert make([5.0]).stats().volatility == 0.0


def test_prices_are_read_only_but_the_callers_array_is_not_frozen() -> None:
    raw = np.array([1.0, 2.0])
    path = PricePath(raw)
    with pytest.raises(ValueError):
        path.prices[0] = 3.0
    raw[0] = 3.0  # still the caller's to change
    assert list(path) == [3.0, 2.0]  # a view: no copy was made


@pytest.mark.parametrize("prices", [[], [1.0, 0.0], [1.0, -2.0], [float("nan")], [[1.0]]])
def test_invalid_prices_are_rejected(prices: list[float]) -> None:
    with pytest.raises(InvalidValueError) as info:
        make(prices)
    assert info.value.field == "prices"


def test_offsets_must_match_the_prices() -> None:
    with pytest.raises(InvalidValueError, match="offsets"):
        PricePath(np.ones(3), offsets=np.zeros(2, dtype=np.int64))


def test_timestamps_are_start_plus_k_steps_and_offsets_rescale() -> None:
    path = generate("irregular_candles", 12, 1, step=60 * SECOND, start=1_000)
    assert path.timestamps()[:3].tolist() == [1_000, 1_000 + 60 * SECOND, 1_000 + 120 * SECOND]
    ts = path.timestamps(0, 10 * SECOND)
    assert ts[5] == 55 * SECOND and ts[6] == 60 * SECOND  # half a step late, rescaled
    with pytest.raises(InvalidValueError):
        path.timestamps(0, 0)


def test_index_at_maps_virtual_time_to_the_step_in_force() -> None:
    path = generate("sideways", 10, 1)
    assert path.index_at(DEFAULT_START) == 0
    assert path.index_at(DEFAULT_START + 59 * SECOND) == 0
    assert path.index_at(DEFAULT_START + 60 * SECOND) == 1
    assert path.index_at(DEFAULT_START + 9 * 60 * SECOND + 1) == 9
    with pytest.raises(IndexError, match="before"):
        path.index_at(DEFAULT_START - 1)
    with pytest.raises(IndexError, match="past the last step"):
        path.index_at(DEFAULT_START + 10 * 60 * SECOND)
    assert path.index_at(DEFAULT_START + 10**15, clamp=True) == 9


def test_basic_protocols() -> None:
    path = generate("gbm", 7, 3)
    assert len(path) == path.steps == 7
    assert list(path) == path.prices.tolist()
    assert repr(path) == "PricePath(name='gbm', seed=3, steps=7)"
