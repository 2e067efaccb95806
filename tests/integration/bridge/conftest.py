"""Fixtures of the bridge tests: the real local Redis, one fresh key prefix per test."""

from __future__ import annotations

from collections.abc import Iterator
from secrets import token_hex

import pytest
import redis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url() -> str:
    """The local Redis."""
    return REDIS_URL


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    """A client on the local Redis (closed after the test)."""
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    connection.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    name = f"rbtest-{token_hex(4)}"
    yield name
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)
