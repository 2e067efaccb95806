"""Rule 001 — MaxContracts: cap the contracts held over the whole account.

Original (Risk Manager V34, ``max_position.py``; trade-by-trade, no lockout): on every
position event, count the contracts over all symbols — ``net`` is ``|Σ signed size|`` (long
+, short −, so a long and a short offset each other), ``gross`` is ``Σ |size|`` — and when
the count is over ``limit``:

* ``reduce_to_limit: true`` (default): ``reduce_to_limit`` the event's symbol to the size
  that brings the count back to the limit (when that symbol alone cannot do it — the limit
  was lowered, or the event's position points the other way — ``flatten_all``);
* ``reduce_to_limit: false`` or ``close_all: true``: ``flatten_all``.

Pre-trade, an order that would take the count over the limit, and further from it than it
is now, is denied; orders that reduce the count pass. Sizes are in contracts (instrument
quantity), whatever the multiplier.

Config::

    max_contracts:
      limit: 5
      count_type: net        # net | gross
      reduce_to_limit: true  # false (or close_all: true): flatten everything instead
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from riskbus.core.messages import Message
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.money import ZERO
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["MaxContracts", "MaxContractsConfig"]


class MaxContractsConfig(RuleConfig):
    """Settings of rule 001.

    Attributes:
        limit: the most contracts the account may hold (≥ 0).
        count_type: ``net`` (long and short offset) or ``gross`` (sum of sizes).
        reduce_to_limit: trim the event's symbol back to the limit; else flatten all.
        close_all: flatten all on a breach (the original's other switch; overrides
            ``reduce_to_limit``, and setting both to true is refused).
    """

    limit: Decimal = Field(ge=0, allow_inf_nan=False)
    count_type: Literal["net", "gross"] = "net"
    reduce_to_limit: bool = True
    close_all: bool = False

    @model_validator(mode="after")
    def _one_mode(self) -> MaxContractsConfig:
        if self.close_all and self.reduce_to_limit and "reduce_to_limit" in self.model_fields_set:
            raise ValueError("set only one of close_all and reduce_to_limit to true")
        return self

    @property
    def flattens(self) -> bool:
        """Whether a breach flattens everything (else it reduces one symbol)."""
        return self.close_all or not self.reduce_to_limit


@register_rule
class MaxContracts(Rule[MaxContractsConfig]):
    """Rule 001: the account holds at most ``limit`` contracts (net or gross)."""

    code: ClassVar[str] = "001"
    name: ClassVar[str] = "max_contracts"
    config_type: ClassVar[type[RuleConfig]] = MaxContractsConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def __init__(self, config: MaxContractsConfig) -> None:
        super().__init__(config)
        self._net = config.count_type == "net"
        self._limit = config.limit  # read on every position event: a plain attribute

    def describe(self) -> str:
        mode = "flatten all" if self.config.flattens else "reduce to the limit"
        return f"at most {self.config.limit} contracts ({self.config.count_type}); over it: {mode}"

    def check(self, ctx: RuleContext) -> Verdict | None:
        sizes = ctx.open_sizes()
        # the count as _count(sizes), inline: the same additions in the same order
        values = sizes.values()
        count = abs(sum(values, ZERO)) if self._net else sum(map(abs, values), ZERO)
        limit = self._limit
        if count <= limit:
            return None
        reason = format_reason("MAX_CONTRACTS", **{self.config.count_type: count}, limit=limit)
        symbol: str | None = getattr(ctx.event, "symbol", None)
        if not self.config.flattens and symbol is not None:
            target = self._target(sizes, symbol)
            if target is not None:
                return Verdict(
                    rule=self.name,
                    action=RiskAction.REDUCE_TO_LIMIT,
                    reason=reason,
                    symbol=symbol,
                    target_quantity=target,
                )
        return Verdict(rule=self.name, action=RiskAction.FLATTEN_ALL, reason=reason)

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        if order.quantity <= 0:
            return None  # malformed orders are the gateway's business
        sizes = dict(ctx.open_sizes())
        now = self._count(sizes)
        sizes[order.symbol] = sizes.get(order.symbol, ZERO) + order.side.sign * order.quantity
        after = self._count(sizes)
        if after <= self.config.limit or after <= now:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.DENY,
            reason=format_reason(
                "MAX_CONTRACTS",
                **{self.config.count_type: after},
                limit=self.config.limit,
                symbol=order.symbol,
            ),
            symbol=order.symbol,
        )

    def _count(self, sizes: Mapping[str, Decimal]) -> Decimal:
        if self._net:
            return abs(sum(sizes.values(), ZERO))
        return sum(map(abs, sizes.values()), ZERO)

    def _target(self, sizes: Mapping[str, Decimal], symbol: str) -> Decimal | None:
        """The size of ``symbol`` that brings the count to the limit, if it alone can."""
        size = sizes.get(symbol, ZERO)
        excess = self._count(sizes) - self.config.limit
        if self.config.count_type == "net" and (size > 0) != (sum(sizes.values(), ZERO) > 0):
            return None  # trimming this position would move the net further out
        if abs(size) < excess:
            return None
        return abs(size) - excess
