from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from riskbus.core.clock import (
    MILLISECOND,
    SECOND,
    LiveClock,
    Simulator,
    from_datetime,
    seconds,
    to_datetime,
)


def test_timer_fires_every_interval_in_virtual_time() -> None:
    sim = Simulator(start=0)
    fired: list[int] = []
    sim.clock.set_timer("cycle", 60 * SECOND, lambda: fired.append(sim.now()))
    sim.run_until(300 * SECOND)
    assert fired == [60 * SECOND * k for k in range(1, 6)]
    assert sim.now() == 300 * SECOND
    assert sim.clock.next_fire("cycle") == 360 * SECOND


def test_timer_start_and_stop_bound_the_firings() -> None:
    sim = Simulator(start=0)
    fired: list[int] = []
    sim.clock.set_timer("t", 10, lambda: fired.append(sim.now()), start=5, stop=25)
    sim.run_until(100)
    assert fired == [5, 15, 25]
    assert not sim.clock.has_timer("t")


def test_alarm_fires_once_and_is_forgotten() -> None:
    sim = Simulator(start=0)
    fired: list[int] = []
    sim.clock.set_alarm("reset", 50, lambda: fired.append(sim.now()))
    assert sim.clock.timer_names() == ["reset"]
    sim.run_until(100)
    assert fired == [50]
    assert sim.clock.timer_names() == []


def test_cancel_by_name_and_duplicate_names() -> None:
    sim = Simulator(start=0)
    fired: list[str] = []
    sim.clock.set_timer("a", 10, lambda: fired.append("a"))
    with pytest.raises(ValueError, match="already set"):
        sim.clock.set_alarm("a", 5, lambda: None)
    assert sim.clock.cancel("a") is True
    assert sim.clock.cancel("a") is False
    sim.run_until(100)
    assert fired == []
    sim.clock.set_alarm("a", 120, lambda: fired.append("again"))  # name free again
    sim.run_until(200)
    assert fired == ["again"]


def test_timer_callback_may_cancel_its_own_timer() -> None:
    sim = Simulator(start=0)
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        if count == 3:
            sim.clock.cancel("t")

    sim.clock.set_timer("t", 1, tick)
    sim.run_until(50)
    assert count == 3


def test_same_time_items_fire_in_scheduling_order() -> None:
    sim = Simulator(start=0)
    order: list[str] = []
    for name in "cab":
        sim.schedule(10, lambda n=name: order.append(n))
    sim.clock.call_later(10, lambda: order.append("z"))
    sim.run()
    assert order == ["c", "a", "b", "z"]


def test_run_until_predicate_stops_early_or_times_out() -> None:
    sim = Simulator(start=0)
    hits: list[int] = []
    sim.clock.set_timer("t", 10, lambda: hits.append(sim.now()))
    assert sim.run_until(lambda: len(hits) >= 3, timeout=1000) is True
    assert sim.now() == 30
    assert sim.run_until(lambda: len(hits) >= 100, timeout=55) is False
    assert sim.now() == 85
    assert sim.run_until(lambda: True) is True
    with pytest.raises(ValueError, match="needs a timeout"):
        sim.run_until(lambda: False)


def test_run_for_and_refusal_to_go_back() -> None:
    sim = Simulator(start=1000)
    sim.run_for(500)
    assert sim.now() == 1500
    with pytest.raises(ValueError, match="back in time"):
        sim.run_until(10)


def test_run_with_limit_and_next_time_skip_cancelled() -> None:
    sim = Simulator(start=0)
    handle = sim.schedule(5, lambda: None)
    sim.schedule(7, lambda: None)
    handle.cancel()
    assert sim.next_time() == 7
    assert sim.run(limit=10) == 1
    assert sim.next_time() is None
    assert sim.pending == 0


def test_repeating_timer_with_run_limit() -> None:
    sim = Simulator(start=0)
    sim.clock.set_timer("t", 1, lambda: None)
    assert sim.run(limit=5) == 5


def test_invalid_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval must be positive"):
        Simulator().clock.set_timer("t", 0, lambda: None)


def test_past_alarm_fires_now() -> None:
    sim = Simulator(start=100)
    fired: list[int] = []
    sim.clock.set_alarm("late", 10, lambda: fired.append(sim.now()))
    sim.run_until(100)
    assert fired == [100]


def test_time_conversions_round_trip() -> None:
    moment = datetime(2024, 3, 10, 17, 0, 0, 123456, tzinfo=UTC)
    ts = from_datetime(moment)
    assert to_datetime(ts) == moment
    assert seconds(1.5) == 1_500_000_000
    with pytest.raises(ValueError, match="timezone-aware"):
        from_datetime(datetime(2024, 1, 1))


def test_live_clock_timers_alarms_and_cancel_on_asyncio() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        clock = LiveClock()
        fired: list[str] = []
        clock.set_timer("t", 5 * MILLISECOND, lambda: fired.append("t"), stop=None)
        clock.set_alarm("a", clock.now() + 8 * MILLISECOND, lambda: fired.append("a"))
        clock.set_alarm("gone", clock.now() + 5 * MILLISECOND, lambda: fired.append("gone"))
        clock.call_later(1 * MILLISECOND, lambda: fired.append("later"))
        assert clock.cancel("gone") is True
        await asyncio.sleep(0.03)
        clock.cancel("t")
        names = clock.timer_names()
        return fired, names

    fired, names = asyncio.run(scenario())
    assert fired[0] == "later"
    assert fired.count("t") >= 3
    assert "a" in fired and "gone" not in fired
    assert names == []
    assert abs(LiveClock().now() - datetime.now(UTC).timestamp() * SECOND) < 5 * SECOND
