"""Helpers for the scenario tests: write a scenario to a temporary file and run it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from riskbus.scenarios.runner import ScenarioRunner

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "scenarios"


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    logging.disable(logging.WARNING)  # failed fetches and rejections are expected here
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(text: str, name: str = "s.scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run_text(write: Callable[[str, str], Path]) -> Callable[..., dict[str, Any]]:
    def _run(text: str, **options: Any) -> dict[str, Any]:
        return ScenarioRunner(write(text, "s.scenario.yaml"), **options).run()

    return _run
