"""Account events: balances, positions, reports, and the trading state.

``PositionOpened`` / ``PositionChanged`` / ``PositionClosed`` are produced by
:meth:`riskbus.model.portfolio.Portfolio.apply_fill` (a flip gives a close then an open).
Their P&L fields are in the instrument's quote currency (``currency``); ``trade_pnl`` and
``fee`` are this fill's share, so a daily P&L tracker can sum them without keeping state.
Reports (``BalancesFetched``, ``OpenOrdersReport``, ``PositionsReport``) answer the
``Fetch*`` commands; ``request_id`` echoes the command's.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from riskbus.core.messages import Event
from riskbus.model.enums import OrderSide, OrderStatus, OrderType, PositionSide, TradingState

__all__ = [
    "AccountSnapshot",
    "AccountStatusChanged",
    "Balance",
    "BalancesFetched",
    "OpenOrdersReport",
    "OrderReport",
    "OrderStatusReported",
    "PositionChanged",
    "PositionClosed",
    "PositionEvent",
    "PositionOpened",
    "PositionReport",
    "PositionsReport",
    "TradingStateChanged",
]


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    """The balance of one currency: ``total`` of which ``free`` is not locked in orders."""

    currency: str
    total: Decimal
    free: Decimal

    @property
    def locked(self) -> Decimal:
        """``total − free``."""
        return self.total - self.free


class OrderReport(msgspec.Struct, frozen=True, kw_only=True):
    """The state of one order, as a venue or the local order book reports it."""

    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    status: OrderStatus
    filled_qty: Decimal
    venue_order_id: str | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    avg_fill_price: Decimal | None = None
    #: fees charged so far, when the venue reports them
    fee: Decimal | None = None


class PositionReport(msgspec.Struct, frozen=True, kw_only=True):
    """A net position: signed ``quantity`` (long > 0) at ``avg_price``."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal
    unrealized_pnl: Decimal | None = None


class BalancesFetched(Event, frozen=True, kw_only=True):
    """The venue's balances (answer to ``FetchBalances``)."""

    balances: tuple[Balance, ...]
    request_id: str = ""


class AccountSnapshot(Event, frozen=True, kw_only=True):
    """The account valued in ``currency``: balances, equity and P&L so far."""

    currency: str
    balances: tuple[Balance, ...]
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal


class OpenOrdersReport(Event, frozen=True, kw_only=True):
    """The venue's open orders (answer to ``FetchOpenOrders``), for ``symbol`` or all."""

    orders: tuple[OrderReport, ...]
    symbol: str | None = None
    request_id: str = ""


class OrderStatusReported(Event, frozen=True, kw_only=True):
    """The venue's state of one order (answer to ``FetchOrder``); ``report`` is None when
    the venue never received the order."""

    client_order_id: str
    symbol: str
    report: OrderReport | None
    request_id: str = ""


class FillsFetched(Event, frozen=True, kw_only=True):
    """The answer to ``FetchFills``: ``count`` new fills were published (as ``OrderFilled``,
    before this event); ``baseline`` when this was the symbol's first ask, which only
    took note of the venue's fills so far."""

    symbol: str
    count: int
    baseline: bool = False
    request_id: str = ""


class PositionsReport(Event, frozen=True, kw_only=True):
    """The venue's positions (answer to ``FetchPositions``)."""

    positions: tuple[PositionReport, ...]
    request_id: str = ""


class _PositionEventBase(Event, frozen=True, kw_only=True):
    """Fields shared by the position events (not itself a message type)."""

    abstract = True

    symbol: str
    side: PositionSide
    quantity: Decimal
    avg_price: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    trade_pnl: Decimal
    fee: Decimal
    currency: str
    fill_id: str


class PositionOpened(_PositionEventBase, frozen=True, kw_only=True):
    """A fill opened a position from flat (or the new side of a flip)."""


class PositionChanged(_PositionEventBase, frozen=True, kw_only=True):
    """A fill increased or partly reduced an open position."""


class PositionClosed(_PositionEventBase, frozen=True, kw_only=True):
    """A fill took the position to flat; ``realized_pnl`` is its whole life's P&L."""


#: The events :meth:`Portfolio.apply_fill` returns.
PositionEvent = PositionOpened | PositionChanged | PositionClosed


class TradingStateChanged(Event, frozen=True, kw_only=True):
    """The trading state moved from ``old`` to ``new`` because of ``reason``."""

    old: TradingState
    new: TradingState
    reason: str = ""


class AccountStatusChanged(Event, frozen=True, kw_only=True):
    """The venue says whether the account may trade (TopstepX's ``canTrade``).

    ``can_trade=False`` is what the AuthLossGuard rule (010) locks on; the lock lifts when
    the venue says ``can_trade=True`` again. ``reason`` is the venue's wording, if any.
    """

    can_trade: bool
    account: str = ""
    reason: str = ""
