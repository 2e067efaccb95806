"""Shared helpers for the rule tests: a tiny P&L view and an account that trades for real.

:class:`FakePnL` implements :class:`riskbus.risk.rules.base.PnLView` from the position events
it is given (``trade_pnl − fee`` per fill, one trade per fill id), with overrides for tests
that only need a number. :class:`Account` wraps a real :class:`Portfolio` over the built-in
instruments (MNQ ×2, NQ ×20, MES ×5, ES ×50, ...): :meth:`Account.trade` books a real fill
with :meth:`Portfolio.apply_fill` and returns the position events it produced,
:meth:`Account.quote` / :meth:`Account.bar` / :meth:`Account.tick` mark a symbol and return
the price event, and :meth:`Account.ctx` builds the :class:`RuleContext` for an event.
:func:`config_error` validates a bad rule config and returns where pydantic says it is bad.

Used by the tests of rules 001–013; extend it, don't break it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model import Fill, OrderSide, Portfolio, SubmitOrder, TradingState, default_registry
from riskbus.model.events import Bar, QuoteTick, TradeTick
from riskbus.model.events.account import PositionEvent
from riskbus.risk.rules.base import RuleContext
from tests.stubs import D, submit_order

__all__ = ["T0", "Account", "Alarms", "FakePnL", "buy", "config_error", "sell"]

#: A round start time for tests: 2024-01-01T00:00:00Z in ns.
T0 = 1_704_067_200 * SECOND


class FakePnL:
    """A minimal :class:`PnLView`.

    Args:
        session_start: when the trading day started (ns).

    Attributes:
        realized: realized P&L net of fees per symbol (edit freely in tests).
        trades: ``(ts, fill_id)`` of each fill booked (edit freely in tests).
    """

    def __init__(self, session_start: int = T0) -> None:
        self.start = session_start
        self.realized: dict[str, Decimal] = {}
        self.trades: list[tuple[int, str]] = []

    def record(self, event: PositionEvent) -> None:
        """Book one position event: its ``trade_pnl − fee``, and one trade per new fill id."""
        net = event.trade_pnl - event.fee
        self.realized[event.symbol] = self.realized.get(event.symbol, D(0)) + net
        if not any(fill_id == event.fill_id for _, fill_id in self.trades):
            self.trades.append((event.ts, event.fill_id))

    def add_trades(self, *stamps: int) -> None:
        """Record bare trades at ``stamps`` (ns) without any P&L."""
        for ts in stamps:
            self.trades.append((ts, f"X-{len(self.trades) + 1}"))

    # -- PnLView ----------------------------------------------------------------------------

    def daily_realized(self, symbol: str | None = None) -> Decimal:
        if symbol is not None:
            return self.realized.get(symbol, D(0))
        return sum(self.realized.values(), D(0))

    def trade_count(self, since_ts: int | None = None) -> int:
        since = self.start if since_ts is None else since_ts
        return sum(1 for ts, _ in self.trades if ts >= since)

    def session_start(self) -> int:
        return self.start


class Account:
    """A real portfolio (USD 100,000) plus a :class:`FakePnL`, moved by real fills."""

    def __init__(self, now: int = T0, balance: str | int = 100_000) -> None:
        self.registry = default_registry()
        self.portfolio = Portfolio(self.registry, {"USD": D(balance)}, currency="USD")
        self.pnl = FakePnL(session_start=now)
        self.now = now
        self._fills = 0

    def trade(
        self,
        symbol: str,
        side: OrderSide,
        quantity: str | int,
        price: str | int,
        *,
        fee: str | int = 0,
        at: int | None = None,
    ) -> tuple[PositionEvent, ...]:
        """Book a fill at ``at`` (default: :attr:`now`); return its position events."""
        self._fills += 1
        ts = self.now if at is None else at
        fill = Fill(
            fill_id=f"F-{self._fills}",
            client_order_id=f"O-{self._fills}",
            symbol=symbol,
            side=side,
            quantity=D(quantity),
            price=D(price),
            fee=D(fee),
            fee_currency="USD" if D(fee) else "",
            ts=ts,
        )
        events = self.portfolio.apply_fill(fill)
        for event in events:
            self.pnl.record(event)
        return events

    def last(self, *args: Any, **kwargs: Any) -> PositionEvent:
        """:meth:`trade`, returning only the last position event."""
        return self.trade(*args, **kwargs)[-1]

    def quote(self, symbol: str, bid: str | int, ask: str | int) -> QuoteTick:
        """Mark ``symbol`` at the mid of ``bid``/``ask``; return the quote."""
        tick = QuoteTick(
            ts=self.now, symbol=symbol, bid=D(bid), ask=D(ask), bid_size=D(1), ask_size=D(1)
        )
        self.portfolio.on_quote_tick(tick)
        return tick

    def tick(self, symbol: str, price: str | int) -> TradeTick:
        """Mark ``symbol`` at a trade print at ``price``; return the print."""
        print_ = TradeTick(ts=self.now, symbol=symbol, price=D(price), size=D(1))
        self.portfolio.on_trade_tick(print_)
        return print_

    def bar(self, symbol: str, close: str | int) -> Bar:
        """Mark ``symbol`` at a one-minute bar closing at ``close``; return the bar."""
        price = D(close)
        bar = Bar(
            ts=self.now,
            symbol=symbol,
            interval=60 * SECOND,
            open=price,
            high=price,
            low=price,
            close=price,
            volume=D(1),
        )
        self.portfolio.on_bar(bar)
        return bar

    def ctx(
        self,
        event: Message,
        *,
        now: int | None = None,
        state: TradingState = TradingState.ACTIVE,
        **kwargs: Any,
    ) -> RuleContext:
        """The :class:`RuleContext` for ``event`` at ``now`` (default: :attr:`now`)."""
        return RuleContext(
            now=self.now if now is None else now,
            event=event,
            portfolio=self.portfolio,
            pnl=self.pnl,
            registry=self.registry,
            state=state,
            **kwargs,
        )

    def order(self, symbol: str, side: OrderSide, quantity: str | int) -> SubmitOrder:
        """A market ``SubmitOrder`` at :attr:`now`."""
        return submit_order(ts=self.now, symbol=symbol, side=side, quantity=D(quantity))


buy = OrderSide.BUY
sell = OrderSide.SELL


def config_error(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    """Validate ``data`` expecting a ``ValidationError``; return ``{dotted loc: message}``."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in caught.value.errors()}


class Alarms:
    """Records a rule's ``set_alarm`` / ``cancel_alarm`` calls (pass :meth:`kwargs` to ctx).

    Attributes:
        set: every ``(key, at)`` set, in order.
        canceled: every key canceled, in order.
        pending: the alarms in force (key → at), as the engine would keep them.
    """

    def __init__(self) -> None:
        self.set: list[tuple[str, int]] = []
        self.canceled: list[str] = []
        self.pending: dict[str, int] = {}

    def set_alarm(self, key: str, at: int) -> None:
        self.set.append((key, at))
        self.pending[key] = at

    def cancel_alarm(self, key: str) -> None:
        self.canceled.append(key)
        self.pending.pop(key, None)

    def kwargs(self) -> dict[str, Any]:
        """``set_alarm=..., cancel_alarm=...`` for :meth:`Account.ctx`."""
        return {"set_alarm": self.set_alarm, "cancel_alarm": self.cancel_alarm}
