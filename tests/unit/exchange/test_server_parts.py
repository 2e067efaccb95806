"""The exchange server's parts without HTTP: signatures, limits, market time, faults, venue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.exchange import ccxt_local
from riskbus.exchange.local import local_urls
from riskbus.exchange.server import BinanceError, Venue, VenueConfig, parse_faults, quotes
from riskbus.exchange.server.auth import TEST_API_KEY, TEST_SECRET, check_signed, sign
from riskbus.exchange.server.chaos import ChaosEngine
from riskbus.exchange.server.limits import RateLimiter, weight_of
from riskbus.exchange.server.market import MarketClock

NOW = 1_800_000_000_000
ACCOUNTS = {TEST_API_KEY: TEST_SECRET}


def _signed(raw: str, body: str = "", **overrides: Any) -> str:
    params = dict(p.split("=", 1) for p in (raw + "&" + body).split("&") if p)
    signature = sign(raw + body, TEST_SECRET)
    kwargs: dict[str, Any] = {
        "api_key": TEST_API_KEY,
        "query": f"{raw}&signature={signature}" if raw else raw,
        "body": body if raw else f"{body}&signature={signature}",
        "params": params,
        "accounts": ACCOUNTS,
        "server_ms": NOW,
    }
    kwargs.update(overrides)
    return check_signed(**kwargs)


def _code(call: Any) -> int:
    with pytest.raises(BinanceError) as caught:
        call()
    return caught.value.code


def test_a_signed_request_passes_with_the_signature_in_the_query_or_the_body() -> None:
    assert _signed(f"symbol=BTCUSDT&timestamp={NOW}") == TEST_API_KEY
    assert _signed("", f"symbol=BTCUSDT&side=BUY&timestamp={NOW}&recvWindow=1000") == TEST_API_KEY


@pytest.mark.parametrize(
    ("query", "overrides", "code"),
    [
        (f"timestamp={NOW}", {"api_key": None}, -2014),
        (f"timestamp={NOW}", {"api_key": "other"}, -2015),
        (f"timestamp={NOW}", {"query": f"timestamp={NOW}"}, -1102),
        (f"timestamp={NOW}", {"query": f"timestamp={NOW}&signature=00"}, -1022),
        ("symbol=X", {}, -1102),
        ("timestamp=soon", {}, -1100),
        (f"timestamp={NOW}&recvWindow=70000", {}, -1131),
        (f"timestamp={NOW - 5001}", {}, -1021),
        (f"timestamp={NOW - 9000}&recvWindow=10000", {}, 0),
        (f"timestamp={NOW + 1000}", {}, -1021),
    ],
)
def test_signature_key_and_window_refusals_carry_binance_codes(
    query: str, overrides: dict[str, Any], code: int
) -> None:
    if code == 0:
        assert _signed(query, **overrides) == TEST_API_KEY
    else:
        assert _code(lambda: _signed(query, **overrides)) == code


@pytest.mark.parametrize(
    ("method", "path", "params", "weight"),
    [
        ("GET", "exchangeInfo", {}, 20),
        ("GET", "ticker/24hr", {"symbol": "BTCUSDT"}, 2),
        ("GET", "ticker/24hr", {}, 80),
        ("GET", "ticker/price", {}, 4),
        ("GET", "openOrders", {}, 80),
        ("GET", "openOrders", {"symbol": "BTCUSDT"}, 6),
        ("GET", "depth", {"limit": "100"}, 5),
        ("GET", "depth", {"limit": "500"}, 25),
        ("GET", "depth", {"limit": "1000"}, 50),
        ("GET", "depth", {"limit": "5000"}, 250),
        ("GET", "depth", {"limit": "x"}, 5),
        ("POST", "order", {}, 1),
        ("GET", "order", {}, 4),
    ],
)
def test_request_weights_follow_binances_table(
    method: str, path: str, params: dict[str, str], weight: int
) -> None:
    assert weight_of(method, path, params) == weight


def test_the_rate_limiter_answers_429_then_bans_with_doubling_418s() -> None:
    now = [120.0]
    limiter = RateLimiter(weight_limit=10, order_limit=2, now=lambda: now[0])
    limiter.spend(10, order=False)
    assert limiter.headers(order=False)["X-MBX-USED-WEIGHT-1M"] == "10"
    with pytest.raises(BinanceError) as first:
        limiter.spend(1, order=False)
    assert (first.value.status, first.value.code, first.value.headers["Retry-After"]) == (
        429,
        -1003,
        "60",
    )
    now[0] += 1
    with pytest.raises(BinanceError) as ban:
        limiter.spend(1, order=False)  # did not wait: banned
    assert (ban.value.status, ban.value.headers["Retry-After"]) == (418, "120")
    now[0] += 121
    limiter.spend(1, order=True)
    limiter.spend(1, order=True)
    with pytest.raises(BinanceError) as orders:
        limiter.spend(1, order=True)
    assert (
        orders.value.code == -1015 and limiter.headers(order=True)["X-MBX-ORDER-COUNT-10S"] == "3"
    )
    now[0] += 1
    assert limiter.ban().headers["Retry-After"] == "240"  # the second ban doubles
    limiter.clear()
    limiter.check_ban()
    assert limiter.used_weight == 0


def test_market_time_runs_at_the_speed_factor_and_can_be_stepped() -> None:
    wall = [100.0]
    clock = MarketClock(start=0, speed=60, monotonic=lambda: wall[0])
    wall[0] += 2
    assert clock.elapsed_seconds() == 120
    clock.advance(30 * 1_000_000_000)
    assert clock.elapsed_seconds() == 150
    with pytest.raises(InvalidValueError):
        clock.advance(-1)
    with pytest.raises(InvalidValueError):
        MarketClock(start=0, speed=-1)
    assert MarketClock(start=5, speed=0).now() == 5


def test_fault_triggers_count_per_fault() -> None:
    engine = ChaosEngine(lambda: 0.0)
    engine.load(
        parse_faults(
            {
                "faults": [
                    {"kind": "outage", "skip": 1, "count": 2, "match": {"path": "/api/v3"}},
                    {"kind": "reset", "every": 2, "match": {"method": "POST"}},
                    {"kind": "clock_skew", "ms": 10},
                    {"kind": "latency", "ms": 20},
                ]
            }
        )
    )
    outcomes = []
    for _ in range(4):
        fired = engine.decide("GET", "/api/v3/time")
        outcomes.append(([s.describe(0)["kind"] for s in fired.before], fired.skew_ms, fired.delay))
    assert outcomes == [
        ([], 10, 0.02),
        (["outage"], 10, 0.02),
        (["outage"], 10, 0.02),
        ([], 10, 0.02),
    ]
    assert [s.describe(0)["kind"] for s in engine.decide("POST", "/x").before] == []
    assert [s.describe(0)["kind"] for s in engine.decide("POST", "/x").before] == ["reset"]
    assert engine.states[0].fired == 2
    engine.clear()
    assert engine.decide("GET", "/api/v3/time").before == []


def _venue() -> Venue:
    return Venue(VenueConfig(market="sideways", seed=3, speed=0, steps=200))


def _order(venue: Venue, **params: str) -> dict[str, object]:
    return venue.new_order({"symbol": "BTCUSDT", "side": "BUY", **params})


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": "UP", "type": "MARKET", "quantity": "0.01"}, -1100),
        ({"type": "TRAILING", "quantity": "0.01"}, -1116),
        ({"type": "MARKET"}, -1102),
        ({"type": "MARKET", "quantity": "abc"}, -1100),
        ({"type": "MARKET", "quantity": "-1"}, -1100),
        ({"type": "LIMIT", "quantity": "0.01", "timeInForce": "GTC"}, -1102),
        ({"type": "LIMIT", "quantity": "0.01", "price": "40000"}, -1102),
        ({"type": "LIMIT", "quantity": "0.01", "price": "40000", "timeInForce": "DAY"}, -1115),
        ({"type": "STOP_LOSS", "quantity": "0.01"}, -1102),
        ({"type": "LIMIT_MAKER", "quantity": "0.01", "price": "60000"}, -2010),
        ({"type": "LIMIT", "quantity": "0.01", "price": "40000.001", "timeInForce": "GTC"}, -1013),
        ({"type": "MARKET", "quantity": "0.000001"}, -1013),
        ({"symbol": "DOGEUSDT", "type": "MARKET", "quantity": "1"}, -1121),
        ({"symbol": "", "type": "MARKET", "quantity": "1"}, -1102),
    ],
)
def test_bad_order_parameters_get_binance_codes(params: dict[str, str], code: int) -> None:
    venue = _venue()
    assert _code(lambda: _order(venue, **params)) == code


def test_order_answer_types_quote_quantity_and_stops() -> None:
    venue = _venue()
    ack = _order(venue, type="MARKET", quantity="0.01", newOrderRespType="ACK")
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = _order(venue, type="MARKET", quantity="0.01", newOrderRespType="RESULT")
    assert result["status"] == "FILLED" and "fills" not in result
    by_quote = _order(venue, type="MARKET", quoteOrderQty="1001")
    assert Decimal(str(by_quote["executedQty"])) == Decimal("0.02")
    stop = _order(
        venue,
        side="SELL",
        type="STOP_LOSS",
        quantity="0.01",
        stopPrice="30000",
        newOrderRespType="RESULT",
    )
    assert stop["status"] == "NEW" and stop["type"] == "STOP_LOSS"
    ioc = _order(venue, type="LIMIT", quantity="0.01", price="40000", timeInForce="IOC")
    assert ioc["status"] == "EXPIRED"
    mine = _order(venue, type="MARKET", quantity="0.01", newClientOrderId="mine")
    assert mine["clientOrderId"] == "mine"
    assert _code(lambda: _order(venue, type="MARKET", quantity="0.01", newClientOrderId="mine"))
    assert _code(lambda: venue.query_order({"symbol": "BTCUSDT"})) == -1102
    assert (
        _code(
            lambda: venue.query_order(
                {"symbol": "BTCUSDT", "orderId": str(ack["orderId"]), "origClientOrderId": "mine"}
            )
        )
        == -2013
    )
    assert _code(lambda: venue.query_order({"symbol": "ETHUSDT", "origClientOrderId": "mine"})) == (
        -2013
    )
    assert _code(
        lambda: venue.cancel_order({"symbol": "BTCUSDT", "origClientOrderId": "mine"})
    ) == (-2011)
    canceled = venue.cancel_open_orders({"symbol": "BTCUSDT"})
    assert [o["type"] for o in canceled] == ["STOP_LOSS"]
    orders = venue.all_orders({"symbol": "BTCUSDT", "orderId": "2", "limit": "2"})
    assert [o["orderId"] for o in orders] == [2, 3]
    trades = venue.my_trades({"symbol": "BTCUSDT", "orderId": str(ack["orderId"])})
    assert len(trades) == 1 and trades[0]["isBuyer"] is True
    assert venue.my_trades({"symbol": "BTCUSDT", "fromId": "99"}) == []
    assert venue.open_orders({}) == []


def test_market_data_for_all_symbols_and_by_time() -> None:
    venue = _venue()
    venue.market.advance(10 * 60 * 1_000_000_000)
    venue.sync()
    prices = quotes.ticker_price(venue, {})
    assert isinstance(prices, list) and [p["symbol"] for p in prices] == [
        "BTCUSDT",
        "ETHUSDT",
        "SOLUSDT",
    ]
    books = quotes.book_ticker(venue, {})
    assert isinstance(books, list) and len(books) == 3
    tickers = quotes.ticker_24hr(venue, {})
    assert isinstance(tickers, list) and tickers[0]["count"] == 11
    depth = quotes.depth(venue, {"symbol": "ETHUSDT", "limit": "3"})
    assert len(depth["bids"]) == len(depth["asks"]) == 3  # type: ignore[arg-type]
    start = venue.market.start // 1_000_000
    rows = quotes.klines(
        venue,
        {
            "symbol": "BTCUSDT",
            "interval": "1m",
            "startTime": str(start),
            "endTime": str(start + 180_000),
            "limit": "2",
        },
    )
    assert [r[0] for r in rows] == [start, start + 60_000]
    assert _code(lambda: quotes.klines(venue, {"symbol": "BTCUSDT"})) == -1102
    assert quotes.account(venue)["balances"]


def test_a_venue_refuses_a_symbol_outside_the_spot_catalogue() -> None:
    with pytest.raises(InvalidValueError, match="symbols"):
        Venue(VenueConfig(prices={"BTC/USDT:USDT": Decimal(1)}))


def test_ccxt_local_points_every_section_at_the_server_and_checks_its_arguments() -> None:
    exchange = ccxt_local(url="http://127.0.0.1:9/prefix", asyncio=False)
    urls = exchange.urls["api"]
    assert urls["public"] == "http://127.0.0.1:9/prefix/api/v3"
    assert urls["fapiPrivate"].startswith("http://127.0.0.1:9/prefix/fapi/")
    assert all(u.startswith("http://127.0.0.1:9/") for u in urls.values() if isinstance(u, str))
    assert (exchange.apiKey, exchange.secret) == (TEST_API_KEY, TEST_SECRET)
    assert exchange.options["fetchCurrencies"] is False
    assert local_urls({"a": ["x"], "b": "https://h/p?q=1"}, "http://l:1") == {
        "a": ["x"],
        "b": "http://l:1/p?q=1",
    }
    with pytest.raises(InvalidValueError, match="url"):
        ccxt_local(url="127.0.0.1:5557")
    with pytest.raises(InvalidValueError, match="exchange_id"):
        ccxt_local(exchange_id="nope")


def test_ccxt_local_leaves_other_ccxt_clients_untouched() -> None:
    import ccxt

    local = ccxt_local(asyncio=False)
    plain = ccxt.binance()
    assert local.has["fetchCurrencies"] is False
    assert plain.has["fetchCurrencies"] is True
    assert plain.urls["api"]["public"] == "https://api.binance.com/api/v3"


def test_my_trades_by_time_window_or_the_most_recent() -> None:
    venue = _venue()
    times = []
    for n in range(4):
        if n:
            venue.market.advance(60 * 1_000_000_000)
            venue.sync()
        _order(venue, type="MARKET", quantity="0.01", newClientOrderId=f"t{n}")
        times.append(venue.my_trades({"symbol": "BTCUSDT"})[-1]["time"])
    assert times == sorted(times) and len(set(times)) == 4  # one minute apart
    every = venue.my_trades({"symbol": "BTCUSDT"})
    assert [t["time"] for t in every] == times
    assert venue.my_trades({"symbol": "BTCUSDT", "limit": "2"}) == every[-2:]  # most recent
    window = {"symbol": "BTCUSDT", "startTime": str(times[1]), "endTime": str(times[2])}
    assert venue.my_trades(window) == every[1:3]
    later = {"symbol": "BTCUSDT", "startTime": str(times[1]), "limit": "1"}
    assert venue.my_trades(later) == every[1:2]  # from the start time: the first ones
