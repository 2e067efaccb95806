"""Alembic migrations of the riskbus store."""
