"""Rule A01 — TrailingDrawdown: lock out when equity falls a fixed amount below its peak.

The prop-firm "trailing max drawdown" (LuxAlgo prop-firm-sim's ``trailing-intraday-
unrealized`` and ``trailing-realized-eod``; Freqtrade #2968, tesser's kill switch): the
account equity (:meth:`Portfolio.equity`, unrealized P&L included) may not fall
``max_drawdown`` or more below the highest equity seen.

* ``mode: intraday`` — the peak follows equity on every price and position event;
* ``mode: end_of_day`` — the peak moves only at the daily reset (:meth:`on_reset`), to the
  equity then if higher: intraday highs do not raise the floor.

The peak starts at the equity when the rule starts (:meth:`start`) and is the rule's
persisted state. Equity ``≤ peak − max_drawdown`` → ``lockout``, ``flatten``,
``cancel_orders``; the lockout lasts until the next reset (``lock: until_reset``, the
default) or for good (``lock: permanent``: only an admin can lift it). Equity that cannot be
valued (a balance without a mark) is skipped.

Config::

    trailing_drawdown:
      max_drawdown: 2500      # account currency, > 0
      mode: intraday          # or end_of_day
      lock: until_reset       # or permanent
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from riskbus.core.errors import RiskbusError
from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["TrailingDrawdown", "TrailingDrawdownConfig"]


class TrailingDrawdownConfig(RuleConfig):
    """Settings of rule A01.

    Attributes:
        max_drawdown: the largest fall from the peak (account currency, > 0).
        mode: ``intraday`` (the peak follows every event) or ``end_of_day`` (at resets).
        lock: ``until_reset`` or ``permanent``.
    """

    max_drawdown: Decimal = Field(gt=0, allow_inf_nan=False)
    mode: Literal["intraday", "end_of_day"] = "intraday"
    lock: Literal["until_reset", "permanent"] = "until_reset"


def _equity(ctx: RuleContext) -> Decimal | None:
    try:
        return ctx.equity()
    except RiskbusError:
        return None


@register_rule
class TrailingDrawdown(Rule[TrailingDrawdownConfig]):
    """Rule A01: equity ≤ peak − ``max_drawdown`` → flatten, cancel, lock out."""

    code: ClassVar[str] = "A01"
    name: ClassVar[str] = "trailing_drawdown"
    config_type: ClassVar[type[RuleConfig]] = TrailingDrawdownConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (
        Bar,
        QuoteTick,
        TradeTick,
        PositionOpened,
        PositionChanged,
        PositionClosed,
    )

    def __init__(self, config: TrailingDrawdownConfig) -> None:
        super().__init__(config)
        self.peak: Decimal | None = None
        self._intraday = config.mode == "intraday"
        self._max_drawdown = config.max_drawdown

    def describe(self) -> str:
        until = "until the next reset" if self.config.lock == "until_reset" else "for good"
        return (
            f"equity {self.config.max_drawdown} or more below its peak ({self.config.mode}):"
            f" flatten, cancel orders, lock out {until}"
        )

    def start(self, ctx: RuleContext) -> Verdict | None:
        return self.check(ctx)

    def check(self, ctx: RuleContext) -> Verdict | None:
        # :meth:`_evaluate` for an event, its common case inline (checked on every event)
        try:
            equity = ctx.equity()
        except RiskbusError:
            return None
        peak = self.peak
        if peak is None or (equity > peak and self._intraday):
            self.peak = peak = equity
        if equity > peak - self._max_drawdown:
            return None
        return self._evaluate(ctx, follow=False)

    def on_reset(self, ctx: RuleContext) -> None:
        equity = _equity(ctx)
        if equity is not None and (self.peak is None or equity > self.peak):
            self.peak = equity

    def _evaluate(self, ctx: RuleContext, *, follow: bool) -> Verdict | None:
        equity = _equity(ctx)
        if equity is None:
            return None
        if follow and (self.peak is None or equity > self.peak):
            self.peak = equity
        if self.peak is None:
            return None
        floor = self.peak - self.config.max_drawdown
        if equity > floor:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason(
                "TRAILING_DRAWDOWN",
                equity=equity,
                peak=self.peak,
                floor=floor,
                max_drawdown=self.config.max_drawdown,
            ),
            until_reset=self.config.lock == "until_reset",
            flatten=True,
            cancel_orders=True,
        )

    def state(self) -> dict[str, Any]:
        return {} if self.peak is None else {"peak": str(self.peak)}

    def restore(self, state: Mapping[str, Any]) -> None:
        peak = state.get("peak")
        self.peak = None if peak is None else Decimal(str(peak))
