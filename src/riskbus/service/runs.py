"""Scenario runs in worker processes: several at once, each with a live log, each stoppable.

:class:`RunManager` starts each run in its own process (``forkserver`` start method, with
the scenario runner preloaded in the server, so a run starts in milliseconds and the web
process never forks itself). At most ``workers`` runs execute at once; the others wait
``queued``. The child runs :class:`~riskbus.scenarios.runner.ScenarioRunner` and sends, over
a pipe, its progress lines and then the results dict; a thread per run reads the pipe and
hands each message to the event loop. ``stop`` terminates the process (or drops a queued
run): the run ends ``stopped``.

Log lines carry a level: ``INFO`` (progress), ``SUCCESS`` (a step or assertion that held, a
passed run), ``WARNING`` (a fault window, a stop) and ``ERROR`` (a failed check, a failed
or crashed run).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from riskbus.service.catalog import ScenarioEntry

__all__ = ["LogLine", "RunManager", "ScenarioRun", "level_of"]

log = logging.getLogger("riskbus.service.runs")

Status = Literal["queued", "running", "passed", "failed", "error", "stopped"]
ENDED: tuple[Status, ...] = ("passed", "failed", "error", "stopped")
FINISHED: frozenset[str] = frozenset(ENDED)
_PRELOAD = ["riskbus.scenarios.runner", "riskbus.scenarios.report_html"]


@dataclass(frozen=True)
class LogLine:
    """One line of a run's live log (``ts``: wall-clock seconds since the epoch)."""

    ts: float
    level: str
    message: str


def level_of(line: str) -> str:
    """The level of one of the runner's progress lines (✓ → SUCCESS, ✗ → ERROR)."""
    text = line.strip()
    if text.startswith("✓"):
        return "SUCCESS"
    if text.startswith("✗"):
        return "ERROR"
    if text.startswith("Traceback"):
        return "ERROR"
    return "INFO"


