"""The runner: virtual time, steps, statuses, assertions, invariants and determinism."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from riskbus.scenarios.recorder import read_recording
from riskbus.scenarios.runner import ScenarioRunner

from .conftest import EXAMPLES

FLASH = EXAMPLES / "flash_crash_recovery.scenario.yaml"

Run = Callable[..., dict[str, Any]]


def test_flash_crash_recovery_passes_with_the_expected_numbers() -> None:
    results = ScenarioRunner(FLASH).run()
    assert results["status"] == "passed"
    assert results["seed"] == 42
    assert results["cycles"] == 50
    assert results["virtual_seconds"] == 3060.0  # 50 cycles of 60 s, settled before the 51st
    assert results["bot"]["purchases"] == 5
    assert results["bot"]["sales"] == 5
    assert [t["cycle"] for t in results["trades"] if t["side"] == "buy"] == [20, 21, 22, 23, 24]
    assert results["chaos"]["events_delayed"] == 1
    assert results["chaos"]["total_delay_ms"] == 5000
    assert results["chaos"]["faults"] == [
        {
            "fault_id": "F1",
            "kind": "delay_event",
            "details": "event=IndicatorsCalculated delay_ms=5000",
            "start_t": 1500.0,
            "end_t": 1560.0,
            "start_cycle": 25,
            "end_cycle": 26,
        }
    ]
    names = [r["name"] for r in results["assertions"]["results"]]
    assert names == [
        "event_count.PositionPurchased.min",
        "event_count.PositionSold.max",
        "no_panic_sell",
        "invariant.no_duplicate_orders",
        "invariant.capital_conserved",
        "invariant.risk_limits_respected",
    ]
    first = results["assertions"]["results"][0]
    assert first["message"] == "Expected at least 3 PositionPurchased events, got 5"
    assert (first["expected"], first["actual"], first["step"]) == (">= 3", 5, 1)
    assert results["exchange"]["call_count"] == 50
    assert results["exchange"]["min_price"] < 0.9 * 50_000  # the crash is in the path
    assert results["reproduce"] == f"riskbus run {FLASH} --seed 42"
    assert results["duration_seconds"] < 5


def test_same_seed_gives_byte_identical_recordings(tmp_path: Path) -> None:
    paths = [tmp_path / f"{n}.jsonl" for n in ("a", "b", "c")]
    ScenarioRunner(FLASH, record=paths[0]).run()
    ScenarioRunner(FLASH, record=paths[1]).run()
    ScenarioRunner(FLASH, record=paths[2], seed=43).run()
    first, second, other = (p.read_bytes() for p in paths)
    assert first == second
    assert first != other
    header, events = read_recording(paths[0])
    assert header["seed"] == 42
    assert events[0].event == "FaultStarted" or events[0].event == "BotMonitoringCycleStarted"
    assert sum(1 for e in events if e.event == "PositionPurchased") == 5


def test_chaos_runs_are_deterministic_too(tmp_path: Path) -> None:
    path = EXAMPLES / "chaos_resilience.scenario.yaml"
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ScenarioRunner(path, record=a).run()
    ScenarioRunner(path, record=b).run()
    assert a.read_bytes() == b.read_bytes()


def test_a_failed_assertion_is_failed_not_error_and_all_failures_are_collected(
    run_text: Run,
) -> None:
    results = run_text(
        """
name: f
setup: {exchange: {scenario: flash_crash}}
steps:
  - assert: {event_count: {PositionPurchased: {min: 1}}}
  - wait_for_cycles: 30
  - assert:
      event_count: {PositionSold: {exact: 3}}
      final_capital: {max: 10}
      custom: tests.unit.scenarios.checks:always_fails
"""
    )
    assert results["status"] == "failed"
    assert results["error"] is None
    failed = {r["name"]: r for r in results["assertions"]["results"] if not r["passed"]}
    assert set(failed) == {
        "event_count.PositionPurchased.min",
        "event_count.PositionSold.exact",
        "final_capital.max",
        "custom.tests.unit.scenarios.checks:always_fails",
    }
    assert failed["event_count.PositionPurchased.min"]["actual"] == 0  # checkpoint at t=0
    assert failed["event_count.PositionPurchased.min"]["step"] == 0
    assert failed["event_count.PositionSold.exact"]["expected"] == "== 3"
    assert failed["final_capital.max"]["expected"] == "<= 10"
    assert failed["custom.tests.unit.scenarios.checks:always_fails"]["message"].startswith("saw ")
    assert results["failed_step"]["index"] == 0


def test_wait_for_event_times_out_in_virtual_time(run_text: Run) -> None:
    results = run_text(
        """
name: t
setup: {exchange: {scenario: sideways}, bot: {params: {entry_signal: rsi}}}
steps:
  - wait_for_event: OrderRejected
    timeout_seconds: 600
  - wait_for_event: BotMonitoringCycleCompleted
"""
    )
    assert results["status"] == "failed"
    step = results["steps"][0]
    assert step["status"] == "failed"
    assert step["t_end"] == 600.0
    assert step["message"] == (
        "OrderRejected did not occur within 600s of virtual time (from t=0s, cycle 0, to cycle 10)"
    )
    assert results["steps"][1]["status"] == "passed"
    assert results["steps"][1]["t_end"] == 660.0  # the 11th cycle completes at once
    assert results["assertions"]["results"][0]["name"] == "step[0].wait_for_event"


def test_wait_for_time_and_new_assertions(run_text: Run) -> None:
    results = run_text(
        """
name: n
setup: {exchange: {scenario: bull_run}, bot: {params: {entry_signal: always}}}
steps:
  - wait_for_time: 1800
  - assert:
      event_never: [HandlerFailed, OrderRejected]
      event_within: {after: BuyConditionMet, event: PositionPurchased, cycles: 0}
      max_drawdown: {max_pct: 1}
      position_count: {min: 1}
      event_sequence: [BotMonitoringCycleStarted, MarketPriceFetched, IndicatorsCalculated,
                       BuyConditionMet, PositionPurchased, PositionSold]
      custom: {function: tests.unit.scenarios.checks:profitable_trade, name: profit}
"""
    )
    assert results["status"] == "passed", results["assertions"]
    assert results["cycles"] == 30
    assert results["virtual_seconds"] == 1800.0
    by_name = {r["name"]: r for r in results["assertions"]["results"]}
    assert by_name["custom.profit"]["message"].startswith("Profit: ")
    assert by_name["event_never.HandlerFailed"]["actual"] == 0


def test_a_world_that_cannot_be_built_is_an_error_not_a_failure(run_text: Run) -> None:
    results = run_text(
        """
name: e
setup: {exchange: {data: missing.csv}}
steps:
  - wait_for_cycles: 1
"""
    )
    assert results["status"] == "error"
    assert results["error"].startswith("ScenarioError: ")
    assert "missing.csv" in results["error"]
    assert results["assertions"]["total"] == 0


def test_a_modify_event_on_a_missing_field_is_bad_input(run_text: Run) -> None:
    results = run_text(
        """
name: m
chaos:
  - {type: modify_event, event: MarketPriceFetched, field: nope, value: 1}
steps:
  - wait_for_cycles: 1
"""
    )
    assert results["status"] == "error"
    assert "MarketPriceFetched has no field 'nope'" in results["error"]


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in EXAMPLES.glob("*.scenario.yaml") if "restart" not in p.name),
)
def test_every_example_passes(name: str) -> None:
    results = ScenarioRunner(EXAMPLES / name).run()
    assert results["status"] == "passed", [
        r for r in results["assertions"]["results"] if not r["passed"]
    ]
