"""Alembic revisions of the riskbus store."""
