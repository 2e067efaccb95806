"""Create the ``predictions`` table of the prediction API.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table and its indexes."""
    op.create_table(
        "predictions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("pair", sa.String(64), nullable=False),
        sa.Column("horizon_days", sa.Integer, nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("agreement", sa.Float, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("probability_up", sa.Float, nullable=False),
        sa.Column("last_close", sa.Float, nullable=False),
        sa.Column("expected_move_pct", sa.Float, nullable=False),
        sa.Column("target_price", sa.Float, nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("candles_used", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("weights", sa.JSON, nullable=False),
        sa.Column("agents", sa.JSON, nullable=False),
    )
    op.create_index("ix_predictions_pair", "predictions", ["pair"])
    op.create_index("ix_predictions_created_at", "predictions", ["created_at"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("ix_predictions_created_at", table_name="predictions")
    op.drop_index("ix_predictions_pair", table_name="predictions")
    op.drop_table("predictions")
