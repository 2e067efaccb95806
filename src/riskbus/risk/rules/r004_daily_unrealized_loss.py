"""Rule 004 — DailyUnrealizedLoss: close a position whose open loss reaches the limit.

Original (Risk Manager V34; changed from a hard lockout to trade-by-trade): on position
events and price updates, when the unrealized P&L of **that position** is at or below
``limit`` (< 0), close only that position — no lockout (the realized loss may then trip
rule 003). Unrealized P&L uses the tick economics: ``(price − avg) / tick_size · size ·
tick_value``, i.e. :meth:`Position.unrealized_pnl` with the instrument's multiplier (MNQ ×2,
NQ ×20, ES ×50), in the instrument's quote currency.

The price is the one the portfolio marks with (:func:`event_price`: a bar's close, a quote's
mid, a trade's price), so the rule sees the same value as the account's equity whether or
not the portfolio has handled the price event yet; a position event uses the current mark.
The original's ``check_interval_seconds`` is not needed: every price is checked.

Config::

    daily_unrealized_loss:
      limit: -300   # per position, quote currency, must be negative
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import (
    Rule,
    RuleConfig,
    RuleContext,
    Verdict,
    event_price,
    register_rule,
)

__all__ = [
    "POSITION_AND_PRICE_EVENTS",
    "DailyUnrealizedLoss",
    "DailyUnrealizedLossConfig",
    "event_price",
    "open_unrealized",
]

#: Position events and the price events that mark a position.
POSITION_AND_PRICE_EVENTS: tuple[type[Message], ...] = (
    PositionOpened,
    PositionChanged,
    PositionClosed,
    Bar,
    QuoteTick,
    TradeTick,
)


def open_unrealized(ctx: RuleContext) -> tuple[str, Decimal] | None:
    """``(symbol, unrealized P&L)`` of the open position the event is about, if any."""
    return ctx.event_unrealized()


class DailyUnrealizedLossConfig(RuleConfig):
    """Settings of rule 004.

    Attributes:
        limit: the open loss of one position that closes it (negative, quote currency).
    """

    limit: Decimal = Field(lt=0, allow_inf_nan=False)


@register_rule
class DailyUnrealizedLoss(Rule[DailyUnrealizedLossConfig]):
    """Rule 004: a position's unrealized P&L ≤ ``limit`` → close that position."""

    code: ClassVar[str] = "004"
    name: ClassVar[str] = "daily_unrealized_loss"
    config_type: ClassVar[type[RuleConfig]] = DailyUnrealizedLossConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = POSITION_AND_PRICE_EVENTS

    def __init__(self, config: DailyUnrealizedLossConfig) -> None:
        super().__init__(config)
        self._limit = config.limit  # read on every position and price event

    def describe(self) -> str:
        return f"close a position whose unrealized P&L is at or below {self.config.limit}"

    def check(self, ctx: RuleContext) -> Verdict | None:
        found = ctx.event_unrealized()
        if found is None or found[1] > self._limit:
            return None
        symbol, unrealized = found
        return Verdict(
            rule=self.name,
            action=RiskAction.CLOSE_POSITION,
            reason=format_reason(
                "DAILY_UNREALIZED_LOSS",
                symbol=symbol,
                unrealized=unrealized,
                limit=self.config.limit,
            ),
            symbol=symbol,
        )
