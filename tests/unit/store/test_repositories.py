"""The repository suite on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.store._suite import RepositorySuite


class TestSqliteRepositories(RepositorySuite):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'store.db'}"
