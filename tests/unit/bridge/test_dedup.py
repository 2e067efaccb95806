"""The seen-set policy (in memory): no false positives, bounded size and age, exact if large."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskbus.bridge.dedup import BoundedSeen

ids = st.text(alphabet="abcdef", min_size=1, max_size=3)
batches = st.lists(
    st.lists(st.tuples(ids, st.integers(0, 1_000)), min_size=0, max_size=8), max_size=12
)


@given(batches, st.integers(1, 10), st.integers(1, 500))
def test_never_marked_ids_are_never_seen_and_the_size_is_bounded(
    history: list[list[tuple[str, int]]], max_size: int, ttl_ms: int
) -> None:
    seen = BoundedSeen(max_size=max_size, ttl_ms=ttl_ms)
    marked: set[str] = set()
    for batch in history:
        seen.mark(batch)
        marked |= {event_id for event_id, _ in batch}
        assert len(seen) <= max_size
        probe = ["zz", *marked]
        assert seen.seen(probe) <= marked


@given(batches)
def test_with_room_enough_every_marked_id_is_remembered(
    history: list[list[tuple[str, int]]],
) -> None:
    seen = BoundedSeen(max_size=1_000, ttl_ms=10_000)
    marked: set[str] = set()
    for batch in history:
        seen.mark(batch)
        marked |= {event_id for event_id, _ in batch}
    assert seen.seen(marked) == marked
    assert seen.seen(["zzz"]) == set()


@given(batches, st.integers(1, 6))
def test_the_latest_batch_is_remembered_when_stream_time_moves_forward(
    history: list[list[tuple[str, int]]], max_size: int
) -> None:
    seen = BoundedSeen(max_size=max_size, ttl_ms=50)
    clock = 0
    for batch in history:
        if not batch:
            continue  # nothing marked: nothing trimmed either
        clock += 100  # every batch is newer than the previous ones, and older ones expire
        latest = {event_id: clock for event_id, _ in batch}
        seen.mark(list(latest.items()))
        kept = seen.seen(latest)
        assert len(kept) == min(len(latest), max_size)
        assert len(seen) == len(kept)  # older batches are beyond the ttl


def test_the_oldest_go_first_when_full() -> None:
    seen = BoundedSeen(max_size=2, ttl_ms=1_000)
    seen.mark([("a", 1), ("b", 2)])
    seen.mark([("c", 3)])
    assert seen.seen(["a", "b", "c"]) == {"b", "c"}


def test_ids_older_than_the_ttl_are_forgotten() -> None:
    seen = BoundedSeen(max_size=10, ttl_ms=100)
    seen.mark([("a", 0), ("b", 50)])
    seen.mark([("c", 120)])
    assert seen.seen(["a", "b", "c"]) == {"b", "c"}
    seen.mark([])
    assert len(seen) == 2


@pytest.mark.parametrize(("max_size", "ttl_ms"), [(0, 1), (1, 0)])
def test_bounds_must_be_positive(max_size: int, ttl_ms: int) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        BoundedSeen(max_size=max_size, ttl_ms=ttl_ms)


def test_an_id_marked_twice_in_a_batch_keeps_its_last_score() -> None:
    seen = BoundedSeen(max_size=10, ttl_ms=100)
    seen.mark([("a", 500), ("b", 450), ("a", 10)])
    assert seen.seen(["a", "b"]) == {"b"}  # a's last score, 10, is beyond the ttl from 450
