"""Rule 012 — TradeManagement: move the stop to breakeven, then trail it.

Original (Risk Manager V34, automation): on position and price updates, once a position is
``breakeven_ticks`` in profit move its stop to the entry price (plus an offset); once it is
``trail_activate_ticks`` in profit trail the stop ``trail_distance_ticks`` behind the price.
(Spec: breakeven at +10 ticks, trail from +20 at 10; the YAML: breakeven at 4 with offset 1,
trail from 8 at 4.)

Here, on each price event (bar, quote, trade print) and position event, for the open
position in that symbol: profit in ticks = ``(mark − avg_price) / tick_size`` (negated for a
short), with the instrument's ``tick_size``;

* profit ≥ ``breakeven_ticks`` → stop at ``avg_price ± breakeven_offset_ticks`` ticks (+ for
  a long, − for a short);
* profit ≥ ``trail_activate_ticks`` → stop at ``mark ∓ trail_distance_ticks`` ticks;

the tighter of the two (higher for a long, lower for a short), snapped to the tick grid
towards the price. A stop is only ever tightened: the rule returns ``move_stop`` with
``stop_price`` only when the new stop is strictly tighter than the one it set before for
that position. The stops it set are kept per symbol (with the position's side), forgotten
on ``PositionClosed`` (a flip starts again from none), and are the rule's persisted state.

Config::

    trade_management:
      breakeven_ticks: 4
      breakeven_offset_ticks: 1
      trail_activate_ticks: 8
      trail_distance_ticks: 4
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator

from riskbus.core.messages import Message
from riskbus.model.enums import PositionSide, RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.positions import Position
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["TradeManagement", "TradeManagementConfig"]

Ticks = Annotated[int, Field(gt=0)]


class TradeManagementConfig(RuleConfig):
    """Settings of rule 012 (all in ticks of the instrument's ``tick_size``).

    Attributes:
        breakeven_ticks: profit that moves the stop to breakeven (``None``: never).
        breakeven_offset_ticks: the breakeven stop's distance past the entry, in profit.
        trail_activate_ticks: profit that starts the trailing stop (``None``: never).
        trail_distance_ticks: how far the trailing stop stays behind the price.
    """

    breakeven_ticks: Ticks | None = None
    breakeven_offset_ticks: Annotated[int, Field(ge=0)] = 0
    trail_activate_ticks: Ticks | None = None
    trail_distance_ticks: Ticks | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TradeManagementConfig:
        if self.breakeven_ticks is None and self.trail_activate_ticks is None:
            raise ValueError("set breakeven_ticks or trail_activate_ticks (or both)")
        if (self.trail_activate_ticks is None) != (self.trail_distance_ticks is None):
            raise ValueError(
                "trail_activate_ticks and trail_distance_ticks go together: set both or neither"
            )
        if self.breakeven_ticks is not None and self.breakeven_offset_ticks >= self.breakeven_ticks:
            raise ValueError(
                f"breakeven_offset_ticks ({self.breakeven_offset_ticks}) must be below"
                f" breakeven_ticks ({self.breakeven_ticks}): the stop would be at or past"
                " the price"
            )
        return self


@register_rule
class TradeManagement(Rule[TradeManagementConfig]):
    """Rule 012: in profit → stop to breakeven (+offset), then a trailing stop; tighten only."""

    code: ClassVar[str] = "012"
    name: ClassVar[str] = "trade_management"
    config_type: ClassVar[type[RuleConfig]] = TradeManagementConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (
        Bar,
        QuoteTick,
        TradeTick,
        PositionOpened,
        PositionChanged,
        PositionClosed,
    )

    def __init__(self, config: TradeManagementConfig) -> None:
        super().__init__(config)
        #: symbol → (position side, the stop this rule last set).
        self.stops: dict[str, tuple[PositionSide, Decimal]] = {}
        #: the smallest profit (ticks) that sets a stop (a Decimal: compares faster)
        self._first = Decimal(
            min(t for t in (config.breakeven_ticks, config.trail_activate_ticks) if t is not None)
        )
        #: tick size → (first activation − 1 tick) in price: gains below need no division
        self._below: dict[Decimal, Decimal] = {}

    def describe(self) -> str:
        parts = []
        c = self.config
        if c.breakeven_ticks is not None:
            parts.append(
                f"stop to breakeven+{c.breakeven_offset_ticks} ticks at +{c.breakeven_ticks} ticks"
            )
        if c.trail_activate_ticks is not None:
            parts.append(
                f"trail {c.trail_distance_ticks} ticks behind from +{c.trail_activate_ticks} ticks"
            )
        return "; ".join(parts) + " (stops only tighten)"

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        role = _ROLES.get(type(event))
        if role is None:
            role = _role(event)
        if role is _CLOSED:
            self.stops.pop(event.symbol, None)  # type: ignore[attr-defined]
            return None
        if role is _OPENED:
            self.stops.pop(event.symbol, None)  # type: ignore[attr-defined]
        elif role is _IGNORED:
            return None
        found = ctx.event_position()
        if found is None:  # not open
            return None
        return self._manage(found[1], found[2])

    def _manage(self, position: Position, quantity: Decimal) -> Verdict | None:
        mark = position.mark
        if mark is None:
            return None
        instrument = position.instrument
        tick = instrument.tick_size
        long = quantity > _ZERO  # open: long or short
        sign = _ONE if long else _MINUS_ONE
        avg = position.avg_price
        # (mark − avg) · sign without the multiplication: the same digits (a −0 for a flat
        # short profit becomes 0, and either is below every activation)
        gain = mark - avg if long else avg - mark
        # A gain a whole tick below the first activation is below it in ticks too, however
        # the division rounds: it is refused without dividing (most events, most rules).
        below = self._below.get(tick)
        if below is None:
            below = self._below[tick] = (self._first - 1) * tick
        if gain < below:
            return None
        profit = gain / tick
        if profit < self._first:
            return None  # below every activation: no candidate stop
        c = self.config
        side = position.side
        candidates: list[tuple[Decimal, str]] = []
        if c.breakeven_ticks is not None and profit >= c.breakeven_ticks:
            candidates.append((avg + sign * c.breakeven_offset_ticks * tick, "breakeven"))
        if c.trail_activate_ticks is not None and profit >= c.trail_activate_ticks:
            assert c.trail_distance_ticks is not None
            candidates.append((mark - sign * c.trail_distance_ticks * tick, "trailing"))
        if not candidates:
            return None
        rounding = ROUND_CEILING if long else ROUND_FLOOR
        snapped = [(instrument.quantize_price(p, rounding), mode) for p, mode in candidates]
        stop, mode = max(snapped) if long else min(snapped)
        previous = self.stops.get(position.symbol)
        if previous is not None and previous[0] is side and not _tighter(stop, previous[1], long):
            return None
        self.stops[position.symbol] = (side, stop)
        return Verdict(
            rule=self.name,
            action=RiskAction.MOVE_STOP,
            reason=format_reason(
                "STOP_MOVED",
                symbol=position.symbol,
                mode=mode,
                stop=stop,
                profit_ticks=_plain(profit),
                avg_price=_plain(avg),
            ),
            symbol=position.symbol,
            stop_price=stop,
        )

    def state(self) -> dict[str, Any]:
        return {
            symbol: {"side": str(side), "stop": str(stop)}
            for symbol, (side, stop) in sorted(self.stops.items())
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.stops = {
            str(symbol): (PositionSide(entry["side"]), Decimal(str(entry["stop"])))
            for symbol, entry in state.items()
        }


_ZERO = Decimal(0)
_ONE = Decimal(1)
_MINUS_ONE = Decimal(-1)
_MANAGED = (Bar, QuoteTick, TradeTick, PositionOpened, PositionChanged)
_CLOSED, _OPENED, _MANAGE, _IGNORED = "closed", "opened", "manage", "ignored"
#: what :meth:`TradeManagement.check` does with an event, by event type
_ROLES: dict[type[Message], str] = {}


def _role(event: Message) -> str:
    if isinstance(event, PositionClosed):
        role = _CLOSED
    elif isinstance(event, PositionOpened):
        role = _OPENED
    elif isinstance(event, _MANAGED):
        role = _MANAGE
    else:
        role = _IGNORED
    _ROLES[type(event)] = role
    return role


def _tighter(stop: Decimal, before: Decimal, long: bool) -> bool:
    """Whether ``stop`` is strictly closer to the price than ``before``."""
    return stop > before if long else stop < before


def _plain(number: Decimal) -> str:
    """``number`` to at most 4 places, without trailing zeros or an exponent."""
    text = format(number.quantize(Decimal("0.0001")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
