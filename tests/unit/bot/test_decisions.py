from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from riskbus.bot.decisions import Action, Decision, DecisionExecutor
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Message
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderType, TimeInForce
from riskbus.model.events.orders import OrderAccepted
from riskbus.model.portfolio import Portfolio
from riskbus.risk.gate import OrderGateway
from tests.stubs import D, fill, portfolio


class World:
    """Executor -> bus -> OrderGateway -> a venue that acknowledges every order it gets."""

    def __init__(self, *, book: Portfolio | None = None, **options: object) -> None:
        self.sim = Simulator()
        self.bus = EventBus(self.sim.clock)
        self.venue_orders: list[SubmitOrder] = []
        self.events: list[Message] = []
        self.bus.subscribe("*", self.events.append)
        self.gateway = OrderGateway(
            self.bus, self.sim.clock, self.acknowledge, registry=default_registry()
        ).attach()
        self.portfolio = book or portfolio()
        self.executor = DecisionExecutor(
            self.bus,
            self.sim.clock,
            default_registry(),
            self.portfolio,
            strategy="ma_cross",
            **options,  # type: ignore[arg-type]
        )

    def acknowledge(self, command: SubmitOrder) -> None:
        self.venue_orders.append(command)
        self.bus.publish(
            OrderAccepted(
                ts=self.sim.now(), client_order_id=command.client_order_id, symbol=command.symbol
            )
        )


def test_hold_sends_nothing() -> None:
    world = World()
    assert world.executor.execute(Decision(action=Action.HOLD, symbol="BTC/USDT"), D(1)) is None
    assert world.venue_orders == [] and world.executor.stats.attempted == 0


def test_buy_by_target_notional_rounds_down_to_the_step_and_counts_success() -> None:
    world = World()
    decision = Decision(action=Action.BUY, symbol="BTC/USDT", target_notional=D(1000))
    sent = world.executor.execute(decision, D("30000"))
    assert sent is not None
    assert sent.quantity == D("0.03333")  # 1000 / 30000 = 0.0333..., step 0.00001, down
    assert (sent.side, sent.reduce_only, sent.strategy) == (OrderSide.BUY, False, "ma_cross")
    assert sent.time_in_force is TimeInForce.GTC and sent.order_type is OrderType.MARKET
    assert world.venue_orders == [sent]
    stats = world.executor.stats
    assert (stats.attempted, stats.successful, stats.failed) == (1, 1, 0)


def test_futures_size_uses_the_contract_multiplier() -> None:
    world = World()
    decision = Decision(action=Action.SELL, symbol="MNQ", target_notional=D(80_000))
    sent = world.executor.execute(decision, D("20000"))
    assert sent is not None and sent.quantity == D(2) and sent.side is OrderSide.SELL


def test_explicit_quantity_wins_over_notional() -> None:
    world = World()
    decision = Decision(
        action=Action.BUY, symbol="MNQ", quantity=D(3), target_notional=D(1_000_000)
    )
    sent = world.executor.execute(decision, D("20000"))
    assert sent is not None and sent.quantity == D(3)


@pytest.mark.parametrize(("held", "side"), [(D(2), OrderSide.SELL), (D(-3), OrderSide.BUY)])
def test_close_closes_the_whole_position_on_the_opposite_side(held: Decimal, side: str) -> None:
    book = portfolio()
    opening = OrderSide.BUY if held > 0 else OrderSide.SELL
    book.apply_fill(fill(side=opening, quantity=abs(held)))
    world = World(book=book)
    sent = world.executor.execute(Decision(action=Action.CLOSE, symbol="MNQ"), D("100"))
    assert sent is not None
    assert (sent.side, sent.quantity, sent.reduce_only) == (side, abs(held), True)


