"""Restart recovery of the risk stack, on SQLite and on the real PostgreSQL server.

A manager trades mid-day, locks, sets alarms and rule state, then stops; a new process (new
bus, new manager, same venue, store reopened) must come back with exactly the same P&L,
trade counts, lockouts, timers, rule state and positions. PostgreSQL runs in a private
schema per test (as in ``tests/integration/store``); an unreachable server fails the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import riskbus.risk.rules.r003_daily_realized_loss  # noqa: F401 - registers the rule
from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model import TradingState
from riskbus.model.enums import RiskAction
from riskbus.model.events.risk import LockoutEnded, RuleTimerFired
from riskbus.risk.lockouts import LockoutMode
from riskbus.risk.rules.base import RULES, Rule, RuleConfig, RuleContext, Verdict
from riskbus.store import open_store
from tests.unit.risk._stack import AnyCfg, Fixed, Stack, verdict

MINUTE = 60 * SECOND


class Counting(Rule[AnyCfg]):
    """Counts position events (its state) and sets a 30-minute alarm per symbol."""

    code: ClassVar[str] = "T50"
    name: ClassVar[str] = "counting"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = Fixed.events

    def __init__(self) -> None:
        super().__init__(AnyCfg())
        self.count = 0
        self.fired: list[str] = []

    def describe(self) -> str:
        return "counts"

    def check(self, ctx: RuleContext) -> Verdict | None:
        if isinstance(ctx.event, RuleTimerFired):
            self.fired.append(ctx.event.key)
            return None
        self.count += 1
        symbol = getattr(ctx.event, "symbol", "")
        ctx.set_alarm(symbol, ctx.now + 30 * MINUTE)
        return None

    def state(self) -> dict[str, Any]:
        return {"count": self.count}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.count = int(state["count"])


def rules() -> list[Rule[Any]]:
    cls = RULES["daily_realized_loss"]
    return [cls(cls.config_type(limit=Decimal(-1000))), Counting()]


def snapshot(stack: Stack) -> dict[str, Any]:
    m = stack.manager
    pnl = m.pnl
    positions = {p.symbol: (p.quantity, p.avg_price) for p in m.portfolio.open_positions()}
    counting = next(r for r in m.engine.rules if isinstance(r, Counting))
    clock = stack.sim.clock
    return {
        "realized": {s: pnl.daily_realized(s) for s in ("MNQ", "NQ", "ES")},
        "fees": pnl.daily_fees(),
        "total": pnl.daily_realized(),
        "trades": pnl.trade_count(),
        "trades_since": pnl.trade_count(pnl.session_start() + 5 * SECOND),
        "trading_day": pnl.trading_day,
        "session_start": pnl.session_start(),
        "lockouts": [
            (lk.rule, lk.kind, lk.mode, lk.until, lk.symbol, lk.admin_unlock)
            for lk in m.active_lockouts()
        ],
        "state": m.state,
        "timers": {
            name: clock.next_fire(name) for name in clock.timer_names() if name.startswith("rule:")
        },
        "rule_state": counting.state(),
        "positions": positions,
    }


def test_state_comes_back_exactly_after_a_stop_mid_day(store_url: str) -> None:
    store = open_store(store_url)
    first = Stack(rules(), store=store)
    for symbol in ("MNQ", "NQ", "ES"):
        first.buy(symbol, 2)
    first.sim.run_for(10 * SECOND)
    first.exchange.advance()
    first.sell("MNQ", 1)  # −200
    first.sell("NQ", 1)  # −250
    now = first.sim.clock.now()
    cool = verdict("cool", RiskAction.COOLDOWN, until_ts=now + 20 * MINUTE)
    block = verdict("blocks", RiskAction.LOCKOUT, symbol="RTY")
    first.manager.engine.apply(
        [
            (Fixed(cool, code="006", name="cool"), cool),
            (Fixed(block, code="011", name="blocks"), block),
        ]
    )
    before = snapshot(first)
    assert before["trades"] == 5 and before["total"] == Decimal(-450)
    assert before["state"] is TradingState.HALTED
    assert len(before["timers"]) == 3
    assert before["positions"] == {
        "MNQ": (Decimal(1), Decimal(20000)),
        "NQ": (Decimal(1), Decimal(20000)),
        "ES": (Decimal(2), Decimal(5000)),
    }
    first.manager.stop()
    store.close()

    first.sim.run_for(MINUTE)  # down for a minute, mid-day
    reopened = open_store(store_url)
    second = Stack(rules(), store=reopened, sim=first.sim, exchange=first.exchange)
    after = snapshot(second)
    assert after == before
    lockouts = {lk.rule: lk for lk in second.manager.active_lockouts()}
    assert lockouts["cool"].mode is LockoutMode.TIME
    assert lockouts["blocks"].mode is LockoutMode.PERMANENT

    # ... and goes on working: the alarms fire on time, the cooldown ends on time.
    counting = next(r for r in second.manager.engine.rules if isinstance(r, Counting))
    second.sim.run_for(20 * MINUTE)
    assert second.manager.state is TradingState.ACTIVE
    assert [e.rule for e in second.of(LockoutEnded)] == []  # cooldowns end with CooldownEnded
    second.sim.run_for(10 * MINUTE)
    assert sorted(counting.fired) == ["ES", "MNQ", "NQ"]
    second.sell("ES", 2)
    assert second.manager.pnl.trade_count() == 6
    reopened.close()


def test_lockout_still_active_after_restart_flattens_what_is_open(store_url: str) -> None:
    store = open_store(store_url)
    cls = RULES["daily_realized_loss"]
    first = Stack([cls(cls.config_type(limit=Decimal(-100)))], store=store)
    first.buy("ES", 1)
    first.exchange.advance()
    first.buy("MNQ", 1)
    first.sell("ES", 1)  # −100: lock, flatten MNQ
    assert first.manager.state is TradingState.HALTED
    first.manager.stop()
    store.close()
    # While down (nobody listens to the venue), a position appears on the venue (opened by
    # hand on the venue's site).
    from riskbus.core.bus import EventBus
    from riskbus.model import OrderSide, SubmitOrder

    first.exchange.bus = EventBus(first.sim.clock)

    first.exchange.submit(
        SubmitOrder(
            ts=0, client_order_id="by-hand", symbol="NQ", side=OrderSide.BUY, quantity=Decimal(1)
        )
    )
    first.sim.run_for(MINUTE)
    reopened = open_store(store_url)
    second = Stack(
        [cls(cls.config_type(limit=Decimal(-100)))],
        store=reopened,
        sim=first.sim,
        exchange=first.exchange,
    )
    assert second.manager.state is TradingState.HALTED
    assert second.manager.pnl.daily_realized() == first.manager.pnl.daily_realized()
    assert second.qty("NQ") == 0
    assert first.exchange.account.position("NQ") is not None
    assert not first.exchange.account.position("NQ").quantity  # type: ignore[union-attr]
    reopened.close()
