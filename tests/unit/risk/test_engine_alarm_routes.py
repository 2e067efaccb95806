"""Which rules get their alarm functions on an event, and the context's event position."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.risk import RuleTimerFired
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict
from tests.unit.risk._stack import AnyCfg, Stack


class Chained(Rule[AnyCfg]):
    """Sets its first alarm at start and each next one from its own ``RuleTimerFired``.

    It never sets alarms on other events, so it declares ``uses_alarms = False``.
    """

    code: ClassVar[str] = "T20"
    name: ClassVar[str] = "chained"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, RuleTimerFired)
    uses_alarms: ClassVar[bool] = False

    def describe(self) -> str:
        return "three alarms in a row"

    def start(self, ctx: RuleContext) -> Verdict | None:
        ctx.set_alarm("k1", ctx.now + SECOND)
        return None

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        if isinstance(event, RuleTimerFired) and event.key != "k3":
            ctx.set_alarm(f"k{int(event.key[1:]) + 1}", ctx.now + SECOND)
        return None


class OnOpen(Rule[AnyCfg]):
    """Sets an alarm when a position opens (the default ``uses_alarms``)."""

    code: ClassVar[str] = "T21"
    name: ClassVar[str] = "on_open"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, RuleTimerFired)

    def describe(self) -> str:
        return "an alarm per opening"

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        if isinstance(event, PositionOpened):
            ctx.set_alarm(event.symbol, ctx.now + 5 * SECOND)
        return None


def test_alarms_reach_the_rule_that_set_them_with_or_without_uses_alarms() -> None:
    stack = Stack([Chained(AnyCfg()), OnOpen(AnyCfg())])
    stack.buy("ES")  # Chained checks it first (no alarm functions handed), then OnOpen
    stack.sim.run_for(10 * SECOND)
    fired = [(e.rule, e.key) for e in stack.of(RuleTimerFired)]
    assert fired == [("chained", "k1"), ("chained", "k2"), ("chained", "k3"), ("on_open", "ES")]


class Positions(Rule[AnyCfg]):
    """Records ``ctx.event_position()`` for every position event."""

    code: ClassVar[str] = "T22"
    name: ClassVar[str] = "positions"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)
    uses_alarms: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__(AnyCfg())
        self.seen: list[tuple[str, Decimal] | None] = []

    def describe(self) -> str:
        return "records event positions"

    def check(self, ctx: RuleContext) -> Verdict | None:
        found = ctx.event_position()
        assert found is ctx.event_position()  # remembered for the event
        self.seen.append(None if found is None else (found[0], found[2]))
        if found is not None:
            assert found[1] is ctx.portfolio.position(found[0])
        return None


def test_event_position_is_the_open_position_of_the_events_symbol() -> None:
    rule = Positions()
    stack = Stack([rule])
    stack.buy("NQ", 2)
    stack.sell("NQ", 1)
    stack.sell("NQ", 1)
    assert rule.seen == [("NQ", Decimal(2)), ("NQ", Decimal(1)), None]  # flat at the close
