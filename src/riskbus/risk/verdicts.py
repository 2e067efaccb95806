"""How the risk engine applies the verdicts of one event: announce, then enforce.

:class:`VerdictApplier` takes the verdicts the rules returned for one event
(:meth:`~riskbus.risk.engine.RiskEngine.on_event`, a rule's ``start``):

* a ``lockout`` verdict of a rule whose lockout is already in force is dropped (it was
  enforced when the lockout started; positions opened since are closed by the engine);
* every other verdict is announced with ``RuleViolated``, strongest first
  (:data:`~riskbus.risk.rules.base.ACTION_STRENGTH`, ties by rule code: :func:`combine`);
* the verdicts are then enforced in that order, **skipping a weaker verdict that a stronger
  one already covers**: a ``close_position``/``reduce_to_limit``/``move_stop`` when all
  positions are being flattened, or when that symbol is being closed; a
  ``cancel_all_orders`` when orders are already being cancelled; a ``cooldown`` under an
  account lockout that lasts at least as long. Lockouts are always recorded (each rule's
  lockout ends on its own terms), their flatten/cancel is sent once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.model.enums import RiskAction
from riskbus.model.events.risk import RuleViolated
from riskbus.risk.enforcement import EnforcementExecutor
from riskbus.risk.lockouts import Lockout, LockoutManager, LockoutMode
from riskbus.risk.rules.base import ACTION_STRENGTH, Rule, Verdict

__all__ = ["VerdictApplier", "combine"]

log = logging.getLogger("riskbus.risk")

_POSITION_SCOPED = (RiskAction.CLOSE_POSITION, RiskAction.REDUCE_TO_LIMIT, RiskAction.MOVE_STOP)
_ZERO = Decimal(0)


def combine(verdicts: Iterable[tuple[Rule[Any], Verdict]]) -> list[tuple[Rule[Any], Verdict]]:
    """Sort verdicts strongest first (:data:`ACTION_STRENGTH`), ties by rule code."""
    return sorted(verdicts, key=lambda rv: (ACTION_STRENGTH.index(rv[1].action), rv[0].code))


class VerdictApplier:
    """Announces and enforces the verdicts of one event at a time (see the module docstring).

    Args:
        bus: where ``RuleViolated`` goes.
        clock: the time of the announcements and cooldowns.
        lockouts: where lockouts and cooldowns are recorded.
        enforcement: what closes, reduces, flattens and cancels.
        next_reset: when the next reset runs (``None``: unknown), for ``until_reset``.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        lockouts: LockoutManager,
        enforcement: EnforcementExecutor,
        next_reset: Callable[[], int | None],
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.lockouts = lockouts
        self.enforcement = enforcement
        self._next_reset = next_reset
        #: verdicts announced so far
        self.violations = 0

    def apply(self, verdicts: Iterable[tuple[Rule[Any], Verdict]]) -> list[Verdict]:
        """Announce and enforce ``verdicts`` (see the module docstring); return those enforced."""
        ordered = [rv for rv in combine(verdicts) if not self._repeat(rv[0], rv[1])]
        now = self.clock.now()
        for rule, verdict in ordered:
            self.violations += 1
            log.info(
                "rule %s VIOLATED: %s",
                rule.name,
                verdict.reason,
                extra={
                    "checkpoint": 7,
                    "rule": rule.name,
                    "action": str(verdict.action),
                    "reason": verdict.reason,
                },
            )
            self.bus.publish(
                RuleViolated(
                    ts=now,
                    rule=verdict.rule or rule.name,
                    reason=verdict.reason,
                    action=verdict.action,
                    symbol=verdict.symbol,
                )
            )
        cover = _Cover()
        enforced = []
        for rule, verdict in ordered:
            if cover.covers(verdict):
                continue
            self._enforce(rule, verdict, cover)
            enforced.append(verdict)
        return enforced

    def _repeat(self, rule: Rule[Any], verdict: Verdict) -> bool:
        """A lockout verdict for a lockout already in force: enforced already.

        New positions opened while it holds are closed by the engine
        (:meth:`RiskEngine._close_if_locked <riskbus.risk.engine.RiskEngine._close_if_locked>`).
        """
        if verdict.action is not RiskAction.LOCKOUT:
            return False
        lock = self.lockouts.find(verdict.rule or rule.name, verdict.symbol)
        return lock is not None and not lock.is_cooldown

    def _enforce(self, rule: Rule[Any], v: Verdict, cover: _Cover) -> None:
        name = v.rule or rule.name
        action = v.action
        ex = self.enforcement
        if action is RiskAction.LOCKOUT:
            self._lock(rule, v, cover)
        elif action is RiskAction.COOLDOWN:
            until = v.until_ts if v.until_ts is not None else self.clock.now()
            self.lockouts.cooldown(name, v.reason, until, admin_unlock=rule.config.admin_unlock)
        elif action is RiskAction.CLOSE_POSITION and v.symbol is not None:
            ex.close_position(v.symbol, rule=name, reason=v.reason)
            cover.closed.add(v.symbol)
        elif action is RiskAction.CLOSE_POSITION:
            self._flatten(name, v.reason, cancel=v.cancel_orders, cover=cover)
        elif action is RiskAction.REDUCE_TO_LIMIT and v.symbol is not None:
            target = v.target_quantity if v.target_quantity is not None else _ZERO
            ex.reduce_to_limit(v.symbol, target, rule=name, reason=v.reason)
            cover.reduced.add(v.symbol)
        elif action is RiskAction.MOVE_STOP and v.symbol is not None and v.stop_price is not None:
            ex.move_stop(v.symbol, v.stop_price, rule=name, reason=v.reason)
        elif action is RiskAction.FLATTEN_ALL:
            self._flatten(name, v.reason, cancel=v.cancel_orders, cover=cover)
        elif action is RiskAction.CANCEL_ALL_ORDERS:
            ex.cancel_all_orders(v.symbol, rule=name, reason=v.reason)
            if v.symbol is None:
                cover.cancelled = True
        self._extras(name, v, cover)

    def _extras(self, name: str, v: Verdict, cover: _Cover) -> None:
        """The verdict's ``flatten`` and ``cancel_orders`` flags (once per event)."""
        ex = self.enforcement
        if v.flatten and not cover.flattened:
            self._flatten(name, v.reason, cancel=v.cancel_orders, cover=cover)
        if v.cancel_orders and not cover.cancelled:
            ex.cancel_all_orders(None, rule=name, reason=v.reason)
            cover.cancelled = True

    def _lock(self, rule: Rule[Any], v: Verdict, cover: _Cover) -> None:
        name = v.rule or rule.name
        next_reset = self._next_reset() if v.until_reset else None
        lock = self.lockouts.lock(
            name,
            v.reason,
            until_ts=v.until_ts,
            until_reset=v.until_reset,
            next_reset=next_reset,
            until_condition=v.until_condition,
            symbol=v.symbol,
            admin_unlock=rule.config.admin_unlock,
        )
        if v.symbol is None:
            cover.lock_until = _max_until(cover.lock_until, lock)
        elif not v.flatten:
            self.enforcement.close_position(v.symbol, rule=name, reason=v.reason)
            cover.closed.add(v.symbol)

    def _flatten(self, rule: str, reason: str, *, cancel: bool, cover: _Cover) -> None:
        if cover.flattened:
            return
        cancel = cancel and not cover.cancelled
        self.enforcement.flatten_all(rule=rule, reason=reason, cancel_orders=cancel)
        cover.flattened = True
        cover.cancelled = cover.cancelled or cancel


