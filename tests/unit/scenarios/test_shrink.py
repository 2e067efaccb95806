"""Shrinking: a failure under random chaos becomes a minimal, deterministic fault schedule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from riskbus.core.errors import BadInputError
from riskbus.scenarios.runner import ScenarioRunner
from riskbus.scenarios.schema import load_scenario, parse_scenario
from riskbus.scenarios.shrink import (
    ShrinkError,
    Target,
    default_path,
    realize,
    shrink_failed_results,
    shrink_run,
    targets_from_results,
    write_minimal,
)

#: At most two failed fetches are tolerated; five fetch failures may happen (each with
#: probability 0.5), with dropped indicator events and network latency as noise. The
#: minimal failing schedule is three failed fetches, in cycles 1, 2 and 3.
RANDOM_CHAOS = """
name: fetch failures under random chaos
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
chaos:
  - {type: drop_event, event: IndicatorsCalculated, probability: 0.3, at_cycle: 2,
     duration_cycles: 20}
  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: 4, probability: 0.5}
  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: 9, probability: 0.5}
  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: 13, probability: 0.5}
  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: 17, probability: 0.5}
  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: 22, probability: 0.5}
  - {type: network_latency, at_cycle: 5, min_delay_ms: 100, max_delay_ms: 900,
     probability: 0.5}
steps:
  - wait_for_cycles: 30
  - assert:
      event_count:
        MarketPriceFetchFailed: {max: 2}
"""

#: Prices must arrive in the cycle that asked for them; a delay of one poll interval
#: (60 s) or more pushes one into the next cycle.
LATE = """
name: late prices
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
chaos:
  - {type: delay_event, event: MarketPriceFetched, delay_ms: 90000, at_cycle: 6,
     duration_cycles: 4, probability: 0.4}
steps:
  - wait_for_cycles: 12
  - assert:
      event_within:
        - {after: BotMonitoringCycleStarted, event: MarketPriceFetched, cycles: 0}
"""

#: Two outages of 6 and 2 cycles may happen; three failed fetches fail the run: one
#: outage of three cycles, from cycle 1, is the minimal schedule.
OUTAGES = """
name: outages
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
chaos:
  - {type: exchange_outage, at_cycle: 5, duration_cycles: 6, probability: 0.5}
  - {type: exchange_outage, at_cycle: 14, duration_cycles: 2, probability: 0.5}
steps:
  - wait_for_cycles: 20
  - assert:
      event_count:
        MarketPriceFetchFailed: {max: 2}
