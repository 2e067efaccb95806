"""Building blocks shared by the generator families: the scenario record and noise.

Every generator has the same shape::

    fn(rng, steps, initial_price, noise_scale, **params) -> prices

It returns ``steps`` float64 prices, ``prices[0] == initial_price`` (step 0), and draws
all its randomness from ``rng``. ``noise_scale`` is ``sqrt(volatility_multiplier)``: the
multiplier scales the *variance* of every noise term, so amplitudes scale by its root and
the expected price level does not move (each multiplicative noise factor has mean 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from riskbus.core.errors import InvalidValueError

__all__ = [
    "FloatArray",
    "Generator",
    "IntArray",
    "OffsetsFn",
    "Scenario",
    "chain",
    "require",
    "uniform_noise",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


#: A generator: ``fn(rng, steps, initial_price, noise_scale, **params) -> prices``.
Generator = Callable[..., FloatArray]

#: Given (steps, step_ns), return per-step timestamp offsets in ns (irregular candles).
OffsetsFn = Callable[[int, int], IntArray]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named generator and what it accepts.

    Attributes:
        name: the name used in scenario files and on the command line.
        family: the group it belongs to (``original``, ``stochastic``).
        description: one line for listings.
        fn: the generator.
        params: generator-specific parameters and their defaults; a float default accepts
            any finite number, an int default only an int, other defaults are passed as
            given and checked by ``fn``.
        max_amplitude: the largest uniform noise amplitude at multiplier 1; the noise
            factor ``1 ± amplitude*sqrt(multiplier)`` must stay positive.
        offsets: per-step timestamp offsets (irregular candles), or None.
    """

    name: str
    family: str
    description: str
    fn: Generator
    params: Mapping[str, object] = field(default_factory=dict)
    max_amplitude: float = 0.0
    offsets: OffsetsFn | None = None

    def resolve(self, given: Mapping[str, object]) -> dict[str, object]:
        """Return the defaults updated with ``given``, type-checked.

        Raises:
            InvalidValueError: an unknown parameter (the message lists the known ones) or
                a value of the wrong type.
        """
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            known = ", ".join(sorted(self.params)) or "none"
            raise InvalidValueError(
                f"unknown parameter for scenario {self.name!r}; its parameters: {known}",
                field=unknown[0],
                value=given[unknown[0]],
            )
        resolved = dict(self.params)
        for key, value in given.items():
            resolved[key] = _coerce(key, value, self.params[key])
        return resolved


def _coerce(key: str, value: object, default: object) -> object:
    if isinstance(default, bool) or not isinstance(default, int | float):
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValueError.for_value(key, value, "must be an integer")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError.for_value(key, value, "must be a number")
    if not math.isfinite(value):
        raise InvalidValueError.for_value(key, value, "must be finite")
    return float(value)


def require(condition: bool, name: str, value: object, problem: str) -> None:
    """Raise :class:`InvalidValueError` naming ``name`` unless ``condition`` holds."""
    if not condition:
        raise InvalidValueError.for_value(name, value, problem)


def uniform_noise(
    draws: FloatArray, amplitude: float | FloatArray, noise_scale: float
) -> FloatArray:
    """Map uniform draws in [0, 1) to factors ``1 + amplitude*noise_scale*(2u-1)``.

    With ``noise_scale = 1`` this is the original ``U(1-a, 1+a)``; its variance is
    ``(a*noise_scale)**2 / 3`` and its mean is exactly 1 for any scale.
    """
    out = draws * 2.0
    out -= 1.0
    out *= amplitude
    if noise_scale != 1.0:
        out *= noise_scale
    out += 1.0
    return out


def chain(initial_price: float, factors: FloatArray) -> FloatArray:
    """Return ``[P0, P0*f1, P0*f1*f2, ...]``: one more price than there are factors."""
    out = np.empty(len(factors) + 1, dtype=np.float64)
    out[0] = 1.0
    np.cumprod(factors, out=out[1:])
    out *= initial_price
    return out
