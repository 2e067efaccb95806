"""The reset schedule: local reset times, DST, weekly resets, holidays, catch-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from riskbus.core.clock import SECOND, Simulator
from riskbus.risk.schedule import ResetConfig, ResetScheduler
from riskbus.store import ResetKind, open_store

HOUR = 3600 * SECOND


def ts(*args: int) -> int:
    """UTC datetime → ns."""
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp()) * SECOND


def test_daily_reset_at_local_time_across_dst() -> None:
    sim = Simulator(ts(2026, 3, 6, 12))  # Friday before the US DST change (March 8)
    schedule = ResetScheduler(sim.clock, ResetConfig())  # 17:00 America/Chicago
    assert schedule.next_reset() == (ts(2026, 3, 6, 23), ResetKind.DAILY)  # CST = UTC-6
    assert schedule.next_reset(ts(2026, 3, 9, 0))[0] == ts(2026, 3, 9, 22)  # CDT = UTC-5
    assert schedule.previous_reset() == (ts(2026, 3, 5, 23), ResetKind.DAILY)


def test_trading_day_label_and_virtual_time_crosses_midnight() -> None:
    sim = Simulator(ts(2026, 11, 20, 20))  # Friday 14:00 CST
    seen: list[tuple[ResetKind, int, str]] = []
    schedule = ResetScheduler(sim.clock, listeners=[lambda *a: seen.append(a)])
    assert schedule.trading_day() == "2026-11-20"
    assert schedule.trading_day(ts(2026, 11, 21, 0)) == "2026-11-21"  # Friday 18:00 CST
    schedule.start()
    sim.run_until(ts(2026, 11, 22, 12))  # a day and a half in no time
    assert seen == [
        (ResetKind.DAILY, ts(2026, 11, 20, 23), "2026-11-21"),
        (ResetKind.DAILY, ts(2026, 11, 21, 23), "2026-11-22"),
    ]
    midnight = ResetScheduler(sim.clock, ResetConfig(daily_time=dt.time(0), timezone="UTC"))
    assert midnight.trading_day() == "2026-11-22"


def test_weekly_replaces_daily_and_holidays_and_days_skip() -> None:
    sim = Simulator(ts(2026, 12, 23, 12))  # Wednesday
    config = ResetConfig(
        weekly_day=4,  # Friday
        days=frozenset(range(5)),  # Mon-Fri only
        holidays=frozenset({dt.date(2026, 12, 24)}),
    )
    schedule = ResetScheduler(sim.clock, config)
    first = schedule.next_reset()
    assert first == (ts(2026, 12, 23, 23), ResetKind.DAILY)
    second = schedule.next_reset(first[0])  # Thursday 24th is a holiday
    assert second == (ts(2026, 12, 25, 23), ResetKind.WEEKLY)
    assert schedule.next_reset(second[0])[0] == ts(2026, 12, 28, 23)  # weekend skipped


def test_manual_trigger_and_catch_up_after_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    sim = Simulator(ts(2026, 11, 20, 20))
    with open_store(url) as store:
        seen: list[str] = []
        schedule = ResetScheduler(
            sim.clock, store=store, listeners=[lambda k, t, d: seen.append(d)]
        )
        schedule.start()  # first start: nothing to catch up
        assert seen == []
        schedule.trigger()
        assert seen == ["2026-11-20"]
        assert store.resets.has_run("2026-11-20", ResetKind.DAILY)
        schedule.stop()
    # Down over the 17:00 reset; the restart runs it at once.
    later = Simulator(ts(2026, 11, 21, 2))
    with open_store(url) as store:
        seen2: list[tuple[ResetKind, int, str]] = []
        again = ResetScheduler(later.clock, store=store, listeners=[lambda *a: seen2.append(a)])
        again.start()
        assert seen2 == [(ResetKind.DAILY, ts(2026, 11, 20, 23), "2026-11-21")]
        again.stop()
        third = ResetScheduler(later.clock, store=store, listeners=[lambda *a: seen2.append(a)])
        third.start()  # already caught up: not run twice
        assert len(seen2) == 1
        assert store.timers.get("risk:reset") is not None
