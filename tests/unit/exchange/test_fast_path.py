"""The market-order fast path of ``SimulatedExchange.submit`` is the general path, faster.

Every run here goes twice: through ``submit`` (which takes the fast path whenever it may)
and through ``_place`` (the general path, always). Events, their JSON (down to each
Decimal's exponent), balances, locks, order reports and trades must be identical.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Event, HandlerFailed
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange
from riskbus.exchange.faults import Faults
from riskbus.market.path import PricePath
from riskbus.model import OrderSide, OrderType, SubmitOrder, default_registry
from riskbus.model.enums import InstrumentKind, OrderStatus
from riskbus.model.events.orders import OrderFilled, OrderRejected
from riskbus.model.instruments import Instrument

from .helpers import Venue, order

D = Decimal

# Sizes with every exponent shape: equal values written differently, off the step grid,
# below the minimum, zero, and large enough to exceed the step volume or the funds.
# 0.05 is worth 5 (the minimum notional) at 100: refused on the bid side, taken on the ask.
_SIZES = ["1", "1.0", "1.50", "0.5", "0.05", "1E+1", "10", "0.00001", "0.000001", "1.000001"]
_SIZES += ["0", "3", "25"]

Action = tuple[str, OrderSide, str, int]

_ACTION = st.tuples(
    st.sampled_from(
        [
            *("market", "market", "market", "reduce", "limit", "stop"),
            *("reject", "lose_ack", "gap", "stale", "clear"),  # faults, armed before the order
        ]
    ),
    st.sampled_from([OrderSide.BUY, OrderSide.SELL]),
    st.sampled_from(_SIZES),
    st.integers(min_value=0, max_value=1),  # steps to advance afterwards
)


def _venue(usdt: int = 700, **config: Any) -> Venue:
    return Venue(
        prices={"BTC/USDT": [100.0, 101.0, 99.5, 103.0, 97.0, 100.0]},
        balances={"USDT": usdt, "BTC": 12},  # by default a few buys of 3 exhaust the cash
        spread_bps=20.0,
        volume_per_step=D(40),  # 4 units per step for all orders together
        **config,
    )


def _run(actions: list[Action], fast: bool, **config: Any) -> Venue:
    venue = _venue(**config)
    exchange = venue.exchange
    place = exchange.submit if fast else exchange._place
    for n, (kind, side, size, steps) in enumerate(actions):
        price = exchange.quote("BTC/USDT").price
        overrides: dict[str, Any] = {"client_order_id": f"o{n % 13}", "side": side}
        faults = exchange.faults
        if kind == "limit":
            overrides.update(order_type=OrderType.LIMIT, price=price - D(1))
        elif kind == "stop":
            overrides.update(order_type=OrderType.STOP, stop_price=price + D(1))
        elif kind == "reduce":
            overrides.update(reduce_only=True)
        elif kind == "reject":
            faults.reject_next()
        elif kind == "lose_ack":
            faults.lose_next_ack()
        elif kind == "gap":
            faults.price_gap(-2)
        elif kind == "stale":
            faults.stale_prices(exchange.step)
        elif kind == "clear":
            faults.clear()
        place(order(quantity=D(size), **overrides))
        exchange.advance(steps)
    return venue


def _state(venue: Venue, actions: list[Action]) -> tuple[Any, ...]:
    exchange = venue.exchange
    account = exchange.account
    ids = {f"o{n % 13}" for n in range(len(actions))}
    return (
        [msgspec.json.encode(event) for event in venue.events],
        account.balances,
        account.reservations,
        [msgspec.json.encode(exchange.order_status(i)) for i in sorted(ids)],
        [msgspec.json.encode(fill) for fill in exchange.trades],
    )


@settings(max_examples=80, deadline=None)
@given(st.lists(_ACTION, min_size=1, max_size=25))
def test_submit_equals_the_general_path(actions: list[Action]) -> None:
    assert _state(_run(actions, fast=True), actions) == _state(_run(actions, fast=False), actions)


@settings(max_examples=20, deadline=None)
@given(st.lists(_ACTION, min_size=1, max_size=15))
def test_submit_equals_the_general_path_with_fees_and_slippage(actions: list[Action]) -> None:
    config: dict[str, Any] = {"taker_fee": D("0.001"), "maker_fee": D("-0.0001")}
    config["slippage_bps"] = D(3)
    fast = _run(actions, fast=True, **config)
    general = _run(actions, fast=False, **config)
    assert _state(fast, actions) == _state(general, actions)


def test_fill_quantities_keep_the_exponents_of_the_order_size() -> None:
    venue = _venue(usdt=3_000)
    sizes = ["1.50", "1.5", "1.50", "1E+1"]  # the third hits the cached size; 1E+1 is too big
    for n, size in enumerate(sizes):
        venue.submit(client_order_id=f"o{n}", quantity=D(size))
        venue.exchange.advance()
    venue.exchange.advance()
    fills = venue.of(OrderFilled)
    assert [
        (f.client_order_id, str(f.last_qty), str(f.cum_qty), str(f.leaves_qty)) for f in fills
    ] == [
        ("o0", "1.50", "1.50", "0.00"),
        ("o1", "1.5", "1.5", "0.0"),
        ("o2", "1.50", "1.50", "0.00"),
        ("o3", "4.0", "4.0", "6.0"),  # 4 units per step: the rest waits for the next steps
        ("o3", "4.0", "8.0", "2.0"),
        ("o3", "2.0", "10.0", "0.0"),
    ]
    assert [f.fill_id for f in fills] == [f"SIMT-00000{k}" for k in range(1, 7)]
    report = venue.exchange.order_status("o0")
    assert report is not None
    assert str(report.avg_fill_price) == "100.10"
    assert str(report.filled_qty) == "1.50"


def test_a_rejection_after_a_fast_fill_still_names_its_reason() -> None:
    venue = _venue(usdt=3_000)
    venue.submit(client_order_id="a", quantity=D(1))
    venue.submit(client_order_id="b", quantity=D(1), side=OrderSide.SELL)
    venue.submit(client_order_id="d", quantity=D("1.000001"))  # off the step grid
    venue.submit(client_order_id="c", quantity=D(3))  # 4 units per step: 2 left
    venue.submit(client_order_id="a", quantity=D(1))  # a duplicate id
    rejected = venue.of(OrderRejected)
    assert [(r.client_order_id, r.code) for r in rejected] == [
        ("d", "STEP_SIZE"),
        ("a", "DUPLICATE_ORDER"),
    ]
    fills = venue.of(OrderFilled)
    assert [(f.client_order_id, str(f.last_qty), str(f.leaves_qty)) for f in fills] == [
        ("a", "1", "0"),
        ("b", "1", "0"),
        ("c", "2.0", "1.0"),  # the rest of the step volume (4 - 2), as the general path writes it
    ]
    assert venue.exchange.account.balance("BTC") == D(12) + 1 - 1 + 2


def test_fast_fills_stop_at_the_free_cash_and_the_minimum_notional() -> None:
    venue = _venue()  # 700 USDT
    venue.submit(client_order_id="t", quantity=D("0.05"))  # 5.005 at the ask: taken
    venue.submit(client_order_id="s", quantity=D("0.05"), side=OrderSide.SELL)  # 4.995 at the bid
    for n in range(3):
        venue.submit(client_order_id=f"b{n}", quantity=D(3))  # 300.30 + fee each
        venue.exchange.advance()
    rejected = venue.of(OrderRejected)
    assert [(r.client_order_id, r.code) for r in rejected] == [
        ("s", "MIN_NOTIONAL"),
        ("b2", "INSUFFICIENT_BALANCE"),
    ]
    assert [f.client_order_id for f in venue.of(OrderFilled)] == ["t", "b0", "b1"]


def _coarse_venue() -> tuple[SimulatedExchange, list[Event]]:
    """A venue trading XYZ/USDT on a tick of 10: its prices have a positive exponent."""
    sim = Simulator()
    bus = EventBus(sim.clock)
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    registry = default_registry()
    registry.add(
        Instrument(
            symbol="XYZ/USDT",
            kind=InstrumentKind.SPOT,
            base="XYZ",
            quote="USDT",
            tick_size=D("1E+1"),
            step_size=D(1),
            min_size=D(1),
        )
    )
    market = {"XYZ/USDT": PricePath(np.array([1234.0, 1240.0]))}
    balances = {"USDT": 100_000, "XYZ": 10}
    exchange = SimulatedExchange(bus, sim.clock, Seeds(1), registry, market, balances=balances)
    return exchange, events


def test_a_coarse_tick_gives_the_general_path_exponents() -> None:
    runs = []
    for fast in (True, False):
        exchange, events = _coarse_venue()
        place = exchange.submit if fast else exchange._place
        for n, side in enumerate([OrderSide.BUY, OrderSide.SELL, OrderSide.BUY]):
            place(order(client_order_id=f"o{n}", symbol="XYZ/USDT", side=side, quantity=D(2)))
        reports = [exchange.order_status(f"o{n}") for n in range(3)]
        runs.append(([msgspec.json.encode(e) for e in events], reports))
    assert runs[0] == runs[1]
    fills = [e for e in runs[0][0] if b"OrderFilled" in e]
    assert len(fills) == 3
    report = runs[0][1][2]  # the size is known by then: the fast path took it
    assert report is not None
    assert str(report.avg_fill_price) == "1240"  # (0 + 2 x 1.24E+3) / 2: not "1.24E+3"


Script = Callable[[SimulatedExchange, Callable[[SubmitOrder], None]], None]


def _both(script: Script) -> list[bytes]:
    """Run ``script`` through ``submit`` and through ``_place``; return the events (JSON)."""
    runs = []
    for fast in (True, False):
        venue = _venue()
        exchange = venue.exchange
        script(exchange, exchange.submit if fast else exchange._place)
        runs.append(_state(venue, []))
    assert runs[0] == runs[1]
    events: list[bytes] = runs[0][0]
    return events


def _warm(place: Callable[[SubmitOrder], None]) -> None:
    """Make size 1 known (the fast path takes it from then on)."""
    place(order(client_order_id="w", quantity=D(1)))


@pytest.mark.parametrize(
    ("arm", "code"),
    [
        (lambda f, now: f.reject_next(), b"REJECTED_BY_VENUE"),
        (lambda f, now: f.lose_next_ack(), b"OrderStatusUnknown"),
        (lambda f, now: f.price_gap(-5), b'"last_price":"95.10"'),
        (lambda f, now: f.outage(now, now + 10), b"VENUE_UNAVAILABLE"),
        (lambda f, now: f.rate_limit(1, 10), b"RATE_LIMITED"),
    ],
)
def test_armed_faults_take_the_general_path(
    arm: Callable[[Faults, int], None], code: bytes
) -> None:
    def script(exchange: SimulatedExchange, place: Callable[[SubmitOrder], None]) -> None:
        _warm(place)
        arm(exchange.faults, exchange.clock.now())
        place(order(client_order_id="a", quantity=D(1)))
        place(order(client_order_id="b", quantity=D(1)))

    events = _both(script)
    assert any(code in event for event in events)


def test_stale_prices_take_the_general_path() -> None:
    def script(exchange: SimulatedExchange, place: Callable[[SubmitOrder], None]) -> None:
        _warm(place)
        exchange.faults.stale_prices(0)
        exchange.advance()
        place(order(client_order_id="a", quantity=D(1)))

    events = _both(script)
    assert b'"last_price":"100.10"' in events[-1]  # step 0's ask, not step 1's (101.10)


def test_a_reduce_only_order_short_of_cash_is_canceled_at_the_fill_on_both_paths() -> None:
    def script(exchange: SimulatedExchange, place: Callable[[SubmitOrder], None]) -> None:
        _warm(place)
        exchange.account.set_balance("USDT", 50)
        place(order(client_order_id="r", quantity=D(1), reduce_only=True))

    events = _both(script)
    assert b"INSUFFICIENT_BALANCE" in events[-1]  # not checked up front: canceled at the fill
    assert b"OrderCanceled" in events[-1]


@pytest.mark.parametrize("side", [OrderSide.BUY, OrderSide.SELL])
def test_a_reduce_only_order_that_can_pay_takes_the_fast_path(side: OrderSide) -> None:
    """A backtest's exits are reduce-only closes: they fill on the fast path, locking nothing."""
    venue = _venue(taker_fee=D("0.001"))
    exchange = venue.exchange
    general: list[SubmitOrder] = []
    place = exchange._place
    exchange._place = lambda command: (general.append(command), place(command))[1]  # type: ignore[method-assign]
    exchange.submit(order(client_order_id="w", quantity=D(1), side=side))
    exchange.submit(order(client_order_id="r", quantity=D(1), side=side, reduce_only=True))
    assert [command.client_order_id for command in general] == ["w"]  # the first size: checked
    report = exchange.order_status("r")
    assert report is not None and report.status is OrderStatus.FILLED
    assert exchange.account.reservations == {}
    fill = exchange.trades[-1]
    assert fill.client_order_id == "r"
    assert fill.fee == fill.last_qty * fill.last_price * D("0.001")


