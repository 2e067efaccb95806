"""The reset schedule: daily and weekly resets at a local time, holidays skipped.

A daily reset at 17:00 America/Chicago (the CME convention) starts a new trading day: the
P&L tracker zeroes the day, ``until_reset`` lockouts end, rules clear per-day state. The
schedule runs on the injected :class:`~riskbus.core.clock.Clock`, so a simulation crosses
midnight (and a reset) instantly, and DST is handled by computing each reset in local time.

Conventions:

* the **trading day** label is the local date the trading day ends on: with a 17:00 reset,
  Monday 18:00 local belongs to Tuesday's trading day; with a 00:00 reset it is the date;
* a daily reset whose local date is a **holiday**, or a weekday not in ``days``, does not
  run (the trading day goes on to the next reset);
* a **weekly** reset (``weekly_day`` 0 = Monday … 6 = Sunday, at ``weekly_time``, default the
  daily time) runs instead of the daily one when both fall at the same moment;
* with a store, each reset is written to the reset log (and the next one to the timers
  table) **before** the callbacks run; on start a reset that was missed while the process
  was down is run at once (catch-up), so a restart after 17:00 still starts the new day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from riskbus.core.clock import Clock
from riskbus.store import ResetEntry, ResetKind, Store, TimerRecord

__all__ = ["ResetCallback", "ResetConfig", "ResetScheduler"]

#: ``(kind, ts, trading_day)`` — called when a reset runs.
ResetCallback = Callable[[ResetKind, int, str], None]

_TIMER = "risk:reset"
_NS = 1_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetConfig:
    """When resets happen.

    Attributes:
        daily_time: local time of the daily reset.
        timezone: an IANA time zone name.
        days: weekdays (0 = Monday) on which the daily reset runs.
        weekly_day: weekday of the weekly reset, or ``None`` for none.
        weekly_time: local time of the weekly reset (default: ``daily_time``).
        holidays: local dates on which no reset runs.
    """

    daily_time: dt.time = dt.time(17, 0)
    timezone: str = "America/Chicago"
    days: frozenset[int] = frozenset(range(7))
    weekly_day: int | None = None
    weekly_time: dt.time | None = None
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone."""
        return ZoneInfo(self.timezone)


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * _NS + moment.microsecond * 1000


def _local(ts: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts // _NS, tz=zone).replace(microsecond=(ts % _NS) // 1000)


class ResetScheduler:
    """Runs the daily and weekly resets on the clock and tells the listeners.

    Args:
        clock: the clock the reset alarm is set on.
        config: the reset times.
        store: when given, resets are logged and missed ones caught up on start.
        listeners: called ``(kind, ts, trading_day)`` for each reset, in order.
    """

    def __init__(
        self,
        clock: Clock,
        config: ResetConfig | None = None,
        *,
        store: Store | None = None,
        listeners: Iterable[ResetCallback] = (),
    ) -> None:
        self.clock = clock
        self.config = config or ResetConfig()
        self.store = store
        self.listeners: list[ResetCallback] = list(listeners)
        self._zone = self.config.zone
        self.history: list[tuple[ResetKind, int, str]] = []

    # -- calendar ---------------------------------------------------------------------------

    def _candidates(self, day: dt.date) -> list[tuple[int, ResetKind]]:
        """The resets of one local date: ``(ts, kind)``."""
        cfg = self.config
        found: dict[int, ResetKind] = {}
        if day in cfg.holidays:
            return []
        if day.weekday() in cfg.days:
            at = dt.datetime.combine(day, cfg.daily_time, tzinfo=self._zone)
            found[_ns(at)] = ResetKind.DAILY
        if cfg.weekly_day is not None and day.weekday() == cfg.weekly_day:
            at = dt.datetime.combine(day, cfg.weekly_time or cfg.daily_time, tzinfo=self._zone)
            found[_ns(at)] = ResetKind.WEEKLY
        return sorted(found.items())

    def next_reset(self, after: int | None = None) -> tuple[int, ResetKind]:
        """The first reset strictly after ``after`` (default: now): ``(ts, kind)``."""
        ts = self.clock.now() if after is None else after
        day = _local(ts, self._zone).date() - dt.timedelta(days=1)
        for _ in range(3700):
            for at, kind in self._candidates(day):
                if at > ts:
                    return at, kind
            day += dt.timedelta(days=1)
        raise ValueError("no reset within ten years: check days/holidays")

    def next_reset_ts(self) -> int:
        """When the next reset runs (ns)."""
        return self.next_reset()[0]

    def previous_reset(self, at: int | None = None) -> tuple[int, ResetKind] | None:
        """The last scheduled reset at or before ``at`` (default: now), within ten years."""
        ts = self.clock.now() if at is None else at
        day = _local(ts, self._zone).date() + dt.timedelta(days=1)
        for _ in range(3700):
            for stamp, kind in reversed(self._candidates(day)):
                if stamp <= ts:
                    return stamp, kind
            day -= dt.timedelta(days=1)
        return None

    def trading_day(self, ts: int | None = None) -> str:
        """The trading-day label of ``ts`` (default: now): see the module notes."""
        moment = _local(self.clock.now() if ts is None else ts, self._zone)
        cut = self.config.daily_time
        day = moment.date()
        if cut != dt.time(0, 0) and moment.timetz().replace(tzinfo=None) >= cut:
            day += dt.timedelta(days=1)
        return day.isoformat()

    def session_start(self) -> int:
        """When the current trading day started: the last reset (or now if none)."""
        previous = self.previous_reset()
        return previous[0] if previous is not None else self.clock.now()

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Catch up a missed reset (with a store) and arm the next one."""
        if self.store is not None:
            armed = self.store.timers.get(_TIMER)
            previous = self.previous_reset()
            if armed is not None and armed.fire_at <= self.clock.now() and previous is not None:
                # The reset we had armed came due while we were down: run the latest one.
                ts, kind = previous
                last = self.store.resets.last(kind)
                if last is None or last.ts < ts:
                    self._run(kind, ts, self.trading_day(ts))
        self._arm()

    def reconfigure(self, config: ResetConfig) -> None:
        """Take new reset times; a running schedule is re-armed for the next reset."""
        self.config = config
        self._zone = config.zone
        if self.clock.has_timer(_TIMER):
            self._arm()

    def stop(self) -> None:
        """Cancel the reset alarm."""
        self.clock.cancel(_TIMER)

    def _arm(self) -> None:
        at, kind = self.next_reset()
        self.clock.cancel(_TIMER)
        if self.store is not None:
            self.store.timers.upsert(TimerRecord(_TIMER, fire_at=at, payload={"kind": str(kind)}))
        self.clock.set_alarm(_TIMER, at, lambda: self._fire(at, kind))

    def _fire(self, at: int, kind: ResetKind) -> None:
        self._run(kind, at, self.trading_day(at))
        self._arm()

    def trigger(self, kind: ResetKind = ResetKind.DAILY) -> None:
        """Run a reset now (manual trigger); the schedule is unchanged."""
        now = self.clock.now()
        self._run(kind, now, self.trading_day(now))

    def _run(self, kind: ResetKind, ts: int, trading_day: str) -> None:
        if self.store is not None:
            self.store.resets.record(ResetEntry(trading_day, kind, ts))
        self.history.append((kind, ts, trading_day))
        for listener in list(self.listeners):
            listener(kind, ts, trading_day)
