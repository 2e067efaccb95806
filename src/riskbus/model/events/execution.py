"""Execution events: the life of a rebalancing plan and of each of its orders.

The names follow the original engine's callback events (``plan_start``, ``order_start``,
``order_complete``, ``order_failed``, ``order_cancelled``, ``plan_complete``,
``plan_failed``, ``plan_cancelled``); :attr:`PlanEvent.callback` gives that name.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from riskbus.core.messages import Event

__all__ = [
    "AccountTelemetry",
    "OrderReconciled",
    "PlanCancelled",
    "PlanCompleted",
    "PlanFailed",
    "PlanOrderCancelled",
    "PlanOrderCompleted",
    "PlanOrderFailed",
    "PlanOrderStarted",
    "PlanStarted",
    "PositionMismatch",
    "ReconciliationCompleted",
]


class PlanStarted(Event, frozen=True, kw_only=True):
    """Plan ``plan_id`` starts: ``orders`` orders, ``dry_run``, at most ``max_parallel``."""

    callback: ClassVar[str] = "plan_start"
    plan_id: str
    orders: int
    dry_run: bool
    max_parallel: int


class PlanOrderStarted(Event, frozen=True, kw_only=True):
    """A plan order is sent to ``venue`` (chosen by the registry for ``venue_reason``)."""

    callback: ClassVar[str] = "order_start"
    plan_id: str
    order_id: str
    client_order_id: str
    symbol: str
    side: str
    quantity: Decimal
    venue: str
    venue_reason: str = ""
    attempt: int = 1


class PlanOrderCompleted(Event, frozen=True, kw_only=True):
    """A plan order filled completely."""

    callback: ClassVar[str] = "order_complete"
    plan_id: str
    order_id: str
    client_order_id: str
    filled_qty: Decimal
    avg_price: Decimal
    usd: Decimal
    fees: Decimal


class PlanOrderFailed(Event, frozen=True, kw_only=True):
    """A plan order failed (``reason`` is ``CODE: ...``); ``unknown`` if its outcome is."""

    callback: ClassVar[str] = "order_failed"
    plan_id: str
    order_id: str
    client_order_id: str
    reason: str
    unknown: bool = False


class PlanOrderCancelled(Event, frozen=True, kw_only=True):
    """A plan order was cancelled (queued, or cancelled at the venue)."""

    callback: ClassVar[str] = "order_cancelled"
    plan_id: str
    order_id: str
    client_order_id: str = ""


class PlanCompleted(Event, frozen=True, kw_only=True):
    """Every order of the plan filled."""

    callback: ClassVar[str] = "plan_complete"
    plan_id: str
    completed: int
    failed: int


class PlanFailed(Event, frozen=True, kw_only=True):
    """The plan ended with failed orders."""

    callback: ClassVar[str] = "plan_failed"
    plan_id: str
    completed: int
    failed: int
    reason: str = ""


class PlanCancelled(Event, frozen=True, kw_only=True):
    """The plan was cancelled; ``cancelled`` orders never completed."""

    callback: ClassVar[str] = "plan_cancelled"
    plan_id: str
    completed: int
    cancelled: int


class OrderReconciled(Event, frozen=True, kw_only=True):
    """The reconciler fixed our view of an order: ``action`` is adopt, update, settle or
    assume_cancelled; the status moved from ``old_status`` (empty if unknown to us) to
    ``new_status``."""

    client_order_id: str
    symbol: str
    action: str
    old_status: str
    new_status: str


class PositionMismatch(Event, frozen=True, kw_only=True):
    """Our position in ``symbol`` was ``local``, the venue's ``venue``; ``fixed`` if booked."""

    symbol: str
    local: Decimal
    venue: Decimal
    fixed: bool = False


class ReconciliationCompleted(Event, frozen=True, kw_only=True):
    """One reconciliation pass: what it fixed, and the venue's open order count."""

    adopted: int
    updated: int
    settled: int
    assumed_cancelled: int
    position_mismatches: int
    open_orders: int

    @property
    def clean(self) -> bool:
        """Whether nothing needed fixing."""
        return not (
            self.adopted
            or self.updated
            or self.settled
            or self.assumed_cancelled
            or self.position_mismatches
        )


class AccountTelemetry(Event, frozen=True, kw_only=True):
    """A periodic account snapshot: equity, cash, exposure, positions and P&L."""

    account: str
    currency: str
    equity: Decimal
    cash: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    open_positions: int
    leverage: Decimal
