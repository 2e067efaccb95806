"""Market data and the account in Binance's JSON shapes, read from the :class:`Venue`.

Numbers are strings, times are ms of market time. ``exchangeInfo`` lists each spot symbol
with its ``PRICE_FILTER`` (tick), ``LOT_SIZE`` (step, minimum) and ``NOTIONAL`` filters;
the 24-hour ticker covers the last day of market time; ``depth`` is synthesised one tick
per level around the quote with sizes from the volume model; ``klines`` aggregate the
path's one-step candles into any interval that is a whole number of steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from riskbus.exchange.server.errors import BinanceError, missing_param
from riskbus.exchange.server.params import binance_id, int_param, text
from riskbus.model.events.market import Candle
from riskbus.model.instruments import Instrument

if TYPE_CHECKING:
    from riskbus.exchange.server.venue import Venue

__all__ = [
    "INTERVALS",
    "account",
    "book_ticker",
    "depth",
    "exchange_info",
    "klines",
    "ticker_24hr",
    "ticker_price",
]

_MS = 1_000_000
_ZERO = Decimal(0)

#: Kline intervals → seconds.
INTERVALS: Mapping[str, int] = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14400,
    "6h": 21600,
    "8h": 28800,
    "12h": 43200,
    "1d": 86400,
}


def exchange_info(venue: Venue) -> dict[str, object]:
    """Return ``/api/v3/exchangeInfo``."""
    symbols = []
    for symbol_id, instrument in venue.by_id.items():
        symbols.append(
            {
                "symbol": symbol_id,
                "status": "TRADING",
                "baseAsset": instrument.base,
                "baseAssetPrecision": 8,
                "quoteAsset": instrument.quote,
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": [
                    "LIMIT",
                    "LIMIT_MAKER",
                    "MARKET",
                    "STOP_LOSS",
                    "STOP_LOSS_LIMIT",
                ],
                "icebergAllowed": False,
                "ocoAllowed": False,
                "quoteOrderQtyMarketAllowed": True,
                "allowTrailingStop": False,
                "cancelReplaceAllowed": False,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False,
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": text(instrument.tick_size),
                        "maxPrice": "10000000",
                        "tickSize": text(instrument.tick_size),
                    },
                    {
                        "filterType": "LOT_SIZE",
                        "minQty": text(instrument.min_size),
                        "maxQty": "100000",
                        "stepSize": text(instrument.step_size),
                    },
                    {
                        "filterType": "NOTIONAL",
                        "minNotional": text(instrument.min_notional),
                        "applyMinToMarket": True,
                        "maxNotional": "9000000",
                        "applyMaxToMarket": False,
                        "avgPriceMins": 5,
                    },
                ],
                "permissions": [],
                "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "NONE",
                "allowedSelfTradePreventionModes": ["NONE"],
            }
        )
    return {
        "timezone": "UTC",
        "serverTime": venue.now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": symbols,
    }


def _symbols(venue: Venue, params: Mapping[str, str]) -> list[Instrument]:
    instrument = venue.instrument(params, required=False)
    return [instrument] if instrument is not None else list(venue.by_id.values())


def _one_or_all(params: Mapping[str, str], rows: list[dict[str, object]]) -> object:
    return rows[0] if params.get("symbol") else rows


def ticker_price(venue: Venue, params: Mapping[str, str]) -> object:
    """Return ``/api/v3/ticker/price``."""
    rows: list[dict[str, object]] = [
        {"symbol": binance_id(i.symbol), "price": text(venue.exchange.quote(i.symbol).price)}
        for i in _symbols(venue, params)
    ]
    return _one_or_all(params, rows)


def book_ticker(venue: Venue, params: Mapping[str, str]) -> object:
    """Return ``/api/v3/ticker/bookTicker``."""
    rows: list[dict[str, object]] = []
    for instrument in _symbols(venue, params):
        quote = venue.exchange.quote(instrument.symbol)
        size = text(_level_size(venue, instrument, 0))
        rows.append(
            {
                "symbol": binance_id(instrument.symbol),
                "bidPrice": text(quote.bid),
                "bidQty": size,
                "askPrice": text(quote.ask),
                "askQty": size,
            }
        )
    return _one_or_all(params, rows)


def ticker_24hr(venue: Venue, params: Mapping[str, str]) -> object:
    """Return ``/api/v3/ticker/24hr`` over the last day of market time."""
    rows: list[dict[str, object]] = []
    now = venue.now_ms()
    for instrument in _symbols(venue, params):
        symbol = instrument.symbol
        quote = venue.exchange.quote(symbol)
        per_day = max(1, 86_400_000_000_000 // venue.step_ns)
        candles = venue.exchange.candles(symbol, per_day)
        open_ = candles[0].open if candles else quote.price
        high = max((c.high for c in candles), default=quote.price)
        low = min((c.low for c in candles), default=quote.price)
        volume = sum((c.volume for c in candles), _ZERO)
        quote_volume = sum((c.volume * c.close for c in candles), _ZERO)
        change = quote.price - open_
        rows.append(
            {
                "symbol": binance_id(symbol),
                "priceChange": text(change),
                "priceChangePercent": text((change / open_ * 100).quantize(Decimal("0.001"))),
                "weightedAvgPrice": text(
                    instrument.quantize_price(quote_volume / volume) if volume else quote.price
                ),
                "prevClosePrice": text(open_),
                "lastPrice": text(quote.price),
                "lastQty": "0",
                "bidPrice": text(quote.bid),
                "bidQty": text(_level_size(venue, instrument, 0)),
                "askPrice": text(quote.ask),
                "askQty": text(_level_size(venue, instrument, 0)),
                "openPrice": text(open_),
                "highPrice": text(max(high, quote.price)),
                "lowPrice": text(min(low, quote.price)),
                "volume": text(volume),
                "quoteVolume": text(quote_volume.quantize(Decimal("0.01"))),
                "openTime": now - 86_400_000,
                "closeTime": now,
                "firstId": 0,
                "lastId": 0,
                "count": len(candles),
            }
        )
    return _one_or_all(params, rows)


def _level_size(venue: Venue, instrument: Instrument, level: int) -> Decimal:
    cap = venue.config.exchange.volume_per_step * venue.config.exchange.max_volume_share
    size = cap / (level + 1)
    return (size / instrument.step_size).to_integral_value(ROUND_DOWN) * instrument.step_size


def depth(venue: Venue, params: Mapping[str, str]) -> dict[str, object]:
    """Return ``/api/v3/depth``: levels one tick apart around the quote."""
    instrument = venue.instrument(params)
    assert instrument is not None
    limit = int_param(params, "limit", 100, maximum=5000)
    quote = venue.exchange.quote(instrument.symbol)
    tick = instrument.tick_size
    bids, asks = [], []
    for level in range(limit):
        size = text(_level_size(venue, instrument, level))
        bid = quote.bid - tick * level
        if bid > 0:
            bids.append([text(bid), size])
        asks.append([text(quote.ask + tick * level), size])
    return {"lastUpdateId": venue.exchange.step, "bids": bids, "asks": asks}


def klines(venue: Venue, params: Mapping[str, str]) -> list[list[object]]:
    """Return ``/api/v3/klines`` (intervals that are whole multiples of a path step)."""
    instrument = venue.instrument(params)
    assert instrument is not None
    interval = params.get("interval")
    if not interval:
        raise missing_param("interval")
    seconds = INTERVALS.get(interval)
    step_s = venue.step_ns // 1_000_000_000
    if seconds is None or step_s <= 0 or seconds % step_s:
        raise BinanceError(-1120, "Invalid interval.")
    limit = int_param(params, "limit", 500, maximum=1000)
    start = int_param(params, "startTime", None)
    end = int_param(params, "endTime", None)
    candles = venue.exchange.candles(instrument.symbol, venue.exchange.step + 1)
    rows = _aggregate(candles, seconds * 1000)
    if start is not None:
        rows = [r for r in rows if int(str(r[0])) >= start]
    if end is not None:
        rows = [r for r in rows if int(str(r[0])) <= end]
    return rows[:limit] if start is not None else rows[-limit:]


# -- account ----------------------------------------------------------------------------


def account(venue: Venue) -> dict[str, object]:
    """Return ``/api/v3/account``."""
    balances = [
        {"asset": row.currency, "free": text(row.free), "locked": text(row.locked)}
        for row in venue.exchange.account.balance_rows()
    ]
    maker = int(venue.config.exchange.maker_fee * 10_000)
    taker = int(venue.config.exchange.taker_fee * 10_000)
    return {
        "makerCommission": maker,
        "takerCommission": taker,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": text(venue.config.exchange.maker_fee),
            "taker": text(venue.config.exchange.taker_fee),
            "buyer": "0",
            "seller": "0",
        },
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": venue.now_ms(),
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": 1,
    }


# -- orders ---------------------------------------------------------------------------


def _aggregate(candles: tuple[Candle, ...], interval_ms: int) -> list[list[object]]:
    rows: list[list[object]] = []
    group: list[Candle] = []
    bucket = None
    for candle in candles:
        open_ms = candle.ts // _MS
        key = open_ms - open_ms % interval_ms
        if bucket is not None and key != bucket:
            rows.append(_kline(group, bucket, interval_ms))
            group = []
        bucket = key
        group.append(candle)
    if group and bucket is not None:
        rows.append(_kline(group, bucket, interval_ms))
    return rows


def _kline(group: list[Candle], open_ms: int, interval_ms: int) -> list[object]:
    volume = sum((c.volume for c in group), _ZERO)
    quote_volume = sum((c.volume * c.close for c in group), _ZERO)
    return [
        open_ms,
        text(group[0].open),
        text(max(c.high for c in group)),
        text(min(c.low for c in group)),
        text(group[-1].close),
        text(volume),
        open_ms + interval_ms - 1,
        text(quote_volume),
        len(group),
        text(volume / 2),
        text(quote_volume / 2),
        "0",
    ]
