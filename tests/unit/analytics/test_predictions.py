"""The prediction ensemble against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.analytics.predictions import (
    AGENTS,
    DEFAULT_WEIGHTS,
    AgentSignal,
    EnsemblePrediction,
    PredictionConfig,
    mean_reversion_agent,
    predict,
    volatility_regime_agent,
)
from riskbus.core.errors import InvalidValueError

#: Small windows, so that every number below can be worked out by hand.
SMALL = PredictionConfig(
    trend_window=3, momentum_window=2, reversion_window=3, vol_short=2, vol_long=3
)
ROOT2 = math.sqrt(2.0)


def by_agent(prediction: EnsemblePrediction) -> dict[str, AgentSignal]:
    return {s.agent: s for s in prediction.agents}


def test_a_jump_after_a_flat_run_worked_by_hand() -> None:
    # closes 100,100,100,100,110; log returns 0,0,0,ln 1.1
    prediction = predict([100, 100, 100, 100, 110], horizon_candles=2, config=SMALL)
    agents = by_agent(prediction)
    ln11 = math.log(1.1)
    # trend: slope over (100,100,110) is ln(1.1)/2, fitted move 2*slope = ln 1.1, /0.10
    trend = agents["trend"]
    assert trend.details["slope_per_candle"] == pytest.approx(ln11 / 2)
    assert trend.score == pytest.approx(ln11 / 0.10)
    assert trend.direction == "up"
    assert trend.confidence == pytest.approx(ln11 / 0.10)
    # momentum: 110/100 - 1 = 0.10, /0.05 = 2, clipped to 1
    momentum = agents["momentum"]
    assert momentum.details["rate_of_change"] == pytest.approx(0.10)
    assert (momentum.score, momentum.direction) == (1.0, "up")
    # mean reversion: (100,100,110) has mean 103.33 and deviation 4.714, z = sqrt 2
    reversion = agents["mean_reversion"]
    assert reversion.details["z_score"] == pytest.approx(ROOT2)
    assert reversion.score == pytest.approx(-ROOT2 / 2)
    assert reversion.direction == "down"
    # volatility: short (0, ln1.1) std ln1.1/2; long (0,0,ln1.1) std ln1.1*sqrt2/3;
    # ratio 3/(2 sqrt2) = 1.0607 <= 1.5, calm; t = ln1.1 / (ln1.1/2 * sqrt2) = sqrt2
    vol = agents["volatility_regime"]
    assert vol.details["ratio"] == pytest.approx(3 / (2 * ROOT2))
    assert vol.details["regime"] == "calm"
    assert vol.score == pytest.approx(ROOT2 / 2)
    expected = 0.30 * ln11 / 0.10 + 0.25 * 1.0 + 0.20 * (-ROOT2 / 2) + 0.25 * ROOT2 / 2
    assert prediction.score == pytest.approx(expected)
    assert prediction.direction == "up"
    assert prediction.agreement == pytest.approx(0.80)  # all but mean reversion
    assert prediction.confidence == prediction.agreement
    assert prediction.probability_up == pytest.approx((1 + expected) / 2)
    # two candles of the trend's slope: ln(1.1)/2 * 2 -> +10 %, target 121
    assert prediction.expected_move_pct == pytest.approx(10.0)
    assert prediction.target_price == pytest.approx(121.0)
    assert prediction.candles_used == 5


def test_constant_prices_are_a_confident_flat_call() -> None:
    prediction = predict([250.0] * 41)
    assert prediction.direction == "flat"
    assert prediction.score == 0.0
    assert prediction.agreement == 1.0
    assert [(s.direction, s.confidence) for s in prediction.agents] == [("flat", 1.0)] * 4
    assert prediction.expected_move_pct == 0.0
    assert prediction.target_price == 250.0


def test_a_steady_rise_is_up_with_only_mean_reversion_against() -> None:
    closes = [100 * 1.01**k for k in range(41)]
    prediction = predict(closes, horizon_candles=5)
    agents = by_agent(prediction)
    slope = math.log(1.01)
    assert agents["trend"].details["slope_per_candle"] == pytest.approx(slope)
    assert agents["trend"].score == 1.0  # 19*0.00995/0.10 > 1
    assert agents["momentum"].score == 1.0  # 1.01**10-1 > 0.05
    # equal log returns: no deviation, so the calm regime follows the drift's sign
    assert agents["volatility_regime"].details["ratio"] == 1.0
    assert agents["volatility_regime"].score == 1.0
    window = closes[-20:]
    mean = sum(window) / 20
    deviation = math.sqrt(sum((c - mean) ** 2 for c in window) / 20)
    z = (closes[-1] - mean) / deviation
    assert agents["mean_reversion"].score == pytest.approx(-z / 2)
    assert prediction.score == pytest.approx(0.30 + 0.25 + 0.20 * (-z / 2) + 0.25)
    assert prediction.direction == "up"
    assert prediction.agreement == pytest.approx(0.80)
    assert prediction.expected_move_pct == pytest.approx((1.01**5 - 1) * 100)


def test_a_burst_of_volatility_is_a_turbulent_risk_off_call() -> None:
    # log returns 0,0,0,0,b,-b: long deviation b/sqrt3, short b, ratio sqrt3 > 1.5
    b = math.log(1.2)
    closes = [100, 100, 100, 100, 100, 100 * math.exp(b), 100]
    signal = volatility_regime_agent(np.asarray(closes, dtype=float), 2, 6, 1.5, 0.1)
    assert signal.details["ratio"] == pytest.approx(math.sqrt(3))
    assert signal.details["regime"] == "turbulent"
    assert signal.score == pytest.approx(-math.sqrt(3) / 3)
    assert signal.direction == "down"
    assert signal.confidence == pytest.approx(math.sqrt(3) / 3)


def test_a_small_score_is_flat_with_confidence_one_minus_its_size() -> None:
    # z of 105 in (100, 100, 105): mean 101.67, deviation 2.357, z = sqrt2; scale 20
    signal = mean_reversion_agent(np.array([100.0, 100.0, 105.0]), 3, 20.0, 0.1)
    assert signal.score == pytest.approx(-ROOT2 / 20)
    assert signal.direction == "flat"
    assert signal.confidence == pytest.approx(1 - ROOT2 / 20)


def test_weights_are_normalised_and_steer_the_ensemble() -> None:
    closes = [100, 100, 100, 100, 110]
    only_reversion = PredictionConfig(
        trend_window=3,
        momentum_window=2,
        reversion_window=3,
        vol_short=2,
        vol_long=3,
        weights={"trend": 0, "momentum": 0, "mean_reversion": 5, "volatility_regime": 0},
    )
    prediction = predict(closes, config=only_reversion)
    assert dict(prediction.weights) == {
        "trend": 0.0,
        "momentum": 0.0,
        "mean_reversion": 1.0,
        "volatility_regime": 0.0,
    }
    assert (prediction.direction, prediction.agreement) == ("down", 1.0)
    assert prediction.score == pytest.approx(-ROOT2 / 2)


def test_the_same_closes_give_the_same_prediction() -> None:
    closes = [100 + 5 * math.sin(k / 3) + k * 0.2 for k in range(60)]
    assert predict(closes, horizon_candles=7) == predict(list(closes), horizon_candles=7)
    assert tuple(DEFAULT_WEIGHTS) == AGENTS
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("closes", "field", "fragment"),
    [
        ([100.0] * 40, "closes", "at least 41 candles"),
        ([100.0] * 40 + [math.nan], "closes", "index 40"),
        ([100.0] * 40 + [-1.0], "closes", "positive"),
        ([[1.0, 2.0]] * 41, "closes", "one-dimensional"),
        (["x"] * 41, "closes", "numbers"),
    ],
)
def test_bad_closes_are_refused_naming_the_field(closes: object, field: str, fragment: str) -> None:
    with pytest.raises(InvalidValueError, match=fragment) as info:
        predict(closes)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"trend_window": 1}, "trend_window"),
        ({"momentum_window": 0}, "momentum_window"),
        ({"vol_long": 5}, "vol_long"),
        ({"trend_scale": 0.0}, "trend_scale"),
        ({"momentum_scale": "big"}, "momentum_scale"),
        ({"flat_band": 1.0}, "flat_band"),
        ({"weights": {"trend": 1.0}}, "weights"),
        ({"weights": dict.fromkeys(AGENTS, 0.0)}, "weights"),
        ({"weights": {**DEFAULT_WEIGHTS, "momentum": -1.0}}, "weights.momentum"),
    ],
)
def test_a_bad_config_names_its_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        PredictionConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize("horizon", [0, -1.0, math.inf, "7"])
def test_a_bad_horizon_is_refused(horizon: object) -> None:
    with pytest.raises(InvalidValueError) as info:
        predict([100.0] * 41, horizon_candles=horizon)  # type: ignore[arg-type]
    assert info.value.field == "horizon_candles"


price_paths = st.lists(
    st.floats(min_value=-0.08, max_value=0.08, allow_nan=False), min_size=40, max_size=80
).map(lambda moves: list(100.0 * np.exp(np.cumsum([0.0, *moves]))))


@given(closes=price_paths, scale=st.floats(min_value=1e-3, max_value=1e4))
@settings(max_examples=60, deadline=None)
def test_scores_are_bounded_and_do_not_depend_on_the_price_unit(
    closes: list[float], scale: float
) -> None:
    prediction = predict(closes, horizon_candles=3)
    rescaled = predict([c * scale for c in closes], horizon_candles=3)
    assert -1.0 <= prediction.score <= 1.0
    assert 0.0 <= prediction.agreement <= 1.0
    assert prediction.probability_up == pytest.approx((1 + prediction.score) / 2)
    for signal in prediction.agents:
        assert -1.0 <= signal.score <= 1.0
        assert 0.0 <= signal.confidence <= 1.0
    # every agent reads log prices, ratios or z-scores: a change of unit changes nothing
    assert rescaled.score == pytest.approx(prediction.score, abs=1e-6)
    assert rescaled.target_price == pytest.approx(prediction.target_price * scale, rel=1e-6)
