"""Portfolio risk analytics: VaR/CVaR, performance ratios, drawdown, stress tests, risk score.

Pure numeric functions over arrays of daily returns (floats: analytics, never accounting).
VaR and CVaR come by four methods (historical, parametric normal, parametric Student-t,
seeded Monte Carlo) at any confidence and horizon, as positive loss fractions and in
currency; Sharpe, Sortino and Calmar ratios are annualised with 365 periods a year by
default (crypto never closes); stress tests apply named crises' per-asset shocks to
holdings; the risk score combines VaR, volatility, drawdown and concentration into 0–100.
Bad input raises ``InvalidValueError`` naming the parameter and its value. The package
imports only ``riskbus.core``, numpy and scipy.
"""

from __future__ import annotations

from riskbus.analytics._inputs import HORIZONS, horizon_days
from riskbus.analytics.performance import (
    DEFAULT_PERIODS_PER_YEAR,
    Drawdown,
    annualized_return,
    annualized_volatility,
    calmar_ratio,
    equity_from_returns,
    max_drawdown,
    max_drawdown_from_returns,
    returns_from_equity,
    sharpe_ratio,
    sortino_ratio,
)
from riskbus.analytics.risk_score import (
    SCORE_BANDS,
    RiskScore,
    ScoreBand,
    ScoreComponent,
    herfindahl_index,
    risk_score,
    score_from_metrics,
)
from riskbus.analytics.stress import (
    SCENARIO_ALIASES,
    SCENARIOS,
    STABLECOINS,
    AssetImpact,
    StressResult,
    StressScenario,
    base_asset,
    get_scenario,
    stress_test,
    stress_test_all,
)
from riskbus.analytics.var import (
    DEFAULT_SIMULATIONS,
    VaRMethod,
    VaRResult,
    value_at_risk,
    var_report,
)

__all__ = [
    "DEFAULT_PERIODS_PER_YEAR",
    "DEFAULT_SIMULATIONS",
    "HORIZONS",
    "SCENARIOS",
    "SCENARIO_ALIASES",
    "SCORE_BANDS",
    "STABLECOINS",
    "AssetImpact",
    "Drawdown",
    "RiskScore",
    "ScoreBand",
    "ScoreComponent",
    "StressResult",
    "StressScenario",
    "VaRMethod",
    "VaRResult",
    "annualized_return",
    "annualized_volatility",
    "base_asset",
    "calmar_ratio",
    "equity_from_returns",
    "get_scenario",
    "herfindahl_index",
    "horizon_days",
    "max_drawdown",
    "max_drawdown_from_returns",
    "returns_from_equity",
    "risk_score",
    "score_from_metrics",
    "sharpe_ratio",
    "sortino_ratio",
    "stress_test",
    "stress_test_all",
    "value_at_risk",
    "var_report",
]
