"""The forked sweep backend: every batch runs once, here or in a child; failures surface."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

import pytest

from riskbus.scenarios.sweep_fork import WorkerDied, run_forked

PARENT = os.getpid()


def _collect(batches: list[list[int]], work: Any, workers: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    run_forked(batches, work, workers, got.extend)
    return got


def _slow_square(batch: list[int]) -> list[dict[str, Any]]:
    time.sleep(0.01)
    return [{"n": n, "square": n * n, "pid": os.getpid()} for n in batch]


#: set by a child's first batch (made before the fork, so every process shares it)
CHILD_WORKED = multiprocessing.get_context("fork").Event()


def _square_after_a_child(batch: list[int]) -> list[dict[str, Any]]:
    """Like :func:`_slow_square`, but this process waits until a child has worked (however
    slowly the children start, e.g. under coverage)."""
    if os.getpid() == PARENT:
        assert CHILD_WORKED.wait(timeout=30)
    else:
        CHILD_WORKED.set()
    return _slow_square(batch)


def test_every_batch_runs_once_and_the_children_share_the_work() -> None:
    CHILD_WORKED.clear()
    batches = [[n, n + 100] for n in range(40)]
    records = _collect(batches, _square_after_a_child, workers=3)
    assert sorted(r["n"] for r in records) == sorted(n for batch in batches for n in batch)
    assert all(r["square"] == r["n"] ** 2 for r in records)
    pids = {r["pid"] for r in records}
    assert PARENT in pids and len(pids) >= 2  # this process worked too, beside the children
    assert multiprocessing.active_children() == []  # all joined


def test_one_worker_forks_nothing() -> None:
    records = _collect([[1], [2]], _slow_square, workers=1)
    assert {r["pid"] for r in records} == {PARENT}


class Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("no pickling")


def _fail_in_child(kind: str) -> Any:
    CHILD_WORKED.clear()

    def work(batch: list[int]) -> list[dict[str, Any]]:
        if os.getpid() != PARENT:
            CHILD_WORKED.set()
            if kind == "raise":
                raise ValueError(f"bad batch {batch}")
            if kind == "unpicklable":
                raise Unpicklable("cannot travel")
            os._exit(3)  # killed: nothing more comes through the pipe
        assert CHILD_WORKED.wait(timeout=30)  # a child takes a batch, however slow to start
        return [{"n": n} for n in batch]

    return work


def test_an_error_in_a_child_is_raised_here() -> None:
    with pytest.raises(ValueError, match="bad batch"):
        _collect([[n] for n in range(20)], _fail_in_child("raise"), workers=2)
    assert multiprocessing.active_children() == []


def test_an_error_that_cannot_be_pickled_arrives_as_its_text() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable: cannot travel"):
        _collect([[n] for n in range(20)], _fail_in_child("unpicklable"), workers=2)


def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(WorkerDied, match="ended before sending all its results"):
        _collect([[n] for n in range(20)], _fail_in_child("exit"), workers=2)
    assert multiprocessing.active_children() == []
