"""The real PostgreSQL server of this machine, for tests that run on both databases.

Each test gets a private schema (``rb_test_<run token>_<n>``) that is dropped afterwards, so
parallel runs and reruns never see each other's tables. ``RISKBUS_TEST_POSTGRES_URL``
overrides the server.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, create_engine, text

__all__ = ["PG_URL", "SCHEMA_PREFIX", "connect_admin", "private_schema"]

PG_URL = os.environ.get(
    "RISKBUS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: Every schema this test run creates starts with this.
SCHEMA_PREFIX = f"rb_test_{secrets.token_hex(4)}_"
_COUNTER = itertools.count()


def connect_admin() -> Engine:
    """An engine on the server; the test fails (never skips) when it is not reachable."""
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
    return engine


@contextmanager
def private_schema(admin: Engine) -> Iterator[str]:
    """Create a fresh schema; yield a store URL whose search path is it; drop it after."""
    schema = f"{SCHEMA_PREFIX}{next(_COUNTER)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
