"""Chaos: faults injected into a running scenario, each a window with a start and a heal.

The :class:`ChaosInjector` is the first interceptor of the bus: it sees every message,
tracks the cycle from ``BotMonitoringCycleStarted.cycle_number`` and opens and heals the
**fault window** of each chaos action:

* ``at_cycle: N`` — the window opens when cycle ``N`` starts and is healed when cycle
  ``N + duration_cycles`` starts (``duration_cycles`` defaults to 1; for
  ``network_latency`` to 5, as in the original);
* ``after_event: X`` — it opens when ``X`` is first published and lasts
  ``duration_cycles`` cycles from there;
* neither — it is open for the whole run.

Every window publishes ``FaultStarted`` when it opens and ``FaultHealed`` when it is healed
(at the latest when the run ends: heal on exit), both counted in the chaos report.

Inside its window an action works on each matching message (``probability`` is drawn per
message from the seeded ``chaos`` stream): ``delay_event`` re-delivers it ``delay_ms`` later
in virtual time, ``drop_event`` drops it, ``modify_event`` replaces one field,
``network_latency`` delays every event by a seeded ``min..max`` ms. The other kinds act on
the venue or the processes once per window (``probability`` is then the chance that the
window happens at all):

* ``inject_failure`` makes the operation itself fail: ``MarketPriceFetchFailed`` — the
  bot's ``FetchPrice`` of that cycle never reaches the venue and fails with
  ``error_message``; ``OrderRejected`` — the venue rejects the next order placed; any other
  event — built from ``cycle_id``/``error_message`` and published (the original's way);
* ``exchange_outage``, ``reject_orders``, ``order_ack_lost``, ``partial_fills``,
  ``rate_limit``, ``stale_price``, ``price_gap`` arm the simulated venue's fault hooks and
  disarm them on heal (a price gap stays: prices remain shifted);
* ``restart`` stops the bot and the risk manager half a cycle into cycle ``N``, unplugs
  them, and starts new ones from the store (after ``downtime_cycles`` cycles).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from riskbus.core.bus import EventBus
from riskbus.core.clock import MILLISECOND
from riskbus.core.errors import ScenarioError
from riskbus.core.messages import Command, Message, message_type
from riskbus.model.commands import FetchPrice
from riskbus.model.events.bot import BotMonitoringCycleStarted
from riskbus.model.events.faults import FaultHealed, FaultStarted
from riskbus.model.events.market import MarketPriceFetchFailed
from riskbus.scenarios.schema_chaos import (
    DelayEvent,
    DropEvent,
    ExchangeOutage,
    InjectFailure,
    ModifyEvent,
    NetworkLatency,
    OrderAckLost,
    PartialFills,
    PriceGap,
    RateLimit,
    RejectOrders,
    Restart,
    StalePrice,
)
from riskbus.scenarios.world import World

__all__ = ["ChaosInjector", "FaultWindow"]

_PER_MESSAGE = (DelayEvent, DropEvent, ModifyEvent, NetworkLatency)
_QUIET = (BotMonitoringCycleStarted, FaultStarted, FaultHealed)


@dataclass
class FaultWindow:
    """One fault window: when it opened and healed (virtual ns and cycles)."""

    fault_id: str
    kind: str
    details: str
    start_ts: int
    start_cycle: int
    end_ts: int | None = None
    end_cycle: int | None = None


@dataclass
class _Armed:
    index: int
    action: Any
    kind: str
    details: str
    start: int | None  # first cycle of the window, None: not yet known (after_event)
    length: int
    whole_run: bool = False
    window: FaultWindow | None = None
    done: bool = False
    skipped: bool = False
    undo: list[Callable[[], None]] = field(default_factory=list)


def _details(action: Any) -> str:
    skip = {"type", "at_cycle", "after_event", "duration_cycles"}
    parts = []
    for name, value in action.model_dump(exclude_defaults=False).items():
        if name in skip or value is None or (name == "probability" and value == 1.0):
            continue
        parts.append(f"{name}={value}")
    return " ".join(parts)


class ChaosInjector:
    """The chaos interceptor (see the module docstring).

    Args:
        world: the world it acts on.
        actions: the scenario's chaos actions, in file order.
        rng: the seeded ``chaos`` stream.
    """

    def __init__(self, world: World, actions: Iterable[Any], rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.cycle = 0
        self.stats: dict[str, int] = {
            "events_delayed": 0,
            "events_dropped": 0,
            "events_modified": 0,
            "failures_injected": 0,
            "total_delay_ms": 0,
            "total_events": 0,
        }
        self.windows: list[FaultWindow] = []
        self.armed: list[_Armed] = []
        for index, action in enumerate(actions):
            default = 5 if isinstance(action, NetworkLatency | PartialFills | StalePrice) else 1
            length = action.duration_cycles or default
            whole = action.at_cycle is None and action.after_event is None
            armed = _Armed(
                index, action, action.type, _details(action), action.at_cycle, length, whole
            )
            self._check(armed)
            self.armed.append(armed)
        self._open: list[_Armed] = []
        self._per_message: list[_Armed] = []
        self._targets: set[str] = set()  # event names the open per-message actions act on
        self._latency = False  # a network_latency window is open
        self.total = 0
        self._installed = False
        #: The ``at_cycle`` actions by first cycle, and the next one to open.
        self._pending = sorted(
            (a for a in self.armed if a.start is not None), key=lambda a: (a.start, a.index)
        )
        self._next = 0
        self._watching = sum(1 for a in self.armed if a.action.after_event and a.start is None)
        self._after = {a.action.after_event for a in self.armed if a.action.after_event}
        self._fail_fetch: _Armed | None = None
        self._count = 0

    def _check(self, armed: _Armed) -> None:
        action = armed.action
        if isinstance(action, ModifyEvent):
            cls = message_type(action.event)
            if action.field not in cls.__struct_fields__:
                raise ScenarioError(
                    f"{action.event} has no field {action.field!r}; fields: "
                    + ", ".join(cls.__struct_fields__),
                    source=self.world.loaded.source,
                    field=f"chaos.{armed.index}.field",
                    line=self.world.loaded.line("chaos", str(armed.index), "field"),
                )

    # -- lifecycle --------------------------------------------------------------------------

    def install(self) -> None:
        """Watch the cycles and open the whole-run windows.

        The injector is the bus's first interceptor only while it has work to do (a window
        open, an ``after_event`` to watch for, a fetch to fail); otherwise a subscription to
        ``BotMonitoringCycleStarted`` opens the windows (it runs before the cycle's
        ``FetchPrice`` is sent) and the bus keeps its fast path.
        """
        if not self.armed:
            return
        self.world.bus.subscribe(
            BotMonitoringCycleStarted, self._on_cycle_event, component="ChaosInjector"
        )
        self._refresh_install()
        for armed in self.armed:
            if armed.whole_run:
                self._publish(self._start(armed))

    def _needed(self) -> bool:
        return bool(self._open) or self._fail_fetch is not None or self._watching > 0

    def _refresh_install(self) -> None:
        # _needed(), inline: this runs at every cycle start
        needed = bool(self._open) or self._fail_fetch is not None or self._watching > 0
        if needed and not self._installed:
            self.world.bus.add_interceptor(self, first=True)
            self._installed = True
        elif not needed and self._installed:
            self.world.bus.remove_interceptor(self)
            self._installed = False

    def _on_cycle_event(self, event: BotMonitoringCycleStarted) -> None:
        if event.cycle_number == self.cycle:
            return  # the interceptor saw it first
        self._publish(self._on_cycle(event.cycle_number))

    def finish(self) -> None:
        """Heal every window still open (heal on exit)."""
        for armed in list(self._open):
            self._publish(self._heal(armed))

    def _publish(self, events: list[Message]) -> None:
        bus = self.world.bus
        for event in events:
            bus.publish(event)

    @property
    def report(self) -> dict[str, Any]:
        """The chaos section of the results (original keys first)."""
        by_kind: dict[str, int] = {}
        for window in self.windows:
            by_kind[window.kind] = by_kind.get(window.kind, 0) + 1
        return {
            **self.stats,
            "total_events": self.total,
            "current_cycle": self.cycle,
            "faults_started": len(self.windows),
            "faults_healed": sum(1 for w in self.windows if w.end_ts is not None),
            "by_kind": by_kind,
        }

    # -- the interceptor --------------------------------------------------------------------

    def __call__(self, message: Message, bus: EventBus) -> Message | list[Message] | None:
        self.total += 1
        kind = type(message)
        extra: list[Message] = []
        if kind is BotMonitoringCycleStarted:
            extra = self._on_cycle(message.cycle_number)  # type: ignore[attr-defined]
        elif self._after and kind.__name__ in self._after:
            extra = self._on_after(kind.__name__)
        if self._fail_fetch is not None and kind is FetchPrice:
            return [*extra, self._failed_fetch(message)]  # type: ignore[arg-type]
        if (
            self._per_message
            and (self._latency or kind.__name__ in self._targets)
            and not isinstance(message, _QUIET)
        ):
            result = self._apply(message, bus)
            if result is None:
                return extra or None
            message = result
        if extra:
            return [message, *extra]  # the faults are recorded in the cycle they act on
        return message

    def _on_cycle(self, number: int) -> list[Message]:
        self.cycle = number
        out: list[Message] = []
        if self._open:
            for armed in list(self._open):
                window = armed.window
                if (
                    window is not None
                    and not armed.whole_run  # open until the run ends (healed on exit)
                    and number >= window.start_cycle + armed.length
                ):
                    out += self._heal(armed)
        pending = self._pending
        while self._next < len(pending) and pending[self._next].start <= number:  # type: ignore[operator]
            armed = pending[self._next]
            self._next += 1
            if armed.done or armed.window is not None:
                continue
            if number < armed.start + armed.length:  # type: ignore[operator]
                out += self._start(armed)
        self._refresh_install()
        return out

    def _on_after(self, name: str) -> list[Message]:
        out: list[Message] = []
        for armed in self.armed:
            if armed.action.after_event == name and armed.start is None and not armed.done:
                armed.start = self.cycle
                self._watching -= 1
                out += self._start(armed)
        return out

    # -- windows ----------------------------------------------------------------------------

    def _start(self, armed: _Armed) -> list[Message]:
        action = armed.action
        if (
            not isinstance(action, _PER_MESSAGE)
            and action.probability < 1.0
            and self.rng.random() >= action.probability
        ):
            armed.done = armed.skipped = True
            return []
        self._count += 1
        now = self.world.clock.now()
        window = FaultWindow(f"F{self._count}", armed.kind, armed.details, now, self.cycle)
        armed.window = window
        self.windows.append(window)
        self._open.append(armed)
        out: list[Message] = [
            FaultStarted(ts=now, kind=armed.kind, fault_id=window.fault_id, details=armed.details)
        ]
        if isinstance(action, _PER_MESSAGE):
            self._per_message.append(armed)
            self._retarget()
        else:
            out += self._arm(armed)
        self._refresh_install()
        return out

    def _heal(self, armed: _Armed) -> list[Message]:
        window = armed.window
        assert window is not None
        for undo in armed.undo:
            undo()
        armed.undo.clear()
        armed.done = True
        if armed in self._open:
            self._open.remove(armed)
        if armed in self._per_message:
            self._per_message.remove(armed)
            self._retarget()
        if self._fail_fetch is armed:
            self._fail_fetch = None
        self._refresh_install()
        now = self.world.clock.now()
        window.end_ts = now
        window.end_cycle = self.cycle
        return [FaultHealed(ts=now, kind=armed.kind, fault_id=window.fault_id, details="healed")]

    def _arm(self, armed: _Armed) -> list[Message]:
        action = armed.action
        world = self.world
        exchange = world.exchange
        faults = exchange.faults
        now = world.clock.now()
        span = world.poll * armed.length if not armed.whole_run else 10**18
        if isinstance(action, InjectFailure):
            return self._inject(armed, action)
        if isinstance(action, ExchangeOutage):
            faults.outage(now, now + span)
            armed.undo.append(lambda: _drop_outage(faults, (now, now + span), world.clock.now()))
        elif isinstance(action, RejectOrders):
            faults.reject_next(action.count)
            armed.undo.append(lambda: _clear(faults, "_reject_next", 0))
        elif isinstance(action, OrderAckLost):
            faults.lose_next_ack(action.count)
            armed.undo.append(lambda: _clear(faults, "_lose_acks", 0))
        elif isinstance(action, PartialFills):
            state = exchange._state(world.symbol)
            if state is not None:
                before = state.cap
                step = state.instrument.step_size
                state.cap = max(step, (action.max_quantity // step) * step)
                state.pool_step = -1

                def restore() -> None:
                    state.cap = before
                    state.pool_step = -1

                armed.undo.append(restore)
        elif isinstance(action, RateLimit):
            faults.rate_limit(action.calls, max(1, round(action.window_seconds * 1e9)))
            armed.undo.append(lambda: _clear(faults, "_rate_limit", None))
        elif isinstance(action, StalePrice):
            faults.stale_prices(exchange.step)
            armed.undo.append(faults.fresh_prices)
        elif isinstance(action, PriceGap):
            faults.price_gap(action.percent)
        elif isinstance(action, Restart):
            self._restart(armed, action)
        return []

    def _inject(self, armed: _Armed, action: InjectFailure) -> list[Message]:
        world = self.world
        if action.event == "MarketPriceFetchFailed":
            self._fail_fetch = armed
            return []
        if action.event == "OrderRejected":
            world.exchange.faults.reject_next(1)
            self.stats["failures_injected"] += 1
            return []
        cls = message_type(action.event)
        data: dict[str, Any] = {"ts": world.clock.now()}
        fields = cls.__struct_fields__
        for name, value in (
            ("cycle_id", str(self.cycle)),
            ("error_message", action.error_message),
            ("error", action.error_message),
            ("pair", world.symbol),
            ("symbol", world.symbol),
        ):
            if name in fields:
                data[name] = value
        try:
            event = msgspec.convert({"type": cls.__name__, **data}, cls)
        except msgspec.ValidationError as e:
            raise ScenarioError(
                f"cannot inject {action.event}: {e}",
                source=world.loaded.source,
                field=f"chaos.{armed.index}.event",
                line=world.loaded.line("chaos", str(armed.index)),
            ) from None
        self.stats["failures_injected"] += 1
        return [event]

    def _failed_fetch(self, command: FetchPrice) -> Message:
        armed = self._fail_fetch
        assert armed is not None
        self._fail_fetch = None  # one fetch per window
        self.stats["failures_injected"] += 1
        return MarketPriceFetchFailed(
            ts=command.ts,
            cycle_id=command.cycle_id,
            pair=command.symbol,
            error_message=armed.action.error_message,
        )

    def _restart(self, armed: _Armed, action: Restart) -> None:
        world = self.world
        downtime = action.downtime_cycles * world.poll

        def boot() -> None:
            world.boot()
            if armed.window is not None and armed.window.end_ts is None:
                self._publish(self._heal(armed))

        def crash() -> None:
            world.crash()
            world.clock.call_later(downtime, boot)

        armed.length = 10**9  # healed by the boot, not by the cycle count
        world.clock.call_later(world.poll // 2, crash)

    # -- per message ------------------------------------------------------------------------

    def _retarget(self) -> None:
        actions = [armed.action for armed in self._per_message]
        self._latency = any(isinstance(action, NetworkLatency) for action in actions)
        self._targets = {a.event for a in actions if not isinstance(a, NetworkLatency)}

    def _apply(self, message: Message, bus: EventBus) -> Message | None:
        name = message.name
        rng = self.rng
        for armed in self._per_message:
            action = armed.action
            if isinstance(action, NetworkLatency):
                if isinstance(message, Command):
                    continue
                if action.probability < 1.0 and rng.random() >= action.probability:
                    continue
                delay = rng.randint(action.min_delay_ms, action.max_delay_ms)
                self._delay(message, delay, bus)
                return None
            if action.event != name:
                continue
            if action.probability < 1.0 and rng.random() >= action.probability:
                continue
            if isinstance(action, DropEvent):
                self.stats["events_dropped"] += 1
                return None
            if isinstance(action, DelayEvent):
                self._delay(message, action.delay_ms, bus)
                return None
            if isinstance(action, ModifyEvent):
                message = _modified(message, action.field, action.value)
                self.stats["events_modified"] += 1
        return message

    def _delay(self, message: Message, delay_ms: int, bus: EventBus) -> None:
        self.stats["events_delayed"] += 1
        self.stats["total_delay_ms"] += delay_ms
        bus.deliver_later(delay_ms * MILLISECOND, message, after=self)


def _clear(faults: Any, attribute: str, value: object) -> None:
    """Disarm one fault hook that has no public disarm (the venue's ``Faults``)."""
    setattr(faults, attribute, value)
    faults._refresh()


def _drop_outage(faults: Any, window: tuple[int, int], now: int) -> None:
    """Forget an outage window that is over (``[start, end)`` with ``end <= now``).

    Time only moves forward, so such a window can never refuse a call again; keeping it
    would leave the venue on its slow, fault-checking path for the rest of the run and make
    every call scan every past outage. A window healed early (before its end) stays.
    """
    if window[1] <= now and window in faults._outages:
        faults._outages.remove(window)
        faults._refresh()


def _modified(message: Message, name: str, value: object) -> Message:
    data = msgspec.to_builtins(message)
    data[name] = str(value) if isinstance(value, Decimal) else value
    return msgspec.convert(data, type(message), strict=False)