@pytest.mark.parametrize(
    "spec",
    [
        {"price": D(10**6)},  # funds checked at the order's price: refused
        {"stop_price": D(10**6)},
        {"order_type": OrderType.LIMIT},  # no price: INVALID_PRICE
        {"order_type": OrderType.STOP},
    ],
)
def test_orders_with_prices_or_other_types_take_the_general_path(spec: dict[str, Any]) -> None:
    def script(exchange: SimulatedExchange, place: Callable[[SubmitOrder], None]) -> None:
        _warm(place)
        place(order(client_order_id="p", quantity=D(1), **spec))

    events = _both(script)
    assert b"OrderRejected" in events[-1]


def test_slippage_takes_the_general_path() -> None:
    runs = []
    for fast in (True, False):
        venue = _venue(slippage_bps=D(50))
        place = venue.exchange.submit if fast else venue.exchange._place
        for n in range(4):
            place(order(client_order_id=f"o{n}", quantity=D(1)))
        runs.append(_state(venue, []))
    assert runs[0] == runs[1]
    fills = [msgspec.json.decode(e) for e in runs[0][0] if b"OrderFilled" in e]
    assert {f["last_price"] for f in fills} != {"100.10"}  # each moved by its seeded share


def test_a_replaced_path_or_instrument_takes_the_general_path() -> None:
    def script(exchange: SimulatedExchange, place: Callable[[SubmitOrder], None]) -> None:
        _warm(place)
        exchange.market["BTC/USDT"] = PricePath(np.array([200.0]))
        place(order(client_order_id="a", quantity=D(1)))  # as the general path prices it
        exchange.quote("BTC/USDT")  # the venue reads the new path from here on
        place(order(client_order_id="b", quantity=D(1)))
        old = exchange.registry.get("BTC/USDT")
        exchange.registry.add(msgspec.structs.replace(old, min_notional=D(1000)), replace=True)
        place(order(client_order_id="c", quantity=D(1)))

    events = _both(script)
    assert b'"last_price":"200.' in events[-2]  # b's fill, at the new path's price
    assert b"MIN_NOTIONAL" in events[-1]  # c, under the new instrument's minimum


def test_events_queued_before_a_submit_go_out_first() -> None:
    def script(exchange: SimulatedExchange, place: Callable[[SubmitOrder], None]) -> None:
        _warm(place)
        exchange.emit(HandlerFailed(ts=0, handler="h", message_name="m", error_type="E", error=""))
        place(order(client_order_id="q", quantity=D(1)))

    events = _both(script)
    assert [b"HandlerFailed" in e for e in events[-3:]] == [True, False, False]


def test_a_replaced_price_path_prices_the_next_order() -> None:
    venue = Venue()
    venue.submit(client_order_id="a")
    venue.exchange.market["BTC/USDT"] = PricePath(np.array([500.0, 501.0]), spread_bps=0.0)
    venue.submit(client_order_id="b")
    prices = [fill.last_price for fill in venue.of(OrderFilled)]
    assert prices == [Decimal(100), Decimal(500)]
