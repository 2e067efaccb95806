"""Rule 011 — SymbolBlocks: never hold or trade a blacklisted symbol.

Original (Risk Manager V34, trade-by-trade with a lock on that symbol): a position in a
symbol on the blacklist (``blocked_symbols: [RTY, BTC]``) is closed and that symbol is
locked for good.

Here each entry of ``blocked_symbols`` is an exact symbol or a glob pattern (``BTC*``,
``*/USDT``, ``M?Q``), matched without regard to case against the symbol and against the
instrument's base asset (so ``BTC`` blocks ``BTC/USDT`` and ``BTC/USDT:USDT``):

* a position event leaving an open position in a blocked symbol → ``lockout`` of that
  symbol (``symbol`` set; no end: not until a time, a reset or a condition). The engine
  closes that symbol's position for a per-symbol lock and denies new orders in it; an
  admin may lift it (``admin_unlock``);
* pre-trade: an order in a blocked symbol is denied (``SYMBOL_BLOCKED: symbol=...``),
  unless it only reduces the position (so a blocked position can still be closed by hand);
* started with open positions in blocked symbols → a lockout for each of them (one now,
  the others through an immediate alarm, one per call).

Config::

    symbol_blocks:
      blocked_symbols: [RTY, "BTC*"]
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import ClassVar

from pydantic import field_validator

from riskbus.core.messages import Message
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionOpened
from riskbus.model.events.risk import RuleTimerFired
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.a05_max_exposure import reduces_position
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["SymbolBlocks", "SymbolBlocksConfig"]

_START = "start"


class SymbolBlocksConfig(RuleConfig):
    """Settings of rule 011.

    Attributes:
        blocked_symbols: symbols or glob patterns (``*``, ``?``, ``[...]``) never traded.
    """

    blocked_symbols: tuple[str, ...] = ()

    @field_validator("blocked_symbols")
    @classmethod
    def _patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(p.strip().upper() for p in patterns)
        if any(not p for p in cleaned):
            raise ValueError("a blocked symbol must not be empty")
        return tuple(dict.fromkeys(cleaned))


@register_rule
class SymbolBlocks(Rule[SymbolBlocksConfig]):
    """Rule 011: a position in a blocked symbol → close it and lock that symbol for good."""

    code: ClassVar[str] = "011"
    name: ClassVar[str] = "symbol_blocks"
    config_type: ClassVar[type[RuleConfig]] = SymbolBlocksConfig
    uses_alarms: ClassVar[bool] = False  # only on its own RuleTimerFired (_next_queued)
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, RuleTimerFired)

    def __init__(self, config: SymbolBlocksConfig) -> None:
        super().__init__(config)
        self._queue: list[str] = []  # blocked open positions found at start, not yet locked
        self._blocked = config.blocked_symbols
        #: (symbol, base asset or None) → the pattern that blocks it (the config is frozen)
        self._matches: dict[tuple[str, str | None], str | None] = {}

    def describe(self) -> str:
        blocked = ", ".join(self.config.blocked_symbols) or "nothing"
        return f"never trade {blocked}: close a position in it and lock that symbol"

    def match(self, symbol: str, registry: InstrumentRegistry | None = None) -> str | None:
        """The pattern that blocks ``symbol`` (or its base asset), else ``None``."""
        if not self._blocked:
            return None
        instrument = registry.find(symbol) if registry is not None else None
        key = (symbol, instrument.base if instrument is not None else None)
        try:
            return self._matches[key]
        except KeyError:
            pass
        names = [symbol.upper()]
        if instrument is not None:
            names.append(instrument.base.upper())
        found = next(
            (p for p in self._blocked if any(fnmatchcase(name, p) for name in names)), None
        )
        self._matches[key] = found
        return found

    def check(self, ctx: RuleContext) -> Verdict | None:
        if not self._blocked:
            return None  # nothing blocked: nothing found at start, nothing to find now
        event = ctx.event
        if isinstance(event, RuleTimerFired):
            if event.rule == self.name and event.key == _START:
                return self._next_queued(ctx)
            return None
        if not isinstance(event, PositionOpened | PositionChanged) or not event.quantity:
            return None
        pattern = self.match(event.symbol, ctx.registry)
        return None if pattern is None else self._lockout(event.symbol, pattern)

    def start(self, ctx: RuleContext) -> Verdict | None:
        self._queue = [
            p.symbol for p in ctx.portfolio.open_positions() if self.match(p.symbol, ctx.registry)
        ]
        return self._next_queued(ctx)

    def _next_queued(self, ctx: RuleContext) -> Verdict | None:
        while self._queue:
            symbol = self._queue.pop(0)
            pattern = self.match(symbol, ctx.registry)
            position = ctx.portfolio.position(symbol)
            if pattern is None or position is None or not position.is_open:
                continue
            if self._queue:
                ctx.set_alarm(_START, ctx.now)
            return self._lockout(symbol, pattern)
        return None

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        pattern = self.match(order.symbol, ctx.registry)
        if pattern is None or reduces_position(ctx.portfolio, order):
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.DENY,
            reason=format_reason("SYMBOL_BLOCKED", symbol=order.symbol, pattern=pattern),
            symbol=order.symbol,
        )

    def _lockout(self, symbol: str, pattern: str) -> Verdict:
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason("SYMBOL_BLOCKED", symbol=symbol, pattern=pattern),
            symbol=symbol,
        )
