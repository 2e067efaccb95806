"""Rebalancing plans over HTTP: build, execute on the simulated venue, follow, cancel.

Each plan gets its own venue: a :class:`~riskbus.exchange.SimulatedExchange` seeded with the
plan's holdings at their prices, on a bus of its own driven by the desk's
:class:`~riskbus.core.clock.LiveClock` (so orders take the configured latency and the
sell→buy settle pause in real time, and progress and cancel can be seen while it runs). The
real :class:`~riskbus.execution.engine.ExecutionEngine` runs it (sells first, bounded
parallelism, cooperative cancel) and writes the plan and its run through the store.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from riskbus.core.bus import EventBus
from riskbus.core.clock import MILLISECOND, Clock
from riskbus.core.errors import InvalidValueError
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange, SimulatedExchangeConfig
from riskbus.exchange.registry import ExchangeRegistry
from riskbus.execution.engine import ExecutionEngine, PlanRun
from riskbus.execution.plans import Holding, RebalancePlan, build_plan
from riskbus.market.path import PricePath
from riskbus.model.catalogue import default_registry
from riskbus.model.events.orders import OrderDenied
from riskbus.store import Store

__all__ = ["PlanDesk", "PlanEntry"]


@dataclass
class PlanEntry:
    """A plan, its venue and engine, and its run once executed."""

    plan: RebalancePlan
    bus: EventBus
    engine: ExecutionEngine
    run: PlanRun | None = None


class PlanDesk:
    """Holds the plans the API created (see the module docstring).

    Args:
        clock: the live clock the venues and engines run on.
        store: where plans and their runs are written.
        latency_ms: the simulated venue's latency for orders and cancels.
        settle_ms: the pause between the sells and the buys.
    """

    def __init__(self, clock: Clock, store: Store | None, *, latency_ms: int, settle_ms: int):
        self.clock = clock
        self.store = store
        self.latency = latency_ms * MILLISECOND
        self.settle = settle_ms * MILLISECOND
        self.plans: dict[str, PlanEntry] = {}
        self.denials = 0

    def create(
        self,
        holdings: dict[str, tuple[Decimal, Decimal]],
        *,
        cash: str,
        weights: dict[str, Decimal] | None,
        amounts: dict[str, Decimal] | None,
        prices: dict[str, Decimal],
        min_trade_usd: Decimal,
        pinned: list[str],
        blacklist: list[str],
        platform: str,
    ) -> PlanEntry:
        """Build and validate a plan; give it its venue and engine.

        Raises:
            InvalidValueError: bad targets, or an asset without a ``ASSET/cash`` market.
        """
        plan_id = "plan-" + uuid.uuid4().hex[:12]
        plan = build_plan(
            [Holding(symbol=s, quantity=q, price=p) for s, (q, p) in sorted(holdings.items())],
            plan_id=plan_id,
            weights=weights,
            amounts=amounts,
            prices=prices,
            cash=cash,
            min_trade_usd=min_trade_usd,
            pinned=pinned,
            blacklist=blacklist,
            platform=platform,
        )
        instruments = default_registry()
        all_prices = {s: p for s, (_, p) in holdings.items()} | prices
        paths = {}
        for order in plan.orders:
            market = f"{order.symbol}/{cash}"
            if market not in instruments:
                raise InvalidValueError.for_value("symbol", order.symbol, f"no {market} market")
            paths[market] = PricePath(np.array([float(all_prices[order.symbol])] * 2))
        bus = EventBus(self.clock)
        config = SimulatedExchangeConfig(
            latency={"submit": self.latency, "cancel": self.latency}, candles_history=0
        )
        balances = {s: q for s, (q, _) in holdings.items()}
        exchange = SimulatedExchange(
            bus, self.clock, Seeds(0), instruments, paths, balances=balances, config=config
        )
        exchange.attach(bus)
        engine = ExecutionEngine(
            bus,
            self.clock,
            ExchangeRegistry(exchange, clock=self.clock),
            instruments,
            settle_delay=self.settle,
            store=self.store,
        )
        engine.add_plan(plan)
        bus.subscribe(OrderDenied, self._on_denied, component="PlanDesk")
        entry = PlanEntry(plan, bus, engine)
        self.plans[plan_id] = entry
        return entry

    def _on_denied(self, _event: OrderDenied) -> None:
        self.denials += 1

    def execute(self, plan_id: str, *, dry_run: bool, max_parallel: int) -> PlanEntry:
        """Start executing plan ``plan_id``.

        Raises:
            KeyError: no such plan.
            InvalidValueError: it already ran or runs, or it failed validation.
        """
        entry = self.plans[plan_id]
        if entry.run is not None:
            raise InvalidValueError.for_value("plan_id", plan_id, "the plan was already executed")
        entry.run = entry.engine.execute_plan(plan_id, dry_run=dry_run, max_parallel=max_parallel)
        return entry

    def cancel(self, plan_id: str) -> PlanEntry:
        """Cancel plan ``plan_id``'s run (queued orders now, in-flight ones at the venue).

        Raises:
            KeyError: no such plan.
        """
        entry = self.plans[plan_id]
        entry.engine.cancel(plan_id)
        return entry

    def outcomes(self) -> dict[str, int]:
        """Plans by outcome: created (not executed), running, completed, failed, cancelled."""
        counts = {"created": 0, "running": 0, "completed": 0, "failed": 0, "cancelled": 0}
        for entry in self.plans.values():
            if entry.run is None:
                counts["created"] += 1
            elif not entry.run.done:
                counts["running"] += 1
            else:
                counts[entry.run.outcome] = counts.get(entry.run.outcome, 0) + 1
        return counts

    def close(self) -> None:
        """Cancel every running plan and stop the engines listening."""
        for plan_id, entry in self.plans.items():
            if entry.run is not None and not entry.run.done:
                entry.engine.cancel(plan_id)
            entry.engine.close()
