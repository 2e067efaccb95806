"""The scenario registry and :func:`generate`, the one way to make a seeded path by name.

Randomness comes only from ``Seeds(seed).numpy("market")``: the same name, steps, seed and
parameters give the same prices, byte for byte. Common parameters are checked here, with
errors naming the parameter; generator-specific ones by the generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import numpy as np

from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.core.seeds import Seeds
from riskbus.market import anchored, stochastic, trends
from riskbus.market.base import Scenario
from riskbus.market.path import DEFAULT_START, DEFAULT_STEP, PricePath

__all__ = [
    "ORIGINAL_SCENARIOS",
    "SCENARIOS",
    "check_number",
    "generate",
    "get_scenario",
    "scenario_names",
]

#: Every scenario by name: the ten of the original mock exchange, then the stochastic ones.
SCENARIOS: Mapping[str, Scenario] = {
    s.name: s for s in (*trends.SCENARIOS, *anchored.SCENARIOS, *stochastic.SCENARIOS)
}

#: The ten scenarios of the original mock exchange, in its order.
ORIGINAL_SCENARIOS: tuple[str, ...] = (
    "bull_run",
    "bear_crash",
    "sideways",
    "flash_crash",
    "volatile",
    "pump_and_dump",
    "dead_cat_bounce",
    "accumulation",
    "distribution",
    "irregular_candles",
)


def scenario_names() -> list[str]:
    """Return the valid scenario names, sorted."""
    return sorted(SCENARIOS)


def get_scenario(name: str) -> Scenario:
    """Return the scenario called ``name``.

    Raises:
        BadInputError: no such scenario; the message lists the valid names.
    """
    scenario = SCENARIOS.get(name) if isinstance(name, str) else None
    if scenario is None:
        valid = ", ".join(scenario_names())
        raise BadInputError(f"unknown scenario {name!r}; valid: {valid}", field="scenario")
    return scenario


def check_number(
    name: str, value: object, *, minimum: float = 0.0, strict: bool = False, below: float = math.inf
) -> float:
    """Return ``value`` as a float in range, or raise :class:`InvalidValueError` naming it.

    Args:
        name: the parameter's name, for the message.
        value: an int, float or Decimal.
        minimum: the lower bound; ``strict`` excludes it.
        strict: whether ``value`` must be greater than ``minimum``.
        below: an exclusive upper bound.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidValueError.for_value(name, value, "must be a number")
    number = float(value) if not isinstance(value, Decimal) or not value.is_snan() else math.nan
    if not math.isfinite(number):
        raise InvalidValueError.for_value(name, value, "must be finite")
    if number < minimum or (strict and number == minimum):
        relation = "greater than" if strict else "at least"
        raise InvalidValueError.for_value(name, value, f"must be {relation} {minimum:g}")
    if number >= below:
        raise InvalidValueError.for_value(name, value, f"must be below {below:g}")
    return number


def _check_int(name: str, value: object, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError.for_value(name, value, "must be an integer")
    if minimum is not None and value < minimum:
        raise InvalidValueError.for_value(name, value, f"must be at least {minimum}")
    return value


_TINY = float(np.finfo(np.float64).tiny)


def _check_range(name: str, prices: np.ndarray) -> None:
    valid = np.isfinite(prices)
    valid &= prices >= _TINY  # a decaying cumprod sticks at a subnormal instead of 0
    if not valid.all():
        k = int(np.argmin(valid))
        raise InvalidValueError.for_value(
            "steps",
            len(prices),
            f"too many for {name!r}: its trend compounds out of the float range at step {k}; "
            "use fewer steps, or compose it with other segments",
        )


def generate(
    name: str,
    steps: int,
    seed: int,
    *,
    initial_price: float | Decimal = 50_000.0,
    volatility_multiplier: float = 1.0,
    spread_bps: float = 20.0,
    step: int = DEFAULT_STEP,
    start: int = DEFAULT_START,
    **params: object,
) -> PricePath:
    """Generate the named scenario's path.

    Args:
        name: a scenario name (see :func:`scenario_names`).
        steps: number of steps, at least 1; the path holds prices for steps 0..steps-1.
        seed: root seed; the prices come from ``Seeds(seed).numpy("market")``.
        initial_price: price at step 0 (> 0).
        volatility_multiplier: scales the variance of the noise (>= 0; 0 gives the bare
            shape). Amplitudes scale by its square root; the expected level does not move.
        spread_bps: quoted spread in basis points (0 <= bps < 20000).
        step: duration of one step in **nanoseconds** (default one minute).
        start: time of step 0 in ns since the epoch.
        **params: generator-specific parameters (e.g. ``drift`` for ``gbm``).

    Raises:
        BadInputError: an unknown scenario, or a parameter out of range (the error names
            it; :class:`InvalidValueError` is a subclass).
    """
    scenario = get_scenario(name)
    steps = _check_int("steps", steps, 1)
    seed = _check_int("seed", seed)
    p0 = check_number("initial_price", initial_price, strict=True)
    multiplier = check_number("volatility_multiplier", volatility_multiplier)
    scale = math.sqrt(multiplier)
    if scenario.max_amplitude * scale >= 1.0:
        limit = (1.0 / scenario.max_amplitude) ** 2
        raise InvalidValueError.for_value(
            "volatility_multiplier",
            volatility_multiplier,
            f"must be below {limit:g} for {name!r} (its noise factor would reach zero)",
        )
    bps = check_number("spread_bps", spread_bps, below=20_000.0)
    step = _check_int("step", step, 1)
    start = _check_int("start", start)
    resolved = scenario.resolve(params)
    rng = Seeds(seed).numpy("market")
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below, by step
        prices = scenario.fn(rng, steps, p0, scale, **resolved)
    _check_range(name, prices)
    offsets = scenario.offsets(steps, step) if scenario.offsets is not None else None
    return PricePath(
        prices,
        name=name,
        seed=seed,
        spread_bps=bps,
        start=start,
        step=step,
        offsets=offsets,
        volatility_multiplier=multiplier,
    )
