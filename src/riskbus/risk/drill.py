"""A breach drill: drive one daily realized loss through a running guard to enforcement.

The drill trades on the guard's simulated venue, through the same order path as any bot
(``SubmitOrder`` → gateway → risk engine → venue), in four steps:

1. ``open`` — buy ``quantity`` (2 units) at the entry price;
2. ``rest`` — leave a buy limit order well below the market (it stays open);
3. ``move`` — the market moves one step down to the exit price (quotes published);
4. ``realize`` — sell half: the realized loss passes the ``daily_realized_loss`` limit.

The breach must then be enforced: the rest of the position flattened, the resting order
cancelled, the account locked until the reset, and the lockout written to the store.
:func:`breach_checks` says which of these hold. The price path of the drill symbol is made
by :func:`drill_market` from the plan, so the loss is over the limit by design (by 10%).
``riskbus smoke`` runs it in virtual time; ``riskbus guard --dry-run --drill`` live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import numpy as np

from riskbus.core.errors import BadInputError
from riskbus.market import PricePath
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderType, TradingState
from riskbus.risk.config import RiskConfig
from riskbus.risk.service import GuardService, reference_price

__all__ = [
    "DRILL_RULE",
    "DRILL_STEPS",
    "BreachDrill",
    "BreachPlan",
    "breach_checks",
    "drill_market",
    "plan_breach",
]

#: The rule the drill breaches.
DRILL_RULE = "daily_realized_loss"
#: The drill's steps, in order.
DRILL_STEPS = ("open", "rest", "move", "realize")
_MARGIN = Decimal("1.1")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class BreachPlan:
    """The prices and sizes of a drill.

    Attributes:
        symbol: the instrument traded.
        quantity: the size opened (half is closed at a loss, the rest left to enforcement).
        entry: the opening price (step 0 of the path).
        exit: the price after the move (step 1).
        resting: the price of the resting buy limit order.
        limit: the ``daily_realized_loss`` limit.
        loss: the realized P&L of the losing close (below ``limit``).
    """

    symbol: str
    quantity: Decimal
    entry: Decimal
    exit: Decimal
    resting: Decimal
    limit: Decimal
    loss: Decimal


def plan_breach(config: RiskConfig, registry: InstrumentRegistry, symbol: str) -> BreachPlan:
    """Plan a drill on ``symbol`` whose losing close passes the config's daily loss limit.

    Raises:
        BadInputError: the config has no enabled ``daily_realized_loss`` rule, or the symbol
            is unknown, or its price cannot fall far enough.
    """
    rule = config.rules.get(DRILL_RULE)
    if rule is None or not rule.enabled:
        raise BadInputError(
            f"the breach drill needs rules.{DRILL_RULE} enabled in the config",
            field=f"rules.{DRILL_RULE}",
        )
    limit = Decimal(getattr(rule, "limit"))  # noqa: B009 - each rule has its own config type
    instrument = registry.find(symbol)
    if instrument is None:
        raise BadInputError(f"unknown symbol {symbol!r} for the drill", field="--symbols")
    tick = instrument.tick_size
    entry = (reference_price(symbol) / tick).to_integral_value() * tick
    closed = Decimal(1)
    drop = -limit * _MARGIN / (instrument.multiplier * closed)
    delta = (drop / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    if delta * 2 >= entry:
        raise BadInputError(
            f"limit {limit} is too large a loss to drill on {symbol} at {entry}",
            field=f"rules.{DRILL_RULE}.limit",
        )
    return BreachPlan(
        symbol=symbol,
        quantity=closed * 2,
        entry=entry,
        exit=entry - delta,
        resting=entry - 2 * delta,
        limit=limit,
        loss=(-delta * instrument.multiplier * closed).quantize(_CENT),
    )


def drill_market(plan: BreachPlan) -> PricePath:
    """The drill symbol's price path: the entry price, then the exit price."""
    prices = np.array([float(plan.entry), float(plan.exit)])
    return PricePath(prices, name="drill", spread_bps=0.0)


class BreachDrill:
    """Run a :class:`BreachPlan` through a started guard, step by step.

    Args:
        service: the started guard (simulated venue, the drill path loaded for the symbol).
        plan: what to trade.
    """

    def __init__(self, service: GuardService, plan: BreachPlan) -> None:
        self.service = service
        self.plan = plan
        self.done: list[str] = []
        self._orders = 0

    def run(self, stop_after: int | None = None) -> list[str]:
        """Run the steps (only the first ``stop_after`` when given); return those done."""
        steps: dict[str, Callable[[], None]] = {
            "open": self._open,
            "rest": self._rest,
            "move": self._move,
            "realize": self._realize,
        }
        for name in DRILL_STEPS[:stop_after]:
            steps[name]()
            self.done.append(name)
        return self.done

    def _open(self) -> None:
        self._send(OrderSide.BUY, self.plan.quantity)

    def _rest(self) -> None:
        self._send(OrderSide.BUY, Decimal(1), order_type=OrderType.LIMIT, price=self.plan.resting)

    def _move(self) -> None:
        self.service.tick()

    def _realize(self) -> None:
        self._send(OrderSide.SELL, self.plan.quantity / 2)

    def _send(self, side: OrderSide, quantity: Decimal, **extra: object) -> None:
        self._orders += 1
        service = self.service
        service.bus.send(
            SubmitOrder(
                ts=service.clock.now(),
                client_order_id=f"drill-{service.clock.now()}-{self._orders}",
                symbol=self.plan.symbol,
                side=side,
                quantity=quantity,
                strategy="drill",
                **extra,  # type: ignore[arg-type]
            )
        )


def breach_checks(service: GuardService, plan: BreachPlan) -> dict[str, bool]:
    """Whether the breach was enforced: flat, no open orders, locked and persisted."""
    manager = service.manager
    position = manager.portfolio.position(plan.symbol)
    venue = service.venue
    open_orders = getattr(venue, "open_orders", lambda: ())()
    stored = service.store.lockouts.active(service.clock.now())
    return {
        "loss realized": manager.pnl.daily_realized() <= plan.limit,
        "position flattened": position is None or position.quantity == 0,
        "orders cancelled": len(open_orders) == 0,
        "trading halted": manager.state is TradingState.HALTED,
        "lockout recorded": any(record.rule == DRILL_RULE for record in stored),
    }
