"""Risk-adjusted performance: Sharpe, Sortino, Calmar, volatility and maximum drawdown.

Conventions:

* ``returns`` are simple returns per period (daily for crypto), oldest first; an equity
  curve converts with :func:`returns_from_equity`.
* ``periods_per_year`` annualises: 365 for daily crypto returns (the default), 252 for
  exchange-traded daily returns, 8760 for hourly crypto returns.
* ``risk_free`` and ``target`` are returns **per period** (4 % a year on daily data is
  ``0.04 / 365``), as in empyrical.
* Standard deviations are sample ones (``ddof=1``). A ratio whose denominator is zero is
  ``±inf`` (``0.0`` when its numerator is zero too): a riskless gain is infinitely good.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from riskbus.analytics._inputs import as_equity, as_returns, check_number, check_periods_per_year

__all__ = [
    "DEFAULT_PERIODS_PER_YEAR",
    "Drawdown",
    "annualized_return",
    "annualized_volatility",
    "calmar_ratio",
    "equity_from_returns",
    "max_drawdown",
    "max_drawdown_from_returns",
    "returns_from_equity",
    "sharpe_ratio",
    "sortino_ratio",
]

#: Daily crypto returns: markets never close.
DEFAULT_PERIODS_PER_YEAR = 365


def _ratio(numerator: float, denominator: float) -> float:
    if denominator > 0.0:
        return numerator / denominator
    return 0.0 if numerator == 0.0 else math.copysign(math.inf, numerator)


def returns_from_equity(equity: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Return the simple returns ``e[i] / e[i-1] - 1`` of a positive equity curve."""
    curve = as_equity(equity)
    return curve[1:] / curve[:-1] - 1.0


def equity_from_returns(returns: npt.ArrayLike, start: float = 1.0) -> npt.NDArray[np.float64]:
    """Return the equity curve ``[start, start·(1+r0), ...]`` (one point more than returns)."""
    data = as_returns(returns, minimum=1)
    begin = check_number("start", start, positive=True)
    return begin * np.concatenate(([1.0], np.cumprod(1.0 + data)))


def annualized_volatility(
    returns: npt.ArrayLike, *, periods_per_year: float = DEFAULT_PERIODS_PER_YEAR
) -> float:
    """Return ``std(returns, ddof=1) · sqrt(periods_per_year)``."""
    data = as_returns(returns)
    return float(np.std(data, ddof=1)) * math.sqrt(check_periods_per_year(periods_per_year))


def annualized_return(
    returns: npt.ArrayLike, *, periods_per_year: float = DEFAULT_PERIODS_PER_YEAR
) -> float:
    """Return the compound annual growth rate ``Π(1 + r)^(periods_per_year / n) − 1``.

    A total loss (growth ≤ 0) gives ``-1.0``.
    """
    data = as_returns(returns, minimum=1)
    years_factor = check_periods_per_year(periods_per_year) / data.size
    growth = float(np.prod(1.0 + data))
    return growth**years_factor - 1.0 if growth > 0.0 else -1.0


def sharpe_ratio(
    returns: npt.ArrayLike,
    *,
    risk_free: float = 0.0,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> float:
    """Return ``mean(r − rf) / std(r, ddof=1) · sqrt(periods_per_year)``."""
    data = as_returns(returns)
    excess = data - check_number("risk_free", risk_free)
    scale = math.sqrt(check_periods_per_year(periods_per_year))
    # A constant series has no risk, whatever rounding noise np.std would report.
    std = 0.0 if float(np.ptp(excess)) == 0.0 else float(np.std(excess, ddof=1))
    return _ratio(float(np.mean(excess)), std) * scale


def sortino_ratio(
    returns: npt.ArrayLike,
    *,
    target: float = 0.0,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> float:
    """Return ``mean(r − t) / downside_deviation · sqrt(periods_per_year)``.

    The downside deviation is ``sqrt(mean(min(r − t, 0)²))`` over **all** periods (Sortino
    and Price's definition, as in empyrical), with ``t`` the per-period ``target``.
    """
    data = as_returns(returns)
    excess = data - check_number("target", target)
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    scale = math.sqrt(check_periods_per_year(periods_per_year))
    return _ratio(float(np.mean(excess)), downside) * scale


def calmar_ratio(
    returns: npt.ArrayLike, *, periods_per_year: float = DEFAULT_PERIODS_PER_YEAR
) -> float:
    """Return the annualised return divided by the maximum drawdown of the returns."""
    cagr = annualized_return(returns, periods_per_year=periods_per_year)
    return _ratio(cagr, max_drawdown_from_returns(returns).max_drawdown)


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The largest peak-to-trough fall of an equity curve.

    Attributes:
        max_drawdown: the fall as a positive fraction of the peak (0.25 = −25 %).
        peak_index: index of the peak the fall starts from (the last one if repeated).
        trough_index: index of the lowest point of the fall (the first if repeated).
        recovery_index: first index after the trough back at or above the peak, or
            ``None`` if the curve never recovers.
        duration: periods from the peak to the recovery, or to the last point if none.
        peak_value: the curve at ``peak_index``.
        trough_value: the curve at ``trough_index``.
    """

    max_drawdown: float
    peak_index: int
    trough_index: int
    recovery_index: int | None
    duration: int
    peak_value: float
    trough_value: float

    @property
    def recovered(self) -> bool:
        """Whether the curve got back to its peak after the trough."""
        return self.recovery_index is not None

    def to_dict(self) -> dict[str, object]:
        """Return the drawdown as JSON-ready builtins."""
        return asdict(self)


def max_drawdown(equity: npt.ArrayLike) -> Drawdown:
    """Return the maximum drawdown of a positive equity curve (at least 2 points).

    A curve that never falls gives ``max_drawdown == 0`` with every index at 0.
    """
    curve = as_equity(equity)
    running_max = np.maximum.accumulate(curve)
    falls = 1.0 - curve / running_max
    trough = int(np.argmax(falls))
    depth = float(falls[trough])
    if depth <= 0.0:
        first = float(curve[0])
        return Drawdown(0.0, 0, 0, 0, 0, first, first)
    peak = int(np.flatnonzero(curve[: trough + 1] == running_max[trough])[-1])
    back = np.flatnonzero(curve[trough:] >= curve[peak])
    recovery = trough + int(back[0]) if back.size else None
    end = recovery if recovery is not None else curve.size - 1
    return Drawdown(
        max_drawdown=depth,
        peak_index=peak,
        trough_index=trough,
        recovery_index=recovery,
        duration=end - peak,
        peak_value=float(curve[peak]),
        trough_value=float(curve[trough]),
    )


def max_drawdown_from_returns(returns: npt.ArrayLike) -> Drawdown:
    """Return the maximum drawdown of the curve ``equity_from_returns(returns)``.

    Indices refer to that curve: index 0 is the start, index ``i`` is after ``i`` returns.
    A return of −100 % or worse is a total loss: ``max_drawdown == 1``.
    """
    data = as_returns(returns, minimum=1)
    growth = np.concatenate(([1.0], np.cumprod(1.0 + data)))
    wiped = np.flatnonzero(growth <= 0.0)
    if wiped.size:
        trough = int(wiped[0])
        before = growth[:trough]
        peak = int(np.flatnonzero(before == before.max())[-1])
        return Drawdown(1.0, peak, trough, None, growth.size - 1 - peak, float(growth[peak]), 0.0)
    return max_drawdown(growth)
