"""The trading bot: strategies, the monitoring-cycle runner, decision execution, guards.

So far: :mod:`riskbus.bot.decisions`, which turns a strategy's BUY/SELL/CLOSE/HOLD
:class:`~riskbus.bot.decisions.Decision` into a ``SubmitOrder`` on the bus (GPT-Trader's
``execute_decision``), with dry run, reduce-only handling and order statistics; and
:mod:`riskbus.bot.guards`, the runtime guards (stale price, volatility circuit breaker,
kill switch); and :mod:`riskbus.bot.strategy`, the strategy contract, loading user
strategies from ``package.module:Class`` and isolating what they raise.
"""

from __future__ import annotations

from riskbus.bot.decisions import Action, Decision, DecisionExecutor, OrderStats
from riskbus.bot.guards import GuardsConfig, RuntimeGuards, VolatilityLevel
from riskbus.bot.strategy import (
    Strategy,
    StrategyContext,
    StrategyFailed,
    StrategyHost,
    load_strategy,
)

__all__ = [
    "Action",
    "Decision",
    "DecisionExecutor",
    "GuardsConfig",
    "OrderStats",
    "RuntimeGuards",
    "Strategy",
    "StrategyContext",
    "StrategyFailed",
    "StrategyHost",
    "VolatilityLevel",
    "load_strategy",
]
