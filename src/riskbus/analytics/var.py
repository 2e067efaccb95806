"""Value at Risk and Conditional VaR (expected shortfall) by four methods.

Conventions:

* Input: simple returns per day (crypto trades every day), oldest first.
* Output: VaR and CVaR as **positive loss fractions** of the portfolio value (0.05 means a
  5 % loss), and in currency when a ``portfolio_value`` is given. A figure can be negative
  when even the tail of the distribution is a gain; it is not clamped.
* Confidence ``α`` in (0, 1): 0.95 and 0.99 are customary.
* Horizon in calendar days: ``1d`` = 1, ``1w`` = 7, ``1m`` = 30 (crypto convention, as in
  smartfolio), or any positive number of days.
* Methods: ``historical`` (empirical quantile; longer horizons from overlapping compounded
  returns, or ``sqrt(days)`` scaling), ``normal`` (mean·h and std·√h, sample std with
  ``ddof=1``), ``student_t`` (``df`` fitted by maximum likelihood unless given, scaled to
  the sample variance, then √h), ``monte_carlo`` (seeded paths of daily normal returns,
  compounded; never unseeded).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from riskbus.analytics import _var_methods
from riskbus.analytics._inputs import as_returns, check_confidence, check_number, horizon_days
from riskbus.core.errors import InvalidValueError

__all__ = ["DEFAULT_SIMULATIONS", "VaRMethod", "VaRResult", "value_at_risk", "var_report"]

#: Monte Carlo paths per estimate: the 99 % quantile's standard error is then about 1 % of σ
#: (0.5 % of the VaR itself).
DEFAULT_SIMULATIONS = 100_000

_ALIASES = {"parametric": "normal", "t": "student_t", "mc": "monte_carlo"}


class VaRMethod(StrEnum):
    """How VaR and CVaR are estimated."""

    HISTORICAL = "historical"
    NORMAL = "normal"
    STUDENT_T = "student_t"
    MONTE_CARLO = "monte_carlo"

    @classmethod
    def parse(cls, method: str | VaRMethod, field: str = "method") -> VaRMethod:
        """Return the method named ``method`` (also ``parametric``, ``t``, ``mc``).

        Raises:
            InvalidValueError: for an unknown name.
        """
        if isinstance(method, VaRMethod):
            return method
        if isinstance(method, str):
            name = method.strip().lower()
            try:
                return cls(_ALIASES.get(name, name))
            except ValueError:
                pass
        known = ", ".join(m.value for m in cls)
        raise InvalidValueError.for_value(field, method, f"must be one of {known}")


@dataclass(frozen=True, slots=True)
class VaRResult:
    """One VaR/CVaR estimate.

    Attributes:
        method: the estimator.
        confidence: the confidence level, e.g. 0.95.
        horizon_days: the horizon in calendar days.
        var: VaR as a loss fraction of the portfolio value.
        cvar: CVaR (expected shortfall) as a loss fraction; ``cvar >= var`` in theory.
        observations: how many returns the estimate is based on.
        portfolio_value: the value the amounts refer to, if given.
        var_amount: ``var * portfolio_value``, if given.
        cvar_amount: ``cvar * portfolio_value``, if given.
        df: Student-t degrees of freedom used (``student_t``, Monte Carlo with t draws).
        simulations: Monte Carlo paths (``monte_carlo`` only).
    """

    method: VaRMethod
    confidence: float
    horizon_days: int
    var: float
    cvar: float
    observations: int
    portfolio_value: float | None = None
    var_amount: float | None = None
    cvar_amount: float | None = None
    df: float | None = None
    simulations: int | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the result as JSON-ready builtins."""
        data = asdict(self)
        data["method"] = self.method.value
        return data


def _check_simulations(simulations: int) -> int:
    if isinstance(simulations, bool) or not isinstance(simulations, int) or simulations < 100:
        raise InvalidValueError.for_value(
            "simulations", simulations, "must be an integer of at least 100"
        )
    return simulations


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidValueError.for_value("seed", seed, "must be an integer")
    return seed


def _check_df(df: float) -> float:
    value = check_number("df", df)
    if value <= 2.0:
        raise InvalidValueError.for_value("df", df, "must be greater than 2 (finite variance)")
    return value


def value_at_risk(
    returns: npt.ArrayLike,
    *,
    method: str | VaRMethod = VaRMethod.HISTORICAL,
    confidence: float = 0.95,
    horizon: int | str = 1,
    portfolio_value: float | None = None,
    df: float | None = None,
    simulations: int = DEFAULT_SIMULATIONS,
    seed: int = 0,
    monte_carlo_distribution: Literal["normal", "student_t"] = "normal",
    historical_scaling: Literal["overlapping", "sqrt"] = "overlapping",
) -> VaRResult:
    """Estimate VaR and CVaR of daily ``returns``.

    Args:
        returns: simple daily returns, at least 2 (and ``horizon + 1`` for the overlapping
            historical method).
        method: ``historical``, ``normal``, ``student_t`` or ``monte_carlo``.
        confidence: in (0, 1).
        horizon: days (int) or ``1d``/``1w``/``1m``.
        portfolio_value: positive; adds the amounts in currency.
        df: Student-t degrees of freedom (> 2); fitted when ``None``.
        simulations: Monte Carlo paths (≥ 100).
        seed: root seed of the Monte Carlo stream.
        monte_carlo_distribution: daily draws for Monte Carlo (``student_t`` uses ``df``).
        historical_scaling: ``overlapping`` compounded windows or ``sqrt`` scaling.

    Raises:
        InvalidValueError: naming the bad parameter and its value.
    """
    return var_report(
        returns,
        methods=(method,),
        confidences=(confidence,),
        horizons=(horizon,),
        portfolio_value=portfolio_value,
        df=df,
        simulations=simulations,
        seed=seed,
        monte_carlo_distribution=monte_carlo_distribution,
        historical_scaling=historical_scaling,
    )[0]


