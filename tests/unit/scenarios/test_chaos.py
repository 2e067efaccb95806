"""Chaos: windows, heals and counts, real failures, venue faults and restarts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riskbus.scenarios.runner import ScenarioRunner

from .conftest import EXAMPLES

Run = Callable[..., dict[str, Any]]

BULL = """
name: c
seed: 7
setup: {exchange: {scenario: bull_run}, bot: {params: {entry_signal: always}}}
"""


def _failed(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results["assertions"]["results"] if not r["passed"]]


def test_inject_failure_fails_the_fetch_itself(run_text: Run) -> None:
    results = run_text(
        BULL
        + """
chaos:
  - {type: inject_failure, event: MarketPriceFetchFailed, at_cycle: 4, error_message: boom}
steps:
  - wait_for_cycles: 6
  - assert:
      event_count:
        MarketPriceFetched: {exact: 5}
        MarketPriceFetchFailed: {exact: 1}
        FetchPrice: {exact: 5}   # the failed fetch never reached the venue
"""
    )
    assert results["status"] == "passed", _failed(results)
    assert results["chaos"]["failures_injected"] == 1
    failed = [e for e in results["timeline"] if e["event"] == "MarketPriceFetchFailed"]
    assert failed == [
        {
            "t": 240.0,
            "cycle": 4,
            "event": "MarketPriceFetchFailed",
            "summary": "cycle_id=4 pair=BTC/USDT error_message=boom",
        }
    ]
    assert results["bot"]["failed_fetches"] == 1


def test_after_event_opens_the_window_and_probability_is_seeded(run_text: Run) -> None:
    text = (
        BULL
        + """
chaos:
  - {type: drop_event, event: MarketPriceFetched, after_event: PositionSold, duration_cycles: 3}
  - {type: drop_event, event: IndicatorsCalculated, probability: 0.5}
steps:
  - wait_for_cycles: 40
"""
    )
    first = run_text(text)
    again = run_text(text)
    chaos = first["chaos"]
    assert chaos["faults_started"] == 2
    assert chaos["faults_healed"] == 2  # the whole-run window is healed on exit
    assert chaos["by_kind"] == {"drop_event": 2}
    assert chaos["events_dropped"] == again["chaos"]["events_dropped"]
    assert 0 < chaos["events_dropped"] < 40 + 3
    window = chaos["faults"][1]
    assert window["end_cycle"] - window["start_cycle"] == 3
    assert first["timeline"] == again["timeline"]


def test_exchange_faults_open_and_heal_with_events(run_text: Run) -> None:
    results = run_text(
        BULL
        + """
chaos:
  - {type: exchange_outage, at_cycle: 3, duration_cycles: 2}
  - {type: stale_price, at_cycle: 8, duration_cycles: 2}
  - {type: rate_limit, calls: 1, window_seconds: 600, at_cycle: 12, duration_cycles: 2}
steps:
  - wait_for_cycles: 15
"""
    )
    faults = results["chaos"]["faults"]
    assert [(f["kind"], f["start_cycle"], f["end_cycle"]) for f in faults] == [
        ("exchange_outage", 3, 5),
        ("stale_price", 8, 10),
        ("rate_limit", 12, 14),
    ]
    prices = {p["cycle"]: p["price"] for p in results["prices"]}
    assert 3 not in prices and 4 not in prices  # the venue was down
    assert prices[8] == prices[9] != prices[7]  # frozen at the step of cycle 8
    assert prices[10] != prices[9]
    fetch_failures = [e for e in results["timeline"] if e["event"] == "MarketPriceFetchFailed"]
    assert [e["cycle"] for e in fetch_failures] == [3, 4, 13]
    assert "VENUE_UNAVAILABLE" in fetch_failures[0]["summary"]
    assert "RATE_LIMITED" in fetch_failures[2]["summary"]
    started = [e for e in results["timeline"] if e["event"] == "FaultStarted"]
    healed = [e for e in results["timeline"] if e["event"] == "FaultHealed"]
    assert len(started) == len(healed) == 3


def test_partial_fills_spread_an_order_over_cycles(run_text: Run) -> None:
    results = run_text(
        BULL
        + """
chaos:
  - {type: partial_fills, max_quantity: 0.003, at_cycle: 1, duration_cycles: 20}
steps:
  - wait_for_cycles: 6
  - assert:
      event_count: {OrderFilled: {min: 4}, PositionPurchased: {min: 1}}
"""
    )
    assert results["status"] == "passed", _failed(results)
    fills = [e for e in results["timeline"] if e["event"] == "OrderFilled"]
    assert all("last_qty=0.003" in e["summary"] for e in fills[:3])


def test_restart_brings_the_bot_back_from_the_store() -> None:
    results = ScenarioRunner(EXAMPLES / "chaos_restart.scenario.yaml").run()
    assert results["status"] == "passed", _failed(results)
    assert results["bot"]["restarts"] == 1
    numbers = [
        int(e["summary"].split("=")[1])
        for e in results["timeline"]
        if e["event"] == "BotMonitoringCycleStarted"
    ]
    assert numbers == list(range(1, 31))  # the count resumes from the store, no gap
    fault = results["chaos"]["faults"][0]
    assert fault["kind"] == "restart"
    # opened when cycle 10 starts (t=600 s), crashed half a cycle later, healed at the boot
    # 2 cycles (120 s) after the crash
    assert (fault["start_t"], fault["end_t"]) == (600.0, 750.0)


def test_a_whole_run_window_acts_on_every_cycle_until_the_run_ends(run_text: Run) -> None:
    results = run_text(
        BULL
        + """
chaos:
  - {type: drop_event, event: IndicatorsCalculated}   # no at_cycle, no after_event
steps:
  - wait_for_cycles: 10
  - assert:
      event_count:
        IndicatorsCalculated: {exact: 0}
"""
    )
    assert results["status"] == "passed", _failed(results)
    chaos = results["chaos"]
    assert chaos["events_dropped"] == 10
    window = chaos["faults"][0]
    assert (window["start_cycle"], window["end_cycle"]) == (0, 10)
