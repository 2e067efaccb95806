"""Risk rules: the 13 original rules (one file each) and the account-level rules.

Importing this package registers every rule in :data:`RULES` by name and by code.
"""

from __future__ import annotations

from riskbus.risk.rules.base import (
    ACTION_STRENGTH,
    RULES,
    PnLView,
    Rule,
    RuleConfig,
    RuleContext,
    Verdict,
    register_rule,
    rule_class,
)

__all__ = [
    "ACTION_STRENGTH",
    "RULES",
    "PnLView",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "Verdict",
    "register_rule",
    "rule_class",
]
