"""A 0–100 portfolio risk score from VaR, volatility, drawdown and concentration.

Higher is more robust (smartfolio's "Risk Score" semantics: 100 = low risk). Each metric
``x`` becomes a penalty in [0, 1] that ramps linearly from 0 at its ``good`` level to 1
at its ``bad`` level; the score is ``100 · (1 − Σ wᵢ·penaltyᵢ)`` with weights summing to 1:

=============  ====================================  ======  =====  ======
component      metric                                good    bad    weight
=============  ====================================  ======  =====  ======
var            1-day historical VaR, 95 % (fraction)  0.02    0.12   0.30
volatility     annualised std of returns              0.20    1.00   0.25
drawdown       maximum drawdown (fraction)            0.10    0.50   0.25
concentration  Herfindahl index of holding weights    0.10    0.50   0.20
=============  ====================================  ======  =====  ======

The volatility and drawdown bands are smartfolio's (vol < 0.2 good, > 1.0 bad; drawdown
< 10 % good, > 50 % bad). Its VaR band (5 %–25 %) is for a longer horizon; for a one-day
VaR, 2 %–12 % spans a stablecoin-heavy book to a small-cap one. The Herfindahl index
``Σ wᵢ²`` is 1 for one asset, 0.5 for two equal ones, 0.1 for ten. Without holdings the
concentration component is left out and the other weights are rescaled to sum to 1.
Levels: ≥ 75 ``low``, ≥ 50 ``moderate``, ≥ 25 ``high``, else ``very_high`` risk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy.typing as npt

from riskbus.analytics._inputs import as_holdings, as_returns, check_number
from riskbus.analytics.performance import (
    DEFAULT_PERIODS_PER_YEAR,
    annualized_volatility,
    max_drawdown_from_returns,
)
from riskbus.analytics.var import VaRMethod, value_at_risk

__all__ = [
    "SCORE_BANDS",
    "RiskScore",
    "ScoreBand",
    "ScoreComponent",
    "herfindahl_index",
    "risk_score",
    "score_from_metrics",
]


@dataclass(frozen=True, slots=True)
class ScoreBand:
    """How one metric maps to a penalty: 0 at ``good`` or better, 1 at ``bad`` or worse."""

    good: float
    bad: float
    weight: float

    def penalty(self, value: float) -> float:
        """Return the penalty in [0, 1] of ``value``."""
        return min(1.0, max(0.0, (value - self.good) / (self.bad - self.good)))


#: The bands of the documented formula, by component name.
SCORE_BANDS: Final[Mapping[str, ScoreBand]] = MappingProxyType(
    {
        "var": ScoreBand(good=0.02, bad=0.12, weight=0.30),
        "volatility": ScoreBand(good=0.20, bad=1.00, weight=0.25),
        "drawdown": ScoreBand(good=0.10, bad=0.50, weight=0.25),
        "concentration": ScoreBand(good=0.10, bad=0.50, weight=0.20),
    }
)


@dataclass(frozen=True, slots=True)
class ScoreComponent:
    """One term of the score: its metric, penalty, effective weight and points lost."""

    name: str
    value: float
    penalty: float
    weight: float
    points_lost: float


@dataclass(frozen=True, slots=True)
class RiskScore:
    """The score (0–100, higher is more robust), its level and its components."""

    score: float
    level: str
    components: tuple[ScoreComponent, ...]

    def component(self, name: str) -> ScoreComponent:
        """Return the component called ``name``."""
        for item in self.components:
            if item.name == name:
                return item
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        """Return the score as JSON-ready builtins."""
        return {
            "score": self.score,
            "level": self.level,
            "components": {
                c.name: {
                    "value": c.value,
                    "penalty": c.penalty,
                    "weight": c.weight,
                    "points_lost": c.points_lost,
                }
                for c in self.components
            },
        }


def _level(score: float) -> str:
    if score >= 75.0:
        return "low"
    if score >= 50.0:
        return "moderate"
    if score >= 25.0:
        return "high"
    return "very_high"


def herfindahl_index(holdings: Mapping[str, float]) -> float:
    """Return ``Σ wᵢ²`` of the holdings' value weights (1/n for n equal holdings, 1 for one)."""
    clean = as_holdings(holdings)
    total = math.fsum(clean.values())
    return math.fsum((value / total) ** 2 for value in clean.values())


def score_from_metrics(
    *,
    var: float,
    volatility: float,
    max_drawdown: float,
    concentration: float | None = None,
) -> RiskScore:
    """Score already-computed metrics (fractions; ``concentration`` is a Herfindahl index).

    Raises:
        InvalidValueError: a metric is not a finite number, or volatility, drawdown or
            concentration is negative.
    """
    metrics = {
        "var": check_number("var", var),
        "volatility": check_number("volatility", volatility, non_negative=True),
        "drawdown": check_number("max_drawdown", max_drawdown, non_negative=True),
    }
    if concentration is not None:
        metrics["concentration"] = check_number("concentration", concentration, non_negative=True)
    total_weight = math.fsum(SCORE_BANDS[name].weight for name in metrics)
    components = []
    for name, value in metrics.items():
        band = SCORE_BANDS[name]
        weight = band.weight / total_weight
        penalty = band.penalty(value)
        components.append(ScoreComponent(name, value, penalty, weight, 100.0 * weight * penalty))
    score = 100.0 - math.fsum(c.points_lost for c in components)
    score = min(100.0, max(0.0, score))
    return RiskScore(score=score, level=_level(score), components=tuple(components))


def risk_score(
    returns: npt.ArrayLike,
    holdings: Mapping[str, float] | None = None,
    *,
    periods_per_year: float = DEFAULT_PERIODS_PER_YEAR,
) -> RiskScore:
    """Score a portfolio from its daily returns and, optionally, its holdings.

    Args:
        returns: the portfolio's simple daily returns (at least 2).
        holdings: ``{symbol: value}`` for the concentration component, if known.
        periods_per_year: annualisation factor of the volatility (365 for crypto).
    """
    data = as_returns(returns)
    var = value_at_risk(data, method=VaRMethod.HISTORICAL, confidence=0.95, horizon=1).var
    return score_from_metrics(
        var=var,
        volatility=annualized_volatility(data, periods_per_year=periods_per_year),
        max_drawdown=max_drawdown_from_returns(data).max_drawdown,
        concentration=None if holdings is None else herfindahl_index(holdings),
    )
