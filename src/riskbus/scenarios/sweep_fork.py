"""Run a sweep's batches on this process and forked children that share one counter.

With ``workers`` = N, N − 1 children are forked (they start with everything this process
has loaded: modules, parsed scenarios) and this process works too. Every process takes
the next batch number from a shared counter until none is left, so the fast ones do more
and all finish together; a child sends each batch's records back through its own pipe as
soon as they exist, and this process delivers them between its own batches and at the
end. Compared with a ``multiprocessing.Pool`` of N workers there is one fork less, no
pickled task per batch and no helper threads competing with the workers for the cores:
what is left of a short sweep's fixed cost (200 runs take well under a second).

A batch that raises in a child stops the sweep: the error is raised here (the other
children are stopped). Needs the ``fork`` start method (Linux, macOS).
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = ["WorkerDied", "run_forked"]

Batch = TypeVar("Batch")
Records = list[dict[str, Any]]


class WorkerDied(RuntimeError):
    """A forked worker ended without finishing its batches (killed, out of memory, ...)."""


def run_forked(
    batches: Sequence[Batch],
    work: Callable[[Batch], Records],
    workers: int,
    deliver: Callable[[Records], None],
) -> None:
    """Run ``work(batch)`` for every batch on this process and ``workers − 1`` children.

    ``deliver`` gets each batch's records, in this process, in completion order.

    Raises:
        WorkerDied: a child ended before sending all its results.
        BaseException: whatever ``work`` raised, here or in a child.
    """
    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0)
    total = len(batches)

    def claim() -> int | None:
        with counter.get_lock():
            number = counter.value
            if number >= total:
                return None
            counter.value = number + 1
        return int(number)

    children: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    gc.freeze()  # the children then do not copy this process's heap on their first GC
    try:
        for _ in range(workers - 1):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(send, claim, batches, work))
            child.daemon = True
            child.start()
            send.close()
            children.append((child, receive))
    finally:
        gc.unfreeze()
    open_pipes = [receive for _, receive in children]
    try:
        while (number := claim()) is not None:
            deliver(work(batches[number]))
            _collect(open_pipes, deliver, block=False)
        _collect(open_pipes, deliver, block=True)
    except BaseException:
        for process, _ in children:
            process.terminate()
        raise
    finally:
        for process, receive in children:
            process.join()
            receive.close()


def _child(
    send: Connection,
    claim: Callable[[], int | None],
    batches: Sequence[Batch],
    work: Callable[[Batch], Records],
) -> None:
    try:
        while (number := claim()) is not None:
            send.send(("records", work(batches[number])))
        send.send(("done", None))
    except BaseException as error:  # reported to the parent, which raises it
        try:
            send.send(("error", error))
        except Exception:  # not picklable: its text
            send.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    finally:
        send.close()


def _collect(pipes: list[Connection], deliver: Callable[[Records], None], *, block: bool) -> None:
    """Deliver what the children sent; with ``block``, wait until each one is done."""
    for receive in list(pipes):
        while block or receive.poll():
            try:
                kind, payload = receive.recv()
            except EOFError:
                raise WorkerDied("a sweep worker ended before sending all its results") from None
            if kind == "records":
                deliver(payload)
            elif kind == "done":
                pipes.remove(receive)
                break
            else:
                raise payload