@pytest.mark.parametrize(
    ("decision", "mark", "reason"),
    [
        (Decision(action=Action.CLOSE, symbol="MNQ"), D(100), "NO_POSITION: symbol=MNQ"),
        (Decision(action=Action.BUY, symbol="XYZ", quantity=D(1)), D(1), "NO_PRODUCT: symbol=XYZ"),
        (Decision(action=Action.BUY, symbol="MNQ", quantity=D(1)), None, "INVALID_MARK"),
        (Decision(action=Action.BUY, symbol="MNQ", quantity=D(1)), D(0), "INVALID_MARK"),
        (Decision(action=Action.BUY, symbol="MNQ", quantity=D(1)), D(-5), "INVALID_MARK"),
        (Decision(action=Action.BUY, symbol="MNQ", quantity=D(1)), D("NaN"), "INVALID_MARK"),
        (
            Decision(action=Action.BUY, symbol="BTC/USDT", target_notional=D("0.001")),
            D(50_000),
            "QUANTITY_TOO_SMALL",
        ),
        (Decision(action=Action.BUY, symbol="MNQ"), D(100), "QUANTITY_TOO_SMALL"),
    ],
)
def test_bad_decisions_are_refused_with_a_logged_reason_and_the_bot_goes_on(
    decision: Decision, mark: Decimal | None, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    world = World()
    with caplog.at_level(logging.WARNING, logger="riskbus.bot.decisions"):
        assert world.executor.execute(decision, mark) is None
    assert world.venue_orders == []
    assert world.executor.stats.refused == 1
    assert world.executor.stats.refusals[0].startswith(reason)
    assert reason in caplog.text
    # and the next, valid decision still goes through
    ok = Decision(action=Action.BUY, symbol="MNQ", quantity=D(1))
    assert world.executor.execute(ok, D(100)) is not None


def test_reduce_only_mode_refuses_entries_and_caps_exits_at_the_position() -> None:
    book = portfolio()
    book.apply_fill(fill(side=OrderSide.BUY, quantity=D(1)))
    world = World(book=book, reduce_only_mode=True)
    assert (
        world.executor.execute(Decision(action=Action.BUY, symbol="MNQ", quantity=D(1)), D(100))
        is None
    )
    assert world.executor.stats.refusals == ["REDUCE_ONLY: symbol=MNQ, side=BUY"]
    sent = world.executor.execute(Decision(action=Action.SELL, symbol="MNQ", quantity=D(3)), D(100))
    assert sent is not None and sent.quantity == D(1) and sent.reduce_only


def test_dry_run_logs_the_intended_order_and_submits_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World(dry_run=True)
    with caplog.at_level(logging.INFO, logger="riskbus.bot.decisions"):
        sent = world.executor.execute(
            Decision(action=Action.BUY, symbol="MNQ", quantity=D(2), reason="cross up"), D(100)
        )
    assert sent is not None and world.executor.intended == [sent]
    assert world.venue_orders == [] and world.events == []
    assert world.executor.stats.dry_run == 1 and world.executor.stats.attempted == 0
    assert "DRY RUN: would submit BUY 2 MNQ (cross up)" in caplog.text


class DenyAll:
    def check(self, command: SubmitOrder) -> str | None:
        return "TRADING_HALTED: state=HALTED"


def test_denied_orders_count_as_failed() -> None:
    world = World()
    world.gateway.gate = DenyAll()
    world.executor.execute(Decision(action=Action.BUY, symbol="MNQ", quantity=D(1)), D(100))
    stats = world.executor.stats
    assert (stats.attempted, stats.successful, stats.failed) == (1, 0, 1)


def test_limit_decisions_carry_their_prices_and_ids_are_deterministic() -> None:
    decision = Decision(
        action=Action.BUY,
        symbol="MNQ",
        quantity=D(1),
        order_type=OrderType.LIMIT,
        limit_price=D("99.75"),
        time_in_force=TimeInForce.IOC,
    )
    first = World().executor.execute(decision, D(100))
    second = World().executor.execute(decision, D(100))
    assert first is not None and second is not None
    assert first.price == D("99.75") and first.time_in_force is TimeInForce.IOC
    assert first.client_order_id == second.client_order_id
    assert first.client_order_id.startswith("rb-")
