from __future__ import annotations

import numpy as np
import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.indicators import MACD, RSI, MACDValue

from .reference import (
    assert_matches,
    collect,
    macd_ref,
    random_walk,
    rsi_ref,
    wilder_ewm_ref,
    wilder_ref,
)

N = 20_000


def test_wilder_reference_equals_sma_seeded_pandas_ewm() -> None:
    # The two ways of writing the seeding convention agree, so either can be the oracle.
    values = np.abs(np.random.default_rng(1).normal(size=5_000))
    assert_matches(wilder_ref(values, 14), wilder_ewm_ref(values, 14), tol=1e-12)


@pytest.mark.parametrize("period", [1, 2, 14, 50])
def test_rsi_matches_recursive_wilder_reference(period: int) -> None:
    close = random_walk(N, seed=period)
    rsi = RSI(period)
    actual = collect(rsi.update, lambda: rsi.value, close.tolist())
    assert_matches(actual, rsi_ref(close, period))
    assert np.nanmin(actual) >= 0.0 and np.nanmax(actual) <= 100.0


def test_rsi_needs_period_plus_one_closes() -> None:
    rsi = RSI(3)
    assert rsi.warmup == 4 and rsi.period == 3
    for close in (10.0, 11.0, 10.0):
        rsi.update(close)
        assert rsi.value is None and not rsi.ready
    rsi.update(12.0)  # changes +1, -1, +2: gains 3/3, losses 1/3
    assert rsi.ready
    assert rsi.avg_gain == pytest.approx(1.0) and rsi.avg_loss == pytest.approx(1 / 3)
    assert rsi.value == pytest.approx(75.0)
    rsi.update(11.0)  # loss 1: avg_gain 2/3, avg_loss (1/3*2 + 1)/3 = 5/9
    assert rsi.value == pytest.approx(100 * (2 / 3) / (2 / 3 + 5 / 9))


@pytest.mark.parametrize(
    ("closes", "expected"),
    [([5.0, 5.0, 5.0, 5.0], 50.0), ([1.0, 2.0, 3.0, 4.0], 100.0), ([4.0, 3.0, 2.0, 1.0], 0.0)],
)
def test_rsi_edge_values_for_flat_rising_and_falling_markets(
    closes: list[float], expected: float
) -> None:
    rsi = RSI(3)
    for close in closes:
        rsi.update(close)
    assert rsi.value == expected


def test_rsi_reset_forgets_history() -> None:
    rsi = RSI(2)
    for close in (1.0, 2.0, 3.0, 2.0):
        rsi.update(close)
    assert rsi.ready
    rsi.reset()
    assert rsi.value is None and rsi.avg_gain == 0.0 and rsi.avg_loss == 0.0
    for close in (1.0, 2.0, 3.0):
        rsi.update(close)
    assert rsi.value == 100.0
    assert repr(rsi) == "RSI(period=2, value=100.0)"


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (3, 7, 2), (1, 2, 1)])
def test_macd_matches_pandas_ema_reference(fast: int, slow: int, signal: int) -> None:
    close = random_walk(N, seed=fast * 100 + slow)
    macd = MACD(fast, slow, signal)
    line = collect(macd.update, lambda: macd.macd, close.tolist())
    macd.reset()
    sig = collect(macd.update, lambda: macd.signal, close.tolist())
    macd.reset()
    hist = collect(macd.update, lambda: macd.histogram, close.tolist())
    line_ref, sig_ref, hist_ref = macd_ref(close, fast, slow, signal)
    assert_matches(line, line_ref)
    assert_matches(sig, sig_ref)
    assert_matches(hist, hist_ref)


def test_macd_warmup_and_value_tuple() -> None:
    macd = MACD()
    assert macd.periods == (12, 26, 9) and macd.period == 26 and macd.warmup == 34
    close = random_walk(40, seed=5).tolist()
    for i, price in enumerate(close[:33]):
        macd.update(price)
        assert macd.value is None and not macd.ready
        assert (macd.macd is None) == (i < 25)
    macd.update(close[33])
    value = macd.value
    assert isinstance(value, MACDValue) and macd.ready
    assert value.histogram == pytest.approx(value.macd - value.signal, abs=1e-15)
    assert macd.previous_macd is not None and macd.previous_signal is None
    macd.update(close[34])
    assert macd.previous_signal == value.signal
    assert repr(macd).startswith("MACD(fast=12, slow=26, signal=9, value=MACDValue(")


def test_macd_reset_forgets_history() -> None:
    macd = MACD(2, 3, 2)
    for price in (1.0, 2.0, 3.0, 4.0, 5.0):
        macd.update(price)
    assert macd.ready
    macd.reset()
    assert macd.value is None and macd.macd is None and macd.previous_macd is None


def test_macd_rejects_fast_not_below_slow() -> None:
    with pytest.raises(InvalidValueError) as info:
        MACD(26, 12)
    assert info.value.field == "fast" and "slow=12" in str(info.value)
    with pytest.raises(InvalidValueError, match="signal"):
        MACD(12, 26, 0)
