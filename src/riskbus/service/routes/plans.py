"""Rebalancing plans: ``POST /api/plans`` (holdings + targets, as ``riskbus rebalance``),
``POST /api/plans/{plan_id}/execute``, ``GET /api/plans/{plan_id}`` (progress),
``POST /api/plans/{plan_id}/cancel``, ``GET /api/plans``. Executed by the real execution
engine on a simulated venue (see :mod:`riskbus.service.plandesk`)."""

from __future__ import annotations

from fastapi import APIRouter

from riskbus.core.errors import InvalidValueError
from riskbus.service.deps import PlansDep
from riskbus.service.errors import ApiError, error_responses
from riskbus.service.plandesk import PlanDesk, PlanEntry
from riskbus.service.schemas import (
    PlanCreate,
    PlanExecute,
    PlanOrderOut,
    PlanOut,
    PlanStatsOut,
)

__all__ = ["plan_out", "router"]

router = APIRouter(prefix="/api/plans", tags=["plans"])


def plan_out(entry: PlanEntry) -> PlanOut:
    """The plan document: orders with their status, progress and stats once executed."""
    plan, run = entry.plan, entry.run
    orders = [
        PlanOrderOut(
            order_id=o.order_id,
            symbol=o.symbol,
            side=o.side.value,
            usd=o.usd,
            quantity=o.quantity,
            price=o.price,
            platform=o.platform,
            status=run.status(o.order_id).value if run is not None else "pending",
        )
        for o in plan.orders
    ]
    out = PlanOut(
        plan_id=plan.plan_id,
        cash=plan.cash,
        valid=plan.is_valid,
        errors=list(plan.errors),
        warnings=list(plan.warnings),
        orders=orders,
        status="created",
    )
    if run is None:
        return out
    progress = run.progress()
    stats = run.stats
    out.status = "running" if not run.done else run.outcome  # type: ignore[assignment]
    out.phase = str(progress["phase"])
    out.percent = float(progress["percent"])  # type: ignore[arg-type]
    out.counts = dict(progress["counts"])  # type: ignore[call-overload]
    out.stats = PlanStatsOut(
        total_orders=stats.total_orders,
        completed=stats.completed,
        failed=stats.failed,
        cancelled=stats.cancelled,
        success_rate=round(stats.success_rate, 2),
        volume_planned=stats.volume_planned,
        volume_executed=stats.volume_executed,
        fees=stats.fees,
    )
    return out


def _entry(plans: PlanDesk, plan_id: str) -> PlanEntry:
    entry = plans.plans.get(plan_id)
    if entry is None:
        raise ApiError(404, "PLAN_NOT_FOUND", f"no plan {plan_id!r}")
    return entry


@router.post(
    "",
    response_model=PlanOut,
    status_code=201,
    responses=error_responses(400),
    summary="Create a rebalancing plan",
)
async def create_plan(body: PlanCreate, plans: PlansDep) -> PlanOut:
    """Build and validate the plan that moves the holdings to the targets (sells first)."""
    entry = plans.create(
        {s: (h.quantity, h.price) for s, h in body.holdings.items()},
        cash=body.cash,
        weights=body.weights,
        amounts=body.amounts,
        prices=body.prices,
        min_trade_usd=body.min_trade_usd,
        pinned=body.pinned,
        blacklist=body.blacklist,
        platform=body.platform,
    )
    return plan_out(entry)


@router.get("", response_model=list[PlanOut], summary="List the plans")
async def list_plans(plans: PlansDep) -> list[PlanOut]:
    """Every plan created since the service started."""
    return [plan_out(entry) for entry in plans.plans.values()]


@router.get("/{plan_id}", response_model=PlanOut, responses=error_responses(404), summary="A plan")
async def get_plan(plan_id: str, plans: PlansDep) -> PlanOut:
    """The plan with its orders' states and its progress."""
    return plan_out(_entry(plans, plan_id))


@router.post(
    "/{plan_id}/execute",
    response_model=PlanOut,
    status_code=202,
    responses=error_responses(404, 409),
    summary="Execute a plan",
)
async def execute_plan(plan_id: str, plans: PlansDep, body: PlanExecute | None = None) -> PlanOut:
    """Start the plan: sells, the settle pause, then buys; follow it with ``GET``."""
    _entry(plans, plan_id)
    options = body or PlanExecute()
    try:
        entry = plans.execute(plan_id, dry_run=options.dry_run, max_parallel=options.max_parallel)
    except InvalidValueError as e:
        raise ApiError(409, "PLAN_NOT_EXECUTABLE", e.message) from None
    return plan_out(entry)


@router.post(
    "/{plan_id}/cancel",
    response_model=PlanOut,
    responses=error_responses(404),
    summary="Cancel a plan",
)
async def cancel_plan(plan_id: str, plans: PlansDep) -> PlanOut:
    """Cancel the run: queued orders at once, in-flight ones at the venue."""
    _entry(plans, plan_id)
    return plan_out(plans.cancel(plan_id))
