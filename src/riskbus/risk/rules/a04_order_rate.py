"""Rule A04 — OrderRate: refuse orders beyond a rate (``max_orders`` per ``window_seconds``).

NautilusTrader's ``max_order_submit_rate`` ("100/00:00:01"): pre-trade, when the orders
this rule let through in the last ``window_seconds`` (those at or after ``now − window``
are outside: the window is ``(now − window, now]``) already number ``max_orders``, the
order is denied (``ORDER_RATE``). The rule keeps the times of the orders it allowed (its
persisted state); denied orders do not count. An order allowed here but denied by a later
check still counts (the rule errs on the side of fewer orders). Enforcement orders never
reach pre-trade rules, so they neither count nor are limited.

Config::

    order_rate:
      max_orders: 10
      window_seconds: 1     # or a duration: 90s, 5m
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule
from riskbus.risk.rules.r006_trade_frequency_limit import Seconds

__all__ = ["OrderRate", "OrderRateConfig"]


class OrderRateConfig(RuleConfig):
    """Settings of rule A04.

    Attributes:
        max_orders: orders allowed per window (> 0).
        window_seconds: the sliding window (> 0).
    """

    max_orders: Annotated[int, Field(gt=0)]
    window_seconds: Seconds = 1


@register_rule
class OrderRate(Rule[OrderRateConfig]):
    """Rule A04: ``max_orders`` already sent in the window → deny."""

    code: ClassVar[str] = "A04"
    name: ClassVar[str] = "order_rate"
    config_type: ClassVar[type[RuleConfig]] = OrderRateConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = ()

    def __init__(self, config: OrderRateConfig) -> None:
        super().__init__(config)
        self.sent: deque[int] = deque()

    def describe(self) -> str:
        return f"deny orders past {self.config.max_orders} per {self.config.window_seconds}s"

    def check(self, ctx: RuleContext) -> Verdict | None:
        return None

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        cutoff = ctx.now - self.config.window_seconds * SECOND
        sent = self.sent
        while sent and sent[0] <= cutoff:
            sent.popleft()
        if len(sent) < self.config.max_orders:
            sent.append(ctx.now)
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.DENY,
            reason=format_reason(
                "ORDER_RATE",
                symbol=order.symbol,
                orders=len(sent),
                max_orders=self.config.max_orders,
                window_seconds=self.config.window_seconds,
            ),
            symbol=order.symbol,
        )

    def state(self) -> dict[str, Any]:
        return {"sent": list(self.sent)} if self.sent else {}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.sent = deque(sorted(int(ts) for ts in state.get("sent", ())))
