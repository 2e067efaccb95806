"""The original mock exchange's anchored scenarios: prices drawn around the initial price.

Unlike the multiplicative trends, these compute each step from ``P0`` (the price at step 0)
so their shape cannot drift: a crash is at ``0.85·P0`` whatever the noise did before.

==============  ========================================================================
sideways        ``P0·(1 + 0.02·sin(c/10))·U(0.999, 1.001)``
flash_crash     steps 0-19 ``P0·U(0.998, 1.002)``; 20-29 ``0.85·P0·U(0.99, 1.01)``; 30-49
                linear recovery from ``0.85·P0`` to ``P0``, ``·U(0.995, 1.005)``; from 50
                ``P0·U(0.998, 1.002)``. ``crash_at``, ``duration``, ``recovery`` (steps) and
                ``depth`` (fraction) move and size the crash; the defaults are the original.
accumulation    steps 1-50 ``P0·U(0.99, 1.01)`` (a range), then ``×1.003`` a step from the
                step-50 price (breakout, ≈ +15 % over 50 steps), noise ±0.1 %
distribution    the same range, then ``×0.997`` a step (breakdown)
==============  ========================================================================

Noise amplitudes scale with ``sqrt(volatility_multiplier)`` as everywhere.
"""

from __future__ import annotations

import numpy as np

from riskbus.market.base import FloatArray, Scenario, chain, require, uniform_noise

__all__ = ["SCENARIOS"]

RANGE_STEPS = 50


def _anchored(initial_price: float, levels: FloatArray, noise: FloatArray) -> FloatArray:
    out = np.empty(len(levels) + 1, dtype=np.float64)
    out[0] = initial_price
    np.multiply(levels, noise, out=out[1:])
    out[1:] *= initial_price
    return out


def sideways(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """A ±2 % sine around ``P0`` (period ≈ 63 steps) with ±0.1 % noise."""
    c = np.arange(1, steps, dtype=np.float64)
    levels = np.sin(c / 10.0)
    levels *= 0.02
    levels += 1.0
    return _anchored(
        initial_price, levels, uniform_noise(rng.random(steps - 1), 0.001, noise_scale)
    )


def flash_crash(
    rng: np.random.Generator,
    steps: int,
    initial_price: float,
    noise_scale: float,
    /,
    *,
    crash_at: int,
    duration: int,
    recovery: int,
    depth: float,
) -> FloatArray:
    """Drop by ``depth`` at ``crash_at``, hold ``duration`` steps, recover over ``recovery``."""
    require(crash_at >= 1, "crash_at", crash_at, "must be >= 1")
    require(duration >= 0, "duration", duration, "must be >= 0")
    require(recovery >= 0, "recovery", recovery, "must be >= 0")
    require(0.0 < depth < 1.0, "depth", depth, "must be between 0 and 1 (a fraction)")
    c = np.arange(1, steps, dtype=np.int64)
    bottom = crash_at + duration
    end = bottom + recovery
    progress = (c - bottom) / max(recovery, 1)
    levels = np.where(c < crash_at, 1.0, 1.0 - depth)
    levels = np.where((c >= bottom) & (c < end), 1.0 - depth + depth * progress, levels)
    levels = np.where(c >= end, 1.0, levels)
    amplitude = np.where(c < crash_at, 0.002, 0.01)
    amplitude = np.where(c >= bottom, 0.005, amplitude)
    amplitude = np.where(c >= end, 0.002, amplitude)
    noise = uniform_noise(rng.random(steps - 1), amplitude, noise_scale)
    return _anchored(initial_price, levels, noise)


def _range_then_trend(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, trend: float
) -> FloatArray:
    draws = rng.random(steps - 1)
    ranged = min(steps - 1, RANGE_STEPS)
    head = _anchored(
        initial_price,
        np.ones(ranged, dtype=np.float64),
        uniform_noise(draws[:ranged], 0.01, noise_scale),
    )
    if steps - 1 <= RANGE_STEPS:
        return head
    factors = uniform_noise(draws[ranged:], 0.001, noise_scale)
    factors *= trend
    tail = chain(float(head[-1]), factors)
    return np.concatenate((head, tail[1:]))


def accumulation(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """A ±1 % range around ``P0`` for 50 steps, then ``×1.003`` a step (breakout)."""
    return _range_then_trend(rng, steps, initial_price, noise_scale, 1.003)


def distribution(
    rng: np.random.Generator, steps: int, initial_price: float, noise_scale: float, /
) -> FloatArray:
    """A ±1 % range around ``P0`` for 50 steps, then ``×0.997`` a step (breakdown)."""
    return _range_then_trend(rng, steps, initial_price, noise_scale, 0.997)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("sideways", "original", "±2 % sine around the start, quiet noise", sideways,
             max_amplitude=0.001),
    Scenario("flash_crash", "original", "-15 % at step 20 for 10 steps, back by step 50",
             flash_crash, {"crash_at": 20, "duration": 10, "recovery": 20, "depth": 0.15},
             max_amplitude=0.01),
    Scenario("accumulation", "original", "±1 % range for 50 steps, then +0.3 % a step",
             accumulation, max_amplitude=0.01),
    Scenario("distribution", "original", "±1 % range for 50 steps, then -0.3 % a step",
             distribution, max_amplitude=0.01),
)  # fmt: skip