@dataclass(frozen=True, slots=True)
class _Inputs:
    data: npt.NDArray[np.float64]
    mean: float
    std: float
    df: float | None
    monte_carlo_df: float | None
    simulations: int
    seed: int
    historical_scaling: Literal["overlapping", "sqrt"]


def _estimate(
    method: VaRMethod, inputs: _Inputs, confidence: float, days: int
) -> _var_methods.VaRCVaR:
    if method is VaRMethod.HISTORICAL:
        return _var_methods.historical(inputs.data, confidence, days, inputs.historical_scaling)
    if method is VaRMethod.NORMAL:
        return _var_methods.normal(inputs.mean, inputs.std, confidence, days)
    if method is VaRMethod.STUDENT_T:
        assert inputs.df is not None  # fitted or checked before
        return _var_methods.student_t(inputs.mean, inputs.std, inputs.df, confidence, days)
    return _var_methods.monte_carlo(
        inputs.mean,
        inputs.std,
        confidence,
        days,
        simulations=inputs.simulations,
        seed=inputs.seed,
        df=inputs.monte_carlo_df,
    )


def _result(
    method: VaRMethod, inputs: _Inputs, confidence: float, days: int, value: float | None
) -> VaRResult:
    estimate = _estimate(method, inputs, confidence, days)
    monte_carlo = method is VaRMethod.MONTE_CARLO
    return VaRResult(
        method=method,
        confidence=confidence,
        horizon_days=days,
        var=estimate.var,
        cvar=estimate.cvar,
        observations=int(inputs.data.size),
        portfolio_value=value,
        var_amount=None if value is None else estimate.var * value,
        cvar_amount=None if value is None else estimate.cvar * value,
        df=inputs.monte_carlo_df
        if monte_carlo
        else (inputs.df if method is VaRMethod.STUDENT_T else None),
        simulations=inputs.simulations if monte_carlo else None,
    )


def _check_options(monte_carlo_distribution: str, historical_scaling: str) -> None:
    if monte_carlo_distribution not in ("normal", "student_t"):
        raise InvalidValueError.for_value(
            "monte_carlo_distribution", monte_carlo_distribution, "must be normal or student_t"
        )
    if historical_scaling not in ("overlapping", "sqrt"):
        raise InvalidValueError.for_value(
            "historical_scaling", historical_scaling, "must be overlapping or sqrt"
        )


def var_report(
    returns: npt.ArrayLike,
    *,
    methods: Iterable[str | VaRMethod] = tuple(VaRMethod),
    confidences: Iterable[float] = (0.95, 0.99),
    horizons: Iterable[int | str] = ("1d", "1w", "1m"),
    portfolio_value: float | None = None,
    df: float | None = None,
    simulations: int = DEFAULT_SIMULATIONS,
    seed: int = 0,
    monte_carlo_distribution: Literal["normal", "student_t"] = "normal",
    historical_scaling: Literal["overlapping", "sqrt"] = "overlapping",
) -> list[VaRResult]:
    """Estimate every combination of method × confidence × horizon (in that order).

    The Student-t ``df`` is fitted once and shared. Arguments as for :func:`value_at_risk`.

    Raises:
        InvalidValueError: naming the bad parameter and its value.
    """
    chosen = [VaRMethod.parse(m) for m in methods]
    levels = [check_confidence(c) for c in confidences]
    days_list = [horizon_days(h) for h in horizons]
    for field, given in (("methods", chosen), ("confidences", levels), ("horizons", days_list)):
        if not given:
            raise InvalidValueError.for_value(field, given, "must not be empty")
    _check_options(monte_carlo_distribution, historical_scaling)
    minimum = 2
    if VaRMethod.HISTORICAL in chosen and historical_scaling == "overlapping":
        minimum = max(days_list) + 1  # at least two overlapping windows
    data = as_returns(returns, minimum=minimum)
    value = None
    if portfolio_value is not None:
        value = check_number("portfolio_value", portfolio_value, positive=True)
    if VaRMethod.MONTE_CARLO in chosen:
        _check_simulations(simulations)
        _check_seed(seed)
    t_for_monte_carlo = VaRMethod.MONTE_CARLO in chosen and monte_carlo_distribution == "student_t"
    if df is not None:
        df = _check_df(df)
    elif VaRMethod.STUDENT_T in chosen or t_for_monte_carlo:
        df = _var_methods.fit_student_t_df(data)
    inputs = _Inputs(
        data=data,
        mean=float(np.mean(data)),
        std=float(np.std(data, ddof=1)),
        df=df,
        monte_carlo_df=df if monte_carlo_distribution == "student_t" else None,
        simulations=simulations,
        seed=seed,
        historical_scaling=historical_scaling,
    )
    return [
        _result(method, inputs, confidence, days, value)
        for method in chosen
        for confidence in levels
        for days in days_list
    ]
