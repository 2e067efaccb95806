"""Rule 007 — CooldownAfterLoss: close everything and pause after a losing trade.

Original (Risk Manager V34, timer/cooldown): on an executed trade with a P&L below zero,
find the tiers whose ``loss`` threshold the trade's loss reached (``loss ≤ threshold``) and
take the longest of their cooldowns: close every position and block new entries until
``now + cooldown_seconds``. A trade under every threshold (a small loss) does nothing.

The trade's P&L is the fill's **net** P&L, ``trade_pnl − fee`` of the position event (so
the fee that turns a scratch trade into a loss counts). Only fills that realized something
are trades with a P&L (the original's ``profitAndLoss ≠ null``): a ``PositionClosed``, or a
``PositionChanged`` with a non-zero ``trade_pnl`` (a partial close); opening fills are
skipped, their fee is not a "loss". Thresholds are in the instrument's quote currency.

Tiers must be negative and sorted from the smallest loss to the largest, without repeats.
``cooldown`` (a duration such as ``"15m"``, the original YAML's spelling) is accepted for
``cooldown_seconds``.

Config::

    cooldown_after_loss:
      tiers:
        - {loss: -100, cooldown_seconds: 300}
        - {loss: -200, cooldown_seconds: 900}
        - {loss: -300, cooldown: 30m}
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule
from riskbus.risk.rules.r006_trade_frequency_limit import Seconds

__all__ = ["CooldownAfterLoss", "CooldownAfterLossConfig", "LossTier"]


class LossTier(BaseModel):
    """One tier: a trade losing ``loss`` or more (``net ≤ loss``) pauses for the cooldown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loss: Decimal = Field(lt=0, allow_inf_nan=False)
    cooldown_seconds: Seconds = Field(validation_alias=AliasChoices("cooldown_seconds", "cooldown"))


_DEFAULT_TIERS = (
    LossTier(loss=Decimal(-100), cooldown_seconds=300),
    LossTier(loss=Decimal(-200), cooldown_seconds=900),
    LossTier(loss=Decimal(-300), cooldown_seconds=1800),
)


class CooldownAfterLossConfig(RuleConfig):
    """Settings of rule 007.

    Attributes:
        tiers: loss thresholds (negative, smallest loss first) and their cooldowns.
    """

    tiers: tuple[LossTier, ...] = _DEFAULT_TIERS

    @field_validator("tiers")
    @classmethod
    def _sorted(cls, tiers: tuple[LossTier, ...]) -> tuple[LossTier, ...]:
        if not tiers:
            raise ValueError("at least one tier is required")
        losses = [t.loss for t in tiers]
        if any(later >= earlier for earlier, later in pairwise(losses)):
            shown = ", ".join(str(x) for x in losses)
            raise ValueError(
                f"loss thresholds must go from the smallest loss to the largest without"
                f" repeats, e.g. -100, -200, -300 (got {shown})"
            )
        return tiers


@register_rule
class CooldownAfterLoss(Rule[CooldownAfterLossConfig]):
    """Rule 007: a losing trade past a tier → flatten and cool down for the tier's time."""

    code: ClassVar[str] = "007"
    name: ClassVar[str] = "cooldown_after_loss"
    config_type: ClassVar[type[RuleConfig]] = CooldownAfterLossConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def describe(self) -> str:
        tiers = ", ".join(f"{t.loss} → {t.cooldown_seconds}s" for t in self.config.tiers)
        return f"after a losing trade: flatten and cool down ({tiers})"

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        if type(event) is PositionChanged or isinstance(event, PositionChanged):
            if not event.trade_pnl:
                return None  # an addition: nothing realized
        elif not isinstance(event, PositionClosed):
            return None
        net = event.trade_pnl - event.fee
        hit = [t for t in self.config.tiers if net <= t.loss]
        if not hit:
            return None
        tier = max(hit, key=lambda t: t.cooldown_seconds)
        return Verdict(
            rule=self.name,
            action=RiskAction.COOLDOWN,
            reason=format_reason(
                "COOLDOWN_AFTER_LOSS",
                symbol=event.symbol,
                loss=net,
                tier=tier.loss,
                cooldown=tier.cooldown_seconds,
            ),
            until_ts=ctx.now + tier.cooldown_seconds * SECOND,
            flatten=True,
        )
