"""Request and response models of the API (they are the OpenAPI schema at ``/api/docs``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditOut",
    "ChartOut",
    "EventFlowOut",
    "HealthOut",
    "LockoutOut",
    "PlanCreate",
    "PlanExecute",
    "PlanOut",
    "PnlOut",
    "RecordingOut",
    "RecordingTimeline",
    "ReloadOut",
    "ReloadRequestIn",
    "RunAccepted",
    "RunRequest",
    "RunStatusOut",
    "RunSummary",
    "ScenarioDetail",
    "ScenarioOut",
    "StateOut",
    "UnlockOut",
    "UnlockRequest",
    "ViolationsPage",
]

_CLOSED = ConfigDict(extra="forbid")


class HealthOut(BaseModel):
    """``GET /health``."""

    status: Literal["healthy"]
    version: str
    api: str
    uptime_seconds: float
    runs_active: int


# -- scenarios and runs ---------------------------------------------------------------------


class ScenarioOut(BaseModel):
    """One scenario file of the catalogue."""

    name: str
    title: str
    description: str
    folder: str
    valid: bool
    error: str | None = None


class ScenarioDetail(ScenarioOut):
    """A scenario with its YAML text (the preview)."""

    yaml: str
    seed: int | None = None
    steps: int = 0
    chaos: int = 0


class RunRequest(BaseModel):
    """``POST /api/run``: which scenario, and how (the original's contract plus ``seed``)."""

    model_config = _CLOSED
    scenario: str = Field(min_length=1, max_length=200, examples=["flash_crash_recovery.yaml"])
    verbose: bool = False
    recording: bool = False
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)


class RunAccepted(BaseModel):
    """The id of the run just queued."""

    test_id: str
    status: str
    scenario: str


class RunSummary(BaseModel):
    """One run in the list of runs."""

    test_id: str
    scenario: str
    status: str
    duration: float
    created: float


class RunStatusOut(BaseModel):
    """``GET /api/status/{test_id}``: the original's status fields, plus more."""

    test_id: str
    scenario: str
    title: str
    status: Literal["queued", "running", "passed", "failed", "error", "stopped"]
    duration: float = Field(description="wall seconds of the run so far (process included)")
    assertions_passed: int
    assertions_total: int
    events_recorded: int
    assertions: list[dict[str, Any]]
    chaos: dict[str, Any]
    seed: int | None
    virtual_seconds: float | None = None
    cycles: int | None = None
    error: str | None = None
    recording: str | None = None
    log_lines: int
    reproduce: str | None = None


class PricePoint(BaseModel):
    """A price at ``ts`` virtual seconds since the scenario start."""

    ts: float
    price: float


class TradePoint(BaseModel):
    """A trade of the bot."""

    ts: float
    side: str
    price: float


class FaultWindow(BaseModel):
    """A chaos fault window (``end`` None: never healed)."""

    start: float
    end: float | None
    kind: str


class ChartOut(BaseModel):
    """``GET /api/runs/{test_id}/chart``: the price line, the trades and the fault windows."""

    test_id: str
    status: str
    prices: list[PricePoint]
    trades: list[TradePoint]
    faults: list[FaultWindow]


# -- recordings and event flow --------------------------------------------------------------


class RecordingOut(BaseModel):
    """One recording file."""

    name: str
    size: int
    events: int
    scenario: str | None
    seed: int | None
    modified: float


class TimelineEvent(BaseModel):
    """One recorded event."""

    index: int
    t: float
    cycle: int
    event: str
    summary: str


class RecordingTimeline(BaseModel):
    """A page of a recording's events."""

    name: str
    header: dict[str, Any]
    total: int
    offset: int
    limit: int
    events: list[TimelineEvent]


class FlowNode(BaseModel):
    """A component or a message type."""

    id: str
    kind: Literal["component", "event", "command", "any"]
    label: str


class FlowEdge(BaseModel):
    """``component → message`` (publishes) or ``message → component`` (consumes, handles)."""

    source: str
    target: str
    kind: Literal["publishes", "consumes", "handles"]


class EventFlowOut(BaseModel):
    """The graph the bus itself recorded while a scenario world ran."""

    source: str
    scenario: str | None
    nodes: list[FlowNode]
    edges: list[FlowEdge]


# -- risk ----------------------------------------------------------------------------------


