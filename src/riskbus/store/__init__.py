"""Durable state of riskbus: every P&L total, fill, lockout, timer, reset, order and audit
entry is committed to SQLite (default) or PostgreSQL before the write call returns, so a
restart, even after ``kill -9``, recovers exactly what was acknowledged. Open it with
:func:`open_store`; the schema is migrated by the bundled Alembic revisions on start.
"""

from __future__ import annotations

from riskbus.store.engine import DEFAULT_URL, ENV_VAR, Store, open_store
from riskbus.store.pools import (
    InMemoryPoolRepository,
    PoolRecord,
    PoolRepository,
    SqlPoolRepository,
)
from riskbus.store.predictions import PredictionRecord, PredictionRepository
from riskbus.store.records import (
    AuditEntry,
    DailyPnl,
    LockoutKind,
    LockoutRecord,
    LockoutScope,
    OrderRecord,
    ResetEntry,
    ResetKind,
    TimerRecord,
    TradeRecord,
)

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "AuditEntry",
    "DailyPnl",
    "InMemoryPoolRepository",
    "LockoutKind",
    "LockoutRecord",
    "LockoutScope",
    "OrderRecord",
    "PoolRecord",
    "PoolRepository",
    "PredictionRecord",
    "PredictionRepository",
    "ResetEntry",
    "ResetKind",
    "SqlPoolRepository",
    "Store",
    "TimerRecord",
    "TradeRecord",
    "open_store",
]
