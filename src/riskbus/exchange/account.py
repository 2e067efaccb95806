"""The client-side account: a :class:`Portfolio` kept up to date from the bus.

The venue (simulated or real) reports fills as ``OrderFilled`` events and prices as market
data. :class:`AccountTracker` books each fill in its own portfolio exactly once and publishes
the position events the portfolio returns (``PositionOpened`` / ``PositionChanged`` /
``PositionClosed``), and marks positions from bars, quotes and trades. The risk engine, the
P&L tracker and the bot read positions, equity and P&L from here, never from the venue's
private books, exactly as they would live.

A fill the portfolio has seen already (a replayed or duplicated report) is ignored, so a
venue that reports a fill twice does not book it twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.events.orders import OrderFilled
from riskbus.model.money import MoneyInput
from riskbus.model.portfolio import Portfolio

__all__ = ["AccountTracker"]


class AccountTracker:
    """Books ``OrderFilled`` into a portfolio and publishes the position events.

    Args:
        bus: where fills and prices arrive and position events go.
        clock: kept for symmetry with the other components (events carry the fill's ts).
        registry: the instruments fills may refer to.
        balances: opening balances per currency.
        currency: the account currency for equity and P&L totals.
        portfolio: an existing portfolio to track instead of a new one.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        registry: InstrumentRegistry,
        balances: Mapping[str, MoneyInput] | None = None,
        *,
        currency: str = "USDT",
        portfolio: Portfolio | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.portfolio = (
            portfolio if portfolio is not None else Portfolio(registry, balances, currency=currency)
        )
        self.duplicates = 0

    def attach(self) -> AccountTracker:
        """Subscribe to fills and market data; return self."""
        self.bus.subscribe(OrderFilled, self.on_order_filled, component="AccountTracker")
        # the portfolio's own handler: one call less per bar than through on_bar
        self.bus.subscribe(Bar, self.portfolio.mark_bar, component="AccountTracker")
        self.bus.subscribe(QuoteTick, self.on_quote_tick, component="AccountTracker")
        self.bus.subscribe(TradeTick, self.on_trade_tick, component="AccountTracker")
        return self

    def on_order_filled(self, event: OrderFilled) -> None:
        """Book the fill once and publish its position events."""
        if self.portfolio.has_fill(event.fill_id):
            self.duplicates += 1
            return
        for position_event in self.portfolio.on_order_filled(event):
            self.bus.publish(position_event)

    def on_bar(self, bar: Bar) -> None:
        """Mark the bar's symbol at its close (symbols the registry lacks are ignored)."""
        self.portfolio.mark_bar(bar)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        """Mark the tick's symbol at the quote's mid."""
        self.portfolio.mark_known(tick.symbol, tick.mid)

    def on_trade_tick(self, tick: TradeTick) -> None:
        """Mark the tick's symbol at the trade price."""
        self.portfolio.mark_known(tick.symbol, tick.price)
