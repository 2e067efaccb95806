"""Rule 002 — MaxContractsPerInstrument: cap the size held in each symbol.

Original (Risk Manager V34, trade-by-trade, no lockout): on every position event, when
``|size|`` in the event's symbol is over that symbol's limit, ``reduce_to_limit`` it to the
limit (a partial close), or ``close_position`` when ``enforcement: close_all`` (or the limit
is 0). A symbol's limit is ``limits[symbol]``, else ``default_limit``, else the
``unknown_symbol`` policy:

* ``block`` (default): no position allowed — ``close_position``, and orders are denied;
* ``allow`` / ``allow_unlimited``: no limit;
* ``allow_with_limit:N``: a limit of ``N``.

Pre-trade, an order that would take the symbol's size over its limit (or open a blocked
symbol) is denied; orders that reduce the size pass. ``instrument_limits`` (the original
YAML key) is accepted for ``limits``; ``default_limit`` and ``unknown_symbol`` are
exclusive.

Config::

    max_contracts_per_instrument:
      limits: {MNQ: 2, ES: 1, NQ: 3}
      enforcement: reduce_to_limit   # or close_all
      unknown_symbol: block          # allow | allow_unlimited | allow_with_limit:N
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator

from riskbus.core.messages import Message
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.money import ZERO
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["MaxContractsPerInstrument", "MaxContractsPerInstrumentConfig"]

Contracts = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
_POLICY = re.compile(r"block|allow|allow_unlimited|allow_with_limit:(\d+(?:\.\d+)?)")


class MaxContractsPerInstrumentConfig(RuleConfig):
    """Settings of rule 002.

    Attributes:
        limits: the most contracts per symbol (≥ 0); YAML may call it ``instrument_limits``.
        default_limit: the limit of a symbol not in ``limits``.
        enforcement: ``reduce_to_limit`` (partial close) or ``close_all`` (close the symbol).
        unknown_symbol: what to do with a symbol that has no limit (see the module docs).
    """

    limits: dict[str, Contracts] = Field(
        default_factory=dict, validation_alias=AliasChoices("limits", "instrument_limits")
    )
    default_limit: Contracts | None = None
    enforcement: Literal["reduce_to_limit", "close_all"] = "reduce_to_limit"
    unknown_symbol: str = "block"

    @field_validator("unknown_symbol")
    @classmethod
    def _policy(cls, value: str) -> str:
        if not _POLICY.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a policy: use block, allow, allow_unlimited"
                " or allow_with_limit:N"
            )
        return value

    @model_validator(mode="after")
    def _exclusive(self) -> MaxContractsPerInstrumentConfig:
        if {"default_limit", "unknown_symbol"} <= self.model_fields_set:
            raise ValueError("set default_limit or unknown_symbol, not both")
        return self

    def limit_for(self, symbol: str) -> tuple[bool, Decimal | None]:
        """``(blocked, limit)`` of ``symbol``; a ``None`` limit is no limit."""
        if symbol in self.limits:
            return False, self.limits[symbol]
        if self.default_limit is not None:
            return False, self.default_limit
        match = _POLICY.fullmatch(self.unknown_symbol)
        if self.unknown_symbol == "block" or match is None:
            return True, ZERO
        return False, Decimal(match.group(1)) if match.group(1) else None


@register_rule
class MaxContractsPerInstrument(Rule[MaxContractsPerInstrumentConfig]):
    """Rule 002: at most ``limits[symbol]`` contracts in each symbol."""

    code: ClassVar[str] = "002"
    name: ClassVar[str] = "max_contracts_per_instrument"
    config_type: ClassVar[type[RuleConfig]] = MaxContractsPerInstrumentConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def __init__(self, config: MaxContractsPerInstrumentConfig) -> None:
        super().__init__(config)
        #: symbol → ``config.limit_for(symbol)`` (the config is frozen).
        self._limits: dict[str, tuple[bool, Decimal | None]] = {}

    def limit_for(self, symbol: str) -> tuple[bool, Decimal | None]:
        """``config.limit_for(symbol)``, remembered per symbol."""
        found = self._limits.get(symbol)
        if found is None:
            found = self._limits[symbol] = self.config.limit_for(symbol)
        return found

    def describe(self) -> str:
        limits = ", ".join(f"{s}={q}" for s, q in sorted(self.config.limits.items()))
        other = (
            f"default {self.config.default_limit}"
            if self.config.default_limit is not None
            else f"unknown symbols: {self.config.unknown_symbol}"
        )
        return f"per-symbol limits {{{limits}}}, {other}; over it: {self.config.enforcement}"

    def check(self, ctx: RuleContext) -> Verdict | None:
        found_position = ctx.event_position()
        if found_position is None:  # no symbol, no position, or not open
            return None
        symbol, _, quantity = found_position
        size = abs(quantity)
        found = self._limits.get(symbol)  # :meth:`limit_for`, inline
        blocked, limit = found if found is not None else self.limit_for(symbol)
        if blocked:
            reason = format_reason("INSTRUMENT_NOT_ALLOWED", symbol=symbol, size=size)
            return Verdict(
                rule=self.name, action=RiskAction.CLOSE_POSITION, reason=reason, symbol=symbol
            )
        if limit is None or size <= limit:
            return None
        reason = format_reason(
            "MAX_CONTRACTS_PER_INSTRUMENT", symbol=symbol, size=size, limit=limit
        )
        if self.config.enforcement == "close_all" or not limit:
            return Verdict(
                rule=self.name, action=RiskAction.CLOSE_POSITION, reason=reason, symbol=symbol
            )
        return Verdict(
            rule=self.name,
            action=RiskAction.REDUCE_TO_LIMIT,
            reason=reason,
            symbol=symbol,
            target_quantity=limit,
        )

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        if order.quantity <= 0:
            return None  # malformed orders are the gateway's business
        position = ctx.portfolio.position(order.symbol)
        now = position.quantity if position is not None else ZERO
        after = abs(now + order.side.sign * order.quantity)
        if after <= abs(now):
            return None
        blocked, limit = self.limit_for(order.symbol)
        if blocked:
            reason = format_reason("INSTRUMENT_NOT_ALLOWED", symbol=order.symbol, size=after)
        elif limit is not None and after > limit:
            reason = format_reason(
                "MAX_CONTRACTS_PER_INSTRUMENT", symbol=order.symbol, size=after, limit=limit
            )
        else:
            return None
        return Verdict(rule=self.name, action=RiskAction.DENY, reason=reason, symbol=order.symbol)
