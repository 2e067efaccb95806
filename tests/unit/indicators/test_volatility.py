from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskbus.core.errors import InvalidValueError
from riskbus.indicators import ATR, BollingerBands, BollingerValue

from .reference import (
    assert_matches,
    atr_ref,
    collect,
    random_bars,
    random_walk,
    sma_ref,
    std_ref,
    true_range_ref,
)

N = 20_000


@pytest.mark.parametrize(
    ("period", "k", "ddof"), [(20, 2.0, 0), (5, 1.5, 0), (20, 2.0, 1), (1, 2, 0)]
)
def test_bollinger_matches_numpy_window_std(period: int, k: float, ddof: int) -> None:
    x = random_walk(N, seed=period + ddof)
    bands = BollingerBands(period, k, ddof=ddof)
    middle = collect(bands.update, lambda: bands.middle, x.tolist())
    bands.reset()
    upper = collect(bands.update, lambda: bands.upper, x.tolist())
    bands.reset()
    lower = collect(bands.update, lambda: bands.lower, x.tolist())
    mean, std = sma_ref(x, period), std_ref(x, period, ddof)
    assert_matches(middle, mean)
    assert_matches(upper, mean + k * std)
    assert_matches(lower, mean - k * std)
    # pandas' online rolling variance is itself only accurate to ~1e-9 here.
    rolling = pd.Series(x).rolling(period)
    assert_matches(upper, (rolling.mean() + k * rolling.std(ddof=ddof)).to_numpy(), tol=1e-8)


def test_bollinger_std_is_exact_on_large_prices() -> None:
    # E[x²] - mean² would lose ~1e-7 here; the Welford update with periodic resync does not.
    x = random_walk(30_000, seed=11, start=60_000.0, step=30.0)
    bands = BollingerBands(20)
    std = collect(bands.update, lambda: bands.std, x.tolist())
    assert_matches(std, std_ref(x, 20, 0), tol=1e-9)


@pytest.mark.parametrize("period", [2, 20])
def test_bollinger_re_centres_on_a_strong_trend_and_on_a_flat_market(period: int) -> None:
    # A steep trend drifts the window far from the shift between periodic resyncs, then a
    # long flat stretch has a true std of exactly zero: no cancellation noise may show.
    rng = np.random.default_rng(period)
    trend = 1_000.0 + np.arange(5_000) * 7.0 + rng.normal(0.0, 0.01, 5_000)
    x = np.r_[trend, np.full(300, 36_000.5)]
    bands = BollingerBands(period)
    std = collect(bands.update, lambda: bands.std, x.tolist())
    assert_matches(std, std_ref(x, period, 0), tol=1e-9)
    assert std[-1] < 1e-12
    assert bands.middle == pytest.approx(36_000.5, abs=1e-12)


def test_bollinger_warmup_value_and_reset() -> None:
    bands = BollingerBands(3, k=2.0)
    assert (bands.period, bands.k, bands.ddof, bands.warmup) == (3, 2.0, 0, 3)
    bands.update(1.0)
    bands.update(2.0)
    assert bands.value is None and not bands.ready
    bands.update(3.0)
    std = np.std([1.0, 2.0, 3.0])
    assert bands.value == BollingerValue(2.0, 2.0 + 2 * std, 2.0 - 2 * std)
    bands.update(3.0)  # window 2, 3, 3
    assert bands.middle == pytest.approx(8 / 3)
    assert bands.std == pytest.approx(np.std([2.0, 3.0, 3.0]))
    bands.reset()
    assert bands.value is None and bands.std is None
    for x in (5.0, 5.0, 5.0):
        bands.update(x)
    assert bands.value == BollingerValue(5.0, 5.0, 5.0)
    assert (
        repr(bands)
        == "BollingerBands(period=3, k=2.0, value=BollingerValue(middle=5.0, upper=5.0, lower=5.0))"
    )


@given(
    xs=st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=200),
    period=st.integers(min_value=1, max_value=30),
    k=st.floats(min_value=0.01, max_value=5.0),
)
def test_bollinger_upper_at_least_middle_at_least_lower(
    xs: list[float], period: int, k: float
) -> None:
    bands = BollingerBands(period, k)
    for x in xs:
        bands.update(x)
        value = bands.value
        if value is not None:
            assert value.upper >= value.middle >= value.lower
            assert bands.std is not None and bands.std >= 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"period": 1, "ddof": 1}, "period"),
        ({"ddof": 2}, "ddof"),
        ({"ddof": True}, "ddof"),
        ({"k": 0.0}, "k"),
        ({"k": float("nan")}, "k"),
        ({"k": "2"}, "k"),
    ],
)
def test_bollinger_rejects_bad_arguments(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        BollingerBands(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_true_range_covers_gaps_in_reference_data() -> None:
    high, low, close = random_bars(2_000, seed=1)
    tr = true_range_ref(high, low, close)
    plain = high[1:] - low[1:]
    assert (tr > plain).mean() > 0.1  # gaps make the previous close matter


@pytest.mark.parametrize("period", [1, 14, 50])
def test_atr_matches_recursive_wilder_reference(period: int) -> None:
    high, low, close = random_bars(N, seed=period)
    atr = ATR(period)
    out = []
    for h, lo, c in zip(high.tolist(), low.tolist(), close.tolist(), strict=True):
        atr.update(h, lo, c)
        out.append(np.nan if atr.value is None else atr.value)
    assert_matches(np.asarray(out), atr_ref(high, low, close, period))


def test_atr_seeding_true_range_and_reset() -> None:
    atr = ATR(2)
    assert atr.warmup == 3 and atr.period == 2
    atr.update(10.0, 8.0, 9.0)  # first bar: only the previous close
    assert atr.value is None and atr.true_range is None
    atr.update(12.0, 10.0, 11.0)  # TR = max(2, |12-9|, |10-9|) = 3
    assert atr.true_range == 3.0 and atr.value is None
    atr.update(11.5, 7.0, 8.0)  # TR = max(4.5, 0.5, 4) = 4.5 -> seed (3 + 4.5) / 2
    assert atr.value == 3.75 and atr.ready
    atr.update(8.5, 8.0, 8.2)  # TR = 0.5 -> 3.75 + (0.5 - 3.75) / 2
    assert atr.value == pytest.approx(2.125)
    atr.update(9.0, 8.6, 8.8)  # gap up: TR = max(0.4, 0.8, 0.4) = 0.8
    assert atr.true_range == pytest.approx(0.8)
    atr.reset()
    assert atr.value is None and atr.true_range is None and not atr.ready
    assert repr(atr) == "ATR(period=2, value=None)"
