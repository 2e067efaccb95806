"""The repository suite against both SQLite and the real PostgreSQL server.

PostgreSQL tests run in a private schema (``rb_test_<hex>_<n>``) per test, created and
dropped here, so parallel runs do not collide. If the server is unreachable they fail
(CI starts it); they never skip.
"""

from __future__ import annotations

from sqlalchemy import text

from riskbus.store import open_store
from tests.postgres import SCHEMA_PREFIX
from tests.unit.store._suite import RepositorySuite


class TestBothBackends(RepositorySuite):
    """Every repository test, on SQLite and on PostgreSQL."""


def test_postgres_tables_live_in_the_private_schema(store_url: str) -> None:
    with open_store(store_url) as store:
        if store.engine.dialect.name != "postgresql":
            assert store.engine.dialect.name == "sqlite"
            return
        with store.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            assert isinstance(schema, str) and schema.startswith(SCHEMA_PREFIX)
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == "0003"
