"""GBM, Merton jump diffusion and Markov regime switching: parameters do what they say."""

from __future__ import annotations

import math

import numpy as np
import pytest

from riskbus.core.clock import DAY, MINUTE
from riskbus.core.errors import InvalidValueError
from riskbus.market import generate, per_step
from riskbus.market.stochastic import markov_states


def log_returns(name: str, steps: int, seed: int = 1, **params: object) -> np.ndarray:
    return np.diff(np.log(generate(name, steps, seed, **params).prices))  # type: ignore[arg-type]


def test_gbm_log_returns_have_the_given_drift_and_volatility() -> None:
    r = log_returns("gbm", 200_001, drift=0.001, volatility=0.01)
    assert r.std() == pytest.approx(0.01, rel=0.01)
    assert r.mean() == pytest.approx(0.001 - 0.5 * 0.01**2, abs=3 * 0.01 / math.sqrt(200_000))


def test_gbm_with_zero_volatility_is_a_pure_exponential() -> None:
    prices = generate("gbm", 5, 1, initial_price=100, drift=0.01, volatility=0.0).prices
    assert prices == pytest.approx(100 * np.exp(0.01 * np.arange(5)), rel=1e-12)


def test_per_step_converts_annual_figures_by_the_step_share_of_a_year() -> None:
    drift, vol = per_step(0.365, 0.8, DAY)
    assert drift == pytest.approx(0.001)
    assert vol == pytest.approx(0.8 / math.sqrt(365))
    assert per_step(0.0, 0.5, MINUTE)[1] == pytest.approx(0.5 * math.sqrt(1 / 525_600))


def test_jump_diffusion_jumps_as_often_and_as_big_as_asked() -> None:
    r = log_returns(
        "jump_diffusion",
        100_001,
        volatility=0.001,
        jump_intensity=0.01,
        jump_mean=-0.1,
        jump_std=0.01,
    )
    jumps = r[r < -0.05]
    assert len(jumps) == pytest.approx(1_000, rel=0.1)  # 0.01 per step
    assert np.median(jumps) == pytest.approx(-0.1, abs=0.01)


def test_jump_diffusion_compensates_the_drift_so_the_level_is_kept_in_expectation() -> None:
    finals = np.array(
        [
            generate(
                "jump_diffusion", 21, s, jump_intensity=0.2, jump_mean=-0.05, jump_std=0.02
            ).prices[-1]
            for s in range(1_500)
        ]
    )
    assert finals.mean() / 50_000 == pytest.approx(1.0, abs=0.01)


def test_jump_diffusion_without_jumps_is_gbm_shaped() -> None:
    r = log_returns("jump_diffusion", 50_001, jump_intensity=0.0, volatility=0.003)
    assert r.std() == pytest.approx(0.003, rel=0.02)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"volatility": -0.1}, "volatility"),
        ({"jump_intensity": -1.0}, "jump_intensity"),
        ({"jump_std": -0.1}, "jump_std"),
    ],
)
def test_bad_jump_parameters_name_the_parameter(params: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        generate("jump_diffusion", 10, 1, **params)  # type: ignore[arg-type]
    assert info.value.field == field
    with pytest.raises(InvalidValueError):
        generate("gbm", 10, 1, volatility=-1.0)


def test_markov_states_follow_the_transition_matrix() -> None:
    matrix = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.0, 0.5, 0.5]])
    states = markov_states(np.random.default_rng(3), 200_000, matrix, 2)
    assert states[0] == 2 and len(states) == 200_000
    counts = np.zeros((3, 3))
    np.add.at(counts, (states[:-1], states[1:]), 1)
    empirical = counts / counts.sum(axis=1, keepdims=True)
    assert empirical == pytest.approx(matrix, abs=0.01)


def test_an_absorbing_regime_is_never_left() -> None:
    states = markov_states(np.random.default_rng(1), 50, np.array([[1.0, 0.0], [0.5, 0.5]]), 0)
    assert set(states.tolist()) == {0}


def test_regime_switch_volatility_follows_the_regimes() -> None:
    calm = generate(
        "regime_switch",
        5_001,
        1,
        regimes=[[0.0, 0.001], [0.0, 0.05]],
        transition=[[1.0, 0.0], [0.0, 1.0]],
    )
    wild = generate(
        "regime_switch",
        5_001,
        1,
        regimes=[[0.0, 0.001], [0.0, 0.05]],
        transition=[[1.0, 0.0], [0.0, 1.0]],
        initial_regime=1,
    )
    assert np.diff(np.log(calm.prices)).std() == pytest.approx(0.001, rel=0.05)
    assert np.diff(np.log(wild.prices)).std() == pytest.approx(0.05, rel=0.05)
    mixed = np.diff(np.log(generate("regime_switch", 20_001, 2).prices)).std()
    assert 0.002 < mixed < 0.01  # between the default calm (0.002) and turbulent (0.01)


@pytest.mark.parametrize(
    ("params", "field", "problem"),
    [
        ({"regimes": []}, "regimes", "non-empty"),
        ({"regimes": "calm"}, "regimes", "non-empty"),
        ({"regimes": [[0.0]]}, "regimes", "non-empty"),
        ({"regimes": [["a", 0.1]]}, "regimes", "non-empty"),
        ({"regimes": [[0.0, -0.1]]}, "regimes", ">= 0"),
        ({"regimes": [{"drift": 0.0}]}, "regimes", "non-empty"),
        ({"transition": [[1.0]]}, "transition", "2x2"),
        ({"transition": "x"}, "transition", "2x2"),
        ({"transition": [[0.5, 0.6], [0.5, 0.5]]}, "transition", "sum to 1"),
        ({"transition": [[1.5, -0.5], [0.5, 0.5]]}, "transition", ">= 0"),
        ({"initial_regime": 2}, "initial_regime", "0 to 1"),
        ({"initial_regime": 1.0}, "initial_regime", "integer"),
    ],
)
def test_bad_regime_parameters_name_the_parameter(
    params: dict[str, object], field: str, problem: str
) -> None:
    with pytest.raises(InvalidValueError, match=problem) as info:
        generate("regime_switch", 10, 1, **params)  # type: ignore[arg-type]
    assert info.value.field == field


def test_regimes_accept_mappings_from_yaml() -> None:
    path = generate(
        "regime_switch",
        30,
        1,
        regimes=[{"drift": 0.0, "volatility": 0.01}, {"drift": 0.0, "volatility": 0.02}],
        transition=[[0.5, 0.5], [0.5, 0.5]],
    )
    assert len(path) == 30
