"""A whole risk stack over the simulated exchange, in virtual time, for the engine tests.

:class:`Stack` builds a simulator, a bus (every event recorded), a fee-free simulated
exchange over fixed futures prices (MNQ ×2, NQ ×20, ES ×50) and a
:class:`~riskbus.risk.manager.RiskManager` with the given rules, started. Orders go through
the bus (``SubmitOrder`` → gateway → risk engine → exchange).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np

from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Event, Message
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange, SimulatedExchangeConfig
from riskbus.market.path import PricePath
from riskbus.model import OrderSide, SubmitOrder, default_registry
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.market import QuoteTick
from riskbus.model.reasons import format_reason
from riskbus.risk.manager import RiskManager
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict
from riskbus.risk.schedule import ResetConfig
from riskbus.store import Store

#: 2026-11-20 (a Friday) 14:00 America/Chicago = 20:00 UTC, in ns.
START = int(dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC).timestamp()) * 1_000_000_000

PRICES: dict[str, list[float]] = {
    "MNQ": [20000.0, 19900.0, 19900.0, 19900.0],
    "NQ": [20000.0, 19987.5, 19987.5, 19987.5],
    "ES": [5000.0, 4998.0, 4998.0, 4998.0],
}


_STACKS = itertools.count(1)


class AnyCfg(RuleConfig):
    """Config of the test-only rules."""

    level: int = 0


class Fixed(Rule[AnyCfg]):
    """A test-only rule that returns a fixed verdict on every position event."""

    code: ClassVar[str] = "T00"
    name: ClassVar[str] = "fixed"
    config_type: ClassVar[type[RuleConfig]] = AnyCfg
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, PositionChanged, PositionClosed)

    def __init__(
        self, verdict: Verdict | None, *, code: str = "T00", name: str = "fixed", once: bool = False
    ) -> None:
        super().__init__(AnyCfg())
        self.verdict = verdict
        self.once = once
        self.kinds: list[str] = []
        self.code = code  # type: ignore[misc]
        self.name = name  # type: ignore[misc]
        self.seen = 0

    def describe(self) -> str:
        return "test rule"

    def check(self, ctx: RuleContext) -> Verdict | None:
        self.seen += 1
        self.kinds.append(type(ctx.event).__name__)
        found = self.verdict
        if self.once:
            self.verdict = None
        return found


def verdict(name: str, action: RiskAction, **kw: Any) -> Verdict:
    """A verdict of rule ``name`` with a ``TEST`` reason."""
    return Verdict(rule=name, action=action, reason=format_reason("TEST", rule=name), **kw)


class Stack:
    """Simulator + bus + simulated exchange + started risk manager."""

    def __init__(
        self,
        rules: Sequence[Rule[Any]],
        *,
        store: Store | None = None,
        start: int = START,
        prices: dict[str, list[float]] | None = None,
        sim: Simulator | None = None,
        exchange: SimulatedExchange | None = None,
        credential: str | None = "s3cret",
        **manager: Any,
    ) -> None:
        self.sim = sim or Simulator(start)
        self.bus = EventBus(self.sim.clock)
        self.events: list[Message] = []
        self.bus.subscribe(Event, self.events.append)
        self.registry = default_registry()
        if exchange is None:
            market = {
                symbol: PricePath(np.array(series), spread_bps=0.0)
                for symbol, series in (prices or PRICES).items()
            }
            exchange = SimulatedExchange(
                self.bus,
                self.sim.clock,
                Seeds(3),
                self.registry,
                market,
                balances={"USD": 50_000_000},
                config=SimulatedExchangeConfig(maker_fee=Decimal(0), taker_fee=Decimal(0)),
                currency="USD",
            )
        else:  # a restart: the venue lives on, the process (bus) is new
            exchange.bus = self.bus
        self.exchange = exchange
        manager.setdefault("reset", ResetConfig())
        self.manager = RiskManager(
            self.bus,
            self.sim.clock,
            self.registry,
            rules,
            exchange=exchange,
            store=store,
            balances={"USD": 50_000_000},
            admin_credential=credential,
            **manager,
        )
        self._ids = itertools.count(1)
        self._prefix = f"t{next(_STACKS)}"
        self.manager.start()
        self.settle()

    def settle(self) -> None:
        """Run everything due now (alarms set for the current instant)."""
        self.sim.run_until(self.sim.clock.now())

    def order(self, symbol: str, side: OrderSide, qty: int | str, **kw: Any) -> str:
        """Send a market order through the bus; return its client order id."""
        coid = f"{self._prefix}-{next(self._ids)}"
        self.bus.send(
            SubmitOrder(
                ts=self.sim.clock.now(),
                client_order_id=coid,
                symbol=symbol,
                side=side,
                quantity=Decimal(qty),
                strategy="test",
                **kw,
            )
        )
        self.settle()
        return coid

    def buy(self, symbol: str, qty: int | str = 1) -> str:
        return self.order(symbol, OrderSide.BUY, qty)

    def sell(self, symbol: str, qty: int | str = 1) -> str:
        return self.order(symbol, OrderSide.SELL, qty)

    def mark(self) -> None:
        """Publish the venue's current quote of every symbol (a market-data feed)."""
        for symbol in sorted(self.exchange.market):
            quote = self.exchange.quote(symbol)
            self.bus.publish(
                QuoteTick(
                    ts=self.sim.clock.now(),
                    symbol=symbol,
                    bid=quote.bid,
                    ask=quote.ask,
                    bid_size=Decimal(10),
                    ask_size=Decimal(10),
                )
            )
        self.settle()

    def of(self, kind: type[Message]) -> list[Any]:
        """The recorded events of type ``kind``."""
        return [e for e in self.events if isinstance(e, kind)]

    def qty(self, symbol: str) -> Decimal:
        """The tracked position size in ``symbol``."""
        position = self.manager.portfolio.position(symbol)
        return Decimal(0) if position is None else position.quantity
