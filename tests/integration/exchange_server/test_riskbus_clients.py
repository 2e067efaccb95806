"""riskbus's own ccxt client and the live bot runner against the exchange server.

They must survive an outage and a lost acknowledgement (HTTP 5xx after the order was
placed) without placing any order twice: the client order id makes a resubmission a
refused duplicate on the venue.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from riskbus.bot.runner import BotConfig, BotReport, BotRunner
from riskbus.bot.strategy import Strategy, StrategyContext
from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock
from riskbus.core.messages import Event
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.ccxt_client import CcxtClient, CcxtConfig, Credentials
from riskbus.exchange.server import TEST_API_KEY, TEST_SECRET, ExchangeServer
from riskbus.model.commands import FetchBalances, FetchFills, FetchPrice, SubmitOrder
from riskbus.model.enums import LiquiditySide, OrderSide, OrderType
from riskbus.model.events.account import FillsFetched
from riskbus.model.events.bot import BotMonitoringCycleCompleted
from riskbus.model.events.orders import OrderFilled, OrderStatusUnknown, OrderSubmitted
from riskbus.risk.gate import OrderGateway
from tests.integration.exchange_server._support import arm, client, control, serve, stepped

ENV = {"RISKBUS_BINANCE_API_KEY": TEST_API_KEY, "RISKBUS_BINANCE_SECRET": TEST_SECRET}


def _client(server: ExchangeServer, bus: EventBus, clock: LiveClock) -> CcxtClient:
    config = CcxtConfig(
        venue="binance",
        api_base_url=server.url,
        market_types=("spot",),
        timeout_ms=2000,
        rate_limit_ms=1,
    )
    return CcxtClient(bus, clock, config, credentials=Credentials.from_env("binance", ENV))


async def _connected(server: ExchangeServer) -> tuple[CcxtClient, EventBus, list[Event]]:
    """Our ccxt client on ``server``, connected and attached to a bus that records events."""
    clock = LiveClock()
    bus = EventBus(clock)
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    client = _client(server, bus, clock)
    await client.connect()
    client.attach(bus)
    return client, bus, events


def _order(client_order_id: str) -> SubmitOrder:
    return SubmitOrder(
        ts=0,
        client_order_id=client_order_id,
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        quantity=Decimal("0.01"),
    )


def test_ccxt_client_fetches_trades_and_reads_balances() -> None:
    async def scenario() -> list[Event]:
        async with serve() as server:
            client, bus, events = await _connected(server)
            bus.send(FetchPrice(ts=0, symbol="BTC/USDT", cycle_id="1", candle_count=3))
            await client.drain()
            client.submit(_order("rb-trade-1"))
            await client.drain()
            bus.send(FetchBalances(ts=0, request_id="b1"))
            await client.drain()
            await client.close()
            return events

    events = asyncio.run(scenario())
    names = [type(e).__name__ for e in events]
    assert names == ["MarketPriceFetched", "OrderAccepted", "OrderFilled", "BalancesFetched"]
    price, accepted, filled, balances = events
    assert price.current_price == Decimal(50_000)  # type: ignore[attr-defined]
    assert len(price.candles) == 1  # type: ignore[attr-defined]  # only step 0 exists yet
    assert accepted.venue_order_id == "1"  # type: ignore[attr-defined]
    assert filled.last_price == Decimal(50_050)  # type: ignore[attr-defined]
    rows = {b.currency: b.total for b in balances.balances}  # type: ignore[attr-defined]
    assert rows["BTC"] == Decimal("1.01")


def test_ccxt_client_survives_an_outage_and_a_lost_ack_without_a_duplicate() -> None:
    async def scenario() -> tuple[list[Event], int, Any]:
        async with serve() as server:
            client, bus, events = await _connected(server)
            arm(
                server,
                {"kind": "outage", "first": 2, "match": {"path": "/api/v3/ticker"}},
                {
                    "kind": "server_error",
                    "first": 1,
                    "match": {"method": "POST", "path": "/api/v3/order"},
                },
            )
            for cycle in ("1", "2", "3"):
                bus.send(FetchPrice(ts=0, symbol="BTC/USDT", cycle_id=cycle))
                await client.drain()
            client.submit(_order("rb-lost-ack"))  # placed; the answer is a 503
            await client.drain()
            client.submit(_order("rb-lost-ack"))  # the resubmission is refused
            await client.drain()
            await client.close()
            status = server.venue.exchange.order_status("rb-lost-ack")
            return events, server.venue.order_count(), status

    events, orders, status = asyncio.run(scenario())
    names = [type(e).__name__ for e in events]
    assert names == [
        "MarketPriceFetchFailed",
        "MarketPriceFetchFailed",
        "MarketPriceFetched",
        "OrderStatusUnknown",
        "OrderRejected",
    ]
    assert "VENUE_UNAVAILABLE" in events[0].error_message  # type: ignore[attr-defined]
    assert events[3].operation == "submit"  # type: ignore[attr-defined]
    assert orders == 1  # placed exactly once
    assert status is not None and status.filled_qty == Decimal("0.01")


class BuyTwice(Strategy):
    """Buys 0.01 BTC in cycles 2 and 4, one pool each."""

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        current = ctx.cycle
        assert current is not None
        if cycle in (2, 4):
            current.buy(current.pools[cycle // 2 - 1], Decimal("0.01"))


def test_live_bot_survives_an_outage_and_a_lost_ack_without_duplicating_an_order() -> None:
    async def scenario() -> tuple[BotReport, list[Event], set[str], int]:
        async with serve() as server:
            arm(
                server,
                {
                    "kind": "server_error",
                    "first": 1,
                    "match": {"method": "POST", "path": "/api/v3/order"},
                },
                {"kind": "outage", "skip": 4, "first": 2, "match": {"path": "/api/v3/ticker"}},
            )
            client, bus, events = await _connected(server)
            clock = client.clock
            OrderGateway(bus, clock, client.submit, registry=client.registry).attach()
            account = AccountTracker(bus, clock, client.registry).attach()
            config = BotConfig(name="live", poll_interval=0.05, max_cycles=8)
            runner = BotRunner(
                bus,
                clock,
                BuyTwice(),
                client.registry,
                config=config,
                portfolio=account.portfolio,
            )
            done = asyncio.Event()
            bus.subscribe(
                BotMonitoringCycleCompleted,
                lambda _: None if runner.running else done.set(),
            )
            runner.start()
            await asyncio.wait_for(done.wait(), 60)
            await client.close()
            venue = server.venue
            on_venue = {str(o["clientOrderId"]) for o in venue.all_orders({"symbol": "BTCUSDT"})}
            return runner.report, events, on_venue, venue.order_count()

    report, events, on_venue, orders = asyncio.run(scenario())
    assert report.cycles == 8
    assert report.failed_fetches == 2  # cycles 5 and 6 hit the outage
    submitted = [e.client_order_id for e in events if isinstance(e, OrderSubmitted)]
    unknown = [e.client_order_id for e in events if isinstance(e, OrderStatusUnknown)]
    assert len(submitted) == len(set(submitted)) == 2
    assert unknown == submitted[:1]  # the first order's acknowledgement was lost
    assert on_venue == set(submitted) and orders == 2  # each order placed exactly once
    assert report.purchases_by_cycle == [4]


def test_fills_made_later_or_elsewhere_are_fetched_once_each() -> None:
    """A resting order filled since, and an order another program placed, are in the
    account's trade history only: FetchFills reports them, and nothing twice."""

    async def scenario() -> list[Event]:
        async with serve(stepped("flash_crash")) as server:
            ours, bus, events = await _connected(server)
            bus.send(FetchFills(ts=0, symbol="BTC/USDT", request_id="f0"))  # the baseline
            await ours.drain()
            ours.submit(_order("rb-market"))  # filled at once: reported from the answer
            ours.submit(
                SubmitOrder(
                    ts=0,
                    client_order_id="rb-limit",
                    symbol="BTC/USDT",
                    side=OrderSide.BUY,
                    quantity=Decimal("0.1"),
                    order_type=OrderType.LIMIT,
                    price=Decimal(48_000),
                )
            )
            await ours.drain()
            async with client(server) as other:  # another program on the same account
                await other.create_order("BTC/USDT", "market", "sell", 0.02)
            await control(server, "POST", "/_chaos/step", {"steps": 40})  # the limit fills
            for n in (1, 2):
                bus.send(FetchFills(ts=0, symbol="BTC/USDT", request_id=f"f{n}"))
                await ours.drain()
            await ours.close()
            return events

    events = asyncio.run(scenario())
    fetched = [e for e in events if isinstance(e, FillsFetched)]
    assert [(f.request_id, f.count, f.baseline) for f in fetched] == [
        ("f0", 0, True),
        ("f1", 2, False),
        ("f2", 0, False),
    ]
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert [(f.client_order_id, f.side, f.last_qty) for f in fills] == [
        ("rb-market", OrderSide.BUY, Decimal("0.01")),  # from the order's answer
        ("binance-3", OrderSide.SELL, Decimal("0.02")),  # the other program's, venue id 3
        ("rb-limit", OrderSide.BUY, Decimal("0.1")),  # the resting order, at its price
    ]
    limit = fills[-1]
    assert limit.last_price == Decimal(48_000) and limit.liquidity is LiquiditySide.MAKER
    assert (limit.cum_qty, limit.leaves_qty) == (Decimal("0.1"), 0)
    assert len({f.fill_id for f in fills}) == 3