"""

WANTED_MINIMAL = [
    {"type": "inject_failure", "at_cycle": 1, "event": "MarketPriceFetchFailed"},
    {"type": "inject_failure", "at_cycle": 2, "event": "MarketPriceFetchFailed"},
    {"type": "inject_failure", "at_cycle": 3, "event": "MarketPriceFetchFailed"},
]


def test_the_realized_schedule_lists_every_fault_the_seed_drew(
    write: Callable[[str, str], Path],
) -> None:
    loaded = load_scenario(write(RANDOM_CHAOS, "random.scenario.yaml"))
    results, faults = realize(loaded, 1)
    assert results["status"] == "failed"
    injected = [f["at_cycle"] for f in faults if f["type"] == "inject_failure"]
    started = [
        f["start_cycle"] for f in results["chaos"]["faults"] if f["kind"] == "inject_failure"
    ]
    assert injected == started == [4, 13, 17, 22]
    delays = [f for f in faults if f["type"] == "delay_event"]
    assert results["chaos"]["events_delayed"] == len(delays) > 0
    assert all(100 <= f["delay_ms"] <= 900 and 5 <= f["at_cycle"] < 10 for f in delays)
    assert results["chaos"]["events_dropped"] == sum(f["type"] == "drop_event" for f in faults)
    assert [f["at_cycle"] for f in faults] == sorted(f["at_cycle"] for f in faults)


def test_a_failure_under_random_chaos_shrinks_to_three_faults_in_cycles_1_to_3(
    write: Callable[[str, str], Path],
) -> None:
    loaded = load_scenario(write(RANDOM_CHAOS, "random.scenario.yaml"))
    result = shrink_run(loaded, 1)
    assert len(result.realized) == 24
    assert result.minimal == WANTED_MINIMAL
    assert result.target == "event_count.MarketPriceFetchFailed.max"
    assert result.passes_without_faults
    again = shrink_run(loaded, 1)  # deterministic: same input, same search
    assert (again.minimal, again.runs, again.text) == (result.minimal, result.runs, result.text)
    # another failing seed draws other faults and reaches the same minimum
    assert shrink_run(loaded, 6).minimal == WANTED_MINIMAL


def test_the_minimal_file_fails_the_same_way_and_passes_without_its_faults(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    loaded = load_scenario(write(RANDOM_CHAOS, "random.scenario.yaml"))
    path = write_minimal(shrink_run(loaded, 1), tmp_path / "out" / "minimal.scenario.yaml")
    text = path.read_text()
    assert text.startswith("# Minimal fault schedule for ")
    assert "seed: 1\n" in text
    minimal = load_scenario(path)
    assert minimal.scenario.seed == 1
    assert [(a.type, a.at_cycle, a.probability) for a in minimal.scenario.chaos or []] == [
        ("inject_failure", 1, 1.0),
        ("inject_failure", 2, 1.0),
        ("inject_failure", 3, 1.0),
    ]
    failed = ScenarioRunner(minimal).run()
    assert failed["status"] == "failed"
    check = failed["assertions"]["results"][0]
    assert (check["name"], check["actual"]) == ("event_count.MarketPriceFetchFailed.max", 3)
    calm = parse_scenario(text.split("chaos:")[0] + "steps:" + text.split("steps:")[1])
    assert ScenarioRunner(calm).run()["status"] == "passed"


def test_numbers_shrink_to_their_smallest_failing_values(
    write: Callable[[str, str], Path],
) -> None:
    late = shrink_run(load_scenario(write(LATE, "late.scenario.yaml")), 1)
    assert len(late.realized) == 2
    assert late.minimal == [
        {"type": "delay_event", "event": "MarketPriceFetched", "delay_ms": 60000, "at_cycle": 1}
    ]
    outages = shrink_run(load_scenario(write(OUTAGES, "outages.scenario.yaml")), 4)
    assert [f["duration_cycles"] for f in outages.realized] == [6, 2]
    assert outages.minimal == [{"type": "exchange_outage", "at_cycle": 1, "duration_cycles": 3}]


def test_a_passing_run_cannot_be_shrunk(write: Callable[[str, str], Path]) -> None:
    loaded = load_scenario(write(RANDOM_CHAOS, "random.scenario.yaml"))
    with pytest.raises(ShrinkError, match="seed 3 does not fail"):
        shrink_run(loaded, 3)


def test_a_failure_without_faults_shrinks_to_no_faults(
    write: Callable[[str, str], Path],
) -> None:
    text = OUTAGES.replace("MarketPriceFetchFailed: {max: 2}", "PositionSold: {min: 99}")
    result = shrink_run(load_scenario(write(text, "always.scenario.yaml")), 4)
    assert result.minimal == []
    assert not result.passes_without_faults
    assert "chaos: []" in result.text


def test_failed_runs_are_found_in_run_and_sweep_results() -> None:
    run: dict[str, Any] = {"status": "failed", "seed": 5, "scenario": {"file": "a.yaml"}}
    passed = {"status": "passed", "seed": 6, "scenario": {"file": "a.yaml"}}
    assert targets_from_results(run, "r.json") == [Target("a.yaml", 5)]
    assert targets_from_results([passed, run], "r.json") == [Target("a.yaml", 5)]
    sweep = {
        "runs": [
            {"status": "failed", "seed": 2, "file": "b.yaml", "params": {"bot.pool_count": 4}},
            passed,
        ]
    }
    assert targets_from_results(sweep, "s.json") == [Target("b.yaml", 2, (("bot.pool_count", 4),))]
    with pytest.raises(BadInputError, match="not a results file"):
        targets_from_results({"hello": 1}, "x.json")
    with pytest.raises(BadInputError, match="names no scenario file"):
        targets_from_results({"status": "failed", "seed": 1}, "x.json")


def test_shrink_failed_results_writes_one_file_per_failed_run(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    path = write(RANDOM_CHAOS, "random.scenario.yaml")
    results = [ScenarioRunner(path, seed=seed).run() for seed in (1, 3)]
    lines: list[str] = []
    done = shrink_failed_results(results, tmp_path / "min", lines.append)
    assert [r.seed for r in done] == [1]
    assert done[0].path == tmp_path / "min" / "random-seed1.minimal.scenario.yaml"
    assert done[0].path == default_path(done[0], tmp_path / "min")
    assert done[0].path.is_file()
    assert lines[0].startswith(
        "shrunk 'fetch failures under random chaos' seed 1: 24 realized faults → 3 "
        "(inject_failure@1, inject_failure@2, inject_failure@3)"
    )


AFTER_EVENT = """
name: after event
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
  bot: {params: {entry_signal: always}}
chaos:
  - {type: exchange_outage, after_event: PositionPurchased, duration_cycles: 4, probability: 0.7}
  - {type: reject_orders, count: 3, probability: 0.5}
steps:
  - wait_for_cycles: 20
  - assert:
      event_count:
        MarketPriceFetchFailed: {max: 2}
"""


def test_after_event_windows_get_their_cycle_and_whole_run_faults_stay_whole_run(
    write: Callable[[str, str], Path],
) -> None:
    result = shrink_run(load_scenario(write(AFTER_EVENT, "after.scenario.yaml")), 4)
    assert result.realized == [
        {"type": "reject_orders", "count": 3},  # whole run: the first 3 orders are rejected,
        {"type": "exchange_outage", "at_cycle": 4, "duration_cycles": 4},  # so 1st buy at 4
    ]
    assert result.minimal == [{"type": "exchange_outage", "at_cycle": 1, "duration_cycles": 3}]
