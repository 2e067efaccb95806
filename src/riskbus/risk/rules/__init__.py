"""Risk rules: the 13 original rules (one file each) and the account-level rules.

Importing this package registers every rule in :data:`RULES` by name and by code.
"""

from __future__ import annotations

from riskbus.risk.rules import (  # noqa: F401  (importing a rule module registers it)
    a01_trailing_drawdown,
    a02_daily_equity_loss,
    a03_max_order_notional,
    a04_order_rate,
    a05_max_exposure,
    r001_max_contracts,
    r002_max_contracts_per_instrument,
    r003_daily_realized_loss,
    r004_daily_unrealized_loss,
    r005_max_unrealized_profit,
    r006_trade_frequency_limit,
    r007_cooldown_after_loss,
    r008_no_stop_loss_grace,
    r009_session_block_outside,
    r010_auth_loss_guard,
    r011_symbol_blocks,
    r012_trade_management,
    r013_daily_realized_profit,
)
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
