"""Bridge: events from a bot process's bus to a guard process's bus through Redis Streams.

Issue F9 asks to measure, without a number: bridge throughput (events/s) and end-to-end
p99 latency. The references in the table are ours: 20,000 events/s (a busy account's fills,
quotes and P&L updates with room to spare) and a p99 of 10 ms (far below a guard's reaction
budget of one monitoring cycle). Needs the local Redis (``RISKBUS_REDIS_URL`` or
``redis://127.0.0.1:6379/0``). Run: ``python benchmarks/bench_bridge.py``.

* *throughput*: a publisher **process** publishes N ``OrderFilled`` events on its bus as
  fast as it can (``StreamPublisher`` with its background flusher); this process consumes
  them with a ``StreamConsumer`` (batches of 500: read, de-duplicate, republish on the bus,
  commit marks + ``XACK`` in one ``MULTI``) — from the first event taken off the publisher's
  bus to the last one applied here. Median of 3 runs.
* *consumer alone*: the same consumer draining a stream filled beforehand.
* *latency*: the publisher paced at 1,000 events/s; for each event, the wall clock when a
  handler on this bus received it minus when the publisher took it off its own bus (both
  processes on this machine share the clock). Includes the publisher's flush interval
  (2 ms by default) and the consumer's commit of the batch before it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from secrets import token_hex

sys.path.insert(0, str(Path(__file__).resolve().parent))

import redis

from _common import Row, print_table
from riskbus.bridge import StreamConsumer, StreamPublisher, current_delivery
from riskbus.core.bus import EventBus
from riskbus.model.enums import LiquiditySide, OrderSide
from riskbus.model.events import OrderFilled

URL = os.environ.get("RISKBUS_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _fill(i: int) -> OrderFilled:
    return OrderFilled(
        ts=i,
        client_order_id=f"O-{i // 4}",
        symbol="MNQ",
        side=OrderSide.BUY,
        fill_id=f"T-{i}",
        last_qty=Decimal(1),
        last_price=Decimal("18250.25"),
        cum_qty=Decimal(1 + i % 4),
        leaves_qty=Decimal(3 - i % 4),
        fee=Decimal("0.37"),
        fee_currency="USD",
        liquidity=LiquiditySide.TAKER,
    )


def publisher_main(prefix: str, count: int, rate: float) -> None:
    """The publisher process: publish ``count`` fills, ``rate`` per second (0 = flat out)."""
    bus = EventBus()
    publisher = StreamPublisher(bus, URL, prefix=prefix, origin="bench").start()
    events = [_fill(i) for i in range(count)]
    start = time.perf_counter()
    for i, event in enumerate(events):
        if rate:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        bus.publish(event)
    publisher.stop()


def _spawn(prefix: str, count: int, rate: float) -> subprocess.Popen[bytes]:
    args = [sys.executable, __file__, "--publisher", prefix, str(count), str(rate)]
    return subprocess.Popen(args)


def _cleanup(prefix: str) -> None:
    client = redis.Redis.from_url(URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _consume(prefix: str, count: int, *, rate: float = 0.0) -> tuple[float, list[int]]:
    """Consume ``count`` events published by another process; return (events/s, latencies)."""
    bus = EventBus()
    first_sent: list[int] = []
    latencies: list[int] = []

    def on_fill(event: OrderFilled) -> None:
        delivery = current_delivery()
        assert delivery is not None
        if not first_sent:
            first_sent.append(delivery.sent_ns)
        latencies.append(time.time_ns() - delivery.sent_ns)

    bus.subscribe(OrderFilled, on_fill)
    consumer = StreamConsumer(bus, URL, prefix=prefix, batch_size=500).connect()
    publisher = _spawn(prefix, count, rate)
    try:
        while consumer.stats.applied < count:
            consumer.poll(block_ms=50)
        end = time.time_ns()
    finally:
        publisher.wait()
        consumer.stop()
        _cleanup(prefix)
    return count / ((end - first_sent[0]) / 1e9), latencies


def _drain_alone(count: int) -> float:
    prefix = f"bench-{token_hex(4)}"
    source, target = EventBus(), EventBus()
    publisher = StreamPublisher(source, URL, prefix=prefix).start(background=False)
    for i in range(count):
        source.publish(_fill(i))
    publisher.stop()
    consumer = StreamConsumer(target, URL, prefix=prefix, batch_size=500).connect()
    start = time.perf_counter()
    while consumer.poll():
        pass
    elapsed = time.perf_counter() - start
    assert consumer.stats.applied == count
    consumer.stop()
    _cleanup(prefix)
    return count / elapsed


def run(quick: bool = False) -> list[Row]:
    n = 20_000 if quick else 100_000
    repeats = 1 if quick else 3
    rates = [_consume(f"bench-{token_hex(4)}", n)[0] for _ in range(repeats)]
    drains = [_drain_alone(n) for _ in range(repeats)]
    paced = 1_000 if quick else 5_000
    _, latencies = _consume(f"bench-{token_hex(4)}", paced, rate=1_000.0)
    cuts = statistics.quantiles(latencies, n=100)
    return [
        {
            "name": "publish → consume, 2 processes",
            "value": statistics.median(rates),
            "unit": "events/s",
            "target": 20_000,
            "spread": (min(rates), max(rates)),
        },
        {
            "name": "consumer alone (stream filled first)",
            "value": statistics.median(drains),
            "unit": "events/s",
            "target": 20_000,
            "spread": (min(drains), max(drains)),
        },
        {
            "name": "end-to-end latency p50 at 1k events/s",
            "value": cuts[49] / 1e3,
            "unit": "µs",
            "lower_is_better": True,
        },
        {
            "name": "end-to-end latency p99 at 1k events/s",
            "value": cuts[98] / 1e3,
            "unit": "µs",
            "target": 10_000,
            "lower_is_better": True,
        },
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer events and runs")
    parser.add_argument("--publisher", nargs=3, metavar=("PREFIX", "COUNT", "RATE"))
    args = parser.parse_args()
    if args.publisher:
        prefix, count, rate = args.publisher
        publisher_main(prefix, int(count), float(rate))
        return 0
    print_table(__doc__.strip().splitlines()[0], run(quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
