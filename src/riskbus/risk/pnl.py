"""The P&L tracker: realized P&L and trade counts of the current trading day.

The tracker listens to the position events the :class:`~riskbus.exchange.account.AccountTracker`
publishes (``PositionOpened`` / ``PositionChanged`` / ``PositionClosed``). Each carries the
fill's share of realized P&L (``trade_pnl``, gross) and its fee, so the tracker needs no
state of its own beyond running sums:

* **realized P&L is net of fees**: :meth:`PnLTracker.daily_realized` is
  ``Σ trade_pnl − Σ fee`` of today's fills (per symbol or for the whole account);
  :meth:`PnLTracker.daily_gross` and :meth:`PnLTracker.daily_fees` give the two parts;
* **trade counts** count fills (a flip's close and open events share one fill id and count
  once); :meth:`PnLTracker.trade_count` counts today's or those since a time;
* **unrealized P&L** is read live from the portfolio (futures multipliers included);
* the **trading day** starts at the last reset (:meth:`PnLTracker.on_reset`), which zeroes
  the day's sums and moves :meth:`PnLTracker.session_start`.

Amounts are in the account currency: fees are assumed to be charged in it (true of the
simulated venue and of futures accounts). With a store, every booked fill is written through
``store.daily_pnl`` (per account, trading day and symbol) and ``store.trades`` before the
handler returns, and :meth:`PnLTracker.restore` reads the day back after a restart.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from decimal import Decimal

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.model.enums import OrderSide, PositionSide
from riskbus.model.events.account import (
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from riskbus.model.events.orders import OrderFilled
from riskbus.model.portfolio import Portfolio
from riskbus.store import Store, TradeRecord

__all__ = ["PnLTracker"]

ZERO = Decimal(0)
_DAY_NS = 86_400 * 1_000_000_000


class PnLTracker:
    """Implements :class:`~riskbus.risk.rules.base.PnLView` over position events.

    Args:
        clock: the clock (the first session starts at its current time).
        portfolio: the account whose positions give the unrealized P&L.
        store: when given, fills and daily totals are written through it.
        account: the account name used in the store.
        trading_day: the label of the current trading day (``YYYY-MM-DD``).
        session_start: when the current trading day started (ns; default: now).
    """

    def __init__(
        self,
        clock: Clock,
        portfolio: Portfolio,
        *,
        store: Store | None = None,
        account: str = "default",
        trading_day: str = "",
        session_start: int | None = None,
    ) -> None:
        self.clock = clock
        self.portfolio = portfolio
        self.store = store
        self.account = account
        self.trading_day = trading_day
        self._session_start = clock.now() if session_start is None else session_start
        self._gross: dict[str, Decimal] = {}
        self._fees: dict[str, Decimal] = {}
        self._counts: dict[str, int] = {}
        self._gross_total = ZERO
        self._fees_total = ZERO
        self._count = 0
        self._trade_ts: list[int] = []  # fills of today and the day before, in time order
        self._last_fill_id = ""
        self._fills: dict[str, OrderFilled] = {}

    # -- wiring -----------------------------------------------------------------------------

    def attach(self, bus: EventBus) -> PnLTracker:
        """Subscribe to fills (for the trade log) and position events; return self.

        Subscribe after the ``AccountTracker`` so the portfolio is booked first.
        """
        if self.store is not None:
            bus.subscribe(OrderFilled, self._remember_fill, component="PnLTracker")
        for kind in (PositionOpened, PositionChanged, PositionClosed):
            bus.subscribe(kind, self.on_position_event, component="PnLTracker")
        return self

    def _remember_fill(self, event: OrderFilled) -> None:
        self._fills[event.fill_id] = event

    # -- PnLView ----------------------------------------------------------------------------

    def daily_realized(self, symbol: str | None = None) -> Decimal:
        """Realized P&L net of fees today, for ``symbol`` or the whole account."""
        if symbol is None:
            return self._gross_total - self._fees_total
        return self._gross.get(symbol, ZERO) - self._fees.get(symbol, ZERO)

    def trade_count(self, since_ts: int | None = None) -> int:
        """Fills booked today, or since ``since_ts`` (ns, inclusive) when given."""
        if since_ts is None:
            return self._count
        return len(self._trade_ts) - bisect_left(self._trade_ts, since_ts)

    def session_start(self) -> int:
        """When the current trading day started (ns): the last reset."""
        return self._session_start

    # -- more views -------------------------------------------------------------------------

    def daily_gross(self, symbol: str | None = None) -> Decimal:
        """Gross realized P&L today (before fees)."""
        if symbol is None:
            return self._gross_total
        return self._gross.get(symbol, ZERO)

    def daily_fees(self, symbol: str | None = None) -> Decimal:
        """Fees paid today."""
        if symbol is None:
            return self._fees_total
        return self._fees.get(symbol, ZERO)

    def symbol_trade_count(self, symbol: str) -> int:
        """Fills booked today in ``symbol``."""
        return self._counts.get(symbol, 0)

    def symbols(self) -> list[str]:
        """Symbols traded today, sorted."""
        return sorted(self._counts)

    def unrealized(self, symbol: str | None = None) -> Decimal:
        """Unrealized P&L at the marks, of ``symbol`` or of every open position."""
        if symbol is not None:
            position = self.portfolio.position(symbol)
            return ZERO if position is None else position.unrealized_pnl()
        return sum((p.unrealized_pnl() for p in self.portfolio.open_positions()), ZERO)

    def daily_total(self) -> Decimal:
        """Net realized today plus the unrealized P&L of the open positions."""
        return self.daily_realized() + self.unrealized()

    # -- updates ----------------------------------------------------------------------------

    def on_position_event(self, event: PositionEvent) -> None:
        """Book one position event's realized P&L and fee (a fill counts once)."""
        symbol = event.symbol
        pnl = event.trade_pnl
        fee = event.fee
        new_fill = event.fill_id != self._last_fill_id
        if pnl:
            self._gross[symbol] = self._gross.get(symbol, ZERO) + pnl
            self._gross_total += pnl
        if fee:
            self._fees[symbol] = self._fees.get(symbol, ZERO) + fee
            self._fees_total += fee
        if new_fill:
            self._last_fill_id = event.fill_id
            self._counts[symbol] = self._counts.get(symbol, 0) + 1
            self._count += 1
            if self._trade_ts and event.ts < self._trade_ts[-1]:
                self._trade_ts.insert(bisect_left(self._trade_ts, event.ts + 1), event.ts)
            else:
                self._trade_ts.append(event.ts)
        if self.store is not None:
            self._persist(event, pnl, fee, new_fill)

    def _persist(self, event: PositionEvent, pnl: Decimal, fee: Decimal, new_fill: bool) -> None:
        assert self.store is not None
        self.store.daily_pnl.add(
            self.account,
            self.trading_day,
            event.symbol,
            realized=pnl,
            fees=fee,
            trades=1 if new_fill else 0,
        )
        if not new_fill:
            return
        fill = self._fills.pop(event.fill_id, None)
        if fill is not None:
            record = TradeRecord(
                fill_id=fill.fill_id,
                client_order_id=fill.client_order_id,
                symbol=fill.symbol,
                side=fill.side,
                quantity=fill.last_qty,
                price=fill.last_price,
                fee=fill.fee,
                ts=fill.ts,
            )
        else:  # booked without an OrderFilled on this bus: side and size are approximate
            record = TradeRecord(
                fill_id=event.fill_id,
                client_order_id="",
                symbol=event.symbol,
                side=OrderSide.BUY if event.side is PositionSide.LONG else OrderSide.SELL,
                quantity=abs(event.quantity),
                price=event.avg_price,
                fee=fee,
                ts=event.ts,
            )
        self.store.trades.record(record)

    def on_reset(self, ts: int, trading_day: str) -> None:
        """Start a new trading day at ``ts``: zero the day's sums and counts."""
        self._session_start = ts
        self.trading_day = trading_day
        self._gross.clear()
        self._fees.clear()
        self._counts.clear()
        self._gross_total = self._fees_total = ZERO
        self._count = 0
        cutoff = bisect_left(self._trade_ts, ts - _DAY_NS)
        del self._trade_ts[:cutoff]

    # -- restart ----------------------------------------------------------------------------

    def restore(self, trading_day: str, session_start: int) -> None:
        """Reload the day's totals and recent trade times from the store (after a restart)."""
        self.on_reset(session_start, trading_day)
        self._trade_ts.clear()
        if self.store is None:
            return
        for total in self.store.daily_pnl.for_day(self.account, trading_day):
            self._load_total(total.symbol, total.realized, total.fees, total.trade_count)
        self._load_trades(t.ts for t in self.store.trades.find(since=session_start - _DAY_NS))

    def _load_total(self, symbol: str, gross: Decimal, fees: Decimal, count: int) -> None:
        self._gross[symbol] = gross
        self._fees[symbol] = fees
        self._counts[symbol] = count
        self._gross_total += gross
        self._fees_total += fees
        self._count += count

    def _load_trades(self, stamps: Iterable[int]) -> None:
        self._trade_ts.extend(stamps)
        self._trade_ts.sort()
