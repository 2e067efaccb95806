"""The multi-symbol daily-loss flow with the real rule 003, and the reset that ends it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import riskbus.risk.rules.r003_daily_realized_loss  # noqa: F401 - registers the rule
from riskbus.core.clock import SECOND
from riskbus.model import TradingState
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import TradingStateChanged
from riskbus.model.events.orders import OrderDenied
from riskbus.model.events.risk import (
    EnforcementTriggered,
    LockoutEnded,
    LockoutStarted,
    RuleViolated,
)
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules.base import RULES, Rule
from tests.unit.risk._stack import START, Stack

HOUR = 3600 * SECOND


def daily_loss(limit: int = -500, **kw: Any) -> Rule[Any]:
    cls = RULES["daily_realized_loss"]
    return cls(cls.config_type(limit=Decimal(limit), **kw))


def lose_on_three_symbols(stack: Stack) -> list[Decimal]:
    """Hold 2 of MNQ, NQ, ES; prices drop; sell 1 of each: −200, −250, −100."""
    for symbol in ("MNQ", "NQ", "ES"):
        stack.buy(symbol, 2)
    stack.exchange.advance()
    totals = []
    for symbol in ("MNQ", "NQ", "ES"):
        stack.sell(symbol, 1)
        totals.append(stack.manager.pnl.daily_realized())
    return totals


def test_mnq_nq_es_losses_lock_the_account_and_flatten_all_three() -> None:
    stack = Stack([daily_loss()])
    totals = lose_on_three_symbols(stack)
    assert totals[:2] == [Decimal(-200), Decimal(-450)]
    pnl = stack.manager.pnl
    assert [pnl.daily_realized(s) for s in ("MNQ", "NQ", "ES")][2] <= Decimal(-100)
    # The lock came with the ES loss (−550 ≤ −500); flatten closed the 3 remaining contracts.
    [violated] = stack.of(RuleViolated)
    assert (violated.rule, violated.action) == ("daily_realized_loss", RiskAction.LOCKOUT)
    assert parse_reason(violated.reason) == (
        "DAILY_LOSS_LIMIT",
        {"realized": "-550.00", "limit": "-500"},
    )
    [flatten] = stack.of(EnforcementTriggered)
    assert flatten.action is RiskAction.FLATTEN_ALL
    assert flatten.commands == ("close ES", "close MNQ", "close NQ", "cancel_all")
    assert [stack.qty(s) for s in ("MNQ", "NQ", "ES")] == [0, 0, 0]
    assert stack.manager.state is TradingState.HALTED
    [lock] = stack.manager.active_lockouts()
    assert (lock.rule, lock.admin_unlock) == ("daily_realized_loss", False)
    [started] = stack.of(LockoutStarted)
    assert started.until_ts == START + 3 * HOUR  # 17:00 America/Chicago
    # Nothing new gets through while locked.
    stack.buy("ES")
    [denied] = stack.of(OrderDenied)
    assert parse_reason(denied.reason) == (
        "TRADING_HALTED",
        {"state": "HALTED", "rule": "daily_realized_loss", "until": "reset"},
    )
    # Closing fills after the lock do not re-announce the breach.
    assert len(stack.of(RuleViolated)) == 1 and len(stack.of(LockoutStarted)) == 1


def test_daily_reset_across_midnight_in_virtual_time_unlocks() -> None:
    stack = Stack([daily_loss()])
    lose_on_three_symbols(stack)
    assert stack.manager.state is TradingState.HALTED
    stack.sim.run_for(3 * HOUR - 1)
    assert stack.manager.state is TradingState.HALTED  # 16:59:59.999 CT
    stack.sim.run_for(1)
    assert stack.manager.state is TradingState.ACTIVE
    [ended] = stack.of(LockoutEnded)
    assert (ended.rule, ended.reason) == ("daily_realized_loss", "reset")
    assert stack.manager.pnl.daily_realized() == 0
    assert stack.manager.pnl.trading_day == "2026-11-21"
    stack.sim.run_for(10 * HOUR)  # past midnight UTC and local midnight: no surprise
    assert stack.manager.state is TradingState.ACTIVE
    stack.buy("ES")
    assert stack.qty("ES") == 1
    changes = [(e.old, e.new) for e in stack.of(TradingStateChanged)]
    assert changes == [
        (TradingState.ACTIVE, TradingState.HALTED),
        (TradingState.HALTED, TradingState.ACTIVE),
    ]


def test_trade_made_while_locked_is_closed_at_once() -> None:
    stack = Stack([daily_loss()])
    lose_on_three_symbols(stack)
    from riskbus.model import OrderSide, SubmitOrder

    stack.exchange.submit(  # straight to the venue, around the gateway
        SubmitOrder(
            ts=0, client_order_id="side-door", symbol="NQ", side=OrderSide.SELL, quantity=Decimal(1)
        )
    )
    stack.settle()
    assert stack.qty("NQ") == 0
    assert stack.of(EnforcementTriggered)[-1].action is RiskAction.CLOSE_POSITION


def test_admin_cannot_unlock_the_daily_loss_lockout() -> None:
    import pytest

    from riskbus.risk.lockouts import UnlockRefused

    stack = Stack([daily_loss()])
    lose_on_three_symbols(stack)
    [lock] = stack.manager.active_lockouts()
    with pytest.raises(UnlockRefused):
        stack.manager.admin_unlock(lock.id, credential="s3cret", actor="ops")
    assert stack.manager.state is TradingState.HALTED
    assert [(a.actor, a.outcome) for a in stack.manager.lockouts.audit_log] == [
        ("ops", "not_allowed")
    ]


def test_admin_unlock_allowed_when_configured() -> None:
    stack = Stack([daily_loss(admin_unlock=True)])
    lose_on_three_symbols(stack)
    [lock] = stack.manager.active_lockouts()
    stack.manager.admin_unlock(lock.id, credential="s3cret", actor="ops")
    assert stack.manager.state is TradingState.ACTIVE
    assert [e.reason for e in stack.of(LockoutEnded)] == ["admin"]
    assert stack.manager.lockouts.audit_log[-1].outcome == "ok"
