"""Enforcement: commands, verification, retry with backoff, escalation, idempotency."""

from __future__ import annotations

from decimal import Decimal

from riskbus.core.clock import MILLISECOND, SECOND
from riskbus.model import OrderSide, OrderType, SubmitOrder, TradingState
from riskbus.model.enums import RiskAction
from riskbus.model.events.orders import OrderCanceled, OrderRejected, OrderSubmitted
from riskbus.model.events.risk import EnforcementTriggered, RuleViolated
from riskbus.model.reasons import parse_reason
from tests.unit.risk._stack import Stack


def risk_orders(stack: Stack) -> list[OrderSubmitted]:
    return [e for e in stack.of(OrderSubmitted) if e.enforcement]


def test_close_sends_a_reduce_only_enforcement_order_announced_first() -> None:
    stack = Stack([])
    stack.buy("NQ", 3)
    n = len(stack.events)
    assert stack.manager.enforcement.close_position("NQ", rule="r", reason="X: a=1")
    stack.settle()
    after = stack.events[n:]
    assert isinstance(after[0], EnforcementTriggered)
    assert after[0].commands == ("close NQ",)
    [order] = risk_orders(stack)
    assert (order.side, order.quantity, order.reduce_only, order.strategy) == (
        OrderSide.SELL,
        Decimal(3),
        True,
        "risk",
    )
    assert order.client_order_id.startswith("risk-")
    assert stack.qty("NQ") == 0
    assert not stack.manager.enforcement.in_flight()
    assert stack.manager.enforcement.completed == 1


def test_client_order_ids_are_deterministic() -> None:
    ids = []
    for _ in range(2):
        stack = Stack([])
        stack.buy("ES", 2)
        stack.manager.enforcement.close_position("ES", rule="r", reason="X")
        stack.settle()
        ids.append([o.client_order_id for o in risk_orders(stack)])
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_no_double_close_while_in_flight() -> None:
    stack = Stack([])
    stack.exchange.config = type(stack.exchange.config)(
        maker_fee=Decimal(0), taker_fee=Decimal(0), latency={"submit": 50 * MILLISECOND}
    )
    stack.buy("MNQ", 2)
    stack.sim.run_for(SECOND)
    ex = stack.manager.enforcement
    assert ex.close_position("MNQ", rule="a", reason="A")
    assert not ex.close_position("MNQ", rule="b", reason="B")  # in flight: not resent
    assert ex.flatten_all(rule="c", reason="C", cancel_orders=False) == []
    stack.sim.run_for(SECOND)
    assert stack.qty("MNQ") == 0
    assert len(risk_orders(stack)) == 1
    assert not ex.close_position("MNQ", rule="d", reason="D")  # flat: nothing to do


def test_reduce_to_limit_partial_close() -> None:
    stack = Stack([])
    stack.sell("ES", 5)
    assert stack.manager.enforcement.reduce_to_limit("ES", Decimal(2), rule="r", reason="R")
    stack.settle()
    assert stack.qty("ES") == -2
    [order] = risk_orders(stack)
    assert (order.side, order.quantity) == (OrderSide.BUY, Decimal(3))


def test_transient_rejection_is_retried_with_backoff() -> None:
    stack = Stack([], backoff=100 * MILLISECOND)
    stack.buy("NQ", 1)
    stack.exchange.faults.reject_next(2)
    t0 = stack.sim.clock.now()
    stack.manager.enforcement.close_position("NQ", rule="r", reason="R")
    stack.settle()
    assert stack.qty("NQ") == 1
    stack.sim.run_for(SECOND)
    assert stack.qty("NQ") == 0
    sent = [(o.ts - t0) // MILLISECOND for o in risk_orders(stack)]
    assert sent == [0, 100, 300]  # 100 ms, then 200 ms later
    assert [e.code for e in stack.of(OrderRejected)] == ["REJECTED_BY_VENUE"] * 2
    assert len({o.client_order_id for o in risk_orders(stack)}) == 3
    assert stack.manager.state is TradingState.ACTIVE


def test_outage_that_outlasts_the_retries_escalates_to_halted_with_an_alert() -> None:
    stack = Stack([], max_attempts=3, backoff=100 * MILLISECOND)
    stack.buy("ES", 2)
    now = stack.sim.clock.now()
    stack.exchange.faults.outage(now, now + 10 * SECOND)
    stack.manager.enforcement.close_position("ES", rule="r", reason="R")
    stack.sim.run_for(5 * SECOND)
    assert len(risk_orders(stack)) == 3
    assert stack.qty("ES") == 2
    assert stack.manager.state is TradingState.HALTED
    [alert] = [e for e in stack.of(RuleViolated) if e.rule == "enforcement"]
    assert alert.action is RiskAction.ALERT
    code, values = parse_reason(alert.reason)
    assert code == "ENFORCEMENT_FAILED"
    assert values == {
        "action": "close",
        "symbol": "ES",
        "attempts": "3",
        "cause": "VENUE_UNAVAILABLE",
        "rule": "r",
    }
    stack.buy("ES")  # halted: only enforcement
    assert stack.qty("ES") == 2


def test_lost_ack_is_verified_not_resent_blindly() -> None:
    stack = Stack([])
    stack.buy("MNQ", 1)
    stack.exchange.faults.lose_next_ack(1)
    stack.manager.enforcement.close_position("MNQ", rule="r", reason="R")
    stack.sim.run_for(SECOND)
    assert stack.qty("MNQ") == 0
    assert len(risk_orders(stack)) == 1  # it filled: the retry found nothing to do


def test_cancel_all_verified_and_retried_through_an_outage() -> None:
    stack = Stack([], backoff=100 * MILLISECOND)
    for i, price in enumerate(("15000", "15100")):
        stack.bus.send(
            SubmitOrder(
                ts=0,
                client_order_id=f"lim-{i}",
                symbol="MNQ",
                side=OrderSide.BUY,
                quantity=Decimal(1),
                order_type=OrderType.LIMIT,
                price=Decimal(price),
            )
        )
    stack.settle()
    assert len(stack.exchange.open_orders()) == 2
    now = stack.sim.clock.now()
    stack.exchange.faults.outage(now, now + 150 * MILLISECOND)
    stack.manager.enforcement.cancel_all_orders(rule="r", reason="R")
    stack.settle()
    assert len(stack.exchange.open_orders()) == 2  # refused during the outage
    stack.sim.run_for(SECOND)
    assert stack.exchange.open_orders() == ()
    assert sorted(e.client_order_id for e in stack.of(OrderCanceled)) == ["lim-0", "lim-1"]
    assert not stack.manager.enforcement.in_flight()


def test_move_stop_replaces_the_reduce_only_stop() -> None:
    stack = Stack([])
    stack.buy("ES", 2)
    ex = stack.manager.enforcement
    assert ex.move_stop("ES", Decimal("4990"), rule="trade_management", reason="BE")
    stack.settle()
    assert ex.move_stop("ES", Decimal("4995"), rule="trade_management", reason="TRAIL")
    stack.settle()
    stops = stack.exchange.open_orders("ES")
    assert [(o.order_type, o.stop_price, o.quantity) for o in stops] == [
        (OrderType.STOP, Decimal("4995"), Decimal(2))
    ]
    assert len(stack.of(OrderCanceled)) == 1
    assert not ex.move_stop("MNQ", Decimal(1), rule="x", reason="flat")
