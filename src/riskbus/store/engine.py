"""Open the store: build the engine, check the database is reachable, run migrations.

SQLite (a file, WAL mode, ``synchronous=FULL``, foreign keys on) is the default;
PostgreSQL is used when the URL, or the ``RISKBUS_DATABASE_URL`` environment variable, is
``postgresql+psycopg://...``.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from riskbus.core.errors import ConfigError
from riskbus.store.accounting import DailyPnlRepository, ResetLogRepository, TradeRepository
from riskbus.store.orders import AuditRepository, OrderRepository
from riskbus.store.state import CheckpointRepository, LockoutRepository, TimerRepository

__all__ = ["DEFAULT_URL", "ENV_VAR", "Store", "open_store"]

ENV_VAR = "RISKBUS_DATABASE_URL"
DEFAULT_URL = "sqlite:///riskbus.db"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite")
_POSTGRES_DRIVERS = ("postgresql+psycopg",)


class Store:
    """An open store: one repository per table, all sharing one engine.

    Args:
        engine: an engine whose database is already migrated.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sessions = sessionmaker(engine, expire_on_commit=False)
        self.daily_pnl = DailyPnlRepository(sessions)
        self.trades = TradeRepository(sessions)
        self.resets = ResetLogRepository(sessions)
        self.lockouts = LockoutRepository(sessions)
        self.timers = TimerRepository(sessions)
        self.checkpoints = CheckpointRepository(sessions)
        self.orders = OrderRepository(sessions)
        self.audit = AuditRepository(sessions)

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _parse(raw: str, origin: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError("cannot parse the database URL", field=origin) from None
    shown = url.render_as_string(hide_password=True)
    if url.drivername not in _SQLITE_DRIVERS + _POSTGRES_DRIVERS:
        raise ConfigError(
            f"unsupported database URL {shown!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB",
            field=origin,
        )
    if url.drivername in _SQLITE_DRIVERS and url.database in (None, "", ":memory:"):
        raise ConfigError(f"the SQLite store needs a file path, got {shown!r}", field=origin)
    return url


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def _build_engine(url: URL) -> Engine:
    if url.drivername in _SQLITE_DRIVERS:
        engine = create_engine(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS).replace("%", "%%"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_store(url: str | None = None) -> Store:
    """Open (and migrate) the store.

    Args:
        url: a SQLAlchemy URL; defaults to ``$RISKBUS_DATABASE_URL``, then to the SQLite
            file ``riskbus.db`` in the working directory.

    Returns:
        The open, migrated store.

    Raises:
        ConfigError: the URL is malformed, of an unsupported kind, or the database is
            unreachable. The message names the URL (password hidden) and its origin.
    """
    origin = "url"
    if url is None:
        origin = ENV_VAR
        url = os.environ.get(ENV_VAR) or DEFAULT_URL
    parsed = _parse(url, origin)
    engine = _build_engine(parsed)
    try:
        _migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        shown = parsed.render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        if parsed.password:
            reason = reason.replace(str(parsed.password), "***")
        raise ConfigError(f"cannot open the database {shown!r}: {reason}", field=origin) from None
    return Store(engine)
