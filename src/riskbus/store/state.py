"""Repositories for lockouts, timers and key/value checkpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from riskbus.store.records import LockoutKind, LockoutRecord, LockoutScope, TimerRecord
from riskbus.store.schema import CheckpointRow, LockoutRow, Repository, TimerRow

__all__ = ["CheckpointRepository", "LockoutRepository", "TimerRepository"]


def _lockout(row: LockoutRow) -> LockoutRecord:
    return LockoutRecord(
        id=row.id,
        scope=LockoutScope(row.scope),
        target=row.target,
        rule=row.rule,
        reason=row.reason,
        kind=LockoutKind(row.kind),
        started_at=row.started_at,
        until=row.until,
        cleared_at=row.cleared_at,
        cleared_by=row.cleared_by,
    )


class LockoutRepository(Repository):
    """Lockouts of accounts and symbols."""

    def add(self, lockout: LockoutRecord) -> LockoutRecord:
        """Store a new lockout and return it with its ``id``."""
        with self._sessions.begin() as session:
            row = LockoutRow(
                scope=str(lockout.scope),
                target=lockout.target,
                rule=lockout.rule,
                reason=lockout.reason,
                kind=str(lockout.kind),
                started_at=lockout.started_at,
                until=lockout.until,
                cleared_at=lockout.cleared_at,
                cleared_by=lockout.cleared_by,
            )
            session.add(row)
            session.flush()
            return _lockout(row)

    def clear(self, lockout_id: int, *, cleared_at: int, cleared_by: str) -> bool:
        """Mark a lockout cleared.

        Returns:
            ``True`` if it was open and is now cleared, ``False`` if unknown or already cleared.
        """
        with self._sessions.begin() as session:
            row = session.get(LockoutRow, lockout_id, with_for_update=True)
            if row is None or row.cleared_at is not None:
                return False
            row.cleared_at = cleared_at
            row.cleared_by = cleared_by
            return True

    def active(self, ts: int, *, target: str | None = None) -> list[LockoutRecord]:
        """Return the lockouts in force at ``ts``, optionally for one target."""
        query = select(LockoutRow).where(LockoutRow.cleared_at.is_(None)).order_by(LockoutRow.id)
        if target is not None:
            query = query.where(LockoutRow.target == target)
        with self._sessions() as session:
            rows = [_lockout(row) for row in session.scalars(query)]
        return [lockout for lockout in rows if lockout.active_at(ts)]

    def history(self) -> list[LockoutRecord]:
        """Return every lockout ever stored, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(select(LockoutRow).order_by(LockoutRow.id))
            return [_lockout(row) for row in rows]


class TimerRepository(Repository):
    """Named timers, so pending timers survive a restart."""

    def upsert(self, timer: TimerRecord) -> None:
        """Store a timer, replacing any timer of the same name."""
        with self._sessions.begin() as session:
            row = session.get(TimerRow, timer.name, with_for_update=True)
            if row is None:
                session.add(
                    TimerRow(
                        name=timer.name,
                        fire_at=timer.fire_at,
                        interval=timer.interval,
                        payload=dict(timer.payload),
                    )
                )
            else:
                row.fire_at = timer.fire_at
                row.interval = timer.interval
                row.payload = dict(timer.payload)

    def delete(self, name: str) -> bool:
        """Delete a timer; return whether it existed."""
        with self._sessions.begin() as session:
            row = session.get(TimerRow, name)
            if row is None:
                return False
            session.delete(row)
            return True

    def get(self, name: str) -> TimerRecord | None:
        """Return one timer, or ``None``."""
        with self._sessions() as session:
            row = session.get(TimerRow, name)
            return None if row is None else _timer(row)

    def all(self) -> list[TimerRecord]:
        """Return every timer, soonest first."""
        query = select(TimerRow).order_by(TimerRow.fire_at, TimerRow.name)
        with self._sessions() as session:
            return [_timer(row) for row in session.scalars(query)]

    def due(self, ts: int) -> list[TimerRecord]:
        """Return the timers due at or before ``ts``, soonest first."""
        return [timer for timer in self.all() if timer.fire_at <= ts]


def _timer(row: TimerRow) -> TimerRecord:
    payload: dict[str, Any] = dict(row.payload)
    return TimerRecord(name=row.name, fire_at=row.fire_at, interval=row.interval, payload=payload)


class CheckpointRepository(Repository):
    """A small key/value store of text checkpoints."""

    def put(self, key: str, value: str, *, ts: int) -> None:
        """Store ``value`` under ``key``, replacing any previous value."""
        with self._sessions.begin() as session:
            row = session.get(CheckpointRow, key, with_for_update=True)
            if row is None:
                session.add(CheckpointRow(key=key, value=value, updated_at=ts))
            else:
                row.value = value
                row.updated_at = ts

    def get(self, key: str) -> str | None:
        """Return the value under ``key``, or ``None``."""
        with self._sessions() as session:
            row = session.get(CheckpointRow, key)
            return None if row is None else row.value
