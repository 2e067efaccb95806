"""The answers of the simulated exchange to the query commands (``Fetch*``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskbus.model.commands import (
    FetchBalances,
    FetchFills,
    FetchOpenOrders,
    FetchOrder,
    FetchPositions,
    FetchPrice,
)
from riskbus.model.events.account import (
    BalancesFetched,
    FillsFetched,
    OpenOrdersReport,
    OrderStatusReported,
    PositionsReport,
)
from riskbus.model.events.market import MarketPriceFetched, MarketPriceFetchFailed
from riskbus.model.reasons import format_reason

if TYPE_CHECKING:
    from riskbus.exchange.simulated import SimulatedExchange

__all__ = ["balances", "fills", "open_orders", "order_status", "positions", "price"]


def price(
    exchange: SimulatedExchange, command: FetchPrice
) -> MarketPriceFetched | MarketPriceFetchFailed:
    """Return the current quote and recent candles of ``command.symbol``, or why not.

    The candles are ``command.candle_count`` (or ``config.candles_history``) candles up to
    the current step, oldest first, the last closing at the current price.

    Fails with ``VENUE_UNAVAILABLE`` (outage), ``RATE_LIMITED`` or ``UNKNOWN_SYMBOL``.
    """
    ts = exchange.clock.now()
    reason = exchange.call_refused()
    if reason is None and (
        command.symbol not in exchange.market or exchange.registry.find(command.symbol) is None
    ):
        reason = format_reason("UNKNOWN_SYMBOL", symbol=command.symbol)
    if reason is not None:
        return MarketPriceFetchFailed(
            ts=ts, cycle_id=command.cycle_id, pair=command.symbol, error_message=reason
        )
    quote = exchange.quote(command.symbol)
    count = command.candle_count or exchange.config.candles_history
    return MarketPriceFetched(
        ts=ts,
        cycle_id=command.cycle_id,
        pair=command.symbol,
        current_price=quote.price,
        current_buy_price=quote.ask,
        current_sell_price=quote.bid,
        candles=exchange.candles(command.symbol, count),
    )


def balances(exchange: SimulatedExchange, command: FetchBalances) -> BalancesFetched:
    """Return the account's balances; ``free`` is the total less what open orders lock."""
    rows = exchange.account.balance_rows()
    return BalancesFetched(ts=exchange.clock.now(), balances=rows, request_id=command.request_id)


def open_orders(exchange: SimulatedExchange, command: FetchOpenOrders) -> OpenOrdersReport:
    """Return the open orders (of ``command.symbol`` when given)."""
    return OpenOrdersReport(
        ts=exchange.clock.now(),
        orders=exchange.open_orders(command.symbol),
        symbol=command.symbol,
        request_id=command.request_id,
    )


def positions(exchange: SimulatedExchange, command: FetchPositions) -> PositionsReport:
    """Return the account's open positions."""
    rows = tuple(position.to_report() for position in exchange.account.open_positions())
    return PositionsReport(ts=exchange.clock.now(), positions=rows, request_id=command.request_id)


def order_status(exchange: SimulatedExchange, command: FetchOrder) -> OrderStatusReported:
    """Return the venue's report of one order (``report`` None if it never arrived)."""
    return OrderStatusReported(
        ts=exchange.clock.now(),
        client_order_id=command.client_order_id,
        symbol=command.symbol,
        report=exchange.order_status(command.client_order_id),
        request_id=command.request_id,
    )


def fills(exchange: SimulatedExchange, command: FetchFills) -> FillsFetched:
    """Return that no fill is new: the simulated venue publishes each one when it is made."""
    return FillsFetched(
        ts=exchange.clock.now(), symbol=command.symbol, count=0, request_id=command.request_id
    )
