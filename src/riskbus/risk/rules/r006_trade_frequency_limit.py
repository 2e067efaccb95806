"""Rule 006 — TradeFrequencyLimit: a cooldown when the account trades too often.

Original (Risk Manager V34, timer/cooldown): on every executed trade, count the trades

* in the last 60 s (trades at or after ``now − 60 s``) — at ``per_minute`` or more: a
  cooldown of ``cooldown_minute`` (60 s);
* in the last 3600 s — at ``per_hour`` or more: ``cooldown_hour`` (1800 s);
* since the session started (:meth:`PnLView.session_start`) — at ``per_session`` or more:
  ``cooldown_session`` (3600 s).

The longest applicable cooldown wins; nothing is closed. A trade is a fill
(:meth:`PnLView.trade_count`), and each fill publishes one position event, so position
events are the trigger (a flip publishes two events for one fill: same count, same
verdict). Each limit is optional, but at least one must be set. The cooldown itself (no new
entries until it ends) is enforced by the engine's trading state.

Durations are seconds, or a string such as ``"90s"``, ``"30m"``, ``"1h"``.

Config::

    trade_frequency_limit:
      per_minute: 3
      per_hour: 10
      per_session: 50
      cooldown_minute: 60s
      cooldown_hour: 30m
      cooldown_session: 1h
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import BeforeValidator, Field, model_validator

from riskbus.core.clock import HOUR, MINUTE, SECOND
from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["Seconds", "TradeFrequencyLimit", "TradeFrequencyLimitConfig"]

_DURATION = re.compile(r"\s*(\d+)\s*([smh]?)\s*")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}


def _seconds(value: object) -> object:
    """Turn ``"90s"`` / ``"30m"`` / ``"1h"`` into seconds; leave other values to pydantic."""
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match is None:
            raise ValueError(f"{value!r} is not a duration: use seconds or e.g. 90s, 30m, 1h")
        return int(match.group(1)) * _UNIT[match.group(2)]
    return value


#: A positive duration in whole seconds; YAML may write ``"15m"``.
Seconds = Annotated[int, BeforeValidator(_seconds), Field(gt=0)]
Count = Annotated[int, Field(gt=0)]


class TradeFrequencyLimitConfig(RuleConfig):
    """Settings of rule 006 (limits are trade counts; cooldowns are seconds)."""

    per_minute: Count | None = None
    per_hour: Count | None = None
    per_session: Count | None = None
    cooldown_minute: Seconds = 60
    cooldown_hour: Seconds = 1800
    cooldown_session: Seconds = 3600

    @model_validator(mode="after")
    def _some_limit(self) -> TradeFrequencyLimitConfig:
        if self.per_minute is None and self.per_hour is None and self.per_session is None:
            raise ValueError("set at least one of per_minute, per_hour, per_session")
        return self


@register_rule
class TradeFrequencyLimit(Rule[TradeFrequencyLimitConfig]):
    """Rule 006: too many trades per minute / hour / session → cooldown."""

    code: ClassVar[str] = "006"
    name: ClassVar[str] = "trade_frequency_limit"
    config_type: ClassVar[type[RuleConfig]] = TradeFrequencyLimitConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def describe(self) -> str:
        c = self.config
        parts = [
            f"{limit}/{window} → {cooldown}s cooldown"
            for window, limit, cooldown in (
                ("minute", c.per_minute, c.cooldown_minute),
                ("hour", c.per_hour, c.cooldown_hour),
                ("session", c.per_session, c.cooldown_session),
            )
            if limit is not None
        ]
        return "trade frequency: " + ", ".join(parts)

    def __init__(self, config: TradeFrequencyLimitConfig) -> None:
        super().__init__(config)
        c = config
        #: the windows with a limit: (name, limit, span in ns or None for the session, cooldown)
        self._windows: tuple[tuple[str, int, int | None, int], ...] = tuple(
            (window, limit, span, cooldown)
            for window, limit, span, cooldown in (
                ("minute", c.per_minute, MINUTE, c.cooldown_minute),
                ("hour", c.per_hour, HOUR, c.cooldown_hour),
                ("session", c.per_session, None, c.cooldown_session),
            )
            if limit is not None
        )

    def check(self, ctx: RuleContext) -> Verdict | None:
        pnl = ctx.pnl
        now = ctx.now
        worst: tuple[str, int, int, int] | None = None
        for window, limit, span, cooldown in self._windows:
            since = pnl.session_start() if span is None else now - span
            count = pnl.trade_count(since)
            if count >= limit and (worst is None or cooldown > worst[3]):
                worst = (window, count, limit, cooldown)
        if worst is None:
            return None
        window, count, limit, cooldown = worst
        return Verdict(
            rule=self.name,
            action=RiskAction.COOLDOWN,
            reason=format_reason(
                "TRADE_FREQUENCY_LIMIT", window=window, trades=count, limit=limit, cooldown=cooldown
            ),
            until_ts=ctx.now + cooldown * SECOND,
        )
