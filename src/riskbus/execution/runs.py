"""The state of a plan's execution: its orders, stats and what is saved to the store.

:class:`PlanRun` is what :class:`~riskbus.execution.engine.ExecutionEngine` moves forward
as venue events arrive; :class:`ExecutionStats` its figures; ``SavedRun`` the checkpoint a
resumed engine starts from.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import msgspec

from riskbus.core.clock import SECOND
from riskbus.execution.plans import PlanOrder, PlanOrderStatus, RebalancePlan
from riskbus.model.enums import OrderSide
from riskbus.model.events.account import OrderReport
from riskbus.model.money import ZERO

__all__ = [
    "PLAN_KEY",
    "RUN_KEY",
    "TERMINAL",
    "TRANSIENT_CODES",
    "ExecutionStats",
    "OrderRun",
    "PlanRun",
    "SavedOrder",
    "SavedRun",
    "restore_stats",
]

TRANSIENT_CODES = frozenset({"RATE_LIMITED", "VENUE_UNAVAILABLE"})
TERMINAL = frozenset(
    {
        PlanOrderStatus.FILLED,
        PlanOrderStatus.FAILED,
        PlanOrderStatus.CANCELLED,
        PlanOrderStatus.UNKNOWN,
    }
)


class ExecutionStats(msgspec.Struct, kw_only=True):
    """Counts, volumes, fees and time of one run (the original's ``ExecutionStats``)."""

    total_orders: int
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    volume_planned: Decimal = ZERO
    volume_executed: Decimal = ZERO
    fees: Decimal = ZERO
    started_at: int = 0
    ended_at: int | None = None

    @property
    def success_rate(self) -> float:
        """``completed / total · 100`` (100 for an empty plan)."""
        return 100.0 * self.completed / self.total_orders if self.total_orders else 100.0

    @property
    def execution_time_seconds(self) -> float:
        """Clock time from start to end (so far, if still running)."""
        end = self.ended_at if self.ended_at is not None else self.started_at
        return (end - self.started_at) / SECOND


PLAN_KEY = "plan:"
RUN_KEY = "plan-run:"


class SavedOrder(msgspec.Struct, frozen=True):
    status: str
    attempt: int
    client_order_id: str
    filled: Decimal
    usd: Decimal
    fees: Decimal


class SavedRun(msgspec.Struct, frozen=True):
    dry_run: bool
    max_parallel: int
    started_at: int
    phase: str
    outcome: str
    orders: dict[str, SavedOrder]


class OrderRun:
    __slots__ = ("attempt", "client_order_id", "fees", "filled", "order", "status", "usd")

    def __init__(self, order: PlanOrder) -> None:
        self.order = order
        self.status = PlanOrderStatus.PENDING
        self.attempt = 0
        self.client_order_id = ""
        self.filled = ZERO
        self.usd = ZERO
        self.fees = ZERO

    def take_report(self, report: OrderReport) -> None:
        """Take what the venue reports filled, when it is more than known (then PARTIAL)."""
        if report.filled_qty > self.filled and report.avg_fill_price is not None:
            self.filled = report.filled_qty
            self.usd = report.filled_qty * report.avg_fill_price
            if report.fee is not None:
                self.fees = report.fee
            self.status = PlanOrderStatus.PARTIAL


class PlanRun:
    """One execution of a plan: its orders' states, its stats, and whether it is done."""

    def __init__(self, plan: RebalancePlan, *, dry_run: bool, max_parallel: int, now: int):
        self.plan = plan
        self.dry_run = dry_run
        self.max_parallel = max_parallel
        self.orders = {o.order_id: OrderRun(o) for o in plan.orders}
        self.stats = ExecutionStats(
            total_orders=len(plan.orders), volume_planned=plan.volume, started_at=now
        )
        self.phase = "sell"
        self.queue: deque[str] = deque()
        self.in_flight: set[str] = set()
        self.cancel_requested = False
        self.done = False
        self.outcome = ""

    @classmethod
    def restore(cls, plan: RebalancePlan, saved: SavedRun) -> PlanRun:
        """The run of ``plan`` as a previous engine saved it, ready to go on: its orders'
        states and stats; the current side's open orders in flight, the others queued (a
        run saved while settling goes on with the buys)."""
        run = cls(
            plan, dry_run=saved.dry_run, max_parallel=saved.max_parallel, now=saved.started_at
        )
        for order_id, state in saved.orders.items():
            order_run = run.orders[order_id]
            order_run.status = PlanOrderStatus(state.status)
            order_run.attempt = state.attempt
            order_run.client_order_id = state.client_order_id
            order_run.filled, order_run.usd, order_run.fees = state.filled, state.usd, state.fees
        restore_stats(run)
        run.phase = phase = saved.phase if saved.phase != "settle" else "buy"
        side = OrderSide.SELL if phase == "sell" else OrderSide.BUY
        for order in plan.orders:
            order_run = run.orders[order.order_id]
            if order.side is not side or order_run.status in TERMINAL:
                continue
            if order_run.status in (PlanOrderStatus.EXECUTING, PlanOrderStatus.PARTIAL):
                run.in_flight.add(order.order_id)
            else:
                run.queue.append(order.order_id)
        return run

    def saved(self) -> SavedRun:
        """The run's state as a checkpoint stores it."""
        return SavedRun(
            dry_run=self.dry_run,
            max_parallel=self.max_parallel,
            started_at=self.stats.started_at,
            phase=self.phase,
            outcome=self.outcome,
            orders={
                order_id: SavedOrder(
                    status=o.status.value,
                    attempt=o.attempt,
                    client_order_id=o.client_order_id,
                    filled=o.filled,
                    usd=o.usd,
                    fees=o.fees,
                )
                for order_id, o in self.orders.items()
            },
        )

    def status(self, order_id: str) -> PlanOrderStatus:
        """The status of one plan order."""
        return self.orders[order_id].status

    def progress(self) -> dict[str, object]:
        """Counts by status, percent done, phase and outcome (the progress query)."""
        counts: dict[str, int] = {}
        for run in self.orders.values():
            counts[run.status.value] = counts.get(run.status.value, 0) + 1
        ended = sum(1 for run in self.orders.values() if run.status in TERMINAL)
        total = len(self.orders)
        return {
            "plan_id": self.plan.plan_id,
            "phase": self.phase,
            "counts": counts,
            "percent": round(100.0 * ended / total, 2) if total else 100.0,
            "done": self.done,
            "outcome": self.outcome,
        }


def restore_stats(run: PlanRun) -> None:
    """Count the orders a resumed run found ended into its stats."""
    for order_run in run.orders.values():
        if order_run.status is PlanOrderStatus.FILLED:
            run.stats.completed += 1
            run.stats.volume_executed += order_run.usd
            run.stats.fees += order_run.fees
        elif order_run.status in (PlanOrderStatus.FAILED, PlanOrderStatus.UNKNOWN):
            run.stats.failed += 1
        elif order_run.status is PlanOrderStatus.CANCELLED:
            run.stats.cancelled += 1