def _worker(path: str, seed: int | None, record: str | None, verbose: bool, conn: Any) -> None:
    """The child process: run the scenario, sending log lines, then the results."""
    from riskbus.scenarios.runner import ScenarioRunner

    def send_line(line: str) -> None:
        for part in line.rstrip().splitlines():
            if part.startswith("    ") and not verbose:
                continue  # assertion details: on the status page, in the log only if verbose
            conn.send(("log", level_of(part), part.strip()))

    try:
        runner = ScenarioRunner(path, seed=seed, record=record, verbose=True, log=send_line)
        name = runner.loaded.scenario.name
        conn.send(("log", "INFO", f"running {name!r} with seed {runner.seed}"))
        conn.send(("result", runner.run()))
    except Exception as e:
        conn.send(("crash", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


@dataclass
class ScenarioRun:
    """One run: what was asked, where it is, its log and, once ended, its results."""

    test_id: str
    entry: ScenarioEntry
    seed: int | None
    verbose: bool
    recording: Path | None
    status: Status = "queued"
    created: float = field(default_factory=time.time)  # wall-clock ok: the API's timestamps
    started: float | None = None
    ended: float | None = None
    results: dict[str, Any] | None = None
    error: str | None = None
    lines: list[LogLine] = field(default_factory=list)
    stop_requested: bool = False
    process: Any = None
    _updated: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def done(self) -> bool:
        """Whether the run has ended (passed, failed, error or stopped)."""
        return self.status in FINISHED

    def add(self, level: str, message: str) -> None:
        """Append a log line and wake whoever streams the log."""
        self.lines.append(LogLine(time.time(), level, message))  # wall-clock ok
        self.changed()

    def changed(self) -> None:
        """Wake whoever waits on this run (a new line, or the run ended)."""
        self._updated.set()
        self._updated = asyncio.Event()

    async def wait(self, seen: int, timeout: float) -> None:
        """Wait until there are more than ``seen`` lines, the run ends, or ``timeout``."""
        if len(self.lines) > seen or self.done:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._updated.wait(), timeout)

    def duration(self) -> float:
        """Wall seconds from the start of the process to its end (or to now)."""
        if self.started is None:
            return 0.0
        end = self.ended if self.ended is not None else time.time()  # wall-clock ok
        return round(end - self.started, 6)


class RunManager:
    """Starts, tracks and stops scenario runs (see the module docstring).

    Args:
        workers: runs executing at once.
        recordings_dir: where runs asked to record write their JSONL recording.
        keep: finished runs kept in memory (the oldest are forgotten first).
    """

    def __init__(self, *, workers: int, recordings_dir: Path, keep: int = 200) -> None:
        self.workers = workers
        self.recordings_dir = recordings_dir
        self.keep = keep
        self.runs: dict[str, ScenarioRun] = {}
        self.finished: Counter[str] = Counter()
        self.events_recorded = 0
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._slots: asyncio.Semaphore | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the fork server (a trial process) so the first run starts at once.

        Raises:
            RuntimeError: the trial process could not run.
        """
        self._slots = asyncio.Semaphore(self.workers)
        self._readers = ThreadPoolExecutor(self.workers + 2, thread_name_prefix="riskbus-run")
        code = await asyncio.get_running_loop().run_in_executor(self._readers, self._trial)
        if code != 0:
            raise RuntimeError(f"the scenario worker process failed to start (exit code {code})")

    def _trial(self) -> int | None:
        process = self._context.Process(target=_noop, daemon=True)
        process.start()
        process.join(60)
        return process.exitcode

    async def close(self) -> None:
        """Stop every run and wait for them to end."""
        for run in list(self.runs.values()):
            if not run.done:
                self.stop(run.test_id)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        if self._readers is not None:
            self._readers.shutdown(wait=False, cancel_futures=True)

    # -- API ------------------------------------------------------------------------------

    def submit(
        self, entry: ScenarioEntry, *, seed: int | None, verbose: bool, recording: bool
    ) -> ScenarioRun:
        """Queue a run of ``entry``; it starts as soon as a worker is free."""
        test_id = uuid.uuid4().hex[:16]
        record = None
        if recording:
            stem = entry.name.split(".")[0]
            record = (self.recordings_dir / f"{stem}-{test_id}.jsonl").resolve()
        run = ScenarioRun(test_id, entry, seed, verbose, record)
        run.add("INFO", f"queued {entry.name}")
        self.runs[test_id] = run
        task = asyncio.create_task(self._execute(run))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._forget_old()
        return run

    def get(self, test_id: str) -> ScenarioRun | None:
        """The run ``test_id``, or None."""
        return self.runs.get(test_id)

    def stop(self, test_id: str) -> ScenarioRun | None:
        """Stop run ``test_id`` (no-op once it ended); return it, or None if unknown."""
        run = self.runs.get(test_id)
        if run is None or run.done:
            return run
        if not run.stop_requested:
            run.stop_requested = True
            run.add("WARNING", "stop requested")
        if run.status == "queued":  # never started: it ends now, its turn is skipped
            self._finish(run, None, None)
        elif run.process is not None and run.process.is_alive():
            run.process.terminate()
        return run

    def counts(self) -> dict[str, int]:
        """Runs by status: the ones kept in memory now."""
        counts = Counter[str](run.status for run in self.runs.values())
        return {status: counts.get(status, 0) for status in ("queued", "running", *ENDED)}

    # -- running --------------------------------------------------------------------------

    async def _execute(self, run: ScenarioRun) -> None:
        assert self._slots is not None
        async with self._slots:
            if run.done:  # stopped while queued
                return
            run.status = "running"
            try:
                await self._run_process(run)
            except Exception as e:  # the worker could not be started or followed
                log.exception("scenario run %s failed in the service", run.test_id)
                self._finish(run, None, f"{type(e).__name__}: {e}")

    async def _run_process(self, run: ScenarioRun) -> None:
        assert self._readers is not None
        loop = asyncio.get_running_loop()
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_worker,
            args=(
                str(run.entry.path),
                run.seed,
                str(run.recording) if run.recording else None,
                run.verbose,
                sender,
            ),
            daemon=True,
            name=f"riskbus-run-{run.test_id}",
        )
        run.started = time.time()  # wall-clock ok
        try:
            await loop.run_in_executor(self._readers, process.start)
        finally:
            sender.close()
        run.process = process
        run.add("INFO", f"started {run.entry.name} in process {process.pid}")
        if run.stop_requested:
            process.terminate()
        outcome: dict[str, Any] = {}
        try:
            await loop.run_in_executor(self._readers, self._read, run, receiver, loop, outcome)
            await loop.run_in_executor(self._readers, process.join, 10)
        finally:
            if process.is_alive():
                process.kill()
        self._finish(run, outcome.get("result"), outcome.get("crash"), process.exitcode)

    def _read(
        self,
        run: ScenarioRun,
        receiver: Connection,
        loop: asyncio.AbstractEventLoop,
        outcome: dict[str, Any],
    ) -> None:
        try:
            while True:
                message = receiver.recv()
                if message[0] == "log":
                    loop.call_soon_threadsafe(run.add, message[1], message[2])
                else:
                    outcome[message[0]] = message[1]
        except (EOFError, OSError):
            pass
        finally:
            receiver.close()

    def _finish(
        self,
        run: ScenarioRun,
        results: dict[str, Any] | None,
        crash: str | None,
        exitcode: int | None = None,
    ) -> None:
        run.ended = time.time()  # wall-clock ok
        if results is not None:
            run.results = results
            run.error = results.get("error")
            self._summarize(run, results)
            run.status = results["status"]
        elif run.stop_requested:
            run.status = "stopped"
            run.add("WARNING", "stopped")
        else:
            run.status = "error"
            run.error = crash or f"the worker process exited with code {exitcode}"
            run.add("ERROR", run.error)
        self.finished[run.status] += 1
        if results is not None:
            self.events_recorded += events_recorded(results)
        run.changed()

    def _summarize(self, run: ScenarioRun, results: dict[str, Any]) -> None:
        for fault in results.get("chaos", {}).get("faults", []):
            end = "open" if fault["end_t"] is None else f"{fault['end_t']:g}s"
            run.add(
                "WARNING",
                f"fault {fault['kind']} ({fault['fault_id']}) from {fault['start_t']:g}s to {end}",
            )
        assertions = results["assertions"]
        summary = (
            f"{results['status'].upper()}: {assertions['passed']}/{assertions['total']} "
            f"assertions, {results['cycles']} cycles, {results['virtual_seconds']:g}s virtual "
            f"in {results['duration_seconds'] * 1000:.1f} ms (seed {results['seed']})"
        )
        if results["status"] == "passed":
            run.add("SUCCESS", summary)
        else:
            for check in assertions["results"]:
                if not check["passed"]:
                    run.add("ERROR", f"✗ {check['name']}: {check['message']}")
            if results.get("error"):
                run.add("ERROR", f"error: {results['error']}")
            run.add("ERROR", summary)

    def _forget_old(self) -> None:
        finished = [run for run in self.runs.values() if run.done]
        for run in finished[: max(0, len(finished) - self.keep)]:
            del self.runs[run.test_id]


def events_recorded(results: dict[str, Any]) -> int:
    """How many events a run recorded (every message delivered, else the timeline)."""
    total = results.get("chaos", {}).get("total_events")
    if isinstance(total, int):
        return total
    return len(results.get("timeline", []))


def _noop() -> None:
    """The trial process of :meth:`RunManager.start`."""
