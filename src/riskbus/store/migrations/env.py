"""Alembic environment: runs on the connection that :func:`riskbus.store.open_store` passes."""

from __future__ import annotations

from alembic import context

from riskbus.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when alembic is run by hand
    raise RuntimeError("run migrations through riskbus.store.open_store()")
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
