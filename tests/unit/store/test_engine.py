"""Opening the store: URL choice, SQLite settings, migrations, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from riskbus.core.errors import ConfigError
from riskbus.store import DEFAULT_URL, ENV_VAR, open_store

TABLES = {
    "alembic_version",
    "audit",
    "bot_pools",
    "bot_runs",
    "checkpoints",
    "daily_pnl",
    "lockouts",
    "orders",
    "predictions",
    "reset_log",
    "timers",
    "trades",
}


def test_sqlite_file_is_migrated_with_durable_settings(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        assert set(inspect(store.engine).get_table_names()) == TABLES
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as again:
        assert again.trades.count() == 0


def test_url_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'env.db'}")
    with open_store() as store:
        assert store.url == f"sqlite:///{tmp_path / 'env.db'}"
    assert (tmp_path / "env.db").exists()


def test_default_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.url == DEFAULT_URL
    assert (tmp_path / "riskbus.db").exists()


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:hunter2@localhost/db",
        "postgresql://u:hunter2@localhost/db",
        "sqlite://",
        "sqlite:///:memory:",
    ],
)
def test_unsupported_url_is_a_config_error_without_password(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(url)
    assert info.value.field == "url"
    assert "hunter2" not in str(info.value)


def test_unparseable_env_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "not a url")
    with pytest.raises(ConfigError, match=ENV_VAR):
        open_store()


def test_unreachable_postgres_is_a_config_error_without_password() -> None:
    url = "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"
    with pytest.raises(ConfigError, match="cannot open the database") as info:
        open_store(url)
    assert "hunter2" not in str(info.value)
    assert "127.0.0.1:1" in str(info.value)


def test_missing_sqlite_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot open the database"):
        open_store(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")


def test_migrations_match_the_orm_tables(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from riskbus.store.schema import Base

    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_first_revision_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from riskbus.store.engine import _MIGRATIONS

    url = f"sqlite:///{tmp_path / 'd.db'}"
    with open_store(url) as store:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    with open_store(url) as again:
        assert set(inspect(again.engine).get_table_names()) == TABLES
