"""Rule 008 — NoStopLossGrace: close a position that has no stop-loss after a grace period.

Original (Risk Manager V34, trade-by-trade): a position opening starts a timer; a stop
order (``type=3`` STOP, with a ``stopPrice``) placed for it stops the timer; when the timer
runs out and the position is still open without a stop, that position is closed (no
lockout).

Here: ``PositionOpened`` sets the rule's alarm ``symbol`` at ``now + grace_period_seconds``
(:meth:`RuleContext.set_alarm`). An ``OrderSubmitted`` of type ``STOP`` or ``STOP_LIMIT``
in that symbol on the **closing side** (a sell for a long, a buy for a short) cancels the
alarm and marks the position protected; ``PositionClosed`` cancels it too (a flip closes
then opens, so the new side gets its own grace period). When the alarm fires
(``RuleTimerFired(key=symbol)``) and the position is still open and unprotected:
``close_position`` for that symbol.

The symbols waiting for a stop (with their deadlines) and the protected ones are the rule's
state, so a restart keeps them; :meth:`start` sets the waiting alarms again. A stop that is
later canceled does not restart the grace period (as in the original).

Config::

    no_stop_loss_grace:
      grace_period_seconds: 10   # or a duration: 90s, 5m
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model.enums import OrderSide, OrderType, RiskAction
from riskbus.model.events.account import PositionClosed, PositionOpened
from riskbus.model.events.orders import OrderSubmitted
from riskbus.model.events.risk import RuleTimerFired
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule
from riskbus.risk.rules.r006_trade_frequency_limit import Seconds

__all__ = ["NoStopLossGrace", "NoStopLossGraceConfig"]

_STOPS = (OrderType.STOP, OrderType.STOP_LIMIT)


class NoStopLossGraceConfig(RuleConfig):
    """Settings of rule 008.

    Attributes:
        grace_period_seconds: how long a new position may stay without a stop (> 0).
    """

    grace_period_seconds: Seconds = 10


@register_rule
class NoStopLossGrace(Rule[NoStopLossGraceConfig]):
    """Rule 008: a position without a stop order after the grace period → close it."""

    code: ClassVar[str] = "008"
    name: ClassVar[str] = "no_stop_loss_grace"
    config_type: ClassVar[type[RuleConfig]] = NoStopLossGraceConfig
    events: ClassVar[tuple[type[Message], ...]] = (
        PositionOpened,
        PositionClosed,
        OrderSubmitted,
        RuleTimerFired,
    )

    def __init__(self, config: NoStopLossGraceConfig) -> None:
        super().__init__(config)
        #: symbol → when its grace period ends (ns); waiting for a stop.
        self.pending: dict[str, int] = {}
        #: symbols whose open position has a stop order.
        self.protected: set[str] = set()

    def describe(self) -> str:
        return (
            f"a new position without a stop order after {self.config.grace_period_seconds}s:"
            " close it"
        )

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        if isinstance(event, PositionOpened):
            at = ctx.now + self.config.grace_period_seconds * SECOND
            self.pending[event.symbol] = at
            self.protected.discard(event.symbol)
            ctx.set_alarm(event.symbol, at)
        elif isinstance(event, PositionClosed):
            self._forget(ctx, event.symbol)
        elif isinstance(event, OrderSubmitted):
            self._on_order(ctx, event)
        elif isinstance(event, RuleTimerFired) and event.rule == self.name:
            return self._expired(ctx, event.key)
        return None

    def _forget(self, ctx: RuleContext, symbol: str) -> None:
        self.pending.pop(symbol, None)
        self.protected.discard(symbol)
        ctx.cancel_alarm(symbol)

    def _on_order(self, ctx: RuleContext, order: OrderSubmitted) -> None:
        if order.order_type not in _STOPS or order.stop_price is None:
            return
        position = ctx.portfolio.position(order.symbol)
        if position is None or not position.is_open:
            return
        closing = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
        if order.side is not closing:
            return
        self.protected.add(order.symbol)
        if self.pending.pop(order.symbol, None) is not None:
            ctx.cancel_alarm(order.symbol)

    def _expired(self, ctx: RuleContext, symbol: str) -> Verdict | None:
        if self.pending.pop(symbol, None) is None or symbol in self.protected:
            return None
        position = ctx.portfolio.position(symbol)
        if position is None or not position.is_open:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.CLOSE_POSITION,
            reason=format_reason(
                "NO_STOP_LOSS",
                symbol=symbol,
                quantity=position.quantity,
                grace_seconds=self.config.grace_period_seconds,
            ),
            symbol=symbol,
        )

    def start(self, ctx: RuleContext) -> Verdict | None:
        for symbol, at in sorted(self.pending.items()):
            ctx.set_alarm(symbol, max(at, ctx.now))
        return None

    def state(self) -> dict[str, Any]:
        return {"pending": dict(sorted(self.pending.items())), "protected": sorted(self.protected)}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.pending = {str(k): int(v) for k, v in dict(state.get("pending", {})).items()}
        self.protected = {str(s) for s in state.get("protected", ())}
