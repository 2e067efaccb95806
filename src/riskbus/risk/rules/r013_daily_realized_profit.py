"""Rule 013 — DailyRealizedProfit: take the win and walk away at a daily profit target.

Original (Risk Manager V34, hard lockout): on every executed trade, when the day's
realized P&L reaches ``target``: close every position, cancel every order, and lock the
account until the next daily reset, with the message "Daily profit target reached! Good
job! See you tomorrow."

Here: on each position event (one per fill), ``ctx.pnl.daily_realized()`` (net of fees,
account currency) ``≥ target`` → ``lockout`` ``until_reset``, ``flatten``,
``cancel_orders``. The reason carries the message as its ``message=`` value::

    DAILY_PROFIT_TARGET: realized=1000, target=1000,
        message=Daily profit target reached! Good job! See you tomorrow.

Config::

    daily_realized_profit:
      target: 1000        # account currency, > 0
      message: "Daily profit target reached! Good job! See you tomorrow."
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field, field_validator

from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["DEFAULT_MESSAGE", "DailyRealizedProfit", "DailyRealizedProfitConfig"]

#: The original system's words.
DEFAULT_MESSAGE = "Daily profit target reached! Good job! See you tomorrow."


class DailyRealizedProfitConfig(RuleConfig):
    """Settings of rule 013.

    Attributes:
        target: the day's realized P&L that ends the day (positive, account currency).
        message: what the trader is told (no ``,`` or ``=``: it is a reason value).
    """

    target: Decimal = Field(gt=0, allow_inf_nan=False)
    message: str = DEFAULT_MESSAGE

    @field_validator("message")
    @classmethod
    def _plain(cls, message: str) -> str:
        if "," in message or "=" in message:
            raise ValueError("must not contain ',' or '=' (it is a value in a reason)")
        if not message.strip():
            raise ValueError("must not be empty")
        return message.strip()


@register_rule
class DailyRealizedProfit(Rule[DailyRealizedProfitConfig]):
    """Rule 013: realized P&L today ≥ ``target`` → flatten, cancel, lock until the reset."""

    code: ClassVar[str] = "013"
    name: ClassVar[str] = "daily_realized_profit"
    config_type: ClassVar[type[RuleConfig]] = DailyRealizedProfitConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def __init__(self, config: DailyRealizedProfitConfig) -> None:
        super().__init__(config)
        self._target = config.target  # read on every position event: a plain attribute

    def describe(self) -> str:
        return (
            f"daily realized P&L at or above {self.config.target}: flatten, cancel orders,"
            " lock out until the next reset"
        )

    def check(self, ctx: RuleContext) -> Verdict | None:
        realized = ctx.daily_realized()
        if realized < self._target:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason(
                "DAILY_PROFIT_TARGET",
                realized=realized,
                target=self.config.target,
                message=self.config.message,
            ),
            until_reset=True,
            flatten=True,
            cancel_orders=True,
        )
