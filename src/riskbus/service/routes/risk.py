"""The risk API: state, lockouts, daily P&L, violations, audit; admin unlock and reload.

Reads come from the hosted guard when there is one, else from the store a guard writes.
``POST /api/risk/unlock`` and ``POST /api/risk/config/reload`` need the admin token
(``X-Admin-Token: T`` or ``Authorization: Bearer T``), compared in constant time
(:func:`hmac.compare_digest`): 401 ``ADMIN_TOKEN_MISSING`` without one, 403
``ADMIN_TOKEN_INVALID`` for a wrong one (or when the server has none set). Every attempt is
written to the audit log, refused or not.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from riskbus.core.errors import ConfigError
from riskbus.risk.config import load_config, rule_admin_unlock_default
from riskbus.risk.lockouts import UnlockRefused
from riskbus.risk.reload import AUDIT_ACTION, request_reload
from riskbus.service.deps import DeskDep, SettingsDep, StoreDep
from riskbus.service.desk import VIOLATION_ACTION, RiskDesk
from riskbus.service.errors import ApiError, error_responses
from riskbus.service.schemas import (
    AuditOut,
    LockoutOut,
    PnlOut,
    PnlSymbol,
    ReloadOut,
    ReloadRequestIn,
    StateOut,
    UnlockOut,
    UnlockRequest,
    ViolationOut,
    ViolationsPage,
)
from riskbus.store import AuditEntry, LockoutRecord, Store

__all__ = ["UNLOCK_ACTION", "admin_guard", "router"]

router = APIRouter(prefix="/api/risk", tags=["risk"])

#: The audit action of an admin unlock (the same as ``riskbus admin lockouts clear``).
UNLOCK_ACTION = "admin_unlock"


def _now() -> int:
    return time.time_ns()  # wall-clock ok: the HTTP edge stamps audit entries


def _actor(request: Request) -> str:
    client = request.client.host if request.client else "unknown"
    return f"api:{client}"


def admin_guard(action: str) -> Callable[..., Awaitable[str]]:
    """A dependency checking the admin token for ``action``; it returns the audit actor.

    Refusals are audited (outcome ``missing_token`` / ``bad_token``) before answering.
    """

    async def check(
        request: Request,
        settings: SettingsDep,
        store: StoreDep,
        x_admin_token: Annotated[str | None, Header()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> str:
        given = x_admin_token
        if given is None and authorization and authorization.lower().startswith("bearer "):
            given = authorization[7:].strip()
        actor = _actor(request)
        details = {"path": request.url.path}
        if not given:
            store.audit.append(AuditEntry(_now(), actor, action, "missing_token", details))
            raise ApiError(401, "ADMIN_TOKEN_MISSING", "the admin token is required")
        expected = settings.admin_token.get_secret_value() if settings.admin_token else None
        if expected is None or not hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")
        ):
            store.audit.append(AuditEntry(_now(), actor, action, "bad_token", details))
            raise ApiError(403, "ADMIN_TOKEN_INVALID", "the admin token is not valid")
        return actor

    return check


# -- reads --------------------------------------------------------------------------------


@router.get("/state", response_model=StateOut, summary="The trading state")
def risk_state(desk: DeskDep) -> StateOut:
    """ACTIVE / REDUCING / HALTED, lockouts in force and the rules enabled."""
    return StateOut.model_validate(desk.state())


def _lockout(record: LockoutRecord, now: int) -> LockoutOut:
    return LockoutOut(
        id=record.id,
        scope=str(record.scope),
        target=record.target,
        rule=record.rule,
        kind=str(record.kind),
        reason=record.reason,
        started_at=record.started_at,
        until=record.until,
        cleared_at=record.cleared_at,
        cleared_by=record.cleared_by,
        active=record.active_at(now),
    )


@router.get("/lockouts", response_model=list[LockoutOut], summary="The lockouts")
def risk_lockouts(
    store: StoreDep, desk: DeskDep, include_ended: bool = Query(default=False, alias="all")
) -> list[LockoutOut]:
    """The lockouts in force (every lockout, newest first, with ``all=true``)."""
    now = desk.clock.now()
    records = store.lockouts.history() if include_ended else store.lockouts.active(now)
    return [_lockout(r, now) for r in sorted(records, key=lambda r: r.id or 0, reverse=True)]


@router.get("/pnl", response_model=PnlOut, summary="The daily P&L")
def risk_pnl(
    store: StoreDep,
    desk: DeskDep,
    account: str | None = Query(default=None, min_length=1, max_length=100),
    day: str | None = Query(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="trading day (YYYY-MM-DD)"
    ),
) -> PnlOut:
    """Realized P&L, fees and trades of the account's trading day (default: today)."""
    name = account or desk.account
    trading_day = day or desk.trading_day()
    rows = store.daily_pnl.for_day(name, trading_day)
    realized = sum((r.realized for r in rows), Decimal(0))
    fees = sum((r.fees for r in rows), Decimal(0))
    return PnlOut(
        account=name,
        trading_day=trading_day,
        realized=realized,
        fees=fees,
        net=realized - fees,
        trade_count=sum(r.trade_count for r in rows),
        by_symbol=[
            PnlSymbol(symbol=r.symbol, realized=r.realized, fees=r.fees, trade_count=r.trade_count)
            for r in rows
        ],
    )


