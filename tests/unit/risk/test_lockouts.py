"""Lockouts and cooldowns: modes, timed ends, resets, persistence, admin unlock."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.messages import Event
from riskbus.model.events.risk import CooldownEnded, CooldownStarted, LockoutEnded, LockoutStarted
from riskbus.risk.lockouts import LockoutManager, LockoutMode, UnlockRefused
from riskbus.store import LockoutKind, open_store

T0 = 1_704_067_200 * SECOND


def build(store_url: str | None = None) -> tuple[Simulator, list[Event], LockoutManager]:
    sim = Simulator(T0)
    bus = EventBus(sim.clock)
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    store = open_store(store_url) if store_url else None
    return sim, events, LockoutManager(bus, sim.clock, store=store, admin_credential="pw")


def test_modes_and_timed_end_on_the_clock() -> None:
    sim, events, locks = build()
    changes: list[str] = []
    locks.on_change = changes.append
    timed = locks.lock("r1", "X: a=1", until_ts=T0 + 10 * SECOND)
    reset = locks.lock("r2", "X: a=2", until_reset=True, next_reset=T0 + 100 * SECOND)
    cond = locks.lock("r3", "X: a=3", until_condition=True)
    perm = locks.lock("r4", "X: a=4", symbol="RTY")
    assert [lk.mode for lk in (timed, reset, cond, perm)] == [
        LockoutMode.TIME,
        LockoutMode.RESET,
        LockoutMode.CONDITION,
        LockoutMode.PERMANENT,
    ]
    assert locks.lock("r1", "again", until_ts=T0 + SECOND) is timed  # idempotent per rule
    assert locks.account_locked and locks.symbol_locked("RTY") and not locks.symbol_locked("ES")
    assert locks.has_condition_locks and locks.has_symbol_locks
    sim.run_until(T0 + 10 * SECOND)
    assert [e.rule for e in events if isinstance(e, LockoutEnded)] == ["r1"]
    assert locks.on_reset(T0 + 50 * SECOND) == [reset]
    assert locks.release(cond, "condition")
    assert not locks.release(cond, "condition")
    assert not locks.account_locked
    assert locks.blocking("RTY") == perm
    assert len([e for e in events if isinstance(e, LockoutStarted)]) == 4
    assert changes[-1] == "LOCKOUT_ENDED: rule=r3, reason=condition"


def test_cooldown_extends_and_ends() -> None:
    sim, events, locks = build()
    first = locks.cooldown("freq", "FREQ: n=3", T0 + 60 * SECOND)
    assert locks.in_cooldown and first.kind is LockoutKind.COOLDOWN
    assert locks.cooldown("freq", "FREQ: n=3", T0 + 30 * SECOND) is first  # shorter: kept
    longer = locks.cooldown("freq", "FREQ: n=4", T0 + 90 * SECOND)
    assert longer.until == T0 + 90 * SECOND and len(locks.active()) == 1
    sim.run_until(T0 + 60 * SECOND)
    assert locks.in_cooldown
    sim.run_until(T0 + 90 * SECOND)
    assert not locks.in_cooldown
    assert [type(e) for e in events if isinstance(e, CooldownStarted | CooldownEnded)] == [
        CooldownStarted,
        CooldownStarted,
        CooldownEnded,
    ]


def test_admin_unlock_needs_credential_is_refused_when_not_allowed_and_audited(
    tmp_path: Path,
) -> None:
    _, events, locks = build(f"sqlite:///{tmp_path / 'l.db'}")
    daily = locks.lock(
        "daily_realized_loss", "DAILY_LOSS_LIMIT", until_reset=True, admin_unlock=False
    )
    other = locks.lock("symbol_blocks", "BLOCKED", symbol="BTC")
    with pytest.raises(UnlockRefused, match="not_allowed"):
        locks.admin_unlock(daily.id, credential="pw", actor="ops")
    with pytest.raises(UnlockRefused, match="bad_credential"):
        locks.admin_unlock(other.id, credential="nope", actor="mallory")
    with pytest.raises(UnlockRefused, match="unknown_lockout"):
        locks.admin_unlock(999, credential="pw", actor="ops")
    assert locks.admin_unlock(other.id, credential="pw", actor="ops") == other
    assert locks.account_locked and not locks.symbol_locked("BTC")
    assert [e.reason for e in events if isinstance(e, LockoutEnded)] == ["admin"]
    assert locks.store is not None
    audit = locks.store.audit.entries()
    assert [(a.actor, a.outcome) for a in audit] == [
        ("ops", "not_allowed"),
        ("mallory", "bad_credential"),
        ("ops", "unknown_lockout"),
        ("ops", "ok"),
    ]
    assert audit[-1].details == {"lockout": other.id, "rule": "symbol_blocks", "symbol": "BTC"}
    [cleared] = [r for r in locks.store.lockouts.history() if r.cleared_at is not None]
    assert cleared.cleared_by == "ops"
    locks.store.close()


def test_no_admin_without_configured_credential() -> None:
    sim = Simulator(T0)
    locks = LockoutManager(EventBus(sim.clock), sim.clock)
    lock = locks.lock("r", "R")
    with pytest.raises(UnlockRefused, match="bad_credential"):
        locks.admin_unlock(lock.id, credential="")


def test_persisted_before_announced_and_restored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    _, _, locks = build(url)
    assert locks.store is not None
    seen_in_store: list[int] = []
    locks.bus.subscribe(
        LockoutStarted,
        lambda e: seen_in_store.append(len(locks.store.lockouts.active(e.ts))),  # type: ignore[union-attr]
    )
    locks.lock("daily", "D", until_reset=True, next_reset=T0 + 100 * SECOND, admin_unlock=False)
    locks.lock("cond", "C", until_condition=True)
    locks.lock("short", "S", until_ts=T0 + 5 * SECOND)
    locks.cooldown("cool", "K", T0 + 50 * SECOND)
    assert seen_in_store == [1, 2, 3]
    locks.store.close()
    later = Simulator(T0 + 10 * SECOND)  # restart after "short" ran out
    with open_store(url) as store:
        again = LockoutManager(EventBus(later.clock), later.clock, store=store)
        restored = again.restore()
        assert [(lk.rule, lk.mode, lk.admin_unlock) for lk in restored] == [
            ("daily", LockoutMode.RESET, False),
            ("cond", LockoutMode.CONDITION, True),
            ("cool", LockoutMode.TIME, True),
        ]
        assert again.account_locked and again.in_cooldown
        later.run_until(T0 + 100 * SECOND)
        assert [lk.rule for lk in again.active()] == ["cond"]
        assert all(r.rule == "cond" for r in store.lockouts.active(T0 + 100 * SECOND))
