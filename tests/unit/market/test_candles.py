"""Candles are consistent with their path and seeded; the validator finds irregular intervals."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.clock import MINUTE, SECOND
from riskbus.market import (
    Candle,
    CandleIntervalError,
    InvalidCandleError,
    find_irregular_intervals,
    generate,
    scenario_names,
    validate_candles,
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(scenario_names()),
    steps=st.integers(1, 300),
    seed=st.integers(-(2**63), 2**63),
    multiplier=st.floats(0.0, 50.0),
    start=st.integers(0, 2**60),
    step=st.integers(1, 3_600 * SECOND),
)
def test_candles_are_consistent_with_the_path(
    name: str, steps: int, seed: int, multiplier: float, start: int, step: int
) -> None:
    path = generate(name, steps, seed, volatility_multiplier=multiplier, start=start, step=step)
    candles = path.candles()
    assert len(candles) == steps
    previous_close = path.prices[0]
    for k, candle in enumerate(candles):
        assert candle.close == path.prices[k]
        assert candle.open == previous_close
        assert candle.high >= max(candle.open, candle.close)
        assert 0 < candle.low <= min(candle.open, candle.close)
        assert candle.volume > 0
        previous_close = candle.close
    ts = [c.ts for c in candles]
    grid = [start + k * step for k in range(steps)]
    if name == "irregular_candles":
        assert [t - g for t, g in zip(ts, grid, strict=True)] == [
            step // 2 if k % 10 == 5 else 0 for k in range(steps)
        ]
    else:
        assert ts == grid
        validate_candles(candles, step)
    assert all(b > a for a, b in itertools.pairwise(ts))


def test_candles_are_seeded_and_do_not_change_the_prices() -> None:
    a = generate("volatile", 50, 4)
    before = a.prices.copy()
    assert a.candles() == a.candles() == generate("volatile", 50, 4).candles()
    assert np.array_equal(a.prices, before)
    assert a.candles() != generate("volatile", 50, 5).candles()


def test_candle_time_and_step_can_be_overridden() -> None:
    candles = generate("bull_run", 3, 1).candles(start_ts=0, step_ns=SECOND)
    assert [c.ts for c in candles] == [0, SECOND, 2 * SECOND]


def test_volume_rises_with_the_size_of_the_move() -> None:
    ohlcv = generate("flash_crash", 60, 1).ohlcv()
    assert ohlcv.volume[20] > 10 * np.median(ohlcv.volume)  # the 15 % drop


def test_irregular_candles_have_gaps_the_validator_finds() -> None:
    candles = generate("irregular_candles", 30, 2).candles()
    issues = find_irregular_intervals([c.ts for c in candles], MINUTE)
    assert [(i.row, i.kind, i.interval) for i in issues] == [
        (6, "gap", 90 * SECOND),
        (7, "short", 30 * SECOND),
        (16, "gap", 90 * SECOND),
        (17, "short", 30 * SECOND),
        (26, "gap", 90 * SECOND),
        (27, "short", 30 * SECOND),
    ]
    assert issues[0].describe() == "gap: interval=90s, expected=60s"
    with pytest.raises(CandleIntervalError, match=r"row 6: irregular candle interval, gap") as e:
        validate_candles(candles, MINUTE, source="feed")
    assert "(5 more)" in str(e.value) and e.value.row == 6 and e.value.column == "ts"
    assert "feed" in str(e.value)


def test_validator_infers_the_step_and_names_duplicates_and_backwards_steps() -> None:
    good = generate("sideways", 5, 1).candles()
    validate_candles(good)
    validate_candles(good[:1])
    validate_candles([])
    dup = [*good[:3], dataclasses.replace(good[3], ts=good[2].ts)]
    with pytest.raises(CandleIntervalError, match="row 4: irregular candle interval, duplicate"):
        validate_candles(dup)
    back = [*good[:2], dataclasses.replace(good[2], ts=good[0].ts)]
    with pytest.raises(CandleIntervalError, match="backwards"):
        validate_candles(back)
    issues = find_irregular_intervals([0, 60, 90], 60)
    assert [i.kind for i in issues] == ["short"] and find_irregular_intervals([5], 60) == []


@pytest.mark.parametrize(
    ("change", "column", "problem"),
    [
        ({"open": 0.0}, "open", "positive"),
        ({"close": float("nan")}, "close", "positive"),
        ({"high": 90.0, "low": 95.0, "open": 92.0, "close": 92.0}, "high", "below low"),
        ({"high": 101.0}, "high", "outside"),
        ({"low": 103.0}, "high", "outside"),
        ({"volume": -1.0}, "volume", "volume"),
        ({"volume": float("inf")}, "volume", "volume"),
    ],
)
def test_validator_names_the_row_and_column_of_a_bad_candle(
    change: dict[str, float], column: str, problem: str
) -> None:
    ok = Candle(ts=0, open=100.0, high=105.0, low=99.0, close=102.0, volume=1.0)
    bad = dataclasses.replace(ok, ts=60, **change)
    with pytest.raises(InvalidCandleError, match=problem) as info:
        validate_candles([ok, bad])
    assert (info.value.row, info.value.column) == (2, column)
