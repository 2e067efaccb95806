"""The real ccxt async client trading against the exchange server (no faults)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from riskbus.exchange import ccxt_local
from riskbus.exchange.server import TEST_API_KEY, ExchangeServer, ServerThread
from tests.integration.exchange_server._support import client, control, serve, stepped


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_load_markets_lists_the_spot_symbols_with_their_filters() -> None:
    async def scenario() -> dict[str, Any]:
        async with serve() as server, client(server) as exchange:
            return dict(exchange.markets)

    markets = run(scenario())
    assert sorted(markets) == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    btc = markets["BTC/USDT"]
    assert btc["id"] == "BTCUSDT"
    assert btc["spot"] is True and btc["active"] is True
    assert btc["precision"]["amount"] == pytest.approx(0.00001)
    assert btc["precision"]["price"] == pytest.approx(0.01)
    assert btc["limits"]["cost"]["min"] == pytest.approx(5)


def test_ticker_and_ohlcv_follow_the_seeded_path_as_the_market_is_stepped() -> None:
    async def scenario() -> tuple[Any, ...]:
        async with serve() as server, client(server) as exchange:
            first = await exchange.fetch_ticker("BTC/USDT")
            status, stepped_to = await control(server, "POST", "/_chaos/step", {"steps": 25})
            later = await exchange.fetch_ticker("BTC/USDT")
            candles = await exchange.fetch_ohlcv("BTC/USDT", "1m", limit=1000)
            five = await exchange.fetch_ohlcv("BTC/USDT", "5m", limit=1000)
            path = server.venue.paths["BTC/USDT"]
            expected = float(path.quote_at(25, Decimal("0.01")).price)
            return first, status, stepped_to, later, candles, five, expected

    first, status, stepped_to, later, candles, five, expected = run(scenario())
    assert first["last"] == 50_000.0
    assert first["bid"] < first["last"] < first["ask"]
    assert status == 200 and stepped_to["market_step"] == 25
    assert later["last"] == pytest.approx(expected)
    assert later["last"] != first["last"]
    assert len(candles) == 26  # steps 0..25, one candle each
    assert candles[-1][4] == pytest.approx(later["last"])
    assert candles[1][0] - candles[0][0] == 60_000
    assert sum(c[5] for c in five) == pytest.approx(sum(c[5] for c in candles), rel=1e-9)
    assert all(row[0] % 300_000 == 0 for row in five)


def test_flash_crash_market_crashes_between_the_published_steps() -> None:
    async def scenario() -> list[float]:
        async with serve(stepped("flash_crash")) as server, client(server) as exchange:
            prices = []
            for _ in range(40):
                prices.append((await exchange.fetch_ticker("BTC/USDT"))["last"])
                await control(server, "POST", "/_chaos/step", {"steps": 1})
            return prices

    prices = run(scenario())
    assert min(prices) < 0.9 * prices[0]  # the crash is in the first 40 steps


def test_orders_are_placed_filled_canceled_and_queried() -> None:
    async def scenario() -> dict[str, Any]:
        async with serve() as server, client(server) as exchange:
            bought = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
            resting = await exchange.create_order(
                "BTC/USDT", "limit", "buy", 0.01, 40_000, {"clientOrderId": "my-limit-1"}
            )
            fetched = await exchange.fetch_order(resting["id"], "BTC/USDT")
            by_client_id = await exchange.fetch_order(
                None, "BTC/USDT", {"origClientOrderId": "my-limit-1"}
            )
            open_before = await exchange.fetch_open_orders("BTC/USDT")
            canceled = await exchange.cancel_order(resting["id"], "BTC/USDT")
            open_after = await exchange.fetch_open_orders("BTC/USDT")
            every = await exchange.fetch_orders("BTC/USDT")
            trades = await exchange.fetch_my_trades("BTC/USDT")
            balance = await exchange.fetch_balance()
            return locals()

    r = run(scenario())
    bought = r["bought"]
    assert bought["status"] == "closed" and bought["filled"] == pytest.approx(0.01)
    assert bought["average"] == pytest.approx(50_050.0)  # the ask at step 0 (20 bps spread)
    assert bought["fee"]["cost"] == pytest.approx(0.01 * 50_050 * 0.0005)
    assert r["resting"]["status"] == "open" and r["resting"]["clientOrderId"] == "my-limit-1"
    assert r["fetched"]["id"] == r["resting"]["id"] and r["fetched"]["status"] == "open"
    assert r["by_client_id"]["id"] == r["resting"]["id"]
    assert [o["id"] for o in r["open_before"]] == [r["resting"]["id"]]
    assert r["canceled"]["status"] == "canceled"
    assert r["open_after"] == []
    assert [o["status"] for o in r["every"]] == ["closed", "canceled"]
    assert len(r["trades"]) == 1 and r["trades"][0]["price"] == pytest.approx(50_050.0)
    balance = r["balance"]
    assert balance["BTC"]["total"] == pytest.approx(1.01)
    cost = 0.01 * 50_050
    assert balance["USDT"]["total"] == pytest.approx(100_000 - cost - cost * 0.0005)
    assert balance["USDT"]["used"] == 0


def test_a_resting_limit_order_locks_funds_and_fills_when_the_market_reaches_it() -> None:
    async def scenario() -> tuple[Any, ...]:
        async with serve(stepped("flash_crash")) as server, client(server) as exchange:
            order = await exchange.create_order("BTC/USDT", "limit", "buy", 0.1, 48_000)
            locked = (await exchange.fetch_balance())["USDT"]["used"]
            await control(server, "POST", "/_chaos/step", {"steps": 40})  # through the crash
            filled = await exchange.fetch_order(order["id"], "BTC/USDT")
            after = await exchange.fetch_balance()
            return locked, filled, after

    locked, filled, after = run(scenario())
    assert locked == pytest.approx(0.1 * 48_000 * 1.0005)
    assert filled["status"] == "closed" and filled["average"] == pytest.approx(48_000)
    assert after["USDT"]["used"] == 0 and after["BTC"]["total"] == pytest.approx(1.1)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda ex: ex.publicGetTickerPrice({"symbol": "NOPEUSDT"}), ccxt.BadSymbol),
        (lambda ex: ex.cancel_order("999", "BTC/USDT"), ccxt.OrderNotFound),
        (lambda ex: ex.fetch_order("999", "BTC/USDT"), ccxt.OrderNotFound),
        (lambda ex: ex.create_order("BTC/USDT", "market", "buy", 10), ccxt.InsufficientFunds),
        (lambda ex: ex.create_order("BTC/USDT", "market", "buy", 0.00001), ccxt.InvalidOrder),
        (lambda ex: ex.privatePostOrder({"symbol": "BTCUSDT", "side": "BUY"}), ccxt.BadRequest),
        (lambda ex: ex.publicGetKlines({"symbol": "BTCUSDT", "interval": "7m"}), ccxt.BadRequest),
    ],
    ids=["-1121", "-2011", "-2013", "-2010", "-1013", "-1102", "-1120"],
)
def test_venue_errors_reach_ccxt_as_its_exceptions(call: Any, expected: type[Exception]) -> None:
    async def scenario() -> BaseException | None:
        async with serve() as server, client(server) as exchange:
            try:
                await call(exchange)
            except Exception as error:
                return error
            return None

    error = run(scenario())
    assert type(error) is expected or (
        expected is ccxt.InvalidOrder and isinstance(error, ccxt.BadRequest)
    ), repr(error)


@pytest.mark.parametrize(
    ("api_key", "secret"),
    [(TEST_API_KEY, "not-the-secret"), ("unknown-key", "riskbus-test-secret"), ("", "x")],
    ids=["wrong secret -1022", "unknown key -2015", "no key -2014"],
)
def test_bad_credentials_raise_authentication_error(api_key: str, secret: str) -> None:
    async def scenario() -> BaseException | None:
        async with serve() as server:
            exchange = ccxt_local(url=server.url, api_key=api_key, secret=secret)
            exchange.check_required_credentials = lambda error=True: True
            try:
                await exchange.load_markets()
                await exchange.fetch_balance()
            except Exception as error:
                return error
            finally:
                await exchange.close()
            return None

    assert isinstance(run(scenario()), ccxt.AuthenticationError)


def test_weight_headers_count_and_the_limit_answers_429_then_418() -> None:
    async def scenario() -> tuple[Any, ...]:
        async with serve(weight_limit=45) as server, client(server) as exchange:
            after_markets = dict(exchange.last_response_headers)
            await exchange.fetch_ticker("BTC/USDT")  # weight 2 → 22
            after_ticker = dict(exchange.last_response_headers)
            errors = []
            for _ in range(3):
                try:
                    await exchange.fetch_balance()  # weight 20 each: 42, then over
                except ccxt.DDoSProtection as error:
                    errors.append((str(error), dict(exchange.last_response_headers)))
            return after_markets, after_ticker, errors

    after_markets, after_ticker, errors = run(scenario())
    assert after_markets["X-MBX-USED-WEIGHT-1M"] == "20"  # exchangeInfo
    assert after_ticker["X-MBX-USED-WEIGHT"] == "22"
    assert len(errors) == 2
    assert " 429 " in errors[0][0] and '"code":-1003' in errors[0][0]
    assert int(errors[0][1]["Retry-After"]) >= 1
    assert " 418 " in errors[1][0] and "banned until" in errors[1][0]  # did not back off
    assert int(errors[1][1]["Retry-After"]) == 120


def test_the_sync_ccxt_client_works_against_a_server_thread() -> None:
    server = ExchangeServer(stepped())
    with ServerThread(server) as url:
        exchange = ccxt_local(url=url, asyncio=False)
        exchange.load_markets()
        ticker = exchange.fetch_ticker("ETH/USDT")
        order = exchange.create_order("ETH/USDT", "market", "sell", 0.5)
        balance = exchange.fetch_balance()
    assert ticker["last"] == 3000.0
    assert order["status"] == "closed"
    assert balance["ETH"]["total"] == pytest.approx(9.5)


def test_paths_outside_the_spot_api_get_a_binance_error_naming_them() -> None:
    async def scenario() -> tuple[int, Any]:
        async with serve() as server:
            return await control(server, "GET", "/sapi/v1/capital/config/getall")

    status, body = run(scenario())
    assert status == 404
    assert body["code"] == -1000 and "/sapi/v1/capital/config/getall" in body["msg"]


def test_a_client_with_ccxts_default_market_types_connects_and_sees_only_spot() -> None:
    async def scenario() -> list[str]:
        async with serve() as server:
            exchange = ccxt_local(url=server.url, options={"fetchMarkets": {}})
            try:
                markets = await exchange.load_markets()
            finally:
                await exchange.close()
            return sorted(markets)

    assert run(scenario()) == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
