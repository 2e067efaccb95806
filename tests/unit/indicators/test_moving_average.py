from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskbus.core.errors import InvalidValueError
from riskbus.indicators import EMA, RESYNC_UPDATES, SMA

from .reference import assert_matches, collect, ema_ref, random_walk, sma_ref

N = 20_000


@pytest.mark.parametrize("period", [1, 2, 10, 30, 200])
def test_sma_matches_window_mean_over_long_series(period: int) -> None:
    x = random_walk(N, seed=period)
    sma = SMA(period)
    actual = collect(sma.update, lambda: sma.value, x.tolist())
    assert_matches(actual, sma_ref(x, period))
    expected_pandas = pd.Series(x).rolling(period).mean().to_numpy()
    assert_matches(actual, expected_pandas)


def test_sma_does_not_drift_on_large_prices() -> None:
    # BTC-sized prices: a plain running sum would drift by ~1e-9 relative over 1M updates;
    # the periodic exact resync keeps it at a few ulps.
    x = random_walk(50_000, seed=7, start=60_000.0, step=60.0)
    sma = SMA(30)
    actual = collect(sma.update, lambda: sma.value, x.tolist())
    expected = sma_ref(x, 30)
    ok = ~np.isnan(expected)
    relative = np.abs(actual[ok] - expected[ok]) / np.abs(expected[ok])
    assert relative.max() < 1e-14
    assert np.abs(actual[ok] - expected[ok]).max() < 1e-9


def test_sma_is_none_until_period_values_then_ready() -> None:
    sma = SMA(3)
    assert (sma.value, sma.ready, sma.period, sma.warmup) == (None, False, 3, 3)
    sma.update(1.0)
    sma.update(2.0)
    assert sma.value is None and not sma.ready
    sma.update(6.0)
    assert sma.value == 3.0 and sma.ready
    sma.update(7.0)
    assert sma.value == 5.0


def test_sma_reset_forgets_history() -> None:
    sma = SMA(2)
    for x in (10.0, 20.0, 30.0):
        sma.update(x)
    assert sma.value == 25.0
    sma.reset()
    assert sma.value is None and not sma.ready
    sma.update(1.0)
    assert sma.value is None
    sma.update(3.0)
    assert sma.value == 2.0
    assert repr(sma) == "SMA(period=2, value=2.0)"


def test_sma_after_reset_matches_fresh_instance_over_resync_boundaries() -> None:
    x = random_walk(3 * RESYNC_UPDATES + 17, seed=3).tolist()
    used = SMA(7)
    for value in random_walk(500, seed=4).tolist():
        used.update(value)
    used.reset()
    fresh = SMA(7)
    a = collect(used.update, lambda: used.value, x)
    b = collect(fresh.update, lambda: fresh.value, x)
    np.testing.assert_array_equal(a, b)


@given(
    constant=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    period=st.integers(min_value=1, max_value=50),
    extra=st.integers(min_value=0, max_value=120),
)
def test_sma_of_constant_series_is_the_constant(constant: float, period: int, extra: int) -> None:
    sma = SMA(period)
    for _ in range(period + extra):
        sma.update(constant)
    assert sma.value == pytest.approx(constant, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("period", [1, 5, 12, 26, 100])
def test_ema_matches_sma_seeded_pandas_ewm(period: int) -> None:
    x = random_walk(N, seed=100 + period)
    ema = EMA(period)
    actual = collect(ema.update, lambda: ema.value, x.tolist())
    assert_matches(actual, ema_ref(x, period))


def test_ema_seed_is_the_mean_of_the_first_period_values() -> None:
    ema = EMA(3)
    assert ema.alpha == 0.5 and ema.warmup == 3
    ema.update(1.0)
    ema.update(2.0)
    assert ema.value is None and not ema.ready
    ema.update(6.0)
    assert ema.value == 3.0 and ema.ready
    ema.update(5.0)
    assert ema.value == 4.0  # 3 + 0.5 * (5 - 3)
    ema.reset()
    assert ema.value is None
    for x in (2.0, 2.0, 2.0):
        ema.update(x)
    assert ema.value == 2.0
    assert repr(ema) == "EMA(period=3, value=2.0)"


@pytest.mark.parametrize("cls", [SMA, EMA])
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_period_is_rejected_naming_it(cls: type, bad: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        cls(bad)
    assert info.value.field == "period"
    assert info.value.value == bad
    assert "period" in str(info.value)
