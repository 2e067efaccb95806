"""The repository suite against both SQLite and the real PostgreSQL server.

PostgreSQL tests run in a private schema (``rb_test_<hex>_<n>``) per test, created and
dropped here, so parallel runs do not collide. If the server is unreachable they fail
(CI starts it); they never skip.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, create_engine, text

from riskbus.store import open_store
from tests.unit.store._suite import RepositorySuite

PG_URL = os.environ.get(
    "RISKBUS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_TOKEN = secrets.token_hex(4)
_COUNTER = itertools.count()


@pytest.fixture(scope="module")
def pg_admin() -> Iterator[Engine]:
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    schema = f"rb_test_{_TOKEN}_{next(_COUNTER)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


class TestBothBackends(RepositorySuite):
    """Every repository test, on SQLite and on PostgreSQL."""


def test_postgres_tables_live_in_the_private_schema(store_url: str) -> None:
    with open_store(store_url) as store:
        if store.engine.dialect.name != "postgresql":
            assert store.engine.dialect.name == "sqlite"
            return
        with store.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            assert isinstance(schema, str) and schema.startswith(f"rb_test_{_TOKEN}_")
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == "0003"
