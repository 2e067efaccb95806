"""The trading bot: strategies, the monitoring-cycle runner, decision execution, guards.

So far: :mod:`riskbus.bot.decisions`, which turns a strategy's BUY/SELL/CLOSE/HOLD
:class:`~riskbus.bot.decisions.Decision` into a ``SubmitOrder`` on the bus (GPT-Trader's
``execute_decision``), with dry run, reduce-only handling and order statistics.
"""

from __future__ import annotations

from riskbus.bot.decisions import Action, Decision, DecisionExecutor, OrderStats

__all__ = ["Action", "Decision", "DecisionExecutor", "OrderStats"]
