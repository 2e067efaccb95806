"""Rule A02 — DailyEquityLoss: lock out for the day when equity falls a set amount.

The prop-firm daily loss limit measured on equity (LuxAlgo prop-firm-sim: ``basis:
equity``, ``includesOpenPnl: true``, ``evaluation: intraday``; Helios-x #23: "must flatten
and halt until reset"), next to rule 003 which counts realized P&L only: the change of the
account equity (:meth:`Portfolio.equity`, open P&L included) since the start of the day
must stay above ``limit``.

The start-of-day equity is recorded when the rule starts (unless restored from the rule's
persisted state, so a restart mid-day keeps the morning's figure) and again at each daily
reset. On each price and position event, ``equity − start-of-day equity ≤ limit`` →
``lockout`` until the next reset, ``flatten``, ``cancel_orders``. Equity that cannot be
valued (a balance without a mark) is skipped.

Config::

    daily_equity_loss:
      limit: -1000       # account currency, negative
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field

from riskbus.core.errors import RiskbusError
from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["DailyEquityLoss", "DailyEquityLossConfig"]


class DailyEquityLossConfig(RuleConfig):
    """Settings of rule A02.

    Attributes:
        limit: the equity change since the start of the day that locks (negative).
    """

    limit: Decimal = Field(lt=0, allow_inf_nan=False)


def _equity(ctx: RuleContext) -> Decimal | None:
    try:
        return ctx.equity()
    except RiskbusError:
        return None


@register_rule
class DailyEquityLoss(Rule[DailyEquityLossConfig]):
    """Rule A02: equity − start-of-day equity ≤ ``limit`` → flatten, cancel, lock till reset."""

    code: ClassVar[str] = "A02"
    name: ClassVar[str] = "daily_equity_loss"
    config_type: ClassVar[type[RuleConfig]] = DailyEquityLossConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (
        Bar,
        QuoteTick,
        TradeTick,
        PositionOpened,
        PositionChanged,
        PositionClosed,
    )

    def __init__(self, config: DailyEquityLossConfig) -> None:
        super().__init__(config)
        self.start_equity: Decimal | None = None
        self._limit = config.limit  # read on every position and price event

    def describe(self) -> str:
        return (
            f"equity change today at or below {self.config.limit} (open P&L included):"
            " flatten, cancel orders, lock out until the next reset"
        )

    def start(self, ctx: RuleContext) -> Verdict | None:
        if self.start_equity is None:
            self.start_equity = _equity(ctx)
            return None
        return self.check(ctx)

    def on_reset(self, ctx: RuleContext) -> None:
        self.start_equity = _equity(ctx)

    def check(self, ctx: RuleContext) -> Verdict | None:
        try:  # _equity(ctx), inline: checked on every event
            equity = ctx.equity()
        except RiskbusError:
            return None
        if self.start_equity is None:
            self.start_equity = equity
            return None
        change = equity - self.start_equity
        if change > self._limit:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason(
                "DAILY_EQUITY_LOSS",
                change=change,
                limit=self.config.limit,
                equity=equity,
                start_equity=self.start_equity,
            ),
            until_reset=True,
            flatten=True,
            cancel_orders=True,
        )

    def state(self) -> dict[str, Any]:
        return {} if self.start_equity is None else {"start_equity": str(self.start_equity)}

    def restore(self, state: Mapping[str, Any]) -> None:
        value = state.get("start_equity")
        self.start_equity = None if value is None else Decimal(str(value))
