"""At least once, applied once: a consumer process killed with SIGKILL mid-stream.

The events are published first; a consumer process (``consumer_proc.py``) applies them in
batches of 10 and is killed while a batch is applied but not committed. A second process
(the same consumer restarted, or another member of the group taking over the dead one's
entries) finishes. Every event must then be applied exactly once in the durable record,
while the attempt counter shows the killed batch really ran twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from riskbus.bridge import StreamPublisher
from riskbus.core.bus import EventBus
from tests.stubs import order_filled

SCRIPT = Path(__file__).with_name("consumer_proc.py")
ROOT = Path(__file__).resolve().parents[3]
TOTAL = 120


def _publish(url: str, prefix: str) -> list[str]:
    bus = EventBus()
    publisher = StreamPublisher(bus, url, prefix=prefix, origin="bot-1").start(background=False)
    for i in range(TOTAL):
        bus.publish(order_filled(ts=i, fill_id=f"T-{i}"))
    assert publisher.flush() == TOTAL
    publisher.stop()
    return [f"bot-1:{publisher.session}:{i}" for i in range(1, TOTAL + 1)]


def _spawn(
    url: str, prefix: str, name: str, *, claim_ms: int, pause: int, delay_ms: int
) -> subprocess.Popen[str]:
    args = [url, prefix, name, str(claim_ms), str(pause), str(delay_ms), str(TOTAL)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _wait_for_line(process: subprocess.Popen[str], expected: str) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip().startswith(expected):
            return
    raise AssertionError(f"the consumer exited (code {process.wait()}) before {expected}")


def _finish(process: subprocess.Popen[str]) -> str:
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    return out


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    if process.stdout is not None:
        process.stdout.close()


def _assert_exactly_once(client: redis.Redis, prefix: str, expected: list[str]) -> None:
    items: Any = client.lrange(f"{prefix}:applied", 0, -1)
    applied = [item.decode() for item in items]
    assert sorted(applied) == sorted(expected)  # none lost, none twice
    assert client.xpending(f"{prefix}:events", "guard")["pending"] == 0
    group = client.xinfo_groups(f"{prefix}:events")[0]
    assert group["lag"] == 0


@pytest.mark.parametrize("second", ["guard-1", "guard-2"], ids=["restart", "take-over"])
def test_killed_mid_batch_every_event_applied_exactly_once(
    redis_url: str, prefix: str, client: redis.Redis, second: str
) -> None:
    expected = _publish(redis_url, prefix)
    first = _spawn(redis_url, prefix, "guard-1", claim_ms=200, pause=35, delay_ms=0)
    _wait_for_line(first, "PAUSED")
    # Three batches committed, the fourth applied up to its 5th event: 30 acknowledged.
    assert client.llen(f"{prefix}:applied") == 30
    assert int(client.get(f"{prefix}:attempts") or 0) == 35
    pending = client.xpending(f"{prefix}:events", "guard")
    assert pending["pending"] == 10
    _kill(first)

    if second == "guard-2":
        time.sleep(0.25)  # let guard-1's entries become idle for longer than claim_ms
    out = _finish(_spawn(redis_url, prefix, second, claim_ms=200, pause=0, delay_ms=0))

    _assert_exactly_once(client, prefix, expected)
    # The killed batch ran twice (5 attempts were lost with the process) but counted once.
    assert int(client.get(f"{prefix}:attempts") or 0) == TOTAL + 5
    applied, claimed = (int(x) for x in out.split()[-2:])
    assert applied == TOTAL - 30
    assert claimed == (10 if second == "guard-2" else 0)


def test_killed_at_an_arbitrary_moment_loses_and_repeats_nothing(
    redis_url: str, prefix: str, client: redis.Redis
) -> None:
    expected = _publish(redis_url, prefix)
    # It would hang 10 events before the end, so the kill always lands mid-stream; where
    # exactly (applying, committing, reading) is up to the scheduler.
    first = _spawn(redis_url, prefix, "guard-1", claim_ms=200, pause=TOTAL - 10, delay_ms=2)
    _wait_for_line(first, "READY")
    deadline = time.monotonic() + 30
    while client.llen(f"{prefix}:applied") < TOTAL // 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    _kill(first)
    done_before = client.llen(f"{prefix}:applied")
    assert 0 < done_before < TOTAL

    _finish(_spawn(redis_url, prefix, "guard-1", claim_ms=200, pause=0, delay_ms=0))

    _assert_exactly_once(client, prefix, expected)
    assert int(client.get(f"{prefix}:attempts") or 0) >= TOTAL