class StateOut(BaseModel):
    """The trading state of the guarded account."""

    source: Literal["guard", "store"]
    account: str
    state: str
    account_locked: bool
    active_lockouts: int
    locked_symbols: list[str]
    rules: list[str]


class LockoutOut(BaseModel):
    """A lockout (or cooldown) from the store."""

    id: int | None
    scope: str
    target: str
    rule: str
    kind: str
    reason: str
    started_at: int
    until: int | None
    cleared_at: int | None
    cleared_by: str | None
    active: bool


class PnlSymbol(BaseModel):
    """One symbol's day."""

    symbol: str
    realized: Decimal
    fees: Decimal
    trade_count: int


class PnlOut(BaseModel):
    """The daily P&L of an account (from the store)."""

    account: str
    trading_day: str
    realized: Decimal
    fees: Decimal
    net: Decimal
    trade_count: int
    by_symbol: list[PnlSymbol]


class ViolationOut(BaseModel):
    """One rule violation."""

    ts: int
    rule: str
    reason: str
    action: str
    symbol: str | None


class ViolationsPage(BaseModel):
    """A page of violations, newest first."""

    page: int
    size: int
    total: int
    items: list[ViolationOut]


class AuditOut(BaseModel):
    """One audit entry."""

    ts: int
    actor: str
    action: str
    outcome: str
    details: dict[str, Any]


class UnlockRequest(BaseModel):
    """``POST /api/risk/unlock``: one lockout by id, a rule's lockouts, or all of them."""

    model_config = _CLOSED
    lockout_id: int | None = Field(default=None, ge=1, le=2**62)
    rule: str | None = Field(default=None, min_length=1, max_length=100)


class UnlockOut(BaseModel):
    """What an unlock cleared and what it was refused."""

    cleared: list[int]
    refused: list[int]


class ReloadRequestIn(BaseModel):
    """``POST /api/risk/config/reload``."""

    model_config = _CLOSED
    reason: str = Field(default="", max_length=500)


class ReloadOut(BaseModel):
    """The outcome of a reload: ``applied`` (hosted guard) or ``requested`` (via the store)."""

    outcome: Literal["applied", "requested"]
    detail: str


# -- plans ---------------------------------------------------------------------------------


class HoldingIn(BaseModel):
    """One asset held."""

    model_config = _CLOSED
    quantity: Decimal = Field(ge=0, le=Decimal("1e15"), allow_inf_nan=False)
    price: Decimal = Field(gt=0, le=Decimal("1e12"), allow_inf_nan=False)


class PlanCreate(BaseModel):
    """``POST /api/plans``: holdings and targets, as ``riskbus rebalance`` files."""

    model_config = _CLOSED
    cash: str = Field(default="USDT", min_length=1, max_length=20)
    holdings: dict[str, HoldingIn] = Field(min_length=1, max_length=200)
    weights: dict[str, Decimal] | None = None
    amounts: dict[str, Decimal] | None = None
    prices: dict[str, Decimal] = {}
    min_trade_usd: Decimal = Field(default=Decimal(25), ge=0, allow_inf_nan=False)
    pinned: list[str] = []
    blacklist: list[str] = []
    platform: str = Field(default="simulator", max_length=50)


class PlanExecute(BaseModel):
    """``POST /api/plans/{plan_id}/execute``."""

    model_config = _CLOSED
    dry_run: bool = False
    max_parallel: int = Field(default=3, ge=1, le=50)


class PlanOrderOut(BaseModel):
    """One plan order and its state."""

    order_id: str
    symbol: str
    side: str
    usd: Decimal
    quantity: Decimal
    price: Decimal
    platform: str
    status: str


class PlanStatsOut(BaseModel):
    """The execution stats."""

    total_orders: int
    completed: int
    failed: int
    cancelled: int
    success_rate: float
    volume_planned: Decimal
    volume_executed: Decimal
    fees: Decimal


class PlanOut(BaseModel):
    """A plan, its orders, and its progress once executed."""

    plan_id: str
    cash: str
    valid: bool
    errors: list[str]
    warnings: list[str]
    orders: list[PlanOrderOut]
    status: Literal["created", "running", "completed", "failed", "cancelled"]
    phase: str | None = None
    percent: float = 0.0
    counts: dict[str, int] = {}
    stats: PlanStatsOut | None = None
