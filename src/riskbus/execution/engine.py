"""The execution engine: run a rebalancing plan through the order path, sells first.

``execute_plan(plan_id, dry_run, max_parallel)`` starts a run and returns at once; the run
moves on as the venue's events arrive on the bus (a synchronous core: in a simulation,
``simulator.run_until(lambda: run.done)``; live, the same handlers run on the loop):

1. **Phase 1, sells**: at most ``max_parallel`` orders in flight; as one ends the next
   queued one starts.
2. An optional **settle pause** (``settle_delay`` on the Clock) once every sell has ended.
3. **Phase 2, buys**, the same way.

Each order gets its venue from the registry (``dry_run`` → the simulator; a known and
connected platform → that client; else the simulator; the reason is recorded), goes through
an :class:`~riskbus.risk.gate.OrderGateway` on that venue (the pre-trade risk gate denies
what the risk engine denies) and is tracked by its client order id, derived from the plan
id, the order id and the attempt, so a resumed plan never sends an order twice.

* **Transient failures** (``RATE_LIMITED``, ``VENUE_UNAVAILABLE``) are retried with
  exponential backoff on the Clock, up to ``retry_attempts``.
* **Outcome unknown** is never retried: the order stays ``unknown`` and counts as failed
  until the reconciler settles it.
* **Cancel** (:meth:`ExecutionEngine.cancel`) is cooperative: queued orders become
  cancelled at once; in-flight orders are cancelled at the venue, or finish first.

Events (``PlanStarted`` … ``PlanCancelled``) are published on the bus and passed to
callbacks registered with :meth:`ExecutionEngine.on`; a callback that raises is logged and
never breaks the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal

import msgspec

from riskbus.core.bus import EventBus, Subscription
from riskbus.core.clock import SECOND, Clock
from riskbus.core.errors import InvalidValueError
from riskbus.core.ids import derive_id
from riskbus.core.messages import Event
from riskbus.exchange.registry import ExchangeRegistry, Selection
from riskbus.execution.inflight import InFlightOrders
from riskbus.execution.plans import PlanOrder, PlanOrderStatus, RebalancePlan
from riskbus.execution.runs import (
    PLAN_KEY,
    RUN_KEY,
    TERMINAL,
    TRANSIENT_CODES,
    ExecutionStats,
    OrderRun,
    PlanRun,
    SavedRun,
)
from riskbus.execution.validator import SafetyValidator
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import CancelOrder, SubmitOrder
from riskbus.model.enums import OrderSide, OrderType
from riskbus.model.events.account import OrderStatusReported
from riskbus.model.events.execution import (
    PlanCancelled,
    PlanCompleted,
    PlanFailed,
    PlanOrderCancelled,
    PlanOrderCompleted,
    PlanOrderFailed,
    PlanOrderStarted,
    PlanStarted,
)
from riskbus.model.events.orders import (
    OrderCanceled,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
)
from riskbus.model.money import ZERO
from riskbus.risk.gate import OrderGateway, RiskGate
from riskbus.store.engine import Store

__all__ = [
    "ExecutionEngine",
    "ExecutionStats",
    "PlanRun",
]

log = logging.getLogger(__name__)


class ExecutionEngine:
    """Runs plans on the bus. See the module docstring for the phases and rules.

    Args:
        bus: where orders go and venue events come from.
        clock: for the settle pause, backoff and stats.
        venues: the exchange registry: chooses the venue of each order.
        instruments: to turn plan quantities into valid order quantities.
        gate: the pre-trade risk gate (the risk engine), if any.
        settle_delay: the pause between sells and buys (ns; 0 for none).
        retry_attempts: attempts per order on transient failures.
        retry_delay: the first backoff delay (ns), doubled each retry.
        store: where plans and order states are written (before anything is sent), so
            :meth:`resume` can finish a plan after a restart without sending any order
            twice.
        validator: the safety validator each order must pass before it is sent; an order
            it fails ends ``failed`` with ``SAFETY_CHECK_FAILED`` and the issues.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        venues: ExchangeRegistry,
        instruments: InstrumentRegistry,
        *,
        gate: RiskGate | None = None,
        settle_delay: int = 2 * SECOND,
        retry_attempts: int = 3,
        retry_delay: int = SECOND,
        store: Store | None = None,
        validator: SafetyValidator | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.venues = venues
        self.instruments = instruments
        self.gate = gate
        self.settle_delay = settle_delay
        self.retry_attempts = retry_attempts
        self.retry_delay = retry_delay
        self.plans: dict[str, RebalancePlan] = {}
        self.runs: dict[str, PlanRun] = {}
        self._by_client_id: dict[str, tuple[str, str]] = {}
        #: settles the orders a previous engine left in flight (see :meth:`resume`)
        self.in_flight = InFlightOrders(self)
        self._callbacks: dict[str, list[Callable[[Event], None]]] = {}
        self._gateways: dict[str, OrderGateway] = {}
        self.store = store
        self.validator = validator
        self._subscriptions: list[Subscription] = []
        for topic in (
            OrderFilled,
            OrderRejected,
            OrderDenied,
            OrderCanceled,
            OrderExpired,
            OrderStatusUnknown,
        ):
            self._subscriptions.append(
                bus.subscribe(topic, self._on_order_event, component="ExecutionEngine")
            )
        self._subscriptions.append(
            bus.subscribe(
                OrderStatusReported, self.in_flight.on_status, component="ExecutionEngine"
            )
        )

    # -- API ------------------------------------------------------------------------------

    def add_plan(self, plan: RebalancePlan) -> None:
        """Make ``plan`` known to the engine (by its id), and store it."""
        self.plans[plan.plan_id] = plan
        if self.store is not None:
            self.store.checkpoints.put(
                PLAN_KEY + plan.plan_id, msgspec.json.encode(plan).decode(), ts=self.clock.now()
            )

    def close(self) -> None:
        """Stop listening to the bus (the engine is being replaced or shut down)."""
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()

    def resume(self, plan_id: str) -> PlanRun:
        """Finish a plan a previous engine started, from the store.

        Orders that ended stay ended. Orders that were sent (``executing``/``partial``) are
        not sent again: :attr:`in_flight` asks the venue for each one's state and settles it
        from the answer (:mod:`riskbus.execution.inflight`). Orders never sent, or waiting
        for a retry, are sent now.

        Raises:
            InvalidValueError: no store, or no stored plan or run for ``plan_id``.
        """
        if self.store is None:
            raise InvalidValueError.for_value("store", None, "resuming a plan needs a store")
        raw_plan = self.store.checkpoints.get(PLAN_KEY + plan_id)
        raw_run = self.store.checkpoints.get(RUN_KEY + plan_id)
        if raw_plan is None or raw_run is None:
            raise InvalidValueError.for_value("plan_id", plan_id, "no stored run to resume")
        plan = msgspec.json.decode(raw_plan, type=RebalancePlan)
        saved = msgspec.json.decode(raw_run, type=SavedRun)
        self.plans[plan_id] = plan
        run = self.runs[plan_id] = PlanRun.restore(plan, saved)
        for order_id, order_run in run.orders.items():
            if order_run.client_order_id:
                self._by_client_id[order_run.client_order_id] = (plan_id, order_id)
        self._pump(run)
        for order_id in sorted(run.in_flight):
            self.in_flight.ask(run, run.orders[order_id])
        return run

    def on(self, name: str, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` for events whose callback name is ``name``."""
        self._callbacks.setdefault(name, []).append(callback)

    def execute_plan(
        self, plan_id: str, *, dry_run: bool = False, max_parallel: int = 3
    ) -> PlanRun:
        """Start running plan ``plan_id``; return its :class:`PlanRun`.

        Raises:
            InvalidValueError: the plan is not found, is already executing, fails
                validation, or ``max_parallel`` < 1.
        """
        plan = self.plans.get(plan_id)
        if plan is None:
            raise InvalidValueError.for_value("plan_id", plan_id, "no such plan")
        running = self.runs.get(plan_id)
        if running is not None and not running.done:
            raise InvalidValueError.for_value("plan_id", plan_id, "the plan is already executing")
        if not plan.is_valid:
            raise InvalidValueError.for_value(
                "plan_id", plan_id, "the plan failed validation: " + "; ".join(plan.errors)
            )
        if max_parallel < 1:
            raise InvalidValueError.for_value("max_parallel", max_parallel, "must be at least 1")
        run = PlanRun(plan, dry_run=dry_run, max_parallel=max_parallel, now=self.clock.now())
        self.runs[plan_id] = run
        for order_run in run.orders.values():
            order_run.status = PlanOrderStatus.VALIDATED
        self._emit(
            PlanStarted(
                ts=self.clock.now(),
                plan_id=plan_id,
                orders=len(plan.orders),
                dry_run=dry_run,
                max_parallel=max_parallel,
            )
        )
        self._start_phase(run, "sell")
        return run

    def cancel(self, plan_id: str) -> None:
        """Cancel the run of ``plan_id``: queued orders now, in-flight ones at the venue."""
        run = self.runs.get(plan_id)
        if run is None or run.done:
            return
        run.cancel_requested = True
        for order_id in list(run.queue):
            self._finish_cancelled(run, run.orders[order_id])
        run.queue.clear()
        for order_run in run.orders.values():
            if order_run.status in (PlanOrderStatus.PENDING, PlanOrderStatus.VALIDATED):
                self._finish_cancelled(run, order_run)
        for order_id in sorted(run.in_flight):
            order_run = run.orders[order_id]
            self.bus.send(
                CancelOrder(
                    ts=self.clock.now(),
                    client_order_id=order_run.client_order_id,
                    symbol=self._market(run.plan, order_run.order),
                    reason="plan cancelled",
                )
            )
        self._maybe_end(run)

    def progress(self, plan_id: str) -> dict[str, object]:
        """The progress of ``plan_id``'s run."""
        return self._run(plan_id).progress()

    def stats(self, plan_id: str) -> ExecutionStats:
        """The stats of ``plan_id``'s run."""
        return self._run(plan_id).stats

    # -- phases ---------------------------------------------------------------------------

    def _start_phase(self, run: PlanRun, phase: str) -> None:
        if run.done:
            return
        run.phase = phase
        side = OrderSide.SELL if phase == "sell" else OrderSide.BUY
        run.queue.extend(o.order_id for o in run.plan.orders if o.side is side)
        self._pump(run)

    def _pump(self, run: PlanRun) -> None:
        while run.queue and len(run.in_flight) < run.max_parallel and not run.cancel_requested:
            self._send(run, run.orders[run.queue.popleft()])
        if not run.queue and not run.in_flight:
            self._phase_done(run)

    def _phase_done(self, run: PlanRun) -> None:
        if run.done:
            return
        if run.phase == "sell" and not run.cancel_requested:
            if run.plan.buys and self.settle_delay > 0:
                run.phase = "settle"
                self.clock.set_alarm(
                    f"plan-settle:{run.plan.plan_id}",
                    self.clock.now() + self.settle_delay,
                    lambda: self._start_phase(run, "buy"),
                )
            else:
                self._start_phase(run, "buy")
            return
        if run.phase == "settle":
            return
        self._maybe_end(run)

    def _send(self, run: PlanRun, order_run: OrderRun) -> None:
        order = order_run.order
        order_run.attempt += 1
        plan_id = run.plan.plan_id
        client_id = derive_id(plan_id, order.order_id, order_run.attempt, prefix="rb-")
        order_run.client_order_id = client_id
        self._by_client_id[client_id] = (plan_id, order.order_id)
        market = self._market(run.plan, order)
        choice = self.venues.select(dry_run=run.dry_run, hint=order.platform)
        quantity = self._down(market, order.quantity, "step_size")
        order_run.status = PlanOrderStatus.EXECUTING
        run.in_flight.add(order.order_id)
        self._save(run)
        self._emit(
            PlanOrderStarted(
                ts=self.clock.now(),
                plan_id=plan_id,
                order_id=order.order_id,
                client_order_id=client_id,
                symbol=market,
                side=order.side.value,
                quantity=quantity,
                venue=choice.venue,
                venue_reason=choice.reason,
                attempt=order_run.attempt,
            )
        )
        if quantity <= 0:
            self._finish_failed(run, order_run, f"INVALID_QUANTITY: quantity={order.quantity}")
            return
        if self.validator is not None:
            verdict = self.validator.validate(market, order.usd, quantity, order.price)
            if not verdict.passed:
                issues = "; ".join(issue.reason for issue in verdict.issues)
                self._finish_failed(
                    run, order_run, f"SAFETY_CHECK_FAILED: level={verdict.level}, {issues}"
                )
                return
        self._gateway(choice).on_submit_order(
            SubmitOrder(
                ts=self.clock.now(),
                client_order_id=client_id,
                symbol=market,
                side=order.side,
                quantity=quantity,
                order_type=OrderType.MARKET if order.limit_price is None else OrderType.LIMIT,
                price=None
                if order.limit_price is None
                else self._down(market, order.limit_price, "tick_size"),
                strategy="rebalance",
            )
        )

    # -- venue events ---------------------------------------------------------------------

    def _on_order_event(self, event: Event) -> None:
        client_id = getattr(event, "client_order_id", "")
        key = self._by_client_id.get(client_id)
        if key is None:
            return
        run = self.runs[key[0]]
        order_run = run.orders[key[1]]
        if order_run.status in TERMINAL or client_id != order_run.client_order_id:
            return
        if isinstance(event, OrderFilled):
            order_run.filled += event.last_qty
            order_run.usd += event.last_qty * event.last_price
            order_run.fees += event.fee
            order_run.status = PlanOrderStatus.PARTIAL
            if event.leaves_qty == 0:
                self._finish_filled(run, order_run)
        elif isinstance(event, OrderRejected):
            if event.code in TRANSIENT_CODES and order_run.attempt < self.retry_attempts:
                self._retry(run, order_run)
            else:
                reason = (
                    event.reason
                    if event.reason.startswith(event.code)
                    else (f"{event.code}: {event.reason}".rstrip(": "))
                )
                self._finish_failed(run, order_run, reason)
        elif isinstance(event, OrderDenied):
            self._finish_failed(run, order_run, event.reason)
        elif isinstance(event, OrderStatusUnknown):
            self._finish_failed(
                run, order_run, f"OUTCOME_UNKNOWN: error={event.error}", unknown=True
            )
        elif isinstance(event, OrderCanceled | OrderExpired):
            if order_run.filled > 0 and not run.cancel_requested:
                self._finish_filled(run, order_run)
            else:
                self._finish_cancelled(run, order_run)

    def _retry(self, run: PlanRun, order_run: OrderRun) -> None:
        delay = self.retry_delay * (2 ** (order_run.attempt - 1))
        order_run.status = PlanOrderStatus.QUEUED
        self._save(run)

        def again() -> None:
            if run.cancel_requested:
                self._finish_cancelled(run, order_run)
                return
            self._send(run, order_run)

        self.clock.set_alarm(
            f"plan-retry:{order_run.client_order_id}", self.clock.now() + delay, again
        )

    def _finish_filled(self, run: PlanRun, order_run: OrderRun) -> None:
        order_run.status = PlanOrderStatus.FILLED
        run.stats.completed += 1
        run.stats.volume_executed += order_run.usd
        run.stats.fees += order_run.fees
        avg = order_run.usd / order_run.filled if order_run.filled else ZERO
        self._emit(
            PlanOrderCompleted(
                ts=self.clock.now(),
                plan_id=run.plan.plan_id,
                order_id=order_run.order.order_id,
                client_order_id=order_run.client_order_id,
                filled_qty=order_run.filled,
                avg_price=avg,
                usd=order_run.usd,
                fees=order_run.fees,
            )
        )
        self._ended(run, order_run)

    def _finish_failed(
        self, run: PlanRun, order_run: OrderRun, reason: str, *, unknown: bool = False
    ) -> None:
        order_run.status = PlanOrderStatus.UNKNOWN if unknown else PlanOrderStatus.FAILED
        run.stats.failed += 1
        self._emit(
            PlanOrderFailed(
                ts=self.clock.now(),
                plan_id=run.plan.plan_id,
                order_id=order_run.order.order_id,
                client_order_id=order_run.client_order_id,
                reason=reason,
                unknown=unknown,
            )
        )
        self._ended(run, order_run)

    def _finish_cancelled(self, run: PlanRun, order_run: OrderRun) -> None:
        if order_run.status in TERMINAL:
            return
        order_run.status = PlanOrderStatus.CANCELLED
        run.stats.cancelled += 1
        self._emit(
            PlanOrderCancelled(
                ts=self.clock.now(),
                plan_id=run.plan.plan_id,
                order_id=order_run.order.order_id,
                client_order_id=order_run.client_order_id,
            )
        )
        if order_run.order.order_id in run.in_flight:
            self._ended(run, order_run)

    def _ended(self, run: PlanRun, order_run: OrderRun) -> None:
        run.in_flight.discard(order_run.order.order_id)
        self._save(run)
        self._pump(run)

    def _maybe_end(self, run: PlanRun) -> None:
        if run.done or run.in_flight or run.queue:
            return
        if not run.cancel_requested and run.phase != "buy" and run.plan.buys:
            return
        run.done = True
        run.stats.ended_at = self.clock.now()
        self._save(run)
        stats = run.stats
        plan_id = run.plan.plan_id
        if run.cancel_requested:
            run.outcome = "cancelled"
            self._emit(
                PlanCancelled(
                    ts=self.clock.now(),
                    plan_id=plan_id,
                    completed=stats.completed,
                    cancelled=stats.cancelled,
                )
            )
        elif stats.failed:
            run.outcome = "failed"
            self._emit(
                PlanFailed(
                    ts=self.clock.now(),
                    plan_id=plan_id,
                    completed=stats.completed,
                    failed=stats.failed,
                    reason=f"{stats.failed} of {stats.total_orders} orders failed",
                )
            )
        else:
            run.outcome = "completed"
            self._emit(
                PlanCompleted(
                    ts=self.clock.now(), plan_id=plan_id, completed=stats.completed, failed=0
                )
            )

    # -- helpers --------------------------------------------------------------------------

    def _save(self, run: PlanRun) -> None:
        if self.store is None:
            return
        saved = msgspec.json.encode(run.saved()).decode()
        self.store.checkpoints.put(RUN_KEY + run.plan.plan_id, saved, ts=self.clock.now())

    def _emit(self, event: Event) -> None:
        self.bus.publish(event)
        for callback in self._callbacks.get(getattr(event, "callback", ""), ()):
            try:
                callback(event)
            except Exception:
                log.exception("execution callback %r failed on %s", callback, type(event).__name__)

    def _gateway(self, choice: Selection) -> OrderGateway:
        gateway = self._gateways.get(choice.venue)
        if gateway is None:
            gateway = OrderGateway(
                self.bus,
                self.clock,
                choice.client.submit,
                gate=self.gate,
                registry=self.instruments,
            )
            self._gateways[choice.venue] = gateway
        return gateway

    def _market(self, plan: RebalancePlan, order: PlanOrder) -> str:
        return order.symbol if "/" in order.symbol else f"{order.symbol}/{plan.cash}"

    def _down(self, market: str, value: Decimal, grid: str) -> Decimal:
        """``value`` rounded down to the instrument's ``step_size``/``tick_size`` (as is for
        a market the registry does not know)."""
        instrument = self.instruments.find(market)
        if instrument is None:
            return value
        step: Decimal = getattr(instrument, grid)
        return (value / step).to_integral_value(rounding=ROUND_DOWN) * step

    def _run(self, plan_id: str) -> PlanRun:
        run = self.runs.get(plan_id)
        if run is None:
            raise InvalidValueError.for_value("plan_id", plan_id, "the plan has not run")
        return run
