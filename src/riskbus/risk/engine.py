"""The risk engine: pre-trade checks on the order path, post-event rule evaluation.

**Pre-trade** (:meth:`RiskEngine.check`, installed as ``gateway.gate = engine``):

1. an enforcement order is allowed when it does not increase exposure, else denied with
   ``ENFORCEMENT_INCREASES_EXPOSURE``;
2. the trading state: ``ACTIVE`` lets everything through; ``REDUCING`` only orders that
   reduce an open position (``TRADING_REDUCING``); ``HALTED`` nothing but enforcement
   (``TRADING_HALTED`` naming the lockout, or ``COOLDOWN_ACTIVE``);
3. a per-symbol lock denies orders in that symbol that would not reduce its position
   (``SYMBOL_LOCKED``);
4. each enabled rule's ``pre_trade``; the first ``deny`` verdict's reason is returned.

The gateway publishes the ``OrderDenied``. Reasons are ``CODE: key=value``.

**Post-event** (:meth:`RiskEngine.on_event`): the engine subscribes to every event type
a rule listens to; for each such event it builds one :class:`RuleContext`, calls the
enabled rules that listen to it (a ``RuleTimerFired`` goes to its own rule only), and hands
the verdicts to its :class:`~riskbus.risk.verdicts.VerdictApplier`: announced
(``RuleViolated``) strongest first, then enforced in that order, a weaker verdict that a
stronger one already covers skipped (the details are in :mod:`riskbus.risk.verdicts`).

The trading state is the strongest of the manual state (``SetTradingState``, escalations)
and the lockouts (an account lockout or a cooldown means ``HALTED``); every change publishes
``TradingStateChanged``. A position opened (or grown) while ``HALTED`` or in a locked
symbol is closed at once. ``AccountStatusChanged`` keeps ``ctx.can_trade``; after each
event, ``until_condition`` lockouts whose rule ``releases`` are lifted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.errors import ConfigError
from riskbus.core.messages import Message
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SetTradingState, SubmitOrder
from riskbus.model.enums import TradingState
from riskbus.model.events.account import (
    AccountStatusChanged,
    PositionChanged,
    PositionClosed,
    PositionOpened,
    TradingStateChanged,
)
from riskbus.model.events.risk import RuleTimerFired
from riskbus.model.portfolio import Portfolio
from riskbus.model.reasons import format_reason
from riskbus.risk.enforcement import EnforcementExecutor
from riskbus.risk.lockouts import Lockout, LockoutManager, LockoutMode
from riskbus.risk.rules.base import PnLView, Rule, RuleContext, Verdict
from riskbus.risk.verdicts import VerdictApplier, combine
from riskbus.store import Store, TimerRecord

__all__ = ["RiskEngine", "combine"]

log = logging.getLogger("riskbus.risk")

_Check = Callable[[RuleContext], Verdict | None]
#: (rule, its check, its alarm setter and canceller)
_Call = tuple[Rule[Any], _Check, Callable[[str, int], None], Callable[[str], None]]
#: an event type's rules, and each rule with its check ready to call (see :func:`_checks`)
_Route = tuple[list[_Call], list[tuple[Rule[Any], _Check]]]
_ZERO = Decimal(0)
_POSITION_EVENTS = frozenset((PositionOpened, PositionChanged, PositionClosed))
_DEBUG = logging.DEBUG


class RiskEngine:
    """Pre-trade gate and post-event rule evaluation for one account.

    Args:
        bus: where events come from and verdict events go.
        clock: time, rule alarms.
        registry: the instruments.
        portfolio: the tracked account (positions, marks).
        pnl: the P&L tracker.
        rules: the rules, in any order.
        lockouts: the lockout manager (default: a new one without a store).
        enforcement: sends the enforcement commands (default: a new executor).
        store: when given, rule alarms and rule state are persisted.
        timezone: the account's time zone (``ctx.timezone``).
        next_reset: returns when the next reset runs (for ``until_reset`` lockouts).
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        registry: InstrumentRegistry,
        portfolio: Portfolio,
        pnl: PnLView,
        *,
        rules: Sequence[Rule[Any]],
        lockouts: LockoutManager | None = None,
        enforcement: EnforcementExecutor | None = None,
        store: Store | None = None,
        timezone: str = "UTC",
        next_reset: Callable[[], int] | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.registry = registry
        self.portfolio = portfolio
        self.pnl = pnl
        self.rules = sorted(rules, key=lambda r: r.code)
        self.store = store
        self.timezone = timezone
        self.next_reset = next_reset
        self.lockouts = lockouts if lockouts is not None else LockoutManager(bus, clock)
        self.lockouts.on_change = self._recompute
        self.enforcement = (
            enforcement
            if enforcement is not None
            else EnforcementExecutor(bus, clock, portfolio).attach()
        )
        self.enforcement.on_escalate = self.halt
        self.can_trade = True
        self._manual = TradingState.ACTIVE
        self._state = TradingState.ACTIVE
        self._by_name = {rule.name: rule for rule in self.rules}
        self._routes: dict[type[Message], list[Rule[Any]]] = {}
        self._setters = {rule.name: self._alarm_setter(rule) for rule in self.rules}
        self._cancellers = {rule.name: self._alarm_canceller(rule) for rule in self.rules}
        self._saved_state: dict[str, str] = {}
        self._sizes: dict[str, Decimal] = {}
        self._calls: dict[type[Message], _Route] = {}
        self._subscribed: set[type[Message]] = set()
        self._depth = 0
        self._ctx = self.context(RuleTimerFired(ts=0, rule="", key=""))
        self._ctx.memo = True  # renewed for each event (see on_event)
        self.evaluated = 0
        #: announces and enforces the verdicts
        self.verdicts = VerdictApplier(
            bus, clock, self.lockouts, self.enforcement, self._next_reset_at
        )

    # -- wiring -----------------------------------------------------------------------------

    def event_types(self) -> list[type[Message]]:
        """Every event type the engine subscribes to."""
        types: dict[type[Message], None] = {}
        for rule in self.rules:
            if rule.enabled:
                types.update(dict.fromkeys(rule.events))
        types.update(dict.fromkeys((RuleTimerFired, AccountStatusChanged, PositionOpened)))
        types.update(dict.fromkeys((PositionChanged, PositionClosed)))
        return list(types)

    def attach(self) -> RiskEngine:
        """Subscribe to the rules' events; execute ``SetTradingState``; return self."""
        self._subscribe()
        if not self.bus.has_handler(SetTradingState):
            self.bus.register(SetTradingState, self.on_set_state, component="RiskEngine")
        return self

    def _subscribe(self) -> None:
        for kind in self.event_types():
            if kind not in self._subscribed:
                self._subscribed.add(kind)
                self.bus.subscribe(kind, self.on_event, component="RiskEngine")

    def replace_rules(self, rules: Sequence[Rule[Any]]) -> None:
        """Put a new rule set in force without a restart (config hot reload).

        A rule kept under the same name and class takes over its predecessor's state
        (:meth:`Rule.state` → :meth:`Rule.restore`); alarms of removed rules are cancelled;
        lockouts already in force stay. All or nothing: if a state cannot be carried over,
        ``ConfigError`` is raised and the old rules stay.

        Raises:
            ConfigError: a rule refused its predecessor's state.
        """
        new = sorted(rules, key=lambda r: r.code)
        for rule in new:
            previous = self._by_name.get(rule.name)
            if previous is not None and type(previous) is type(rule):
                try:
                    rule.restore(previous.state())
                except Exception as error:
                    raise ConfigError(
                        f"rule {rule.name}: cannot take over its state: {error}"
                    ) from error
        kept = {rule.name for rule in new}
        for name in self.clock.timer_names():
            if name.startswith("rule:") and name.split(":")[1] not in kept:
                self.clock.cancel(name)
                if self.store is not None:
                    self.store.timers.delete(name)
        self.rules = new
        self._by_name = {rule.name: rule for rule in new}
        self._setters = {rule.name: self._alarm_setter(rule) for rule in new}
        self._cancellers = {rule.name: self._alarm_canceller(rule) for rule in new}
        self._routes.clear()
        self._calls.clear()
        if self._subscribed:
            self._subscribe()
        log.info(
            "rules replaced",
            extra={"checkpoint": 4, "rules": [r.name for r in new if r.enabled]},
        )

    def _rules_for(self, kind: type[Message]) -> list[Rule[Any]]:
        rules = [
            rule
            for rule in self.rules
            if rule.enabled and any(issubclass(kind, t) for t in rule.events)
        ]
        self._routes[kind] = rules
        return rules

    # -- state ------------------------------------------------------------------------------

    @property
    def state(self) -> TradingState:
        """The current trading state."""
        return self._state

    def on_set_state(self, command: SetTradingState) -> None:
        """Executor of ``SetTradingState``: set the manual state."""
        self.set_state(command.state, command.reason or "manual")

    def set_state(self, state: TradingState, reason: str = "manual") -> None:
        """Set the manual trading state (lockouts may still hold it higher)."""
        self._manual = state
        self._recompute(reason)

    def halt(self, reason: str) -> None:
        """Halt trading (manual state ``HALTED``): used when enforcement keeps failing."""
        self.set_state(TradingState.HALTED, reason)

    def _recompute(self, reason: str = "") -> None:
        lockouts = self.lockouts
        state = self._manual
        if lockouts.account_locked or lockouts.in_cooldown:
            state = TradingState.HALTED
        if state is self._state:
            return
        old, self._state = self._state, state
        if not reason:
            blocking = lockouts.blocking()
            reason = blocking.reason if blocking is not None else "lockouts ended"
        log.info(
            "trading state %s -> %s",
            old,
            state,
            extra={"checkpoint": 7, "old": str(old), "new": str(state), "reason": reason},
        )
        self.bus.publish(
            TradingStateChanged(ts=self.clock.now(), old=old, new=state, reason=reason)
        )

    # -- context ----------------------------------------------------------------------------

    def context(self, event: Message) -> RuleContext:
        """A rule context for ``event`` at the clock's time."""
        return RuleContext(
            now=self.clock.now(),
            event=event,
            portfolio=self.portfolio,
            pnl=self.pnl,
            registry=self.registry,
            state=self._state,
            can_trade=self.can_trade,
            timezone=self.timezone,
        )

    def _alarm_setter(self, rule: Rule[Any]) -> Callable[[str, int], None]:
        name = rule.name

        def set_alarm(key: str, at: int) -> None:
            timer = f"rule:{name}:{key}"
            self.clock.cancel(timer)
            if self.store is not None:
                payload = {"rule": name, "key": key}
                self.store.timers.upsert(TimerRecord(timer, fire_at=at, payload=payload))
            self.clock.set_alarm(timer, at, lambda: self._fire_alarm(name, key))

        return set_alarm

    def _alarm_canceller(self, rule: Rule[Any]) -> Callable[[str], None]:
        name = rule.name

        def cancel_alarm(key: str) -> None:
            timer = f"rule:{name}:{key}"
            if self.clock.cancel(timer) and self.store is not None:
                self.store.timers.delete(timer)

        return cancel_alarm

    def _alarm(self, rule: str, key: str) -> Callable[[], None]:
        return lambda: self._fire_alarm(rule, key)

    def _fire_alarm(self, rule: str, key: str) -> None:
        if self.store is not None:
            self.store.timers.delete(f"rule:{rule}:{key}")
        self.bus.publish(RuleTimerFired(ts=self.clock.now(), rule=rule, key=key))

    # -- pre-trade --------------------------------------------------------------------------

    def _reduces(self, order: SubmitOrder) -> bool:
        position = self.portfolio.position(order.symbol)
        if position is None:
            return False
        held = position.quantity
        delta = order.side.sign * order.quantity
        return bool(held) and (delta > 0) != (held > 0) and abs(delta) <= abs(held)

    def check(self, order: SubmitOrder) -> str | None:
        """Return why ``order`` must be denied, or ``None`` to let it through."""
        if order.enforcement:
            if not self._reduces(order):
                return format_reason(
                    "ENFORCEMENT_INCREASES_EXPOSURE", symbol=order.symbol, side=order.side
                )
            return None
        denial = self._state_denial(order)
        if denial is not None:
            return denial
        ctx: RuleContext | None = None
        for rule in self.rules:
            if not rule.enabled:
                continue
            if ctx is None:
                ctx = self.context(order)
            ctx.set_alarm = self._setters[rule.name]
            ctx.cancel_alarm = self._cancellers[rule.name]
            verdict = rule.pre_trade(ctx, order)
            if verdict is not None:
                return verdict.reason
        return None

    def _state_denial(self, order: SubmitOrder) -> str | None:
        state = self._state
        if state is TradingState.HALTED:
            lock = self.lockouts.blocking(order.symbol)
            if lock is not None and lock.is_cooldown:
                return format_reason("COOLDOWN_ACTIVE", rule=lock.rule, until=lock.until)
            if lock is not None:
                return format_reason(
                    "TRADING_HALTED", state=state, rule=lock.rule, until=_until(lock)
                )
            return format_reason("TRADING_HALTED", state=state, rule="manual", until="manual")
        if state is TradingState.REDUCING and not self._reduces(order):
            return format_reason("TRADING_REDUCING", state=state, symbol=order.symbol)
        lockouts = self.lockouts
        if (
            lockouts.has_symbol_locks
            and lockouts.symbol_locked(order.symbol)
            and not self._reduces(order)
        ):
            lock = lockouts.blocking(order.symbol)
            name = lock.rule if lock is not None else ""
            return format_reason("SYMBOL_LOCKED", symbol=order.symbol, rule=name)
        return None

    # -- post-event -------------------------------------------------------------------------

    def on_event(self, event: Message) -> None:
        """Evaluate the rules listening to ``event`` and enforce what they ask for."""
        kind = type(event)
        route = self._calls.get(kind)
        if route is None or kind is RuleTimerFired or kind is AccountStatusChanged:
            route = self._route(kind, event)
        calls, checks = route
        debug = log.isEnabledFor(_DEBUG)
        ctx = self._ctx
        if self._depth:  # re-entered (called outside the bus): a context of its own
            ctx = self.context(event)
        else:
            ctx.renew(self.clock.now(), event, self._state, self.can_trade)
        self._depth += 1
        try:
            found: list[tuple[Rule[Any], Verdict]] | None = None
            if debug:
                found = _check_logged(kind, calls, ctx)
            else:
                for rule, check in checks:
                    verdict = check(ctx)
                    if verdict is not None:
                        if found is None:
                            found = []
                        found.append((rule, verdict))
            self.evaluated += len(calls)
            if found is not None:
                self.apply(found)
            if kind in _POSITION_EVENTS:
                # only a position that opened or grew may need closing (read inline: on
                # every position event, and usually it did neither)
                size = abs(event.quantity)  # type: ignore[attr-defined]
                sizes = self._sizes
                symbol = event.symbol  # type: ignore[attr-defined]
                grew = size > sizes.get(symbol, _ZERO) or kind is PositionOpened
                sizes[symbol] = size
                if grew:
                    self._close_if_locked(symbol)
            if self.lockouts.conditions_waiting:
                # enforcement may have changed the account: nothing remembered is kept
                ctx.forget()
                self._check_conditions(ctx)
            if self.store is not None and calls:
                self._save_rule_state(call[0] for call in calls)
        finally:
            self._depth -= 1

    def _route(self, kind: type[Message], event: Message) -> _Route:
        if kind is RuleTimerFired:
            assert isinstance(event, RuleTimerFired)
            target = self._by_name.get(event.rule)
            calls = [self._call(target)] if target is not None and target.enabled else []
            return calls, _checks(calls, alarms=True)  # its own alarm: it may set the next
        if kind is AccountStatusChanged:
            assert isinstance(event, AccountStatusChanged)
            self.can_trade = event.can_trade
        route = self._calls.get(kind)
        if route is None:
            calls = [self._call(rule) for rule in self._rules_for(kind)]
            route = self._calls[kind] = (calls, _checks(calls))
        return route

    def _call(self, rule: Rule[Any]) -> _Call:
        return (rule, rule.check, self._setters[rule.name], self._cancellers[rule.name])

    def _close_if_locked(self, symbol: str) -> None:
        """Close ``symbol``'s position, which just opened or grew, if trading is halted or
        the symbol is locked."""
        locked = self._state is TradingState.HALTED or self.lockouts.symbol_locked(symbol)
        if not locked:
            return
        lock = self.lockouts.blocking(symbol)
        rule = lock.rule if lock is not None else "trading_state"
        reason = format_reason("POSITION_WHILE_LOCKED", symbol=symbol, rule=rule)
        self.enforcement.close_position(symbol, rule=rule, reason=reason)

    def _check_conditions(self, ctx: RuleContext) -> None:
        for lock in self.lockouts.condition_locks():
            rule = self._by_name.get(lock.rule)
            if rule is None:
                continue
            ctx.set_alarm = self._setters[rule.name]
            ctx.cancel_alarm = self._cancellers[rule.name]
            if rule.releases(ctx):
                self.lockouts.release(lock, "condition")

    def apply(self, verdicts: Iterable[tuple[Rule[Any], Verdict]]) -> list[Verdict]:
        """Announce and enforce ``verdicts`` (:class:`VerdictApplier`); return those enforced."""
        return self.verdicts.apply(verdicts)

    @property
    def violations(self) -> int:
        """Verdicts announced (``RuleViolated``) so far."""
        return self.verdicts.violations

    def _next_reset_at(self) -> int | None:
        return self.next_reset() if self.next_reset else None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> list[Verdict]:
        """Call each enabled rule's ``start`` and enforce what they return."""
        found = []
        ctx = self.context(RuleTimerFired(ts=self.clock.now(), rule="", key="start"))
        for rule in self.rules:
            if not rule.enabled:
                continue
            ctx.set_alarm = self._setters[rule.name]
            ctx.cancel_alarm = self._cancellers[rule.name]
            verdict = rule.start(ctx)
            if verdict is not None:
                found.append((rule, verdict))
        return self.apply(found) if found else []

    def on_reset(self, ts: int) -> None:
        """A reset ran: rules clear their per-day state (P&L and lockouts are told apart)."""
        ctx = self.context(RuleTimerFired(ts=ts, rule="", key="reset"))
        for rule in self.rules:
            ctx.set_alarm = self._setters[rule.name]
            ctx.cancel_alarm = self._cancellers[rule.name]
            rule.on_reset(ctx)
        if self.store is not None:
            self._save_rule_state(self.rules)

    def _save_rule_state(self, rules: Iterable[Rule[Any]]) -> None:
        assert self.store is not None
        for rule in rules:
            text = json.dumps(rule.state(), sort_keys=True, default=str)
            if self._saved_state.get(rule.name) != text:
                self.store.checkpoints.put(f"rule-state:{rule.name}", text, ts=self.clock.now())
                self._saved_state[rule.name] = text

    def restore(self) -> None:
        """Reload rule state and pending rule alarms from the store (after a restart)."""
        if self.store is None:
            return
        for rule in self.rules:
            text = self.store.checkpoints.get(f"rule-state:{rule.name}")
            if text:
                rule.restore(json.loads(text))
                self._saved_state[rule.name] = text
        for timer in self.store.timers.all():
            rule_name = timer.payload.get("rule")
            key = timer.payload.get("key")
            if not timer.name.startswith("rule:") or rule_name not in self._by_name:
                continue
            self.clock.cancel(timer.name)
            self.clock.set_alarm(timer.name, timer.fire_at, self._alarm(str(rule_name), str(key)))
        self._recompute("restored")


