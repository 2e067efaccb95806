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
