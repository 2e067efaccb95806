"""Rule 005 — MaxUnrealizedProfit: take profit on a position that reaches the target.

Original (Risk Manager V34, trade-by-trade, no lockout): on position events and price
updates, when the unrealized P&L of **that position** is at or above ``target`` (> 0),
close that position (the realized profit may then trip rule 013). Unrealized P&L is the
same as rule 004's: tick economics through the instrument's multiplier, quote currency,
at the price the portfolio marks with (``r004_daily_unrealized_loss.event_price``).

Config::

    max_unrealized_profit:
      target: 1000   # per position, quote currency, must be positive
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule
from riskbus.risk.rules.r004_daily_unrealized_loss import POSITION_AND_PRICE_EVENTS

__all__ = ["MaxUnrealizedProfit", "MaxUnrealizedProfitConfig"]


class MaxUnrealizedProfitConfig(RuleConfig):
    """Settings of rule 005.

    Attributes:
        target: the open profit of one position that closes it (positive, quote currency).
    """

    target: Decimal = Field(gt=0, allow_inf_nan=False)


@register_rule
class MaxUnrealizedProfit(Rule[MaxUnrealizedProfitConfig]):
    """Rule 005: a position's unrealized P&L ≥ ``target`` → close it (take profit)."""

    code: ClassVar[str] = "005"
    name: ClassVar[str] = "max_unrealized_profit"
    config_type: ClassVar[type[RuleConfig]] = MaxUnrealizedProfitConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = POSITION_AND_PRICE_EVENTS

    def __init__(self, config: MaxUnrealizedProfitConfig) -> None:
        super().__init__(config)
        self._target = config.target  # read on every position and price event

    def describe(self) -> str:
        return f"take profit: close a position whose unrealized P&L reaches {self.config.target}"

    def check(self, ctx: RuleContext) -> Verdict | None:
        found = ctx.event_unrealized()
        if found is None or found[1] < self._target:
            return None
        symbol, unrealized = found
        return Verdict(
            rule=self.name,
            action=RiskAction.CLOSE_POSITION,
            reason=format_reason(
                "MAX_UNREALIZED_PROFIT",
                symbol=symbol,
                unrealized=unrealized,
                target=self.config.target,
            ),
            symbol=symbol,
        )
