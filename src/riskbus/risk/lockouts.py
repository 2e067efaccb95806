"""Lockouts and cooldowns: who may not trade, why, and until when.

* a **hard lockout** (``LockoutStarted``) halts the account, or one symbol, until a time
  (``until_ts``), the next reset (``until_reset``; stored with the reset's time), a condition
  (``until_condition``; the engine asks the rule's ``releases``) or for good (none of them);
* a **cooldown** (``CooldownStarted``) blocks new entries until ``until_ts``.

Timed ends are alarms on the clock (``risk:lock:<id>``). With a store every lockout is
written to ``store.lockouts`` (and its mode to ``store.checkpoints`` under
``lockout-meta:<id>``) **before** it takes effect or is announced, and cleared there before
it is lifted; :meth:`LockoutManager.restore` reloads the active ones after a restart.

An admin may lift a lockout by hand (:meth:`LockoutManager.admin_unlock`) with the admin
credential, unless its rule is configured ``admin_unlock: false`` (the daily realized loss
lockout must run its course). Every attempt, allowed or refused, is audited.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.model.events.risk import (
    CooldownEnded,
    CooldownStarted,
    LockoutEnded,
    LockoutStarted,
)
from riskbus.store import AuditEntry, LockoutKind, LockoutRecord, LockoutScope, Store

__all__ = ["Lockout", "LockoutManager", "LockoutMode", "UnlockRefused"]


class LockoutMode(StrEnum):
    """How a lockout ends."""

    TIME = "time"
    RESET = "reset"
    CONDITION = "condition"
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class Lockout:
    """One active lockout or cooldown.

    Attributes:
        id: its id (the store's id when persisted).
        rule: the rule that set it.
        reason: ``CODE: key=value``.
        kind: hard lockout or cooldown.
        mode: how it ends.
        started_at: when it started (ns).
        until: when it ends (ns), if it ends at a time (reset lockouts: the reset's time).
        symbol: the symbol locked (``None``: the whole account).
        admin_unlock: whether an admin may lift it.
    """

    id: int
    rule: str
    reason: str
    kind: LockoutKind
    mode: LockoutMode
    started_at: int
    until: int | None = None
    symbol: str | None = None
    admin_unlock: bool = True

    @property
    def is_cooldown(self) -> bool:
        """Whether this is a cooldown."""
        return self.kind is LockoutKind.COOLDOWN


class UnlockRefused(Exception):
    """An admin unlock was refused (bad credential, unknown lockout, not allowed)."""


class LockoutManager:
    """Holds the active lockouts, ends them on time, persists them.

    Args:
        bus: where ``LockoutStarted/Ended`` and ``CooldownStarted/Ended`` go.
        clock: the clock timed ends are set on.
        store: when given, lockouts are written through it and audited there.
        account: the account name (the store's target of account-wide lockouts).
        admin_credential: the secret an admin unlock must present (``None``: no admin).
        on_change: called ``(reason)`` after lockouts start or end (the engine recomputes
            its trading state).
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        *,
        store: Store | None = None,
        account: str = "default",
        admin_credential: str | None = None,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.store = store
        self.account = account
        self._credential = admin_credential
        self.on_change = on_change
        self._active: dict[int, Lockout] = {}
        self._next_id = 1
        self.audit_log: list[AuditEntry] = []
        self._account_locks = 0
        self._cooldowns = 0
        self._symbol_locks: dict[str, int] = {}
        #: how many lockouts wait for a rule's condition (read by the engine on every event)
        self.conditions_waiting = 0

    # -- queries ----------------------------------------------------------------------------

    def active(self) -> list[Lockout]:
        """The active lockouts and cooldowns, oldest first."""
        return list(self._active.values())

    @property
    def account_locked(self) -> bool:
        """Whether a hard lockout halts the whole account."""
        return self._account_locks > 0

    @property
    def in_cooldown(self) -> bool:
        """Whether a cooldown is running."""
        return self._cooldowns > 0

    @property
    def has_symbol_locks(self) -> bool:
        """Whether any symbol has a lockout of its own."""
        return any(self._symbol_locks.values())

    @property
    def has_condition_locks(self) -> bool:
        """Whether a lockout waits for a rule's condition."""
        return self.conditions_waiting > 0

    def symbol_locked(self, symbol: str) -> bool:
        """Whether ``symbol`` has a lockout of its own."""
        return self._symbol_locks.get(symbol, 0) > 0

    def blocking(self, symbol: str | None = None) -> Lockout | None:
        """The lockout that blocks trading (in ``symbol``), strongest first, or ``None``."""
        cooldown = None
        for lock in self._active.values():
            if lock.is_cooldown:
                cooldown = cooldown or lock
            elif lock.symbol is None or lock.symbol == symbol:
                return lock
        return cooldown

    def find(self, rule: str, symbol: str | None = None) -> Lockout | None:
        """The active lockout of ``rule`` (for ``symbol``), if any."""
        for lock in self._active.values():
            if lock.rule == rule and lock.symbol == symbol:
                return lock
        return None

    # -- starting ---------------------------------------------------------------------------

    def lock(
        self,
        rule: str,
        reason: str,
        *,
        until_ts: int | None = None,
        until_reset: bool = False,
        next_reset: int | None = None,
        until_condition: bool = False,
        symbol: str | None = None,
        admin_unlock: bool = True,
    ) -> Lockout:
        """Start a hard lockout (or return the one ``rule`` already holds on ``symbol``).

        ``until_reset`` makes it end at the next reset (``next_reset``: when that is, if
        known); ``until_condition`` at the rule's say-so; with none of them it lasts until
        an admin lifts it.
        """
        existing = self.find(rule, symbol)
        if existing is not None and not existing.is_cooldown:
            return existing
        until: int | None
        if until_ts is not None:
            mode, until = LockoutMode.TIME, until_ts
        elif until_reset:
            mode, until = LockoutMode.RESET, next_reset
        elif until_condition:
            mode, until = LockoutMode.CONDITION, None
        else:
            mode, until = LockoutMode.PERMANENT, None
        lock = self._add(
            rule=rule,
            reason=reason,
            kind=LockoutKind.HARD,
            mode=mode,
            until=until,
            symbol=symbol,
            admin_unlock=admin_unlock,
        )
        self.bus.publish(
            LockoutStarted(
                ts=lock.started_at, rule=rule, reason=reason, until_ts=until, symbol=symbol
            )
        )
        self._changed()
        return lock

    def cooldown(
        self, rule: str, reason: str, until_ts: int, *, admin_unlock: bool = True
    ) -> Lockout:
        """Start a cooldown until ``until_ts`` (an existing one of ``rule`` is extended)."""
        existing = self.find(rule)
        if existing is not None and existing.is_cooldown:
            if existing.until is not None and existing.until >= until_ts:
                return existing
            self._drop(existing, "extended", announce=False)
        lock = self._add(
            rule=rule,
            reason=reason,
            kind=LockoutKind.COOLDOWN,
            mode=LockoutMode.TIME,
            until=until_ts,
            symbol=None,
            admin_unlock=admin_unlock,
        )
        self.bus.publish(
            CooldownStarted(ts=lock.started_at, rule=rule, reason=reason, until_ts=until_ts)
        )
        self._changed()
        return lock

    def _add(
        self,
        *,
        rule: str,
        reason: str,
        kind: LockoutKind,
        mode: LockoutMode,
        until: int | None,
        symbol: str | None,
        admin_unlock: bool,
    ) -> Lockout:
        now = self.clock.now()
        lock_id = self._next_id
        if self.store is not None:
            record = self.store.lockouts.add(
                LockoutRecord(
                    scope=LockoutScope.SYMBOL if symbol else LockoutScope.ACCOUNT,
                    target=symbol or self.account,
                    rule=rule,
                    reason=reason,
                    kind=kind,
                    started_at=now,
                    until=until,
                )
            )
            assert record.id is not None
            lock_id = record.id
            meta = {"mode": str(mode), "admin_unlock": admin_unlock, "account": self.account}
            self.store.checkpoints.put(f"lockout-meta:{lock_id}", json.dumps(meta), ts=now)
        self._next_id = max(self._next_id, lock_id) + 1
        lock = Lockout(lock_id, rule, reason, kind, mode, now, until, symbol, admin_unlock)
        self._install(lock)
        return lock

    def _install(self, lock: Lockout) -> None:
        self._active[lock.id] = lock
        self._count(lock, +1)
        if lock.until is not None:
            name = f"risk:lock:{lock.id}"
            self.clock.cancel(name)
            self.clock.set_alarm(name, lock.until, lambda: self._expire(lock.id))

    def _count(self, lock: Lockout, delta: int) -> None:
        if lock.mode is LockoutMode.CONDITION:
            self.conditions_waiting += delta
        if lock.is_cooldown:
            self._cooldowns += delta
        elif lock.symbol is None:
            self._account_locks += delta
        else:
            self._symbol_locks[lock.symbol] = self._symbol_locks.get(lock.symbol, 0) + delta

    # -- ending -----------------------------------------------------------------------------

    def _expire(self, lock_id: int) -> None:
        lock = self._active.get(lock_id)
        if lock is not None:
            self.release(lock, "reset" if lock.mode is LockoutMode.RESET else "expired")

    def release(self, lock: Lockout, reason: str, *, by: str = "system") -> bool:
        """End ``lock`` (``reason``: ``expired``, ``reset``, ``condition``, ``admin``)."""
        if lock.id not in self._active:
            return False
        self._drop(lock, reason, by=by)
        self._changed(f"LOCKOUT_ENDED: rule={lock.rule}, reason={reason}")
        return True

    def _drop(
        self, lock: Lockout, reason: str, *, by: str = "system", announce: bool = True
    ) -> None:
        if self.store is not None:
            self.store.lockouts.clear(lock.id, cleared_at=self.clock.now(), cleared_by=by)
        del self._active[lock.id]
        self._count(lock, -1)
        self.clock.cancel(f"risk:lock:{lock.id}")
        if not announce:
            return
        now = self.clock.now()
        if lock.is_cooldown:
            self.bus.publish(CooldownEnded(ts=now, rule=lock.rule, reason=reason))
        else:
            self.bus.publish(
                LockoutEnded(ts=now, rule=lock.rule, reason=reason, symbol=lock.symbol)
            )

    def on_reset(self, ts: int) -> list[Lockout]:
        """A reset ran: end every lockout that lasts until the reset; return them."""
        ended = [lock for lock in self.active() if lock.mode is LockoutMode.RESET]
        for lock in ended:
            self._drop(lock, "reset")
        if ended:
            self._changed(f"LOCKOUT_ENDED: rule={ended[0].rule}, reason=reset")
        return ended

    def condition_locks(self) -> list[Lockout]:
        """The lockouts that end on a rule's condition."""
        return [lock for lock in self._active.values() if lock.mode is LockoutMode.CONDITION]

    def admin_unlock(self, lock_id: int, *, credential: str, actor: str = "admin") -> Lockout:
        """Lift lockout ``lock_id`` by hand; audited whatever the outcome.

        Raises:
            UnlockRefused: bad credential, unknown lockout, or its rule forbids it.
        """
        lock = self._active.get(lock_id)
        details: dict[str, object] = {"lockout": lock_id}
        if lock is not None:
            details.update(rule=lock.rule, symbol=lock.symbol)
        refusal = None
        if self._credential is None or not hmac.compare_digest(
            credential.encode(), self._credential.encode()
        ):
            refusal = "bad_credential"
        elif lock is None:
            refusal = "unknown_lockout"
        elif not lock.admin_unlock:
            refusal = "not_allowed"
        self._audit(actor, "admin_unlock", refusal or "ok", details)
        if refusal is not None or lock is None:
            raise UnlockRefused(f"ADMIN_UNLOCK_REFUSED: lockout={lock_id}, reason={refusal}")
        self._drop(lock, "admin", by=actor)
        self._changed(f"LOCKOUT_ENDED: rule={lock.rule}, reason=admin")
        return lock

    def _audit(self, actor: str, action: str, outcome: str, details: dict[str, object]) -> None:
        entry = AuditEntry(self.clock.now(), actor, action, outcome, dict(details))
        if self.store is not None:
            self.store.audit.append(entry)
        self.audit_log.append(entry)

    def _changed(self, reason: str = "") -> None:
        if self.on_change is not None:
            self.on_change(reason)

    # -- restart ----------------------------------------------------------------------------

    def restore(self) -> list[Lockout]:
        """Reload the lockouts active now from the store (silently: no events)."""
        if self.store is None:
            return []
        now = self.clock.now()
        restored = []
        for record in self.store.lockouts.active(now):
            if record.scope is LockoutScope.ACCOUNT and record.target != self.account:
                continue
            assert record.id is not None
            raw = self.store.checkpoints.get(f"lockout-meta:{record.id}")
            meta = json.loads(raw) if raw else {}
            default_mode = LockoutMode.TIME if record.until is not None else LockoutMode.PERMANENT
            lock = Lockout(
                id=record.id,
                rule=record.rule,
                reason=record.reason,
                kind=record.kind,
                mode=LockoutMode(meta.get("mode", default_mode)),
                started_at=record.started_at,
                until=record.until,
                symbol=record.target if record.scope is LockoutScope.SYMBOL else None,
                admin_unlock=bool(meta.get("admin_unlock", True)),
            )
            if lock.id in self._active:
                continue
            self._install(lock)
            self._next_id = max(self._next_id, lock.id + 1)
            restored.append(lock)
        for record in self.store.lockouts.history():
            # Lockouts that expired while we were down: close them in the store too.
            if record.cleared_at is None and not record.active_at(now) and record.id is not None:
                self.store.lockouts.clear(record.id, cleared_at=now, cleared_by="expired")
        if restored:
            self._changed("restored")
        return restored
