"""Execution: rebalancing plans, the safety validator (engine, liquidation, reconciler to come)."""

from __future__ import annotations

from riskbus.execution.plans import (
    KNOWN_PLATFORMS,
    Holding,
    PlanOrder,
    PlanOrderStatus,
    RebalancePlan,
    build_plan,
    validate_plan,
)
from riskbus.execution.validator import (
    SafetyIssue,
    SafetyLevel,
    SafetyLimits,
    SafetyResult,
    SafetyValidator,
)

__all__ = [
    "KNOWN_PLATFORMS",
    "Holding",
    "PlanOrder",
    "PlanOrderStatus",
    "RebalancePlan",
    "SafetyIssue",
    "SafetyLevel",
    "SafetyLimits",
    "SafetyResult",
    "SafetyValidator",
    "build_plan",
    "validate_plan",
]
