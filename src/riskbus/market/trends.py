"""The original mock exchange's multiplicative scenarios: each step multiplies the last price.

Step ``c`` (1, 2, ...) is the original's ``call_count``; step 0 is the initial price. Each
price is ``P[c] = P[c-1] * drift(c) * noise(c)`` where ``noise`` is the original
``U(1-a, 1+a)`` with its variance scaled by ``volatility_multiplier`` (see
:func:`~riskbus.market.base.uniform_noise`). Everything is one vectorized ``cumprod``.

Phases that had no noise in the original (dead_cat_bounce, pump_and_dump, the breakouts)
get the same ``±0.1 %`` noise as the original's quiet phases, so that every scenario is
seeded and the multiplier means the same everywhere.

==================  =====================================================================
bull_run            ``×1.002`` per step, noise ±0.2 % (about +20 % per 100 steps)
bear_crash          steps 1-50 ``×0.993``, noise ±0.5 % (about -30 % by step 50); then
                    flat, noise ±0.1 %
volatile            noise ±5 % only (the original multiplied the price by the multiplier:
                    fixed here)
irregular_candles   noise ±0.2 %; candles at steps ``k % 10 == 5`` are half a step late
                    (+30 s for one-minute steps, as the original's +30 000 ms)
dead_cat_bounce     steps 1-15 ``×0.987`` (-18 %), 16-25 ``×1.008`` (+8 %), then ``×0.992``
pump_and_dump       steps 1-20 ``×1.013`` (+30 %), 21-35 ``×0.973`` (-34 %), then flat
==================  =====================================================================
"""

from __future__ import annotations

import numpy as np

from riskbus.market.base import FloatArray, IntArray, Scenario, chain, uniform_noise

__all__ = ["SCENARIOS", "irregular_offsets"]

QUIET = 0.001  # noise amplitude of the original's flat phases


def _steps(n: int) -> IntArray:
    return np.arange(1, n, dtype=np.int64)


def bull_run(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """``P·1.002·U(0.998, 1.002)`` every step."""
    factors = uniform_noise(rng.random(steps - 1), 0.002, noise_scale)
    factors *= 1.002
    return chain(initial_price, factors)


def bear_crash(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """``P·0.993·U(0.995, 1.005)`` up to step 50, then ``P·U(0.999, 1.001)``."""
    crash = _steps(steps) <= 50
    factors = uniform_noise(rng.random(steps - 1), np.where(crash, 0.005, QUIET), noise_scale)
    factors *= np.where(crash, 0.993, 1.0)
    return chain(initial_price, factors)


def volatile(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """``P·U(0.95, 1.05)`` with the variance scaled by the multiplier."""
    return chain(initial_price, uniform_noise(rng.random(steps - 1), 0.05, noise_scale))


def irregular_candles(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """``P·U(0.998, 1.002)``; the irregularity is in the timestamps."""
    return chain(initial_price, uniform_noise(rng.random(steps - 1), 0.002, noise_scale))


def irregular_offsets(steps: int, step_ns: int) -> IntArray:
    """Shift the candles of steps ``k % 10 == 5`` by half a step (30 s at one minute)."""
    offsets = np.zeros(steps, dtype=np.int64)
    offsets[5::10] = step_ns // 2
    return offsets


def dead_cat_bounce(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """``×0.987`` to step 15, ``×1.008`` to step 25, then ``×0.992``; noise ±0.1 %."""
    c = _steps(steps)
    factors = uniform_noise(rng.random(steps - 1), QUIET, noise_scale)
    factors *= np.where(c <= 15, 0.987, np.where(c <= 25, 1.008, 0.992))
    return chain(initial_price, factors)


def pump_and_dump(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """``×1.013`` to step 20, ``×0.973`` to step 35, then flat; noise ±0.1 %."""
    c = _steps(steps)
    factors = uniform_noise(rng.random(steps - 1), QUIET, noise_scale)
    factors *= np.where(c <= 20, 1.013, np.where(c <= 35, 0.973, 1.0))
    return chain(initial_price, factors)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("bull_run", "original", "+0.2 % a step with noise (≈ +20 % per 100)", bull_run,
             max_amplitude=0.002),
    Scenario("bear_crash", "original", "-0.7 % a step to step 50 (≈ -30 %), then flat",
             bear_crash, max_amplitude=0.005),
    Scenario("volatile", "original", "±5 % noise a step, no trend", volatile,
             max_amplitude=0.05),
    Scenario("irregular_candles", "original", "quiet noise; every 10th candle half a step late",
             irregular_candles, max_amplitude=0.002, offsets=irregular_offsets),
    Scenario("dead_cat_bounce", "original", "-18 % to step 15, +8 % to 25, then falling",
             dead_cat_bounce, max_amplitude=QUIET),
    Scenario("pump_and_dump", "original", "+30 % to step 20, -34 % to 35, then flat",
             pump_and_dump, max_amplitude=QUIET),
)  # fmt: skip