@router.get("/violations", response_model=ViolationsPage, summary="Rule violations (paged)")
def risk_violations(
    store: StoreDep,
    page: int = Query(default=1, ge=1, le=1_000_000),
    size: int = Query(default=50, ge=1, le=500),
) -> ViolationsPage:
    """The rule violations the guard reported, newest first."""
    entries = [e for e in store.audit.entries() if e.action == VIOLATION_ACTION]
    entries.reverse()
    chunk = entries[(page - 1) * size : page * size]
    return ViolationsPage(
        page=page,
        size=size,
        total=len(entries),
        items=[
            ViolationOut(
                ts=e.ts,
                rule=str(e.details.get("rule", "")),
                reason=str(e.details.get("reason", "")),
                action=e.outcome,
                symbol=e.details.get("symbol"),
            )
            for e in chunk
        ],
    )


@router.get("/audit", response_model=list[AuditOut], summary="The audit trail")
def risk_audit(
    store: StoreDep,
    limit: int = Query(default=100, ge=1, le=1000),
    action: str | None = Query(default=None, max_length=100),
) -> list[AuditOut]:
    """The latest audit entries (admin actions, reloads, violations), newest first."""
    entries = [e for e in store.audit.entries() if action is None or e.action == action]
    return [
        AuditOut(ts=e.ts, actor=e.actor, action=e.action, outcome=e.outcome, details=e.details)
        for e in reversed(entries[-limit:])
    ]


# -- admin --------------------------------------------------------------------------------


def _unlock_hosted(desk: RiskDesk, body: UnlockRequest, actor: str, token: str) -> UnlockOut:
    manager = desk.manager
    targets = [
        lock.id
        for lock in manager.active_lockouts()
        if (body.rule is None or lock.rule == body.rule)
        and (body.lockout_id is None or lock.id == body.lockout_id)
    ]
    if body.lockout_id is not None and not targets:
        targets = [body.lockout_id]  # audited as unknown_lockout by the guard
    cleared, refused = [], []
    for lock_id in targets:
        try:
            manager.admin_unlock(lock_id, credential=token, actor=actor)
            cleared.append(lock_id)
        except UnlockRefused:
            refused.append(lock_id)
    return UnlockOut(cleared=cleared, refused=refused)


def _unlock_store(store: Store, body: UnlockRequest, actor: str, now: int) -> UnlockOut:
    cleared, refused = [], []
    for record in store.lockouts.active(now):
        if (body.rule is not None and record.rule != body.rule) or (
            body.lockout_id is not None and record.id != body.lockout_id
        ):
            continue
        assert record.id is not None
        raw = store.checkpoints.get(f"lockout-meta:{record.id}")
        meta = json.loads(raw) if raw else {}
        allowed = meta.get("admin_unlock", rule_admin_unlock_default(record.rule)) is not False
        details = {"lockout": record.id, "rule": record.rule, "target": record.target}
        details["via"] = "api"
        if allowed and store.lockouts.clear(record.id, cleared_at=now, cleared_by=actor):
            store.audit.append(AuditEntry(now, actor, UNLOCK_ACTION, "ok", details))
            cleared.append(record.id)
        else:
            store.audit.append(AuditEntry(now, actor, UNLOCK_ACTION, "not_allowed", details))
            refused.append(record.id)
    return UnlockOut(cleared=cleared, refused=refused)


@router.post(
    "/unlock",
    response_model=UnlockOut,
    responses=error_responses(401, 403, 404, 409),
    summary="Lift lockouts (admin)",
)
async def risk_unlock(
    body: UnlockRequest,
    store: StoreDep,
    desk: DeskDep,
    settings: SettingsDep,
    actor: Annotated[str, Depends(admin_guard(UNLOCK_ACTION))],
) -> UnlockOut:
    """Lift one lockout (``lockout_id``), a rule's, or all; each attempt is audited."""
    now = _now()
    if desk.manager is not None:
        assert settings.admin_token is not None
        result = _unlock_hosted(desk, body, actor, settings.admin_token.get_secret_value())
    else:
        result = _unlock_store(store, body, actor, now)
    if not result.cleared and not result.refused:
        details = {"lockout": body.lockout_id, "rule": body.rule, "via": "api"}
        store.audit.append(AuditEntry(now, actor, UNLOCK_ACTION, "nothing_to_clear", details))
        if body.lockout_id is not None:
            raise ApiError(404, "LOCKOUT_NOT_FOUND", f"no lockout {body.lockout_id} in force")
    if result.refused and not result.cleared:
        raise ApiError(
            409,
            "UNLOCK_REFUSED",
            f"lockouts {result.refused} may not be lifted by hand (or are not in force)",
        )
    return result


@router.post(
    "/config/reload",
    response_model=ReloadOut,
    responses=error_responses(400, 401, 403),
    summary="Reload the risk config (admin)",
)
async def risk_reload(
    store: StoreDep,
    desk: DeskDep,
    actor: Annotated[str, Depends(admin_guard(AUDIT_ACTION))],
    body: ReloadRequestIn | None = None,
) -> ReloadOut:
    """Reload the hosted guard's file now, or ask an external guard through the store."""
    reason = body.reason if body is not None else ""
    now = _now()
    if desk.manager is None:
        request = request_reload(store, ts=now, requested_by=actor, reason=reason)
        return ReloadOut(outcome="requested", detail=f"reload request {request.id} stored")
    path = desk.risk_config_path
    try:
        config = load_config(path)
        desk.manager.apply_config(config)
    except ConfigError as e:
        rejected = {"file": str(path), "error": str(e), "reason": reason}
        store.audit.append(AuditEntry(now, actor, AUDIT_ACTION, "rejected", rejected))
        raise ApiError(400, "CONFIG_INVALID", str(e)) from None
    applied: dict[str, object] = {"file": str(path), "rules": sorted(config.rules)}
    applied["reason"] = reason
    store.audit.append(AuditEntry(now, actor, AUDIT_ACTION, "applied", applied))
    return ReloadOut(outcome="applied", detail=f"{path}: {config.summary()}")
