"""Stochastic generators: geometric Brownian motion, Merton jump diffusion, Markov regimes.

All parameters are **per step** (not annualized), so a path means the same thing whatever
the step duration: ``drift`` is the expected log growth of the price level per step
(``E[P[k+1]/P[k]] = exp(drift)``), ``volatility`` the standard deviation of the diffusion
log return per step, ``jump_intensity`` the expected number of jumps per step. Convert
annual figures with :func:`per_step`. ``volatility_multiplier`` scales the diffusion
variance (``volatility * sqrt(multiplier)``) and, through the Itô correction, leaves the
expected price level unchanged. Jump sizes are part of the scenario's shape and are not
scaled.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from riskbus.core.clock import DAY
from riskbus.core.errors import InvalidValueError
from riskbus.market.base import FloatArray, IntArray, Scenario, require

__all__ = ["SCENARIOS", "markov_states", "per_step"]

YEAR_NS = 365 * DAY  # crypto trades every day


def per_step(annual_drift: float, annual_volatility: float, step_ns: int) -> tuple[float, float]:
    """Convert annualized drift and volatility (365-day year) to per-step values."""
    dt = step_ns / YEAR_NS
    return annual_drift * dt, annual_volatility * math.sqrt(dt)


def _from_log_returns(initial_price: float, log_returns: FloatArray) -> FloatArray:
    out = np.empty(len(log_returns) + 1, dtype=np.float64)
    out[0] = 0.0
    np.cumsum(log_returns, out=out[1:])
    np.exp(out, out=out)
    out *= initial_price
    return out


def gbm(
    rng: np.random.Generator,
    steps: int,
    initial_price: float,
    noise_scale: float,
    /,
    *,
    drift: float,
    volatility: float,
) -> FloatArray:
    """Geometric Brownian motion: ``log P[k+1]/P[k] = drift - σ²/2 + σ·Z``."""
    require(volatility >= 0.0, "volatility", volatility, "must be >= 0")
    sigma = volatility * noise_scale
    log_returns = rng.standard_normal(steps - 1)
    log_returns *= sigma
    log_returns += drift - 0.5 * sigma * sigma
    return _from_log_returns(initial_price, log_returns)


def jump_diffusion(
    rng: np.random.Generator,
    steps: int,
    initial_price: float,
    noise_scale: float,
    /,
    *,
    drift: float,
    volatility: float,
    jump_intensity: float,
    jump_mean: float,
    jump_std: float,
) -> FloatArray:
    """Merton jump diffusion: GBM plus Poisson jumps with normal log sizes.

    ``jump_mean`` and ``jump_std`` are the mean and standard deviation of one jump's log
    size; the drift is compensated so ``E[P[k+1]/P[k]] = exp(drift)`` still holds.
    """
    require(volatility >= 0.0, "volatility", volatility, "must be >= 0")
    require(jump_intensity >= 0.0, "jump_intensity", jump_intensity, "must be >= 0")
    require(jump_std >= 0.0, "jump_std", jump_std, "must be >= 0")
    sigma = volatility * noise_scale
    compensator = jump_intensity * (math.exp(jump_mean + 0.5 * jump_std**2) - 1.0)
    log_returns = rng.standard_normal(steps - 1)
    log_returns *= sigma
    log_returns += drift - 0.5 * sigma * sigma - compensator
    counts = rng.poisson(jump_intensity, steps - 1)
    where = np.flatnonzero(counts)
    if len(where):
        n = counts[where].astype(np.float64)
        log_returns[where] += n * jump_mean + np.sqrt(n) * jump_std * rng.standard_normal(len(n))
    return _from_log_returns(initial_price, log_returns)


def _matrix(transition: object, regimes: int) -> FloatArray:
    try:
        matrix = np.array(transition, dtype=np.float64)
    except (TypeError, ValueError):
        matrix = np.empty(0)
    require(
        matrix.shape == (regimes, regimes),
        "transition",
        transition,
        f"must be a {regimes}x{regimes} matrix of numbers (one row per regime)",
    )
    require(
        bool(np.all(np.isfinite(matrix)) and np.all(matrix >= 0)),
        "transition",
        transition,
        "must hold probabilities >= 0",
    )
    require(
        bool(np.allclose(matrix.sum(axis=1), 1.0)),
        "transition",
        transition,
        "each row must sum to 1",
    )
    return matrix


REGIMES_PROBLEM = "must be a non-empty list of {drift, volatility} or [drift, volatility]"


def _pair(regime: object) -> tuple[float, float] | None:
    if isinstance(regime, Mapping) and set(regime) == {"drift", "volatility"}:
        regime = (regime["drift"], regime["volatility"])
    if not (isinstance(regime, Sequence) and not isinstance(regime, str) and len(regime) == 2):
        return None
    drift, vol = regime
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (drift, vol)):
        return None
    return float(drift), float(vol)


def _regimes(regimes: object) -> tuple[FloatArray, FloatArray]:
    if not (isinstance(regimes, Sequence) and not isinstance(regimes, str) and regimes):
        raise InvalidValueError.for_value("regimes", regimes, REGIMES_PROBLEM)
    pairs = [_pair(regime) for regime in regimes]
    valid = [pair for pair in pairs if pair is not None]
    require(len(valid) == len(pairs), "regimes", regimes, REGIMES_PROBLEM)
    drifts = np.array([drift for drift, _ in valid], dtype=np.float64)
    vols = np.array([vol for _, vol in valid], dtype=np.float64)
    finite = bool(np.all(np.isfinite(drifts)) and np.all(np.isfinite(vols)))
    require(
        finite and bool(np.all(vols >= 0)),
        "regimes",
        regimes,
        "volatilities must be >= 0 and all values finite",
    )
    return drifts, vols


class _Batched:
    """Draws taken from ``rng`` a batch at a time and handed out one by one."""

    __slots__ = ("_draw", "_items", "_next")

    def __init__(self, draw: Callable[[], list[float]]) -> None:
        self._draw = draw
        self._items: list[float] = []
        self._next = 0

    def take(self) -> float:
        if self._next == len(self._items):
            self._items, self._next = self._draw(), 0
        self._next += 1
        return self._items[self._next - 1]


def _geometric(rng: np.random.Generator, p: float, size: int) -> Callable[[], list[float]]:
    return lambda: list(rng.geometric(p, size).tolist())


def markov_states(
    rng: np.random.Generator, count: int, transition: FloatArray, initial: int
) -> IntArray:
    """Return ``count`` states of the Markov chain, starting in ``initial``.

    Runs are drawn whole: a stay in state ``i`` lasts ``Geometric(1 - P[i, i])`` steps and
    then moves to ``j != i`` with probability ``P[i, j] / (1 - P[i, i])``; the same law as
    a step-by-step chain, with one cheap Python iteration per run instead of per step
    (the draws come in NumPy batches).
    """
    leave = (1.0 - np.diag(transition)).tolist()
    onward = transition.copy()
    np.fill_diagonal(onward, 0.0)
    cumulative = np.cumsum(onward, axis=1).tolist()
    last_target = [int(np.flatnonzero(row).max()) if row.any() else 0 for row in onward]
    batch = int(count * max(leave)) + 16
    stays = [_Batched(_geometric(rng, p, batch)) if p > 0 else None for p in leave]
    moves = _Batched(lambda: rng.random(batch).tolist())
    states: list[int] = []
    lengths: list[int] = []
    state, filled = initial, 0
    while filled < count:
        stay = stays[state]
        length = count - filled if stay is None else min(int(stay.take()), count - filled)
        states.append(state)
        lengths.append(length)
        filled += length
        if stay is not None:
            row = cumulative[state]
            target = bisect.bisect_right(row, moves.take() * row[-1])
            state = min(target, last_target[state])
    return np.repeat(np.array(states, dtype=np.int64), lengths)


def regime_switch(
    rng: np.random.Generator,
    steps: int,
    initial_price: float,
    noise_scale: float,
    /,
    *,
    regimes: object,
    transition: object,
    initial_regime: int,
) -> FloatArray:
    """GBM whose drift and volatility follow a Markov chain of regimes."""
    drifts, vols = _regimes(regimes)
    matrix = _matrix(transition, len(drifts))
    require(
        0 <= initial_regime < len(drifts),
        "initial_regime",
        initial_regime,
        f"must be a regime index, 0 to {len(drifts) - 1}",
    )
    states = markov_states(rng, steps - 1, matrix, initial_regime)
    sigma = vols[states] * noise_scale
    log_returns = rng.standard_normal(steps - 1)
    log_returns *= sigma
    log_returns += drifts[states] - 0.5 * sigma * sigma
    return _from_log_returns(initial_price, log_returns)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("gbm", "stochastic", "geometric Brownian motion (per-step drift, volatility)",
             gbm, {"drift": 0.0, "volatility": 0.002}),
    Scenario("jump_diffusion", "stochastic", "GBM plus Poisson jumps (Merton)", jump_diffusion,
             {"drift": 0.0, "volatility": 0.002, "jump_intensity": 0.02, "jump_mean": -0.05,
              "jump_std": 0.03}),
    Scenario("regime_switch", "stochastic", "GBM with Markov-switching drift and volatility",
             regime_switch,
             {"regimes": ({"drift": 0.0002, "volatility": 0.002},
                          {"drift": -0.0005, "volatility": 0.01}),
              "transition": ((0.98, 0.02), (0.05, 0.95)), "initial_regime": 0}),
)  # fmt: skip
