"""The ccxt client against a Binance-shaped server on 127.0.0.1 (no internet).

Each test runs its own asyncio loop (``asyncio.run``) with a ``LiveClock`` on it, a bus
recording every event, and a fresh fake venue (``_http_venue``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock
from riskbus.core.errors import ConfigError, InvalidValueError, OperationalError, TransientError
from riskbus.core.messages import Event, HandlerFailed
from riskbus.exchange._ccxt_markets import instruments_from_markets
from riskbus.exchange.ccxt_client import CcxtClient, CcxtConfig, Credentials
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    FetchBalances,
    FetchOpenOrders,
    FetchPositions,
    FetchPrice,
    SubmitOrder,
)
from riskbus.model.enums import InstrumentKind, OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.events.account import Balance, BalancesFetched, OpenOrdersReport, PositionsReport
from riskbus.model.events.market import Candle, MarketPriceFetched, MarketPriceFetchFailed
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
)

from ._http_venue import API_KEY, SECRET, VenueServer

D = Decimal
E = TypeVar("E", bound=Event)
KEYS = Credentials(api_key=API_KEY, secret=SECRET)


@pytest.fixture
def server() -> Iterator[VenueServer]:
    with VenueServer() as running:
        yield running


class Harness:
    """A client on a live clock and a bus that records every event."""

    def __init__(self, url: str, credentials: Credentials = KEYS, **config: Any) -> None:
        self.clock = LiveClock()
        self.bus = EventBus(self.clock)
        self.events: list[Event] = []
        self.bus.subscribe(Event, self.events.append)
        settings: dict[str, Any] = {
            "venue": "binance",
            "api_base_url": url,
            "rate_limit_ms": 1,
            "market_types": ("spot",),
            "close_grace_ms": 0,
            "timeout_ms": 2_000,
        }
        settings.update(config)
        self.client = CcxtClient(
            self.bus, self.clock, CcxtConfig(**settings), credentials=credentials
        )
        self.client.attach(self.bus)

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.events if isinstance(event, kind)]

    def for_order(self, client_order_id: str) -> list[str]:
        return [
            type(e).__name__
            for e in self.events
            if getattr(e, "client_order_id", None) == client_order_id
        ]


def run(url: str, body: Callable[[Harness], Awaitable[None]], **config: Any) -> Harness:
    """Run ``body`` with a harness on a fresh loop; close the client whatever happens."""

    async def main() -> Harness:
        harness = Harness(url, **config)
        try:
            await body(harness)
            await harness.client.drain()
        finally:
            await harness.client.close()
        return harness

    return asyncio.run(main())


def order(client_order_id: str = "o1", **overrides: Any) -> SubmitOrder:
    fields: dict[str, Any] = {
        "ts": 0,
        "client_order_id": client_order_id,
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "quantity": D("0.01"),
    }
    fields.update(overrides)
    return SubmitOrder(**fields)


def posts(server: VenueServer) -> list[dict[str, str]]:
    return [p for m, path, p, _ in server.venue.requests if (m, path) == ("POST", "/api/v3/order")]


# -- markets --------------------------------------------------------------------------------


def test_connect_loads_the_markets_as_instruments(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        assert not h.client.connected
        await h.client.connect()

    h = run(server.url, body)
    btc = h.client.registry.get("BTC/USDT")
    assert h.client.registry.symbols == ("BTC/USDT", "ETH/USDT")
    assert (btc.kind, btc.base, btc.quote) == (InstrumentKind.SPOT, "BTC", "USDT")
    assert (btc.tick_size, btc.step_size, btc.min_size) == (D("0.01"), D("0.00001"), D("0.00001"))
    assert (btc.min_notional, btc.multiplier) == (D(5), D(1))
    assert h.client.registry.get("ETH/USDT").step_size == D("0.0001")
    assert h.client.skipped_markets == {"OLD/USDT": "inactive"}
    assert not h.client.connected  # closed at the end of run()


def _market(symbol: str, **fields: Any) -> dict[str, Any]:
    base, rest = symbol.split("/")
    market: dict[str, Any] = {
        "symbol": symbol,
        "base": base,
        "quote": rest.split(":")[0],
        "active": True,
        "spot": False,
        "swap": False,
        "future": False,
        "option": False,
        "inverse": False,
        "contractSize": None,
        "precision": {"price": 0.1, "amount": 0.001},
        "limits": {"amount": {"min": 0.001}, "cost": {"min": 5.0}},
    }
    market.update(fields)
    return market


def test_markets_become_spot_perp_and_future_instruments_and_the_rest_is_skipped() -> None:
    markets = {
        "BTC/USDT": _market("BTC/USDT", spot=True, precision={"price": 0.01, "amount": 1e-05}),
        "BTC/USDT:USDT": _market("BTC/USDT:USDT", swap=True, contractSize=0.01),
        "ETH/USD:USD-260327": _market("ETH/USD:USD-260327", future=True, contractSize=10),
        "BTC/USD:BTC": _market("BTC/USD:BTC", swap=True, inverse=True, contractSize=100),
        "BTC/USD:BTC-C": _market("BTC/USD:BTC-C", option=True),
        "LUNA/USDT": _market("LUNA/USDT", spot=True, active=False),
        "XRP/USDT": _market("XRP/USDT", spot=True, limits={"amount": {"min": 0.0015}}),
    }
    instruments, skipped = instruments_from_markets(markets, precision_mode=4, venue="okx")
    by_symbol = {i.symbol: i for i in instruments}
    assert sorted(by_symbol) == ["BTC/USDT", "BTC/USDT:USDT", "ETH/USD:USD-260327", "XRP/USDT"]
    perp = by_symbol["BTC/USDT:USDT"]
    assert (perp.kind, perp.multiplier, perp.tick_size, perp.step_size) == (
        InstrumentKind.PERP,
        D("0.01"),
        D("0.1"),
        D("0.001"),
    )
    future = by_symbol["ETH/USD:USD-260327"]
    assert (future.kind, future.multiplier) == (InstrumentKind.FUTURE, D(10))
    assert by_symbol["BTC/USDT"].step_size == D("0.00001")
    assert by_symbol["XRP/USDT"].min_size == D("0.002")  # rounded up onto the step
    assert by_symbol["XRP/USDT"].min_notional == 0
    assert skipped == {
        "BTC/USD:BTC": "inverse contract not modelled",
        "BTC/USD:BTC-C": "option not modelled",
        "LUNA/USDT": "inactive",
    }


def test_decimal_places_precision_gives_the_grid_and_significant_digits_are_skipped() -> None:
    markets = {"ADA/EUR": _market("ADA/EUR", spot=True, precision={"price": 4, "amount": 2})}
    (ada,), _ = instruments_from_markets(markets, precision_mode=2)
    assert (ada.tick_size, ada.step_size) == (D("0.0001"), D("0.01"))
    assert instruments_from_markets(markets, precision_mode=3) == (
        [],
        {"ADA/EUR": "no fixed price or amount grid"},
    )


# -- prices ---------------------------------------------------------------------------------


def test_fetch_price_publishes_the_quote_and_the_candles(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.bus.send(FetchPrice(ts=0, symbol="BTC/USDT", cycle_id="c1", candle_count=2))

    h = run(server.url, body)
    (fetched,) = h.of(MarketPriceFetched)
    assert (fetched.cycle_id, fetched.pair) == ("c1", "BTC/USDT")
    assert (fetched.current_price, fetched.current_buy_price, fetched.current_sell_price) == (
        D("100.50"),
        D("100.60"),
        D("100.40"),
    )
    assert fetched.candles == (
        Candle(
            ts=1_700_000_060_000 * 10**6,
            open=D(100),
            high=D(102),
            low=D(99),
            close=D(101),
            volume=D("10.5"),
        ),
        Candle(
            ts=1_700_000_120_000 * 10**6,
            open=D(101),
            high=D(103),
            low=D(100),
            close=D(102),
            volume=D("10.5"),
        ),
    )


def test_fetch_price_of_an_unknown_symbol_fails_without_asking_the_venue(
    server: VenueServer,
) -> None:
    async def body(h: Harness) -> None:
        h.bus.send(FetchPrice(ts=0, symbol="DOGE/USDT", cycle_id="c9"))

    h = run(server.url, body)
    (failed,) = h.of(MarketPriceFetchFailed)
    assert failed.error_message == "UNKNOWN_SYMBOL: symbol=DOGE/USDT, venue=binance"
    assert not [r for r in server.venue.requests if r[1] == "/api/v3/ticker/24hr"]


# -- orders ---------------------------------------------------------------------------------


def test_a_market_order_is_accepted_then_filled(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.client.submit(order("o1", strategy="ma"))

    h = run(server.url, body)
    assert h.for_order("o1") == ["OrderAccepted", "OrderFilled"]
    (accepted,) = h.of(OrderAccepted)
    (fill,) = h.of(OrderFilled)
    assert accepted.venue_order_id == "1001"
    assert (fill.fill_id, fill.last_qty, fill.last_price) == ("5001", D("0.01"), D("100.60"))
    assert (fill.cum_qty, fill.leaves_qty, fill.fee, fill.fee_currency) == (
        D("0.01"),
        D(0),
        D("0.001006"),
        "USDT",
    )
    assert (fill.side, fill.strategy, fill.venue_order_id) == (OrderSide.BUY, "ma", "1001")
    (sent,) = posts(server)
    assert (sent["newClientOrderId"], sent["quantity"], sent["type"]) == ("o1", "0.01", "MARKET")


def test_a_command_sent_from_another_thread_runs_on_the_loop(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        await h.client.connect()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, h.client.submit, order("t1"))
        await asyncio.sleep(0)  # let the loop start the task the worker thread handed over
        while not h.events:
            await h.client.drain()
            await asyncio.sleep(0.005)

    h = run(server.url, body)
    assert h.for_order("t1") == ["OrderAccepted", "OrderFilled"]


def test_a_command_before_the_clock_has_a_loop_is_a_wiring_error() -> None:
    client = CcxtClient(EventBus(), LiveClock(), CcxtConfig(venue="binance"), environ={})
    with pytest.raises(OperationalError, match="binance: the live clock has no event loop yet"):
        client.submit(order("early"))  # and no "coroutine was never awaited" warning


def test_a_resting_limit_order_is_reported_open_then_canceled(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.client.submit(order("o2", order_type=OrderType.LIMIT, price=D("90.00")))
        await h.client.drain()
        h.bus.send(FetchOpenOrders(ts=0, symbol="BTC/USDT", request_id="q1"))
        await h.client.drain()
        h.bus.send(CancelOrder(ts=0, client_order_id="o2", symbol="BTC/USDT", reason="user"))

    h = run(server.url, body)
    assert h.for_order("o2") == ["OrderAccepted", "OrderCanceled"]
    (report,) = h.of(OpenOrdersReport)
    (row,) = report.orders
    assert (report.request_id, row.client_order_id, row.venue_order_id) == ("q1", "o2", "1001")
    assert (row.status, row.order_type, row.price, row.quantity) == (
        OrderStatus.ACCEPTED,
        OrderType.LIMIT,
        D(90),
        D("0.01"),
    )
    (canceled,) = h.of(OrderCanceled)
    assert (canceled.reason, canceled.venue_order_id) == ("user", "1001")
    (sent,) = posts(server)
    assert (sent["price"], sent["timeInForce"]) == ("90", "GTC")


def test_an_ioc_limit_that_does_not_cross_expires(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.client.submit(
            order("o3", order_type=OrderType.LIMIT, price=D(90), time_in_force=TimeInForce.IOC)
        )

    h = run(server.url, body)
    assert h.for_order("o3") == ["OrderAccepted", "OrderExpired"]
    assert h.of(OrderExpired)[0].venue_order_id == "1001"


def test_canceling_an_order_the_venue_does_not_know_is_refused_with_a_code(
    server: VenueServer,
) -> None:
    async def body(h: Harness) -> None:
        h.bus.send(CancelOrder(ts=0, client_order_id="ghost", symbol="BTC/USDT"))

    h = run(server.url, body)
    (refused,) = h.of(OrderCancelRejected)
    assert refused.reason == "ORDER_NOT_FOUND: venue=binance, error=OrderNotFound"


def test_cancel_all_cancels_each_open_order(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        for n in (1, 2):
            h.client.submit(order(f"L{n}", order_type=OrderType.LIMIT, price=D(80 + n)))
        await h.client.drain()
        h.bus.send(CancelAllOrders(ts=0, symbol="BTC/USDT", reason="flatten"))

    h = run(server.url, body)
    assert sorted(e.client_order_id for e in h.of(OrderCanceled)) == ["L1", "L2"]
    assert {e.reason for e in h.of(OrderCanceled)} == {"flatten"}
    assert server.venue.orders == {}


def test_a_venue_rejection_is_order_rejected_with_a_reason_code(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.client.submit(order("big", quantity=D(100)))

    h = run(server.url, body)
    assert h.for_order("big") == ["OrderRejected"]
    (rejected,) = h.of(OrderRejected)
    assert rejected.code == "INSUFFICIENT_BALANCE"
    assert rejected.reason == "INSUFFICIENT_BALANCE: venue=binance, error=InsufficientFunds"


def test_an_order_off_the_grid_is_rejected_before_it_is_sent(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.client.submit(order("odd", quantity=D("0.000001")))

    h = run(server.url, body)
    (rejected,) = h.of(OrderRejected)
    assert rejected.code == "INVALID_ORDER"
    assert rejected.reason.startswith("INVALID_ORDER: field=quantity, value=0.000001")
    assert posts(server) == []


@pytest.mark.parametrize(
    ("status", "payload", "code"),
    [
        (
            500,
            {"code": -1000, "msg": "An unknown error occurred while processing the request."},
            "VENUE_UNAVAILABLE",
        ),
        (500, "Internal Server Error", "VENUE_UNAVAILABLE"),
        (503, "Service Unavailable", "VENUE_UNAVAILABLE"),
        (504, "Gateway Timeout", "VENUE_TIMEOUT"),
        (
            400,
            {"code": -1007, "msg": "Timeout waiting for response from backend server."},
            "VENUE_TIMEOUT",
        ),
    ],
)
def test_a_5xx_or_backend_timeout_on_submit_leaves_the_outcome_unknown(
    server: VenueServer, status: int, payload: Any, code: str
) -> None:
    server.venue.order_faults.append(("status", status, payload))

    async def body(h: Harness) -> None:
        h.client.submit(order("u1"))

    h = run(server.url, body)
    assert h.for_order("u1") == ["OrderStatusUnknown"]
    (unknown,) = h.of(OrderStatusUnknown)
    assert (unknown.operation, unknown.error.split(":")[0]) == ("submit", code)
    assert len(posts(server)) == 1


def test_a_request_timeout_on_submit_leaves_the_outcome_unknown(server: VenueServer) -> None:
    server.venue.order_faults.append(("hang",))

    async def body(h: Harness) -> None:
        await h.client.connect()
        h.client.submit(order("slow"))

    h = run(server.url, body, timeout_ms=300)
    (unknown,) = h.of(OrderStatusUnknown)
    assert unknown.error == "VENUE_TIMEOUT: venue=binance, error=RequestTimeout"
    assert h.of(OrderRejected) == []


def test_an_unreachable_venue_rejects_the_order_it_never_sent() -> None:
    async def body(h: Harness) -> None:
        h.client.submit(order("x1"))

    h = run("http://127.0.0.1:9", body)  # the discard port: nothing listens
    (rejected,) = h.of(OrderRejected)
    assert rejected.code == "VENUE_UNAVAILABLE"
    assert h.of(OrderStatusUnknown) == []


def test_connect_failure_raises_the_mapped_error() -> None:
    async def body(h: Harness) -> None:
        with pytest.raises(TransientError, match="binance connect: VENUE_UNAVAILABLE"):
            await h.client.connect()
        assert not h.client.connected

    run("http://127.0.0.1:9", body)


# -- account --------------------------------------------------------------------------------


def test_balances_positions_and_a_failed_query(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.bus.send(FetchBalances(ts=0, request_id="b1"))
        h.bus.send(FetchPositions(ts=0, request_id="p1"))

    h = run(server.url, body)
    (balances,) = h.of(BalancesFetched)
    assert balances.request_id == "b1"
    assert balances.balances == (
        Balance(currency="BTC", total=D("0.5"), free=D("0.5")),
        Balance(currency="USDT", total=D(1000), free=D(1000)),
    )
    (positions,) = h.of(PositionsReport)
    assert (positions.positions, positions.request_id) == ((), "p1")  # spot only


def test_a_query_the_venue_refuses_is_reported_as_handler_failed(server: VenueServer) -> None:
    async def body(h: Harness) -> None:
        h.bus.send(FetchBalances(ts=0))

    h = run(server.url, body, credentials=Credentials(api_key="wrong-key-000", secret=SECRET))
    (failed,) = h.of(HandlerFailed)
    assert (failed.handler, failed.message_name, failed.error_type) == (
        "exchange:binance",
        "FetchBalances",
        "AuthenticationError",
    )
    assert "AUTHENTICATION_FAILED" in failed.error
    assert "wrong-key-000" not in failed.error


# -- safety ---------------------------------------------------------------------------------


def test_keys_never_reach_logs_reprs_errors_or_events(
    server: VenueServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The venue echoes the key back in an error body; the client must still not repeat it.
    server.venue.order_faults.append(
        ("status", 400, {"code": -1100, "msg": f"Illegal characters in key {API_KEY}"})
    )
    caplog.set_level(logging.DEBUG, logger="riskbus")

    async def body(h: Harness) -> None:
        h.client.submit(order("leak"))
        h.bus.send(FetchBalances(ts=0))

    h = run(server.url, body)
    texts = [caplog.text, repr(h.client), str(h.client), repr(KEYS), str(KEYS)]
    texts += [str(h.client.last_error), repr(h.client.last_error)]
    texts += [repr(event) for event in h.events]
    assert "X-MBX-APIKEY" in caplog.text  # the wire log ran at DEBUG ...
    assert "signature=***" in caplog.text  # ... with its signatures masked
    for text in texts:
        assert API_KEY not in text
        assert SECRET not in text
    assert repr(KEYS) == "Credentials(set=['api_key', 'secret'])"
    assert h.of(OrderRejected)[0].code == "BAD_REQUEST"


def test_credentials_come_from_the_environment() -> None:
    env = {
        "RISKBUS_COINBASE_API_KEY": "k-123456",
        "RISKBUS_COINBASE_SECRET": "s-123456",
        "RISKBUS_COINBASE_PASSWORD": "p-123456",
    }
    creds = Credentials.from_env("coinbase", env)
    assert creds.ccxt_config() == {
        "apiKey": "k-123456",
        "secret": "s-123456",
        "password": "p-123456",
    }
    assert repr(creds) == "Credentials(set=['api_key', 'secret', 'password'])"
    client = CcxtClient(EventBus(), LiveClock(), CcxtConfig(venue="coinbase"), environ=env)
    assert client.has_credentials
    assert "k-123456" not in repr(client)
    assert not CcxtClient(
        EventBus(), LiveClock(), CcxtConfig(venue="kraken"), environ={}
    ).has_credentials


@pytest.mark.parametrize("venue", ["binance", "coinbase", "kraken"])
def test_every_venue_is_built_with_the_rate_limiter_on(venue: str) -> None:
    client = CcxtClient(EventBus(), LiveClock(), CcxtConfig(venue=venue), environ={})
    exchange = client._exchange
    assert exchange.enableRateLimit is True
    assert exchange.verbose is False
    assert exchange.timeout == 10_000
    assert client.venue == venue


def test_sandbox_switches_to_the_test_urls_and_is_refused_where_there_is_none() -> None:
    client = CcxtClient(
        EventBus(), LiveClock(), CcxtConfig(venue="binance", sandbox=True), environ={}
    )
    assert client._exchange.urls["api"]["public"] == "https://testnet.binance.vision/api/v3"
    with pytest.raises(ConfigError, match="sandbox: kraken has no sandbox"):
        CcxtClient(EventBus(), LiveClock(), CcxtConfig(venue="kraken", sandbox=True), environ={})


def test_api_base_url_rewrites_every_rest_section() -> None:
    config = CcxtConfig(venue="binance", api_base_url="http://127.0.0.1:8080")
    urls = CcxtClient(EventBus(), LiveClock(), config, environ={})._exchange.urls["api"]
    assert urls["public"] == "http://127.0.0.1:8080/api/v3"
    assert urls["fapiPublic"] == "http://127.0.0.1:8080/fapi/v1"
    assert all(u.startswith("http://127.0.0.1:8080/") for u in urls.values())


def test_an_unknown_venue_id_is_refused_with_close_ids() -> None:
    with pytest.raises(InvalidValueError) as caught:
        CcxtConfig(venue="binanse")
    assert caught.value.field == "venue"
    assert str(caught.value).startswith(
        "venue: unknown venue id 'binanse': not a ccxt exchange id and not registered; "
        "did you mean binance"
    )
