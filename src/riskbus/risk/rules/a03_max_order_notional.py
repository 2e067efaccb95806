"""Rule A03 — MaxOrderNotional: refuse a single order worth more than a cap.

NautilusTrader's ``max_notional_per_order``: pre-trade, an order's notional
``quantity · price · multiplier`` (price: the order's limit price, else its stop price, else
the symbol's mark) above ``max_notional`` — or above the symbol's own cap in
``per_symbol`` — is denied (``MAX_ORDER_NOTIONAL``). Caps are in the instrument's quote
currency. An order with no price known at all is denied (``ORDER_NOTIONAL_UNPRICED``):
the rule fails closed. Enforcement orders never reach pre-trade rules.

Config::

    max_order_notional:
      max_notional: 100000
      per_symbol:
        BTC/USDT: 25000
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from riskbus.core.messages import Message
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.a05_max_exposure import PositiveAmount, order_price
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["MaxOrderNotional", "MaxOrderNotionalConfig"]


class MaxOrderNotionalConfig(RuleConfig):
    """Settings of rule A03.

    Attributes:
        max_notional: the largest order value (quote currency, > 0).
        per_symbol: caps for single symbols, in place of ``max_notional``.
    """

    max_notional: Decimal = Field(gt=0, allow_inf_nan=False)
    per_symbol: dict[str, PositiveAmount] = Field(default_factory=dict)


@register_rule
class MaxOrderNotional(Rule[MaxOrderNotionalConfig]):
    """Rule A03: an order's notional above the cap → deny."""

    code: ClassVar[str] = "A03"
    name: ClassVar[str] = "max_order_notional"
    config_type: ClassVar[type[RuleConfig]] = MaxOrderNotionalConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = ()

    def describe(self) -> str:
        own = "".join(f", {s} ≤ {v}" for s, v in sorted(self.config.per_symbol.items()))
        return f"deny orders worth more than {self.config.max_notional}{own}"

    def check(self, ctx: RuleContext) -> Verdict | None:
        return None

    def limit_for(self, symbol: str) -> Decimal:
        """The cap for an order in ``symbol``."""
        return self.config.per_symbol.get(symbol, self.config.max_notional)

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        instrument = ctx.registry.find(order.symbol)
        if instrument is None:
            return None  # unknown symbols are refused by the order validation
        price = order_price(ctx.portfolio, order)
        if price is None:
            return self._deny("ORDER_NOTIONAL_UNPRICED", symbol=order.symbol, price="unknown")
        notional = abs(order.quantity) * price * instrument.multiplier
        limit = self.limit_for(order.symbol)
        if notional <= limit:
            return None
        return self._deny(
            "MAX_ORDER_NOTIONAL",
            symbol=order.symbol,
            notional=notional,
            limit=limit,
            quantity=order.quantity,
            price=price,
        )

    def _deny(self, code: str, *, symbol: str, **values: object) -> Verdict:
        return Verdict(
            rule=self.name,
            action=RiskAction.DENY,
            reason=format_reason(code, symbol=symbol, **values),
            symbol=symbol,
        )
