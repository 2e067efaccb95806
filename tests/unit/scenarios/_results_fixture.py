"""A realistic scenario results dict (the shape of ``riskbus.scenarios.results``) for report tests.

Flash crash recovery, 50 cycles of 60 virtual seconds: the price falls from 50,000 to
42,500 between cycles 20 and 25 and recovers; the bot buys the dip and sells the bounce;
one ``delay_event`` fault at cycle 25 and one ``exchange_outage`` never healed.
"""

from __future__ import annotations

import copy
from typing import Any

HOSTILE = '<script>alert("x")</script> & "quotes"'


def _price(cycle: int) -> float:
    if cycle < 20:
        return 50_000.0 + 10.0 * cycle
    if cycle <= 25:
        return 50_190.0 - 1_538.0 * (cycle - 20)
    return 42_500.0 + 300.0 * (cycle - 25)


def results(*, status: str = "failed", hostile: bool = False) -> dict[str, Any]:
    """The results of one run; ``status`` is ``passed``, ``failed`` or ``error``."""
    prices = [{"cycle": c, "t": 60.0 * c, "price": _price(c)} for c in range(1, 51)]
    trades = [
        {
            "cycle": 22,
            "t": 1320.0,
            "side": "buy",
            "price": _price(22),
            "quantity": 0.0023,
            "pool": "pool-1",
        },
        {
            "cycle": 24,
            "t": 1440.0,
            "side": "buy",
            "price": _price(24),
            "quantity": 0.0025,
            "pool": "pool-2",
        },
        {
            "cycle": 40,
            "t": 2400.0,
            "side": "sell",
            "price": _price(40),
            "quantity": 0.0023,
            "pool": "pool-1",
        },
    ]
    timeline: list[dict[str, Any]] = []
    for c in range(1, 51):
        t = 60.0 * c
        timeline.append(
            {
                "t": t,
                "cycle": c,
                "event": "BotMonitoringCycleStarted",
                "summary": f"cycle_number={c}",
            }
        )
        timeline.append(
            {"t": t, "cycle": c, "event": "MarketPriceFetched", "summary": f"price={_price(c)}"}
        )
    timeline.append(
        {
            "t": 1500.0,
            "cycle": 25,
            "event": "FaultStarted",
            "summary": "kind=delay_event fault_id=F1",
        }
    )
    timeline.append(
        {
            "t": 1505.0,
            "cycle": 25,
            "event": "FaultHealed",
            "summary": "kind=delay_event fault_id=F1",
        }
    )
    timeline.append(
        {
            "t": 2700.0,
            "cycle": 45,
            "event": "FaultStarted",
            "summary": "kind=exchange_outage fault_id=F2",
        }
    )
    for trade in trades:
        name = "PositionPurchased" if trade["side"] == "buy" else "PositionSold"
        timeline.append(
            {
                "t": trade["t"],
                "cycle": trade["cycle"],
                "event": name,
                "summary": f"pool={trade['pool']} price={trade['price']}",
            }
        )
    timeline.sort(key=lambda e: (e["t"], e["event"]))

    assertion_results = [
        {
            "name": "event_count.PositionPurchased.min",
            "passed": True,
            "message": "Expected at least 3 PositionPurchased events, got 2",
            "expected": ">= 3",
            "actual": 2,
            "step": 1,
            "kind": "event_count",
        },
        {
            "name": "event_count.PositionSold.max",
            "passed": True,
            "message": "Expected at most 2 PositionSold events, got 1",
            "expected": "<= 2",
            "actual": 1,
            "step": 1,
            "kind": "event_count",
        },
        {
            "name": "no_panic_sell",
            "passed": True,
            "message": "No PositionSold in cycles 20-30",
            "expected": "0 sells in cycles 20..30",
            "actual": 0,
            "step": 1,
            "kind": "no_panic_sell",
        },
        {
            "name": "invariant.capital_conserved",
            "passed": True,
            "message": "",
            "expected": "cash + positions == initial - fees",
            "actual": "held on 612 events",
            "step": None,
            "kind": "invariant",
        },
    ]
    failed_step = None
    steps = [
        {
            "index": 0,
            "kind": "wait_for_cycles",
            "description": "wait_for_cycles: 50",
            "status": "passed",
            "message": "",
            "t_start": 0.0,
            "t_end": 3000.0,
            "cycle_start": 0,
            "cycle_end": 50,
        },
        {
            "index": 1,
            "kind": "assert",
            "description": "assert: event_count, no_panic_sell",
            "status": "passed",
            "message": "",
            "t_start": 3000.0,
            "t_end": 3000.0,
            "cycle_start": 50,
            "cycle_end": 50,
        },
    ]
    if status == "failed":
        assertion_results[0]["passed"] = False
        steps[1]["status"] = "failed"
        steps[1]["message"] = "1 assertion failed: event_count.PositionPurchased.min"
        failed_step = steps[1]
    passed = sum(1 for r in assertion_results if r["passed"])
    data: dict[str, Any] = {
        "scenario": {
            "name": "Flash Crash Recovery Test",
            "description": "Verify bot handles flash crash without panic selling",
            "file": "examples/scenarios/flash_crash_recovery.scenario.yaml",
        },
        "status": status,
        "error": "RuntimeError: the world fell over" if status == "error" else None,
        "duration_seconds": 0.0123,
        "start_time": "2026-11-22T08:30:00+00:00",
        "end_time": "2026-11-22T08:30:00+00:00",
        "seed": 42,
        "scenario_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "riskbus_version": "0.1.0",
        "virtual_seconds": 3000.0,
        "cycles": 50,
        "reproduce": "riskbus run examples/scenarios/flash_crash_recovery.scenario.yaml --seed 42",
        "recording": None,
        "steps": steps,
        "failed_step": failed_step,
        "assertions": {
            "total": len(assertion_results),
            "passed": passed,
            "failed": len(assertion_results) - passed,
            "pass_rate": passed / len(assertion_results),
            "results": assertion_results,
        },
        "chaos": {
            "events_delayed": 1,
            "events_dropped": 0,
            "events_modified": 0,
            "failures_injected": 0,
            "total_delay_ms": 5000,
            "total_events": 612,
            "current_cycle": 50,
            "faults_started": 2,
            "faults_healed": 1,
            "by_kind": {"delay_event": 1, "exchange_outage": 1},
            "faults": [
                {
                    "fault_id": "F1",
                    "kind": "delay_event",
                    "details": "event=IndicatorsCalculated delay_ms=5000",
                    "start_t": 1500.0,
                    "end_t": 1505.0,
                    "start_cycle": 25,
                    "end_cycle": 25,
                },
                {
                    "fault_id": "F2",
                    "kind": "exchange_outage",
                    "details": "duration_cycles=3",
                    "start_t": 2700.0,
                    "end_t": None,
                    "start_cycle": 45,
                    "end_cycle": None,
                },
            ],
        },
        "exchange": {
            "min_price": 42_500.0,
            "max_price": 50_190.0,
            "total_return_pct": -0.2,
            "mean_price": 48_000.0,
            "volatility": 0.01,
            "call_count": 50,
            "symbol": "BTC/USDT",
            "market_scenario": "flash_crash",
            "initial_price": 50_000.0,
            "final_price": _price(50),
        },
        "bot": {
            "strategy": "pool_ladder",
            "initial_capital": 10_000.0,
            "final_capital": 10_020.0,
            "available_capital": 9_500.0,
            "peak_capital": 10_100.0,
            "max_drawdown_pct": 3.1,
            "purchases": 2,
            "sales": 1,
            "open_positions": 1,
            "failed_fetches": 0,
            "restarts": 0,
        },
        "prices": prices,
        "trades": trades,
        "timeline": timeline,
        "timeline_truncated": False,
    }
    if status == "error":
        data["assertions"] = {"total": 0, "passed": 0, "failed": 0, "pass_rate": 0.0, "results": []}
        data["steps"] = []
        data["prices"] = []
        data["trades"] = []
        data["timeline"] = []
    if hostile:
        data["scenario"]["name"] = HOSTILE
        data["scenario"]["description"] = HOSTILE
        data["chaos"]["faults"][0]["details"] = HOSTILE
        if data["assertions"]["results"]:
            data["assertions"]["results"][0]["name"] = HOSTILE
            data["assertions"]["results"][0]["message"] = HOSTILE
            data["assertions"]["results"][0]["expected"] = HOSTILE
        if data["timeline"]:
            data["timeline"][0]["summary"] = HOSTILE
            data["trades"][0]["pool"] = HOSTILE
    return copy.deepcopy(data)
