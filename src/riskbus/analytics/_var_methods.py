"""The four VaR/CVaR estimators on already-validated inputs (see :mod:`riskbus.analytics.var`).

Sign convention: ``r`` is a simple return per day; the loss is ``-r``. VaR is the loss not
exceeded with probability ``confidence``; CVaR (expected shortfall) is the mean loss beyond
it. Both are fractions of the portfolio value, positive when they are losses.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from riskbus.core.seeds import Seeds

__all__ = [
    "DF_BOUNDS",
    "MONTE_CARLO_STREAM",
    "VaRCVaR",
    "fit_student_t_df",
    "historical",
    "monte_carlo",
    "normal",
    "student_t",
]

FloatArray = npt.NDArray[np.float64]

#: A fitted Student-t ``df`` is clamped to this range: below 3 the tails are too heavy for
#: a stable variance (the original clamps to [3, 30]); 100 lets near-normal data stay so.
DF_BOUNDS = (3.0, 100.0)

#: The named seeded stream Monte Carlo draws from: ``Seeds(seed).numpy("analytics")``.
MONTE_CARLO_STREAM = "analytics"

#: Rows of paths drawn at once, so that memory stays bounded for long horizons.
_CHUNK_VALUES = 4_000_000

_STANDARD_NORMAL = NormalDist()


class VaRCVaR(NamedTuple):
    """A VaR and a CVaR as loss fractions."""

    var: float
    cvar: float


def normal(mean: float, std: float, confidence: float, days: int) -> VaRCVaR:
    """Parametric normal: mean and std scaled by ``days`` and ``sqrt(days)``.

    ``VaR = z·σ√h − μh`` and ``CVaR = σ√h·φ(z)/(1 − α) − μh`` with ``z = Φ⁻¹(α)``.
    """
    z = _STANDARD_NORMAL.inv_cdf(confidence)
    scale = std * math.sqrt(days)
    drift = mean * days
    tail = _STANDARD_NORMAL.pdf(z) / (1.0 - confidence)
    return VaRCVaR(z * scale - drift, scale * tail - drift)


def student_t(mean: float, std: float, df: float, confidence: float, days: int) -> VaRCVaR:
    """Parametric Student-t with ``df`` degrees of freedom, scaled to the sample std.

    The t is scaled by ``s = σ·sqrt((ν − 2)/ν)`` so that its variance is the sample
    variance, then by ``sqrt(days)`` (an approximation: a sum of t's is not a t). With
    ``q = t_ν⁻¹(α)``: ``VaR = q·s√h − μh`` and
    ``CVaR = s√h · (ν + q²)/(ν − 1) · f_ν(q)/(1 − α) − μh``.
    """
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # ~1 s: on use

    q = float(stats.t.ppf(confidence, df))
    scale = std * math.sqrt((df - 2.0) / df) * math.sqrt(days)
    drift = mean * days
    tail = (df + q * q) / (df - 1.0) * float(stats.t.pdf(q, df)) / (1.0 - confidence)
    return VaRCVaR(q * scale - drift, scale * tail - drift)


def fit_student_t_df(returns: FloatArray) -> float:
    """Fit ``df`` by maximum likelihood (location and scale free), clamped to ``DF_BOUNDS``."""
    from scipy import stats  # type: ignore[import-untyped, unused-ignore]  # ~1 s: on use

    low, high = DF_BOUNDS
    if float(np.ptp(returns)) == 0.0:
        return high  # no dispersion: the tails do not matter, call it near-normal
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # optimiser chatter on odd samples; result is clamped
        df = float(stats.t.fit(returns)[0])
    if not math.isfinite(df):
        return high
    return min(max(df, low), high)


def _tail(horizon_returns: FloatArray, confidence: float) -> VaRCVaR:
    """Empirical VaR (linear-interpolated quantile) and CVaR (mean of returns at or below it)."""
    quantile = float(np.quantile(horizon_returns, 1.0 - confidence))
    tail = horizon_returns[horizon_returns <= quantile]
    return VaRCVaR(-quantile, -float(tail.mean()))


def historical(
    returns: FloatArray,
    confidence: float,
    days: int,
    scaling: Literal["overlapping", "sqrt"] = "overlapping",
) -> VaRCVaR:
    """Historical simulation.

    One day: the empirical ``1 - confidence`` quantile of the returns (numpy's linear
    interpolation) and the mean of the returns at or below it. Longer horizons: either the
    same on the overlapping compounded ``days``-day returns ``Π(1 + r) − 1`` (default; needs
    ``len(returns) ≥ days + 1``), or the one-day figures times ``sqrt(days)``.
    """
    if days == 1:
        return _tail(returns, confidence)
    if scaling == "sqrt":
        one_day = _tail(returns, confidence)
        factor = math.sqrt(days)
        return VaRCVaR(one_day.var * factor, one_day.cvar * factor)
    windows = np.lib.stride_tricks.sliding_window_view(1.0 + returns, days)
    return _tail(windows.prod(axis=1) - 1.0, confidence)


def monte_carlo(
    mean: float,
    std: float,
    confidence: float,
    days: int,
    *,
    simulations: int,
    seed: int,
    df: float | None = None,
) -> VaRCVaR:
    """Monte Carlo: ``simulations`` paths of ``days`` daily returns, compounded.

    Daily returns are drawn i.i.d. from ``N(μ, σ²)``, or from the variance-matched
    Student-t (see :func:`student_t`) when ``df`` is given, from the seeded stream
    ``Seeds(seed).numpy("analytics")``; the horizon return of a path is ``Π(1 + r) − 1``,
    and VaR/CVaR are read off the simulated distribution as in :func:`historical`. For one
    day it converges to the parametric result; for longer horizons compounding makes it
    differ from the ``sqrt(days)`` scaling by terms of order ``σ²·days``.
    """
    rng = Seeds(seed).numpy(MONTE_CARLO_STREAM)
    outcomes = np.empty(simulations, dtype=np.float64)
    rows = max(1, _CHUNK_VALUES // days)
    for start in range(0, simulations, rows):
        size = (min(rows, simulations - start), days)
        if df is None:
            draws = rng.normal(mean, std, size=size)
        else:
            scale = std * math.sqrt((df - 2.0) / df)
            draws = mean + scale * rng.standard_t(df, size=size)
        block = draws[:, 0] if days == 1 else np.prod(1.0 + draws, axis=1) - 1.0
        outcomes[start : start + size[0]] = block
    return _tail(outcomes, confidence)