class _Cover:
    """What the verdicts applied so far already do (for skipping weaker ones)."""

    __slots__ = ("cancelled", "closed", "flattened", "lock_until", "reduced")

    def __init__(self) -> None:
        self.flattened = False
        self.cancelled = False
        self.closed: set[str] = set()
        self.reduced: set[str] = set()
        self.lock_until: int | None = None  # -1: a lockout with no known end

    def covers(self, v: Verdict) -> bool:
        action = v.action
        if action in _POSITION_SCOPED:
            if self.flattened or (v.symbol is not None and v.symbol in self.closed):
                return True
            return action is RiskAction.REDUCE_TO_LIMIT and v.symbol in self.reduced
        if action is RiskAction.FLATTEN_ALL:
            return self.flattened and (self.cancelled or not v.cancel_orders)
        if action is RiskAction.CANCEL_ALL_ORDERS:
            return self.cancelled
        if action is RiskAction.COOLDOWN:
            until = self.lock_until
            return until is not None and (until < 0 or (v.until_ts or 0) <= until)
        return False


def _max_until(current: int | None, lock: Lockout) -> int | None:
    if lock.mode is LockoutMode.CONDITION:
        return current
    end = -1 if lock.until is None else lock.until
    if current is None:
        return end
    if current < 0 or end < 0:
        return -1
    return max(current, end)
