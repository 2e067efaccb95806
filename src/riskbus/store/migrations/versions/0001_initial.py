"""Create every store table.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_DEC = sa.String(64)


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "daily_pnl",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("trading_day", sa.String(10), primary_key=True),
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("realized", _DEC, nullable=False),
        sa.Column("fees", _DEC, nullable=False),
        sa.Column("trade_count", sa.Integer, nullable=False),
    )
    op.create_table(
        "trades",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fill_id", sa.String(128), nullable=False, unique=True),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", _DEC, nullable=False),
        sa.Column("price", _DEC, nullable=False),
        sa.Column("fee", _DEC, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_trades_client_order_id", "trades", ["client_order_id"])
    op.create_table(
        "lockouts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("until", sa.BigInteger, nullable=True),
        sa.Column("cleared_at", sa.BigInteger, nullable=True),
        sa.Column("cleared_by", sa.String(64), nullable=True),
    )
    op.create_table(
        "timers",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("fire_at", sa.BigInteger, nullable=False),
        sa.Column("interval", sa.BigInteger, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_table(
        "reset_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trading_day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(128), primary_key=True),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("quantity", _DEC, nullable=False),
        sa.Column("price", _DEC, nullable=True),
        sa.Column("trigger_price", _DEC, nullable=True),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("reduce_only", sa.Boolean, nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("filled_qty", _DEC, nullable=False),
        sa.Column("avg_price", _DEC, nullable=True),
        sa.Column("venue_order_id", sa.String(128), nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    for table in (
        "checkpoints",
        "audit",
        "orders",
        "reset_log",
        "timers",
        "lockouts",
        "trades",
        "daily_pnl",
    ):
        op.drop_table(table)
