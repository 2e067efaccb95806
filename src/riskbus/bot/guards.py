"""Runtime guards (GPT-Trader): stale price, volatility circuit breaker, kill switch.

The guards watch prices on the bus (``MarketPriceFetched`` and ``Bar``) and answer one
question before each entry: :meth:`RuntimeGuards.entry_block` returns ``None`` when a new
entry is allowed, or the ``CODE: key=value`` reason it is not.

* **Stale price**: no entry in a symbol without a price newer than ``stale_price_seconds``.
* **Volatility circuit breaker**: the standard deviation of the last ``window`` simple
  returns is compared with three thresholds. ``warning`` only publishes a ``RuleViolated``
  alert; ``reduce_only`` blocks entries (exits still pass); ``kill`` trips the kill switch.
  A tripped level holds for ``cooldown_seconds`` after the volatility falls back.
* **Kill switch**: set by a ``KillSwitch`` command (the CLI and API send the same one);
  it blocks every entry until :meth:`RuntimeGuards.reset_kill_switch`.

Every trip publishes one ``RuleViolated`` (rule ``stale_price``,
``volatility_circuit_breaker`` or ``kill_switch``) when it starts, not on every check.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock, seconds
from riskbus.core.errors import InvalidValueError
from riskbus.model.commands import KillSwitch
from riskbus.model.enums import RiskAction
from riskbus.model.events.market import Bar, MarketPriceFetched
from riskbus.model.events.risk import RuleViolated
from riskbus.model.reasons import format_reason

__all__ = ["GuardsConfig", "RuntimeGuards", "VolatilityLevel"]


class VolatilityLevel(IntEnum):
    """The circuit breaker's state, from calm to tripped."""

    NORMAL = 0
    WARNING = 1
    REDUCE_ONLY = 2
    KILL = 3


@dataclass(frozen=True, kw_only=True)
class GuardsConfig:
    """Thresholds of the runtime guards; ``None`` switches a guard off.

    Attributes:
        stale_price_seconds: the oldest price an entry may rely on.
        volatility_window: how many returns the breaker looks at.
        volatility_warning: std of returns that raises a warning.
        volatility_reduce_only: std of returns that blocks entries.
        volatility_kill: std of returns that trips the kill switch.
        cooldown_seconds: how long a tripped level holds after volatility falls back.
    """

    stale_price_seconds: float | None = 120.0
    volatility_window: int = 20
    volatility_warning: float | None = 0.02
    volatility_reduce_only: float | None = 0.04
    volatility_kill: float | None = 0.08
    cooldown_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.stale_price_seconds is not None and self.stale_price_seconds <= 0:
            raise InvalidValueError.for_value(
                "stale_price_seconds", self.stale_price_seconds, "must be positive"
            )
        if self.volatility_window < 2:
            raise InvalidValueError.for_value(
                "volatility_window", self.volatility_window, "must be at least 2"
            )
        if self.cooldown_seconds < 0:
            raise InvalidValueError.for_value(
                "cooldown_seconds", self.cooldown_seconds, "must not be negative"
            )
        levels = [self.volatility_warning, self.volatility_reduce_only, self.volatility_kill]
        given = [x for x in levels if x is not None]
        if any(x <= 0 for x in given) or given != sorted(given):
            raise InvalidValueError.for_value(
                "volatility thresholds", tuple(levels), "must be positive and increasing"
            )


