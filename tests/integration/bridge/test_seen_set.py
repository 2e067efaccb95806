"""The Redis seen-set behaves like its in-memory reference model, on random histories."""

from __future__ import annotations

from secrets import token_hex

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskbus.bridge.dedup import BoundedSeen, RedisSeenSet

ids = st.text(alphabet="abcdef", min_size=1, max_size=3)
batches = st.lists(
    st.lists(st.tuples(ids, st.integers(0, 100_000)), min_size=1, max_size=6), max_size=8
)
# The key also expires after ttl_ms of wall time without marks (a safety net the model does
# not have): ttl_ms starts at 5 s so that no example lives that long.


_ONE_KEY_PER_EXAMPLE = [HealthCheck.function_scoped_fixture]  # the prefix is only the base


@settings(max_examples=30, deadline=None, suppress_health_check=_ONE_KEY_PER_EXAMPLE)
@given(history=batches, max_size=st.integers(1, 8), ttl_ms=st.integers(5_000, 40_000))
def test_redis_seen_set_matches_the_model(
    client: redis.Redis,
    prefix: str,
    history: list[list[tuple[str, int]]],
    max_size: int,
    ttl_ms: int,
) -> None:
    key = f"{prefix}:seen:{token_hex(3)}"
    real = RedisSeenSet(client, key, max_size=max_size, ttl_ms=ttl_ms)
    model = BoundedSeen(max_size=max_size, ttl_ms=ttl_ms)
    universe = sorted({event_id for batch in history for event_id, _ in batch})
    try:
        for batch in history:
            pipeline = client.pipeline(transaction=True)
            real.mark(pipeline, batch)
            pipeline.execute()
            model.mark(batch)
            assert real.seen(universe) == model.seen(universe)
            assert len(real) == len(model)
        if history:
            assert 0 < client.pttl(key) <= ttl_ms
        assert real.seen([]) == set()
    finally:
        real.clear()
