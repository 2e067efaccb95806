"""Market data events: bars, quotes, trades, and the bot's price fetches.

``Bar``, ``QuoteTick`` and ``TradeTick`` are pushed by feeds (the ``Simulator`` or a live
stream). ``MarketPriceFetched`` / ``MarketPriceFetchFailed`` answer a ``FetchPrice`` command
of a monitoring-cycle bot and keep the original bot's names and fields verbatim
(``pair``, ``current_buy_price``, ...). Every price is a ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from riskbus.core.messages import Event
from riskbus.model.enums import OrderSide

__all__ = [
    "Bar",
    "Candle",
    "MarketPriceFetchFailed",
    "MarketPriceFetched",
    "QuoteTick",
    "TradeTick",
]


class Candle(msgspec.Struct, frozen=True, kw_only=True):
    """One OHLCV candle inside a payload; ``ts`` is its open time in nanoseconds."""

    ts: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class Bar(Event, frozen=True, kw_only=True):
    """A completed bar of ``symbol``. ``ts`` is the bar's close time; ``interval`` in ns."""

    symbol: str
    interval: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def to_candle(self) -> Candle:
        """Return the bar as a :class:`Candle` stamped with its open time."""
        return Candle(
            ts=self.ts - self.interval,
            open=self.open,
            high=self.high,
            low=self.low,
            close=self.close,
            volume=self.volume,
        )


class QuoteTick(Event, frozen=True, kw_only=True):
    """The best bid and ask of ``symbol``."""

    symbol: str
    bid: Decimal
    ask: Decimal
    bid_size: Decimal
    ask_size: Decimal

    @property
    def mid(self) -> Decimal:
        """``(bid + ask) / 2``."""
        return (self.bid + self.ask) / 2


class TradeTick(Event, frozen=True, kw_only=True):
    """A trade printed on ``symbol``; ``aggressor`` is the taker's side when known."""

    symbol: str
    price: Decimal
    size: Decimal
    trade_id: str = ""
    aggressor: OrderSide | None = None


class MarketPriceFetched(Event, frozen=True, kw_only=True):
    """The price of ``pair`` for monitoring cycle ``cycle_id`` (original bot event).

    ``current_buy_price`` is what a buyer pays (ask side), ``current_sell_price`` what a
    seller gets (bid side); ``candles`` is the recent history, oldest first.
    """

    cycle_id: str
    pair: str
    current_price: Decimal
    current_buy_price: Decimal
    current_sell_price: Decimal
    candles: tuple[Candle, ...] = ()


class MarketPriceFetchFailed(Event, frozen=True, kw_only=True):
    """Fetching the price of ``pair`` for cycle ``cycle_id`` failed (original bot event)."""

    cycle_id: str
    pair: str
    error_message: str