class RuntimeGuards:
    """Stale-price, volatility and kill-switch guards over the prices seen on the bus."""

    def __init__(self, bus: EventBus, clock: Clock, config: GuardsConfig | None = None) -> None:
        self.bus = bus
        self.clock = clock
        self.config = config or GuardsConfig()
        self.killed = False
        self.kill_reason = ""
        self.level = VolatilityLevel.NORMAL
        self._level_until = 0
        self._last_price: dict[str, tuple[int, float]] = {}
        self._returns: dict[str, deque[float]] = {}
        self._stale_reported: set[str] = set()

    def attach(self) -> RuntimeGuards:
        """Watch prices; execute ``KillSwitch`` (or observe it if another component does)."""
        self.bus.subscribe(MarketPriceFetched, self.on_market_price_fetched)
        self.bus.subscribe(Bar, self.on_bar)
        if self.bus.has_handler(KillSwitch):
            self.bus.subscribe(KillSwitch, self.on_kill_switch)
        else:
            self.bus.register(KillSwitch, self.on_kill_switch)
        return self

    # -- inputs ------------------------------------------------------------------------

    def on_market_price_fetched(self, event: MarketPriceFetched) -> None:
        """Record a fetched price."""
        self.observe_price(event.pair, event.current_price)

    def on_bar(self, event: Bar) -> None:
        """Record a bar's close."""
        self.observe_price(event.symbol, event.close)

    def on_kill_switch(self, command: KillSwitch) -> None:
        """Engage the kill switch."""
        self._kill(command.reason or "kill switch", source=command.source or "command")

    def observe_price(self, symbol: str, price: Decimal | float) -> None:
        """Record ``price`` for ``symbol`` at the clock's time and update the breaker."""
        value = float(price)
        now = self.clock.now()
        previous = self._last_price.get(symbol)
        self._last_price[symbol] = (now, value)
        self._stale_reported.discard(symbol)
        if previous is None or previous[1] <= 0:
            return
        window = self._returns.get(symbol)
        if window is None:
            window = self._returns[symbol] = deque(maxlen=self.config.volatility_window)
        window.append(value / previous[1] - 1.0)
        if len(window) == window.maxlen:
            self._update_level(symbol, _std(window))

    def reset_kill_switch(self) -> None:
        """Release the kill switch (an operator's decision)."""
        self.killed = False
        self.kill_reason = ""

    # -- decisions ---------------------------------------------------------------------

    @property
    def reduce_only(self) -> bool:
        """Whether only exposure-reducing orders may go out now."""
        return self.killed or self._current_level() >= VolatilityLevel.REDUCE_ONLY

    def entry_block(self, symbol: str) -> str | None:
        """Return why a new entry in ``symbol`` is blocked now, or None if it may go."""
        if self.killed:
            return format_reason("KILL_SWITCH", reason=self.kill_reason)
        level = self._current_level()
        if level >= VolatilityLevel.REDUCE_ONLY:
            return format_reason("VOLATILITY_CIRCUIT_BREAKER", level=level.name)
        max_age = self.config.stale_price_seconds
        if max_age is None:
            return None
        seen = self._last_price.get(symbol)
        age = None if seen is None else (self.clock.now() - seen[0]) / 1e9
        if age is not None and age <= max_age:
            return None
        reason = format_reason("STALE_PRICE", symbol=symbol, age_s=age, max_s=max_age)
        if symbol not in self._stale_reported:
            self._stale_reported.add(symbol)
            self._violated("stale_price", reason, RiskAction.DENY, symbol)
        return reason

    # -- internals ---------------------------------------------------------------------

    def _current_level(self) -> VolatilityLevel:
        if self.level is not VolatilityLevel.NORMAL and self.clock.now() >= self._level_until:
            self.level = VolatilityLevel.NORMAL
        return self.level

    def _update_level(self, symbol: str, std: float) -> None:
        config = self.config
        thresholds = (
            (VolatilityLevel.KILL, config.volatility_kill),
            (VolatilityLevel.REDUCE_ONLY, config.volatility_reduce_only),
            (VolatilityLevel.WARNING, config.volatility_warning),
        )
        measured = next(
            (lvl for lvl, limit in thresholds if limit is not None and std >= limit),
            VolatilityLevel.NORMAL,
        )
        if measured is VolatilityLevel.NORMAL:
            return
        now = self.clock.now()
        if measured > self._current_level():
            reason = format_reason(
                "VOLATILITY_CIRCUIT_BREAKER", symbol=symbol, level=measured.name, std=f"{std:.4f}"
            )
            action = RiskAction.ALERT if measured is VolatilityLevel.WARNING else RiskAction.DENY
            self._violated("volatility_circuit_breaker", reason, action, symbol)
            self.level = measured
            if measured is VolatilityLevel.KILL:
                self._kill(reason, source="volatility_circuit_breaker")
        if measured >= self.level:
            self._level_until = now + seconds(config.cooldown_seconds)

    def _kill(self, reason: str, *, source: str) -> None:
        if self.killed:
            return
        self.killed = True
        self.kill_reason = reason
        self._violated(
            "kill_switch",
            format_reason("KILL_SWITCH", source=source, reason=reason),
            RiskAction.LOCKOUT,
            None,
        )

    def _violated(self, rule: str, reason: str, action: RiskAction, symbol: str | None) -> None:
        self.bus.publish(
            RuleViolated(
                ts=self.clock.now(), rule=rule, reason=reason, action=action, symbol=symbol
            )
        )


def _std(values: deque[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
