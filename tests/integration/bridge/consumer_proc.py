"""A consumer process for the crash tests (run by them, not collected by pytest).

Usage: ``python consumer_proc.py URL PREFIX CONSUMER CLAIM_IDLE_MS PAUSE_AFTER DELAY_MS TOTAL``

It applies ``OrderFilled`` events. Each application is recorded twice:

* ``{prefix}:attempts`` — INCR through a separate connection at once: every time the
  handler ran, including runs whose batch was never committed (at least once);
* ``{prefix}:applied`` — RPUSH of the event id through the delivery's pipeline: the durable
  effect, committed with the acknowledgement (must hold each id exactly once).

With ``PAUSE_AFTER`` > 0 the handler prints ``PAUSED`` after that many applications in this
process and hangs in the middle of its batch, so the test can kill it there. The process
exits 0 once ``TOTAL`` ids are applied and nothing is pending.
"""

from __future__ import annotations

import sys
import time

import redis

from riskbus.bridge import StreamConsumer, current_delivery
from riskbus.core.bus import EventBus
from riskbus.model.events import OrderFilled


def main(argv: list[str]) -> int:
    url, prefix, name = argv[0], argv[1], argv[2]
    claim_idle_ms, pause_after, delay_ms, total = (int(a) for a in argv[3:7])
    side = redis.Redis.from_url(url)
    bus = EventBus()
    count = 0

    def apply(event: OrderFilled) -> None:
        nonlocal count
        delivery = current_delivery()
        assert delivery is not None
        side.incr(f"{prefix}:attempts")
        delivery.pipeline.rpush(f"{prefix}:applied", delivery.event_id)
        count += 1
        if delay_ms:
            time.sleep(delay_ms / 1000)
        if count == pause_after:
            print("PAUSED", flush=True)
            time.sleep(3600)

    bus.subscribe(OrderFilled, apply)
    consumer = StreamConsumer(
        bus,
        url,
        prefix=prefix,
        group="guard",
        consumer=name,
        event_types=[OrderFilled],
        batch_size=10,
        claim_idle_ms=claim_idle_ms,
    )
    print("READY", flush=True)
    while True:
        consumer.poll(block_ms=50)
        pending = side.xpending(f"{prefix}:events", "guard")["pending"]
        if side.llen(f"{prefix}:applied") >= total and pending == 0:
            break
    consumer.stop()
    print(f"DONE {consumer.stats.applied} {consumer.stats.claimed}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
