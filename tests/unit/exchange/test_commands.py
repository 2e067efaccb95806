"""Bus commands, latency, queries and derivatives of the simulated exchange."""

from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.core.errors import HandlerWiringError, InvalidValueError
from riskbus.exchange import SimulatedExchangeConfig
from riskbus.model import OrderSide, OrderType
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    FetchBalances,
    FetchFills,
    FetchOpenOrders,
    FetchPositions,
    FetchPrice,
)
from riskbus.model.events.account import (
    BalancesFetched,
    FillsFetched,
    OpenOrdersReport,
    PositionsReport,
)
from riskbus.model.events.market import MarketPriceFetched, MarketPriceFetchFailed
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
)

from .helpers import Venue

D = Decimal


def test_attach_registers_the_commands_once() -> None:
    venue = Venue()
    assert venue.bus.has_handler(FetchPrice)
    with pytest.raises(HandlerWiringError):
        venue.exchange.attach(venue.bus)


def test_fetch_price_answers_with_quote_and_cycle_id() -> None:
    venue = Venue(spread_bps=20.0)
    venue.bus.send(FetchPrice(ts=0, symbol="BTC/USDT", cycle_id="c9"))
    venue.bus.send(FetchPrice(ts=0, symbol="NOPE", cycle_id="c10"))
    (fetched,) = venue.of(MarketPriceFetched)
    assert (fetched.cycle_id, fetched.current_price) == ("c9", D(100))
    assert (fetched.current_buy_price, fetched.current_sell_price) == (D("100.10"), D("99.90"))
    assert venue.of(MarketPriceFetchFailed)[0].error_message == "UNKNOWN_SYMBOL: symbol=NOPE"


def test_fetch_fills_answers_none_new_every_fill_was_published_when_made() -> None:
    venue = Venue(latency={"fetch": 20})
    venue.submit()
    venue.sim.run_for(5)
    venue.bus.send(FetchFills(ts=0, symbol="BTC/USDT", request_id="f1"))
    assert venue.of(FillsFetched) == []  # after the fetch latency
    venue.sim.run_for(20)
    (fetched,) = venue.of(FillsFetched)
    assert (fetched.symbol, fetched.count, fetched.baseline, fetched.request_id) == (
        "BTC/USDT",
        0,
        False,
        "f1",
    )
    assert len(venue.of(OrderFilled)) == 1  # the submit's own fill, not a second one


def test_latency_per_command_kind_delays_answers_on_the_clock() -> None:
    venue = Venue(latency={"submit": 50, "fetch": 20}, latency_jitter=5)
    start = venue.sim.now()
    venue.submit()
    venue.bus.send(FetchPrice(ts=0, symbol="BTC/USDT"))
    assert venue.events == []
    venue.sim.run_for(100)
    fetched = venue.of(MarketPriceFetched)[0]
    accepted = venue.of(OrderAccepted)[0]
    assert 20 <= fetched.ts - start <= 25
    assert 50 <= accepted.ts - start <= 55


def test_cancel_and_cancel_all_remove_open_orders() -> None:
    venue = Venue(prices={"BTC/USDT": [100.0], "ETH/USDT": [10.0]})
    for n, symbol in enumerate(["BTC/USDT", "BTC/USDT", "ETH/USDT"]):
        venue.submit(client_order_id=f"o{n}", symbol=symbol, order_type=OrderType.LIMIT, price=D(6))
    venue.bus.send(CancelOrder(ts=0, client_order_id="o0", symbol="BTC/USDT", reason="user"))
    venue.bus.send(CancelOrder(ts=0, client_order_id="o0", symbol="BTC/USDT"))
    venue.bus.send(CancelAllOrders(ts=0, symbol="ETH/USDT"))
    assert [(c.client_order_id, c.reason) for c in venue.of(OrderCanceled)] == [
        ("o0", "user"),
        ("o2", "CANCELED"),
    ]
    assert venue.of(OrderCancelRejected)[0].reason == "ORDER_NOT_OPEN: client_order_id=o0"
    venue.bus.send(FetchOpenOrders(ts=0, request_id="r1"))
    (report,) = venue.of(OpenOrdersReport)
    assert ([o.client_order_id for o in report.orders], report.request_id) == (["o1"], "r1")
    venue.bus.send(CancelAllOrders(ts=0))
    assert venue.exchange.open_orders() == ()


def test_fetch_balances_and_positions_report_the_account() -> None:
    venue = Venue(prices={"MNQ": [20_000.0, 20_010.0]}, balances={"USD": 10_000})
    venue.submit(symbol="MNQ", quantity=D(2))
    venue.exchange.advance()
    venue.submit(client_order_id="o2", symbol="MNQ", side=OrderSide.SELL, quantity=D(1))
    venue.bus.send(FetchBalances(ts=0, request_id="b"))
    venue.bus.send(FetchPositions(ts=0, request_id="p"))
    (balances,) = venue.of(BalancesFetched)
    fees = sum((f.fee for f in venue.of(OrderFilled)), D(0))
    # one contract closed 10 points higher: 10 × multiplier 2 = 20 USD, minus fees
    assert balances.balances[0].total == D(10_000) + D(20) - fees
    (positions,) = venue.of(PositionsReport)
    assert [(p.symbol, p.quantity, p.avg_price) for p in positions.positions] == [
        ("MNQ", 1, D(20_000))
    ]


def test_derivative_order_needs_margin() -> None:
    venue = Venue(prices={"MNQ": [20_000.0]}, balances={"USD": 100})
    venue.submit(symbol="MNQ")
    assert venue.of(OrderFilled) == []
    venue = Venue(prices={"MNQ": [20_000.0]}, balances={"USD": 5_000})
    venue.submit(symbol="MNQ")  # notional 40,000 × 10% margin = 4,000
    assert venue.of(OrderFilled)[0].fee == D(40_000) * D("0.0005")


@pytest.mark.parametrize(
    "bad",
    [
        {"slippage_bps": D(-1)},
        {"volume_per_step": D(0)},
        {"max_volume_share": D(0)},
        {"limit_fill_probability": 1.5},
        {"margin_rate": D(2)},
        {"latency": {"teleport": 1}},
        {"latency": {"submit": -1}},
        {"latency": 50_000_000},
    ],
)
def test_config_refuses_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidValueError) as info:
        SimulatedExchangeConfig(**bad)  # type: ignore[arg-type]
    assert info.value.field == next(iter(bad))  # the message names the offending field


def test_same_seed_gives_the_same_events() -> None:
    runs = []
    for _ in range(2):
        venue = Venue(
            prices={"BTC/USDT": [100.0, 98.0, 97.0, 96.0]},
            slippage_bps=D(50),
            latency={"submit": 10},
            latency_jitter=7,
            limit_fill_probability=0.5,
        )
        venue.submit(client_order_id="m")
        venue.submit(client_order_id="l", order_type=OrderType.LIMIT, price=D("99.00"))
        for _ in range(3):
            venue.sim.run_for(20)
            venue.exchange.advance()
        runs.append(venue.events)
    assert runs[0] == runs[1]
    assert len(runs[0]) >= 3
