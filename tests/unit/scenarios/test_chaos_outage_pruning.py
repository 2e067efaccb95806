"""An outage window that is over leaves the venue: later calls take the fault-free path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from riskbus.scenarios.runner import ScenarioRunner

SCENARIO = """
name: outages
seed: 3
setup: {exchange: {scenario: sideways}, bot: {params: {entry_signal: always}}}
chaos:
  - {type: exchange_outage, at_cycle: 3, duration_cycles: 2}
  - {type: exchange_outage, at_cycle: 9, duration_cycles: 1}
steps:
  - wait_for_cycles: 14
"""


def test_healed_outages_are_forgotten_and_refuse_nothing_more(
    write: Callable[[str, str], Path],
) -> None:
    runner = ScenarioRunner(write(SCENARIO, "s.scenario.yaml"))
    results = runner.run()
    assert runner.world is not None
    faults = runner.world.exchange.faults
    assert faults._outages == []  # both windows ended before the run did
    assert faults.active is False
    failed = [e["cycle"] for e in results["timeline"] if e["event"] == "MarketPriceFetchFailed"]
    assert failed == [3, 4, 9]  # each window refused exactly its own cycles' fetches
    assert [(f["start_cycle"], f["end_cycle"]) for f in results["chaos"]["faults"]] == [
        (3, 5),
        (9, 10),
    ]


def test_a_whole_run_outage_stays_armed_to_the_end(write: Callable[[str, str], Path]) -> None:
    text = SCENARIO.replace(
        "  - {type: exchange_outage, at_cycle: 9, duration_cycles: 1}\n",
        "  - {type: exchange_outage}\n",
    )
    runner = ScenarioRunner(write(text, "s.scenario.yaml"))
    results = runner.run()
    assert runner.world is not None
    faults = runner.world.exchange.faults
    assert len(faults._outages) == 1  # healed on exit, but its end is not reached: kept
    assert faults.in_outage()
    assert results["bot"]["failed_fetches"] == 14