def _checks(calls: list[_Call], *, alarms: bool = False) -> list[tuple[Rule[Any], _Check]]:
    """Each rule with the check to call for an event, in rule order.

    A rule that sets alarms (``Rule.uses_alarms``, or any rule when ``alarms``: its own
    ``RuleTimerFired``) gets its alarm functions put in the context first; the others are
    called as they are, so one event costs one call per rule.
    """
    return [
        (
            rule,
            _with_alarms(check, set_alarm, cancel_alarm) if alarms or rule.uses_alarms else check,
        )
        for rule, check, set_alarm, cancel_alarm in calls
    ]


def _with_alarms(
    check: _Check, set_alarm: Callable[[str, int], None], cancel_alarm: Callable[[str], None]
) -> _Check:
    def checked(ctx: RuleContext) -> Verdict | None:
        ctx.set_alarm = set_alarm
        ctx.cancel_alarm = cancel_alarm
        return check(ctx)

    return checked


def _check_logged(
    kind: type[Message], calls: list[_Call], ctx: RuleContext
) -> list[tuple[Rule[Any], Verdict]] | None:
    """The checks of :meth:`RiskEngine.on_event` with the debug lines: the event (checkpoint
    6), then one per rule that passes (checkpoint 7)."""
    log.debug("event %s", kind.__name__, extra={"checkpoint": 6, "event": kind.__name__})
    found: list[tuple[Rule[Any], Verdict]] | None = None
    for rule, check, set_alarm, cancel_alarm in calls:
        ctx.set_alarm = set_alarm
        ctx.cancel_alarm = cancel_alarm
        verdict = check(ctx)
        if verdict is not None:
            if found is None:
                found = []
            found.append((rule, verdict))
        else:
            log.debug("rule %s PASS", rule.name, extra={"checkpoint": 7, "rule": rule.name})
    return found


def _until(lock: Lockout) -> object:
    if lock.mode is LockoutMode.RESET:
        return "reset"
    if lock.mode is LockoutMode.CONDITION:
        return "condition"
    if lock.until is None:
        return "permanent"
    return lock.until
