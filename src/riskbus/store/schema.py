"""SQLAlchemy table definitions for the store, and the base of its repositories.

Money and quantities are stored as decimal strings so that every ``Decimal`` comes back
exactly equal on every backend (SQLite has no native decimal type). Timestamps are integers,
nanoseconds since the Unix epoch, always passed in by the caller.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

__all__ = [
    "AuditRow",
    "Base",
    "CheckpointRow",
    "DailyPnlRow",
    "DecimalText",
    "LockoutRow",
    "OrderRow",
    "Repository",
    "ResetRow",
    "TimerRow",
    "TradeRow",
]


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` stored as its exact string form."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        """Turn a ``Decimal`` into its string form."""
        return None if value is None else str(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        """Turn the stored string back into a ``Decimal``."""
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    """Declarative base of every store table."""


class DailyPnlRow(Base):
    """Realized P&L, fees and trade count per account, trading day and symbol."""

    __tablename__ = "daily_pnl"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    trading_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    realized: Mapped[Decimal] = mapped_column(DecimalText())
    fees: Mapped[Decimal] = mapped_column(DecimalText())
    trade_count: Mapped[int] = mapped_column(Integer)


class TradeRow(Base):
    """One fill; ``fill_id`` is unique so a fill recorded twice is stored once."""

    __tablename__ = "trades"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fill_id: Mapped[str] = mapped_column(String(128), unique=True)
    client_order_id: Mapped[str] = mapped_column(String(128), index=True)
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    price: Mapped[Decimal] = mapped_column(DecimalText())
    fee: Mapped[Decimal] = mapped_column(DecimalText())
    ts: Mapped[int] = mapped_column(BigInteger)


class LockoutRow(Base):
    """A lockout of an account or a symbol by a risk rule."""

    __tablename__ = "lockouts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[int] = mapped_column(BigInteger)
    until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cleared_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cleared_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class TimerRow(Base):
    """A named timer; ``interval`` is in nanoseconds, ``None`` for a one-shot timer."""

    __tablename__ = "timers"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    fire_at: Mapped[int] = mapped_column(BigInteger)
    interval: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class ResetRow(Base):
    """One daily or weekly reset, so a restart does not reset twice."""

    __tablename__ = "reset_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trading_day: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[int] = mapped_column(BigInteger)


class OrderRow(Base):
    """The latest known state of one order, keyed by ``client_order_id``."""

    __tablename__ = "orders"
    client_order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    trigger_price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    time_in_force: Mapped[str] = mapped_column(String(8))
    reduce_only: Mapped[bool]
    strategy: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    filled_qty: Mapped[Decimal] = mapped_column(DecimalText())
    avg_price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    venue_order_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class AuditRow(Base):
    """One audit entry: who did what, with what outcome."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(32))


class CheckpointRow(Base):
    """A small key/value checkpoint."""

    __tablename__ = "checkpoints"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Repository:
    """Base of every repository.

    Each write method opens a transaction and commits it before returning, so a value is
    written before it is acknowledged.

    Args:
        sessions: the session factory of the store.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
