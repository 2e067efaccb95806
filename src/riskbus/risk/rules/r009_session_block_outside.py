"""Rule 009 — SessionBlockOutside: trade only inside the session; lock out between sessions.

Original (Risk Manager V34, hard lockout): a position opened outside the trading session,
the session-end timer, or a holiday → close every position, cancel every order, and lock
the account until the next session starts. Sessions are local times in a time zone
(global 09:30–16:00 New York in the spec, 08:30–15:00 Chicago in the YAML), with
per-instrument sessions, allowed weekdays (Mon–Fri) and a holiday list.

Here a session is ``start``–``end`` (default 09:30–16:00) local time in ``timezone`` (default:
the account's time zone, :attr:`RuleContext.timezone`) on each allowed day that is not a
holiday (when ``respect_holidays``); ``start`` is inside, ``end`` is not. A session
whose end is earlier than its start runs overnight and belongs to the day it starts on.
Times are computed from the context's clock (``ctx.now``, never the wall clock) with
:mod:`zoneinfo`, so a DST change moves the session's UTC times with the local clock.

* :meth:`start` sets an alarm at the next session end (``session_end``, plus
  ``session_end:SYMBOL`` for each instrument with its own session); started outside the
  session with open positions → the lockout below at once;
* the ``session_end`` alarm, or a ``PositionOpened`` outside the session → ``lockout`` until
  the next session start (``until_ts``), ``flatten``, ``cancel_orders``; the alarm is set
  again at the following session end;
* an instrument with its own session is handled on its own: its session end (or a position
  opened outside its session) locks **that symbol** until its next session start (the
  engine closes its position); other symbols keep trading;
* pre-trade: an order outside its symbol's session is denied
  (``OUTSIDE_SESSION: symbol=..., local_time=...``); orders that only reduce a position
  pass.

An instrument session should lie within the global session: between global sessions the
whole account is locked, whatever the instrument's own hours.

Config::

    session_block_outside:
      start: "08:30"
      end: "15:00"
      timezone: America/Chicago   # default: the account's time zone
      allowed_days: [Mon, Tue, Wed, Thu, Fri]
      respect_holidays: true
      holidays: [2025-12-25, 2026-01-01]
      instruments:
        ES: {start: "08:30", end: "15:15"}   # time zone: the global one unless given
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, ClassVar, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from riskbus.core.clock import SECOND
from riskbus.core.messages import Message
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import PositionOpened
from riskbus.model.events.risk import RuleTimerFired
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.a05_max_exposure import reduces_position
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["InstrumentSession", "SessionBlockOutside", "SessionBlockOutsideConfig"]

_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: How far ahead to look for the next session (weekends, holiday runs).
_HORIZON_DAYS = 400
_ALARM = "session_end"


def _time_of_day(value: object) -> object:
    """``"HH:MM"`` or ``"HH:MM:SS"`` (00:00–23:59:59) → ``datetime.time``."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        match = _TIME.fullmatch(value.strip())
        if match is not None:
            hour, minute, second = (int(g) if g else 0 for g in match.groups())
            if hour < 24 and minute < 60 and second < 60:
                return dt.time(hour, minute, second)
    raise ValueError(f"{value!r} is not a time of day: use HH:MM between 00:00 and 23:59")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known time zone: use an IANA name such as America/Chicago"
        ) from None
    return name


def _weekday(value: object) -> object:
    """``"Mon"`` / ``"monday"`` (any case, at least three letters) → 0 … 6 (Monday = 0)."""
    if isinstance(value, str):
        text = value.strip().lower()
        for index, full in enumerate(_DAY_NAMES):
            if len(text) >= 3 and full.startswith(text):
                return index
    raise ValueError(f"{value!r} is not a weekday: use Mon, Tue, Wed, Thu, Fri, Sat or Sun")


def _not_empty(end: dt.time, info: ValidationInfo) -> dt.time:
    if info.data.get("start") == end:
        raise ValueError(f"end must differ from start ({end:%H:%M}): the session would be empty")
    return end


TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]
TimeZoneName = Annotated[str, AfterValidator(_zone)]
Weekday = Annotated[int, BeforeValidator(_weekday)]


class InstrumentSession(BaseModel):
    """One instrument's own session (its time zone defaults to the global one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: TimeOfDay
    end: TimeOfDay
    timezone: TimeZoneName | None = None

    _end = field_validator("end")(_not_empty)


class SessionBlockOutsideConfig(RuleConfig):
    """Settings of rule 009.

    Attributes:
        start: the session's first local time (``"HH:MM"``).
        end: the session's end, local (exclusive; earlier than ``start``: overnight).
        timezone: the IANA time zone of the session times (default: the account's).
        instruments: instruments with their own session.
        allowed_days: the weekdays a session starts on (Mon–Fri by default).
        holidays: dates without a session (local dates).
        respect_holidays: whether ``holidays`` apply.
    """

    start: TimeOfDay = dt.time(9, 30)
    end: TimeOfDay = dt.time(16, 0)
    timezone: TimeZoneName | None = None
    instruments: dict[str, InstrumentSession] = Field(default_factory=dict)
    allowed_days: tuple[Weekday, ...] = (0, 1, 2, 3, 4)
    holidays: tuple[dt.date, ...] = ()
    respect_holidays: bool = True

    _end = field_validator("end")(_not_empty)

    @field_validator("allowed_days")
    @classmethod
    def _some_day(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if not days:
            raise ValueError("at least one weekday is required, e.g. [Mon, Tue, Wed, Thu, Fri]")
        return tuple(sorted(set(days)))


class _Hours(NamedTuple):
    start: dt.time
    end: dt.time
    zone: ZoneInfo

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"


def _ns(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds * 1_000


def _local(ts: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts // SECOND, tz=zone)


@register_rule
class SessionBlockOutside(Rule[SessionBlockOutsideConfig]):
    """Rule 009: outside the session → deny orders; at its end → flatten and lock out."""

    code: ClassVar[str] = "009"
    name: ClassVar[str] = "session_block_outside"
    config_type: ClassVar[type[RuleConfig]] = SessionBlockOutsideConfig
    events: ClassVar[tuple[type[Message], ...]] = (PositionOpened, RuleTimerFired)

    def __init__(self, config: SessionBlockOutsideConfig) -> None:
        super().__init__(config)
        self._own = config.instruments
        self._days = frozenset(config.allowed_days)
        self._holidays = frozenset(config.holidays) if config.respect_holidays else frozenset()

    def describe(self) -> str:
        days = ",".join(_DAYS[d].title() for d in self.config.allowed_days)
        zone = self.config.timezone or "account time zone"
        own = "".join(
            f"; {sym} {s.start:%H:%M}-{s.end:%H:%M} {s.timezone or zone}"
            for sym, s in sorted(self._own.items())
        )
        return (
            f"trade only in session {self.config.start:%H:%M}-{self.config.end:%H:%M} {zone}"
            f" on {days}{own};"
            " at the session end: flatten, cancel orders, lock out until the next session"
        )

    # -- the calendar -----------------------------------------------------------------------

    def hours(self, symbol: str | None, account_zone: str = "UTC") -> _Hours:
        """The session hours of ``symbol`` (the global ones without an override).

        A session without a time zone is in ``timezone``, else in ``account_zone``.
        """
        default = self.config.timezone or account_zone
        own = self._own.get(symbol) if symbol is not None else None
        if own is None:
            return _Hours(self.config.start, self.config.end, ZoneInfo(default))
        return _Hours(own.start, own.end, ZoneInfo(own.timezone or default))

    def _sessions(self, hours: _Hours, now: int, ahead: int) -> Iterator[tuple[int, int]]:
        """``(start, end)`` in ns of the sessions from yesterday to ``ahead`` days on."""
        today = _local(now, hours.zone).date()
        overnight = hours.end <= hours.start
        for offset in range(-1, ahead + 1):
            day = today + dt.timedelta(days=offset)
            if day.weekday() not in self._days or day in self._holidays:
                continue
            end_day = day + dt.timedelta(days=1) if overnight else day
            start = _ns(dt.datetime.combine(day, hours.start, tzinfo=hours.zone))
            end = _ns(dt.datetime.combine(end_day, hours.end, tzinfo=hours.zone))
            yield start, end

    def in_session(self, hours: _Hours, now: int) -> bool:
        """Whether ``now`` (ns) is inside a session of ``hours``."""
        return any(start <= now < end for start, end in self._sessions(hours, now, 0))

    def next_start(self, hours: _Hours, now: int) -> int | None:
        """The first session start after ``now`` (``None``: none within a year)."""
        return next((s for s, _ in self._sessions(hours, now, _HORIZON_DAYS) if s > now), None)

    def next_end(self, hours: _Hours, now: int) -> int | None:
        """The first session end after ``now`` (``None``: none within a year)."""
        return next((e for _, e in self._sessions(hours, now, _HORIZON_DAYS) if e > now), None)

    # -- the rule ---------------------------------------------------------------------------

    def start(self, ctx: RuleContext) -> Verdict | None:
        self._arm(ctx, None)
        for symbol in self._own:
            self._arm(ctx, symbol)
        open_positions = ctx.portfolio.open_positions()
        if not open_positions:
            return None
        if not self.in_session(self.hours(None, ctx.timezone), ctx.now):
            return self._lockout(ctx, None, "OUTSIDE_SESSION", positions=len(open_positions))
        for position in open_positions:
            symbol = position.symbol
            if symbol in self._own and not self.in_session(
                self.hours(symbol, ctx.timezone), ctx.now
            ):
                return self._lockout(ctx, symbol, "OUTSIDE_SESSION", symbol=symbol)
        return None

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        if isinstance(event, RuleTimerFired):
            if event.rule != self.name or not event.key.startswith(_ALARM):
                return None
            _, _, symbol = event.key.partition(":")
            target = symbol or None
            self._arm(ctx, target)
            return self._lockout(ctx, target, "SESSION_CLOSED")
        if isinstance(event, PositionOpened):
            if self.in_session(self.hours(event.symbol, ctx.timezone), ctx.now):
                return None
            target = event.symbol if event.symbol in self._own else None
            return self._lockout(ctx, target, "OUTSIDE_SESSION", symbol=event.symbol)
        return None

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        hours = self.hours(order.symbol, ctx.timezone)
        if self.in_session(hours, ctx.now) or reduces_position(ctx.portfolio, order):
            return None
        return Verdict(
            rule=self.name,
            action=RiskAction.DENY,
            reason=format_reason(
                "OUTSIDE_SESSION",
                symbol=order.symbol,
                local_time=self._stamp(ctx.now, hours),
                session=hours.label(),
            ),
            symbol=order.symbol,
        )

    def _arm(self, ctx: RuleContext, symbol: str | None) -> None:
        key = _ALARM if symbol is None else f"{_ALARM}:{symbol}"
        at = self.next_end(self.hours(symbol, ctx.timezone), ctx.now)
        if at is None:
            ctx.cancel_alarm(key)
        else:
            ctx.set_alarm(key, at)

    def _lockout(
        self, ctx: RuleContext, target: str | None, code: str, **values: object
    ) -> Verdict:
        """Lock the account (``target`` None) or one symbol until the next session start."""
        hours = self.hours(target, ctx.timezone)
        until = self.next_start(hours, ctx.now)
        local = _local(ctx.now, hours.zone)
        extra: dict[str, object] = {}
        if local.date() in self._holidays:
            extra["holiday"] = local.date().isoformat()
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason(
                code,
                **values,
                local_time=self._stamp(ctx.now, hours),
                session=hours.label(),
                **extra,
                next_start=self._stamp(until, hours) if until is not None else "none",
            ),
            symbol=target,
            until_ts=until,
            flatten=target is None,
            cancel_orders=target is None,
        )

    @staticmethod
    def _stamp(ts: int, hours: _Hours) -> str:
        return _local(ts, hours.zone).isoformat(timespec="seconds")
