"""Create the pool ladder bot's tables: ``bot_pools`` and ``bot_runs``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_DEC = sa.String(64)


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "bot_pools",
        sa.Column("bot", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("capital", _DEC, nullable=False),
        sa.Column("quantity", _DEC, nullable=False),
        sa.Column("cost", _DEC, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("last_purchase_price", _DEC, nullable=True),
        sa.Column("expected_sale_price", _DEC, nullable=True),
        sa.Column("next_purchase_price", _DEC, nullable=True),
        sa.Column("trailing", sa.Boolean, nullable=False),
        sa.Column("realized_pnl", _DEC, nullable=False),
        sa.Column("purchases", sa.Integer, nullable=False),
        sa.Column("sales", sa.Integer, nullable=False),
        sa.Column("opened_cycle", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "bot_runs",
        sa.Column("bot", sa.String(64), primary_key=True),
        sa.Column("last_cycle", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("bot_runs")
    op.drop_table("bot_pools")
