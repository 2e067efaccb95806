"""The strategy contract, loading user strategies, and the host that isolates their errors.

A strategy is a class with synchronous hooks; it never awaits and never does I/O. It acts
through its :class:`StrategyContext` (``ctx.execute(decision, mark)`` or ``ctx.bus.send``):

* ``on_start(ctx)`` / ``on_stop(ctx)``
* ``on_cycle(ctx, cycle)`` for monitoring-cycle bots
* ``on_bar(ctx, bar)`` / ``on_tick(ctx, tick)`` for push-driven bots
* ``on_order_filled(ctx, event)``
* ``on_position(ctx, pool, event)`` after a pool's order completed (``PositionPurchased`` /
  ``PositionSold``), for monitoring-cycle bots; the strategy may set the pool's targets

During ``on_cycle`` the runner puts the cycle (price, capital, pools, indicators and the
``buy``/``sell`` actions) in ``ctx.cycle``; see :class:`riskbus.bot.runner.Cycle`.

User strategies load from ``"package.module:Class"``. Whatever a hook raises is wrapped in
:class:`~riskbus.core.errors.StrategyError` (the original chained), reported with its cycle as a
``StrategyFailed`` event, and then the run continues or stops, as configured.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from riskbus.bot.decisions import Decision, DecisionExecutor
from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.errors import BadInputError, StrategyError
from riskbus.core.messages import Event
from riskbus.model.commands import SubmitOrder
from riskbus.model.events.market import Bar, QuoteTick
from riskbus.model.events.orders import OrderFilled

if TYPE_CHECKING:
    from riskbus.bot.pools import PoolState
    from riskbus.bot.runner import Cycle
    from riskbus.model.events.bot import PositionPurchased, PositionSold

__all__ = [
    "Strategy",
    "StrategyContext",
    "StrategyFailed",
    "StrategyHost",
    "load_strategy",
]

log = logging.getLogger("riskbus.bot.strategy")

OnError = Literal["continue", "stop"]


class StrategyFailed(Event, frozen=True, kw_only=True):
    """Strategy ``strategy`` raised in ``hook`` (during ``cycle``, if cycle-driven)."""

    strategy: str
    hook: str
    error_type: str
    error: str
    cycle: int | None = None
    stopped: bool = False


@dataclass
class StrategyContext:
    """What a strategy may use: the bus, the clock, its executor and its parameters."""

    bus: EventBus
    clock: Clock
    executor: DecisionExecutor | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    #: The monitoring cycle being decided (set by the bot runner around ``on_cycle``).
    cycle: Cycle | None = None

    def execute(self, decision: Decision, mark: Decimal | None) -> SubmitOrder | None:
        """Turn ``decision`` into an order through the executor (see ``DecisionExecutor``)."""
        if self.executor is None:
            raise StrategyError("this strategy context has no decision executor")
        return self.executor.execute(decision, mark)


class Strategy:
    """Base class of strategies: override the hooks you need; each defaults to nothing."""

    #: The name carried by its orders and reports (default: the class name).
    name: ClassVar[str] = ""

    def __init__(self, params: Mapping[str, Any] | None = None) -> None:
        self.params: dict[str, Any] = dict(params or {})

    @classmethod
    def strategy_name(cls) -> str:
        """Return ``name`` or, when unset, the class name."""
        return cls.name or cls.__name__

    def on_start(self, ctx: StrategyContext) -> None:
        """Called once before the first cycle or bar."""

    def on_stop(self, ctx: StrategyContext) -> None:
        """Called once when the run ends."""

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        """Called by the monitoring-cycle runner once per cycle."""

    def on_bar(self, ctx: StrategyContext, bar: Bar) -> None:
        """Called for every completed bar."""

    def on_tick(self, ctx: StrategyContext, tick: QuoteTick) -> None:
        """Called for every quote tick."""

    def on_order_filled(self, ctx: StrategyContext, event: OrderFilled) -> None:
        """Called for every fill of any order."""

    def on_position(
        self, ctx: StrategyContext, pool: PoolState, event: PositionPurchased | PositionSold
    ) -> None:
        """Called by the bot runner when an order of ``pool`` completed (before ``event``)."""


def load_strategy(path: str) -> type[Strategy]:
    """Import the strategy class named by ``"package.module:Class"``.

    Raises:
        BadInputError: the path is malformed, the module or class is missing, or the class
            is not a :class:`Strategy`; the message names the ``strategy`` field.
    """
    module_name, _, class_name = path.partition(":")
    if not module_name or not class_name:
        raise BadInputError(f"expected 'package.module:Class', got {path!r}", field="strategy")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise BadInputError(f"cannot import module {module_name!r}: {e}", field="strategy") from e
    candidate = getattr(module, class_name, None)
    if candidate is None:
        raise BadInputError(f"module {module_name!r} has no {class_name!r}", field="strategy")
    if not (isinstance(candidate, type) and issubclass(candidate, Strategy)):
        raise BadInputError(f"{path!r} is not a riskbus Strategy class", field="strategy")
    return candidate


class StrategyHost:
    """Runs a strategy's hooks, wrapping what they raise; subscribes its push hooks.

    Args:
        strategy: the strategy instance.
        ctx: its context.
        on_error: ``"continue"`` (report and go on) or ``"stop"`` (report and call no more
            hooks).
    """

    def __init__(
        self, strategy: Strategy, ctx: StrategyContext, *, on_error: OnError = "continue"
    ) -> None:
        if on_error not in ("continue", "stop"):
            raise BadInputError(f"must be 'continue' or 'stop', got {on_error!r}", field="on_error")
        self.strategy = strategy
        self.ctx = ctx
        self.on_error = on_error
        self.name = strategy.strategy_name()
        self.errors: list[StrategyError] = []
        self.stopped = False

    def attach(self) -> StrategyHost:
        """Deliver bars, ticks and fills from the bus to the strategy."""
        bus = self.ctx.bus
        bus.subscribe(Bar, self.on_bar, component=self.name)
        bus.subscribe(QuoteTick, self.on_quote_tick, component=self.name)
        bus.subscribe(OrderFilled, self.on_order_filled, component=self.name)
        return self

    def on_bar(self, event: Bar) -> None:
        """Deliver a bar to ``on_bar``."""
        self.call("on_bar", event)

    def on_quote_tick(self, event: QuoteTick) -> None:
        """Deliver a quote tick to ``on_tick``."""
        self.call("on_tick", event)

    def on_order_filled(self, event: OrderFilled) -> None:
        """Deliver a fill to ``on_order_filled``."""
        self.call("on_order_filled", event)

    def start(self) -> None:
        """Call ``on_start``."""
        self.call("on_start")

    def stop(self) -> None:
        """Call ``on_stop`` (even after a failure stopped the other hooks)."""
        self.stopped = False
        self.call("on_stop")
        self.stopped = True

    def cycle(self, number: int) -> None:
        """Call ``on_cycle`` for cycle ``number``."""
        self.call("on_cycle", number, cycle=number)

    def call(self, hook: str, *args: Any, cycle: int | None = None) -> bool:
        """Call ``hook`` with ``args``; return False if it raised or the host is stopped."""
        if self.stopped:
            return False
        method: Callable[..., None] = getattr(self.strategy, hook)
        try:
            method(self.ctx, *args)
        except Exception as e:
            self._failed(hook, e, cycle)
            return False
        return True

    def _failed(self, hook: str, error: Exception, cycle: int | None) -> None:
        where = f" in cycle {cycle}" if cycle is not None else ""
        wrapped = StrategyError(
            f"strategy {self.name} failed in {hook}{where}: {type(error).__name__}: {error}",
            strategy=self.name,
            cycle=cycle,
        )
        wrapped.__cause__ = error
        self.errors.append(wrapped)
        self.stopped = self.on_error == "stop"
        log.error("%s", wrapped, exc_info=error)
        self.ctx.bus.publish(
            StrategyFailed(
                ts=self.ctx.clock.now(),
                strategy=self.name,
                hook=hook,
                error_type=type(error).__name__,
                error=str(error),
                cycle=cycle,
                stopped=self.stopped,
            )
        )
