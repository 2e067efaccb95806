"""Rule 003 — DailyRealizedLoss: lock the account for the day at a realized-loss limit.

Original (Risk Manager V34, hard lockout): on every executed trade, when the day's realized
P&L (net of fees, account currency; :meth:`PnLView.daily_realized`) is at or below
``limit`` (< 0): close every position, cancel every order, and lock the account until the
next daily reset (the reset time and zone are the account schedule's, not this rule's).
A trade made while locked is a position event too, so it trips the rule again and is
closed at once. By the author's requirement this lockout has **no admin unlock**:
``admin_unlock`` defaults to ``false`` here.

Each fill publishes one position event (``PositionOpened``/``Changed``/``Closed``), so
those are the original's TRADE_EXECUTED.

Config::

    daily_realized_loss:
      limit: -500          # account currency, must be negative
      admin_unlock: false  # the default for this rule
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["DailyRealizedLoss", "DailyRealizedLossConfig"]


class DailyRealizedLossConfig(RuleConfig):
    """Settings of rule 003.

    Attributes:
        limit: the day's realized P&L that locks the account (negative, account currency).
        admin_unlock: ``False`` by default: the lockout runs until the reset.
    """

    limit: Decimal = Field(lt=0, allow_inf_nan=False)
    admin_unlock: bool = False


@register_rule
class DailyRealizedLoss(Rule[DailyRealizedLossConfig]):
    """Rule 003: realized P&L today ≤ ``limit`` → flatten, cancel, lock until the reset."""

    code: ClassVar[str] = "003"
    name: ClassVar[str] = "daily_realized_loss"
    config_type: ClassVar[type[RuleConfig]] = DailyRealizedLossConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def __init__(self, config: DailyRealizedLossConfig) -> None:
        super().__init__(config)
        self._limit = config.limit  # read on every position event: a plain attribute

    def describe(self) -> str:
        unlock = "admin may unlock" if self.config.admin_unlock else "no admin unlock"
        return (
            f"daily realized P&L at or below {self.config.limit}: flatten, cancel orders,"
            f" lock out until the next reset ({unlock})"
        )

    def check(self, ctx: RuleContext) -> Verdict | None:
        realized = ctx.daily_realized()
        if realized > self._limit:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason("DAILY_LOSS_LIMIT", realized=realized, limit=self.config.limit),
            until_reset=True,
            flatten=True,
            cancel_orders=True,
        )
