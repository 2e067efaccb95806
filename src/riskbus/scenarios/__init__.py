"""Scenario testing: YAML scenarios run in virtual time with chaos, assertions and reports.

``riskbus run FILE`` / :func:`run_scenario` load a scenario (:mod:`.schema`), build its
world (:mod:`.world`: simulator, seeded market, simulated venue, bot, risk manager), inject
chaos (:mod:`.chaos`), run the steps (:mod:`.steps`), check the assertions and invariants
(:mod:`.assertions`), record the events (:mod:`.recorder`) and return the results dict
(:mod:`.results`) that the reports render.

The names below are imported on first use (PEP 562): the pytest plugin
(:mod:`.plugin`) is loaded by every pytest run through its entry point, and importing the
whole runner then would import riskbus before coverage starts measuring it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskbus.scenarios.runner import (
        DEFAULT_SEED,
        ScenarioRunner,
        check_references,
        run_scenario,
    )
    from riskbus.scenarios.schema import (
        LoadedScenario,
        Scenario,
        ScenarioFileError,
        load_scenario,
        parse_scenario,
    )

_WHERE = {
    "DEFAULT_SEED": "runner",
    "ScenarioRunner": "runner",
    "check_references": "runner",
    "run_scenario": "runner",
    "LoadedScenario": "schema",
    "Scenario": "schema",
    "ScenarioFileError": "schema",
    "load_scenario": "schema",
    "parse_scenario": "schema",
}

__all__ = [
    "DEFAULT_SEED",
    "LoadedScenario",
    "Scenario",
    "ScenarioFileError",
    "ScenarioRunner",
    "check_references",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'riskbus.scenarios' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"riskbus.scenarios.{module}"), name)
    globals()[name] = value
    return value
