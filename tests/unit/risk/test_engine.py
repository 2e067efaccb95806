"""The risk engine: pre-trade by trading state, combining verdicts, alarms, conditions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model import OrderSide, SubmitOrder, TradingState
from riskbus.model.commands import SetTradingState
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import AccountStatusChanged, TradingStateChanged
from riskbus.model.events.orders import OrderDenied, OrderFilled
from riskbus.model.events.risk import (
    CooldownStarted,
    EnforcementTriggered,
    LockoutEnded,
    LockoutStarted,
    RuleTimerFired,
    RuleViolated,
)
from riskbus.model.reasons import format_reason, parse_reason
from riskbus.risk.engine import combine
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict
from tests.unit.risk._stack import START, AnyCfg, Fixed, Stack, verdict

HOUR_NS = 3600 * SECOND


def denied(stack: Stack) -> list[str]:
    return [e.reason for e in stack.of(OrderDenied)]


class DenyBig(Rule[AnyCfg]):
    """Pre-trade: deny orders above 3 contracts."""

    code: ClassVar[str] = "T10"
    name: ClassVar[str] = "deny_big"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg

    def describe(self) -> str:
        return "deny > 3"

    def check(self, ctx: RuleContext) -> Verdict | None:
        return None

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        if order.quantity <= 3:
            return None
        reason = format_reason("MAX_ORDER_SIZE", quantity=order.quantity, limit=3)
        return Verdict(rule=self.name, action=RiskAction.DENY, reason=reason)


def test_active_allows_rule_pre_trade_denies_with_code_and_values() -> None:
    stack = Stack([DenyBig(AnyCfg())])
    stack.buy("MNQ", 2)
    stack.buy("MNQ", 4)
    assert stack.qty("MNQ") == 2
    assert parse_reason(denied(stack)[0]) == ("MAX_ORDER_SIZE", {"quantity": "4", "limit": "3"})


def test_reducing_lets_only_exposure_reducing_orders_through() -> None:
    stack = Stack([])
    stack.buy("ES", 2)
    stack.bus.send(SetTradingState(ts=0, state=TradingState.REDUCING, reason="ops"))
    assert stack.manager.state is TradingState.REDUCING
    stack.buy("ES", 1)  # adds: denied
    stack.sell("ES", 3)  # flips: denied
    stack.buy("NQ", 1)  # new: denied
    stack.sell("ES", 1)  # reduces: allowed
    assert stack.qty("ES") == 1 and stack.qty("NQ") == 0
    assert [parse_reason(r)[0] for r in denied(stack)] == ["TRADING_REDUCING"] * 3
    [change] = stack.of(TradingStateChanged)
    assert (change.old, change.new, change.reason) == (
        TradingState.ACTIVE,
        TradingState.REDUCING,
        "ops",
    )


def test_halted_only_enforcement_and_enforcement_never_adds_exposure() -> None:
    stack = Stack([])
    stack.buy("ES", 2)
    stack.manager.engine.halt("kill switch")
    stack.sell("ES", 1)  # even reducing orders are denied
    stack.order("ES", OrderSide.SELL, 1, enforcement=True, reduce_only=True)  # allowed
    stack.order("ES", OrderSide.BUY, 1, enforcement=True, reduce_only=True)  # adds: denied
    assert stack.qty("ES") == 1
    codes = [parse_reason(r)[0] for r in denied(stack)]
    assert codes == ["TRADING_HALTED", "ENFORCEMENT_INCREASES_EXPOSURE"]
    assert parse_reason(denied(stack)[0])[1] == {
        "state": "HALTED",
        "rule": "manual",
        "until": "manual",
    }


def test_symbol_lock_closes_and_denies_new_exposure_there_only() -> None:
    stack = Stack([])
    stack.buy("NQ", 2)
    lock = verdict("symbol_blocks", RiskAction.LOCKOUT, symbol="NQ")
    stack.manager.engine.apply([(Fixed(lock, code="011", name="symbol_blocks"), lock)])
    stack.settle()
    assert stack.manager.state is TradingState.ACTIVE
    assert stack.qty("NQ") == 0  # closed by the lockout
    stack.buy("NQ")
    stack.buy("MNQ")
    assert stack.qty("MNQ") == 1 and stack.qty("NQ") == 0
    assert parse_reason(denied(stack)[0]) == (
        "SYMBOL_LOCKED",
        {"symbol": "NQ", "rule": "symbol_blocks"},
    )


def test_several_rules_on_one_event_strongest_wins_deterministically() -> None:
    rules: list[Any] = [
        Fixed(
            verdict("close_me", RiskAction.CLOSE_POSITION, symbol="MNQ"),
            code="004",
            name="close_me",
        ),
        Fixed(verdict("alert_me", RiskAction.ALERT), code="002", name="alert_me"),
        Fixed(
            verdict("flat_b", RiskAction.FLATTEN_ALL, cancel_orders=True), code="009", name="flat_b"
        ),
        Fixed(verdict("flat_a", RiskAction.FLATTEN_ALL), code="001", name="flat_a"),
        Fixed(None, code="007", name="cool"),
    ]
    for rule in rules:
        rule.verdict = None
    stack = Stack(rules)
    stack.buy("NQ", 2)
    until = stack.sim.clock.now() + SECOND
    specs = {
        "close_me": verdict("close_me", RiskAction.CLOSE_POSITION, symbol="MNQ"),
        "alert_me": verdict("alert_me", RiskAction.ALERT),
        "flat_b": verdict("flat_b", RiskAction.FLATTEN_ALL, cancel_orders=True),
        "flat_a": verdict("flat_a", RiskAction.FLATTEN_ALL),
        "cool": verdict("cool", RiskAction.COOLDOWN, until_ts=until),
    }
    for rule in rules:
        rule.verdict = specs[rule.name]
        rule.once = True
    stack.buy("MNQ", 1)
    announced = [(e.rule, e.action) for e in stack.of(RuleViolated)]
    assert announced == [
        ("flat_a", RiskAction.FLATTEN_ALL),
        ("flat_b", RiskAction.FLATTEN_ALL),
        ("cool", RiskAction.COOLDOWN),
        ("close_me", RiskAction.CLOSE_POSITION),
        ("alert_me", RiskAction.ALERT),
    ]
    triggered = [(e.rule, e.action, e.commands) for e in stack.of(EnforcementTriggered)]
    # flat_a flattens (once), flat_b adds the cancel; close_me is covered by the flatten.
    assert triggered[:2] == [
        ("flat_a", RiskAction.FLATTEN_ALL, ("close MNQ", "close NQ")),
        ("flat_b", RiskAction.CANCEL_ALL_ORDERS, ("cancel_all",)),
    ]
    assert stack.qty("MNQ") == 0 and stack.qty("NQ") == 0
    fills = [e for e in stack.of(OrderFilled) if e.client_order_id.startswith("risk-")]
    assert sorted(f.symbol for f in fills) == ["MNQ", "NQ"]  # each closed exactly once
    assert stack.manager.state is TradingState.HALTED  # the cooldown
    stack.sim.run_for(SECOND)
    assert stack.manager.state is TradingState.ACTIVE


def test_combine_orders_by_strength_then_code() -> None:
    a = Fixed(None, code="009", name="a")
    b = Fixed(None, code="003", name="b")
    c = Fixed(None, code="001", name="c")
    va = verdict("a", RiskAction.LOCKOUT)
    vb = verdict("b", RiskAction.LOCKOUT)
    vc = verdict("c", RiskAction.DENY)
    assert [r.name for r, _ in combine([(c, vc), (a, va), (b, vb)])] == ["b", "a", "c"]


def test_cooldown_halts_entries_then_ends() -> None:
    stack = Stack([])
    now = stack.sim.clock.now()
    cool = verdict("cool", RiskAction.COOLDOWN, until_ts=now + 60 * SECOND)
    stack.manager.engine.apply([(Fixed(cool, code="006", name="cool"), cool)])
    assert stack.manager.state is TradingState.HALTED
    stack.buy("ES")
    assert parse_reason(denied(stack)[0])[0] == "COOLDOWN_ACTIVE"
    stack.sim.run_for(60 * SECOND)
    assert stack.manager.state is TradingState.ACTIVE
    stack.buy("ES")
    assert stack.qty("ES") == 1
    assert len(stack.of(CooldownStarted)) == 1


class Timed(Rule[AnyCfg]):
    """Sets an alarm on the first position event; breaches when it fires."""

    code: ClassVar[str] = "008"
    name: ClassVar[str] = "timed"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = Fixed.events

    def describe(self) -> str:
        return "alarm"

    def check(self, ctx: RuleContext) -> Verdict | None:
        if isinstance(ctx.event, RuleTimerFired):
            reason = format_reason("NO_STOP", key=ctx.event.key)
            return Verdict(
                rule=self.name, action=RiskAction.CLOSE_POSITION, reason=reason, symbol="ES"
            )
        ctx.set_alarm("ES", ctx.now + 10 * SECOND)
        return None


def test_rule_alarm_is_routed_to_its_rule() -> None:
    other = Fixed(None, code="001", name="other")
    stack = Stack([Timed(AnyCfg()), other])
    stack.buy("ES")
    stack.sim.run_for(10 * SECOND)
    assert [e.key for e in stack.of(RuleTimerFired)] == ["ES"]
    assert "RuleTimerFired" not in other.kinds  # not given the other rule's alarm
    assert stack.qty("ES") == 0
    assert parse_reason(stack.of(RuleViolated)[0].reason)[0] == "NO_STOP"


class AuthGuard(Rule[AnyCfg]):
    """Locks until the venue says the account may trade again."""

    code: ClassVar[str] = "010"
    name: ClassVar[str] = "auth_loss_guard"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = (AccountStatusChanged,)

    def describe(self) -> str:
        return "can_trade"

    def check(self, ctx: RuleContext) -> Verdict | None:
        if ctx.can_trade:
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason="AUTH_LOSS: can_trade=False",
            until_condition=True,
            flatten=True,
        )

    def releases(self, ctx: RuleContext) -> bool:
        return ctx.can_trade


def test_until_condition_lockout_released_when_can_trade_returns() -> None:
    stack = Stack([AuthGuard(AnyCfg())])
    stack.buy("NQ")
    stack.bus.publish(AccountStatusChanged(ts=0, can_trade=False))
    stack.settle()
    assert stack.manager.state is TradingState.HALTED and stack.qty("NQ") == 0
    stack.bus.publish(AccountStatusChanged(ts=0, can_trade=True))
    assert stack.manager.state is TradingState.ACTIVE
    assert [e.reason for e in stack.of(LockoutEnded)] == ["condition"]
    assert len(stack.of(LockoutStarted)) == 1


def test_position_opened_while_locked_is_closed_at_once() -> None:
    lock = verdict("hard", RiskAction.LOCKOUT)
    stack = Stack([])
    stack.manager.engine.apply([(Fixed(lock, code="003", name="hard"), lock)])
    # A fill that bypassed the gate (placed elsewhere, e.g. on the venue's own UI):
    stack.exchange.submit(
        SubmitOrder(
            ts=0, client_order_id="manual", symbol="MNQ", side=OrderSide.BUY, quantity=Decimal(3)
        )
    )
    stack.settle()
    assert stack.qty("MNQ") == 0
    [closing] = [e for e in stack.of(EnforcementTriggered) if e.symbol == "MNQ"]
    assert parse_reason(closing.reason) == (
        "POSITION_WHILE_LOCKED",
        {"symbol": "MNQ", "rule": "hard"},
    )


def test_hot_reload_replaces_rules_keeps_state_and_lockouts() -> None:
    from riskbus.risk.config import parse_config

    stack = Stack([Fixed(None, code="001", name="fixed")])
    lock = verdict("hard", RiskAction.LOCKOUT, symbol="NQ")
    stack.manager.engine.apply([(Fixed(lock, code="011", name="hard"), lock)])
    config = parse_config(
        "schedule: {daily_reset: '16:00', timezone: America/New_York}\n"
        "rules:\n  daily_realized_loss: {limit: -100}\n"
    )
    stack.manager.apply_config(config)
    assert [r.name for r in stack.manager.engine.rules] == ["daily_realized_loss"]
    assert stack.manager.lockouts.symbol_locked("NQ")  # lockouts in force stay
    assert stack.manager.schedule.next_reset_ts() == START + HOUR_NS * 1  # 16:00 NY = 21:00Z
    stack.buy("ES", 1)
    stack.exchange.advance()
    stack.sell("ES", 1)  # −100 with the new rule → lock
    assert stack.manager.state is TradingState.HALTED
