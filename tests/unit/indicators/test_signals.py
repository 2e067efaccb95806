from __future__ import annotations

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.indicators import (
    MACD,
    RSI,
    CrossTracker,
    IndicatorSignal,
    crossover,
    crossunder,
    macd_signal,
    rsi_signal,
)


@pytest.mark.parametrize(
    ("previous_fast", "previous_slow", "fast", "slow", "over", "under"),
    [
        (1.0, 2.0, 3.0, 2.0, True, False),  # clean cross up
        (3.0, 2.0, 1.0, 2.0, False, True),  # clean cross down
        (2.0, 2.0, 3.0, 2.0, False, False),  # started equal: not strict
        (1.0, 2.0, 2.0, 2.0, False, False),  # ends equal: only a touch
        (1.0, 2.0, 1.5, 2.0, False, False),  # still below
        (3.0, 2.0, 4.0, 2.0, False, False),  # still above
    ],
)
def test_crossings_use_strict_comparisons(
    previous_fast: float, previous_slow: float, fast: float, slow: float, over: bool, under: bool
) -> None:
    assert crossover(previous_fast, previous_slow, fast, slow) is over
    assert crossunder(previous_fast, previous_slow, fast, slow) is under


def test_cross_tracker_reports_each_crossing_once() -> None:
    tracker = CrossTracker()
    pairs = [(1, 2), (3, 2), (4, 2), (2, 2), (1, 2), (0, 2), (3, 2)]
    assert [tracker.update(f, s) for f, s in pairs] == [0, 1, 0, 0, 0, 0, 1]
    tracker.reset()
    assert tracker.update(3, 2) == 0  # no previous pair after reset
    assert tracker.update(1, 2) == -1


@pytest.mark.parametrize(
    ("value", "buy", "sell"),
    [
        (29.9, True, False),
        (30.0, False, False),
        (50.0, False, False),
        (70.0, False, False),
        (70.1, False, True),
    ],
)
def test_rsi_signal_thresholds_are_strict(value: float, buy: bool, sell: bool) -> None:
    assert rsi_signal(value) == IndicatorSignal("RSI", value, buy, sell)


def test_rsi_signal_reads_an_rsi_and_takes_custom_thresholds() -> None:
    rsi = RSI(2)
    assert rsi_signal(rsi) == IndicatorSignal("RSI", None, False, False)
    for close in (3.0, 2.0, 1.0):
        rsi.update(close)
    assert rsi_signal(rsi) == IndicatorSignal("RSI", 0.0, True, False)
    signal = rsi_signal(25.0, oversold=20.0, overbought=24.0, name="rsi14")
    assert signal == IndicatorSignal("rsi14", 25.0, False, True)


@pytest.mark.parametrize(
    ("oversold", "overbought", "field"),
    [
        (-1.0, 70.0, "oversold"),
        (100.0, 100.0, "oversold"),
        (30.0, 30.0, "overbought"),
        (30.0, 101.0, "overbought"),
        (float("nan"), 70.0, "oversold"),
    ],
)
def test_rsi_signal_rejects_bad_thresholds(oversold: float, overbought: float, field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        rsi_signal(50.0, oversold=oversold, overbought=overbought)
    assert info.value.field == field


def _feed(macd: MACD, closes: list[float]) -> list[IndicatorSignal]:
    signals = []
    for close in closes:
        macd.update(close)
        signals.append(macd_signal(macd))
    return signals


def test_macd_signal_buys_on_cross_above_and_sells_on_cross_below() -> None:
    macd = MACD(2, 3, 2)
    # Ready at close 4; a fall then a sharp rise then a sharp fall.
    closes = [10.0, 10.0, 10.0, 9.0, 8.0, 7.0, 12.0, 14.0, 15.0, 9.0, 6.0]
    signals = _feed(macd, closes)
    assert all(s.value is None for s in signals[:3])
    assert signals[3].value is not None and not signals[3].buy_signal  # no previous signal
    buys = [i for i, s in enumerate(signals) if s.buy_signal]
    sells = [i for i, s in enumerate(signals) if s.sell_signal]
    assert buys == [6] and sells == [9]
    assert all(s.name == "MACD" for s in signals)
    # Each flagged bar is an actual strict crossing of the lines.
    macd.reset()
    lines = []
    for close in closes:
        macd.update(close)
        lines.append((macd.macd, macd.signal))
    assert lines[5][0] < lines[5][1] and lines[6][0] > lines[6][1]
    assert lines[8][0] > lines[8][1] and lines[9][0] < lines[9][1]


def test_macd_signal_before_ready_carries_no_value() -> None:
    macd = MACD(2, 3, 2)
    for close in (1.0, 2.0, 3.0):
        macd.update(close)
    assert macd.macd is not None and macd.signal is None
    assert macd_signal(macd, name="m") == IndicatorSignal("m", None, False, False)
