"""The execution engine on the simulated exchange: the original's cases and more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from riskbus.core.clock import SECOND
from riskbus.core.errors import InvalidValueError
from riskbus.exchange.registry import ExchangeRegistry
from riskbus.execution import Holding, PlanOrderStatus, build_plan
from riskbus.execution.engine import ExecutionEngine
from riskbus.model import OrderSide, default_registry
from riskbus.model.events import (
    OrderSubmitted,
    PlanCancelled,
    PlanCompleted,
    PlanFailed,
    PlanOrderCompleted,
    PlanOrderFailed,
    PlanOrderStarted,
    PlanStarted,
)
from riskbus.model.events.account import OrderStatusReported
from riskbus.store import open_store
from tests.stubs import D
from tests.unit.exchange.helpers import Venue

PRICES = {"BTC/USDT": [50_000.0] * 50, "ETH/USDT": [2_500.0] * 50, "SOL/USDT": [100.0] * 50}


def _venue(**config: Any) -> Venue:
    return Venue(prices=PRICES, balances={"USDT": 10_000, "BTC": "0.2", "ETH": 4}, **config)


def _plan(plan_id: str = "P", **kwargs: Any):  # type: ignore[no-untyped-def]
    # 10k BTC + 10k ETH + 10k cash -> 20 % BTC, 30 % ETH, 40 % SOL, 10 % cash
    return build_plan(
        [
            Holding(symbol="BTC", quantity=D("0.2"), price=D(50_000)),
            Holding(symbol="ETH", quantity=D(4), price=D(2_500)),
            Holding(symbol="USDT", quantity=D(10_000), price=D(1)),
        ],
        plan_id=plan_id,
        weights={"BTC": D("0.2"), "ETH": D("0.3"), "SOL": D("0.4"), "USDT": D("0.1")},
        prices={"SOL": D(100)},
        **kwargs,
    )


def _engine(venue: Venue, **kwargs: Any) -> ExecutionEngine:
    registry = ExchangeRegistry(venue.exchange, clock=venue.sim.clock)
    return ExecutionEngine(venue.bus, venue.sim.clock, registry, default_registry(), **kwargs)


def test_sells_then_settle_pause_then_buys_and_stats() -> None:
    venue = _venue(latency={"submit": SECOND // 10})
    engine = _engine(venue, settle_delay=2 * SECOND)
    plan = _plan()
    assert [(o.symbol, o.side) for o in plan.orders] == [
        ("BTC", OrderSide.SELL),
        ("ETH", OrderSide.SELL),
        ("SOL", OrderSide.BUY),
    ]
    engine.add_plan(plan)
    calls: list[str] = []
    engine.on("plan_start", lambda e: calls.append("plan_start"))
    engine.on("plan_complete", lambda e: calls.append("plan_complete"))
    run = engine.execute_plan("P", dry_run=True, max_parallel=3)
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert run.outcome == "completed" and calls == ["plan_start", "plan_complete"]
    started = venue.of(PlanOrderStarted)
    assert [e.symbol for e in started] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert all(e.venue == "simulator" and e.venue_reason.startswith("DRY_RUN") for e in started)
    done = venue.of(PlanOrderCompleted)
    last_sell = max(e.ts for e in done if e.order_id != "P-0003")
    assert started[2].ts - last_sell == 2 * SECOND  # the settle pause, on the clock
    stats = engine.stats("P")
    assert (stats.total_orders, stats.completed, stats.failed) == (3, 3, 0)
    assert stats.success_rate == 100.0
    assert stats.volume_executed == D(4000) + D(1000) + D(12000)
    assert stats.fees == stats.volume_executed * D("0.0005")
    assert venue.exchange.account.balance("SOL") == D(120)
    assert engine.progress("P")["percent"] == 100.0


def test_refusals_not_found_already_executing_invalid() -> None:
    venue = _venue(latency={"submit": SECOND})
    engine = _engine(venue)
    with pytest.raises(InvalidValueError, match="no such plan"):
        engine.execute_plan("nope")
    engine.add_plan(_plan())
    engine.execute_plan("P", dry_run=True)
    with pytest.raises(InvalidValueError, match="already executing"):
        engine.execute_plan("P", dry_run=True)
    engine.add_plan(_plan("BAD", platform="mystery"))
    with pytest.raises(InvalidValueError, match="failed validation: UNKNOWN_PLATFORM"):
        engine.execute_plan("BAD")
    with pytest.raises(InvalidValueError) as caught:
        engine.progress("BAD")
    assert caught.value.field == "plan_id"


def test_max_parallel_bounds_orders_in_flight() -> None:
    venue = Venue(prices={"SOL/USDT": [100.0] * 10}, latency={"submit": SECOND})
    holdings = [Holding(symbol="USDT", quantity=D(10_000), price=D(1))]
    plan = build_plan(holdings, plan_id="M", amounts={"SOL": D(10_000)}, prices={"SOL": D(100)})
    # slice into 10 orders of 1,000 by hand: the engine must keep at most 3 in flight
    import msgspec

    orders = tuple(
        msgspec.structs.replace(plan.orders[0], order_id=f"M-{n:04d}", usd=D(1000), quantity=D(10))
        for n in range(10)
    )
    engine = _engine(venue, settle_delay=0)
    engine.add_plan(msgspec.structs.replace(plan, orders=orders))
    in_flight: list[int] = []
    engine.on("order_start", lambda e: in_flight.append(len(engine.runs["M"].in_flight)))
    run = engine.execute_plan("M", max_parallel=3)
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert max(in_flight) == 3 and run.stats.completed == 10
    assert run.stats.execution_time_seconds == 4.0  # ceil(10 / 3) waves of 1 s


def test_order_failure_and_a_raising_callback_do_not_stop_the_plan(
    caplog: pytest.LogCaptureFixture,
) -> None:
    venue = _venue()
    engine = _engine(venue, settle_delay=0)
    engine.add_plan(_plan())

    def boom(event: object) -> None:
        raise RuntimeError("callback bug")

    engine.on("order_complete", boom)
    venue.exchange.faults.reject_next(1)
    run = engine.execute_plan("P")
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert run.outcome == "failed"
    rejected, short = venue.of(PlanOrderFailed)
    assert rejected.order_id == "P-0001" and rejected.reason.startswith("REJECTED_BY_VENUE")
    # the BTC sale never raised its cash, so the SOL buy is refused by the venue: it still ran
    assert short.order_id == "P-0003" and short.reason.startswith("INSUFFICIENT_BALANCE")
    assert run.stats.completed == 1 and run.stats.success_rate == pytest.approx(100 / 3)
    assert venue.of(PlanFailed)[0].reason == "2 of 3 orders failed"
    assert "callback bug" in caplog.text


def test_transient_failures_are_retried_with_backoff() -> None:
    venue = _venue()
    engine = _engine(venue, settle_delay=0, retry_attempts=3, retry_delay=SECOND)
    engine.add_plan(_plan())
    start = venue.sim.clock.now()
    venue.exchange.faults.outage(start, start + 2 * SECOND)
    run = engine.execute_plan("P", max_parallel=1)
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert run.outcome == "completed"
    first = [e for e in venue.of(PlanOrderStarted) if e.order_id == "P-0001"]
    assert [e.attempt for e in first] == [1, 2, 3]
    assert [e.ts - start for e in first] == [0, SECOND, 3 * SECOND]  # 1 s, then 2 s
    assert len({e.client_order_id for e in first}) == 3


def test_outcome_unknown_is_not_retried() -> None:
    venue = _venue()
    engine = _engine(venue, settle_delay=0)
    engine.add_plan(_plan())
    venue.exchange.faults.lose_next_ack(1)
    run = engine.execute_plan("P")
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert run.status("P-0001") is PlanOrderStatus.UNKNOWN
    assert [e.attempt for e in venue.of(PlanOrderStarted) if e.order_id == "P-0001"] == [1]
    assert venue.of(PlanOrderFailed)[0].unknown is True


def test_cancel_mid_plan() -> None:
    venue = _venue(latency={"submit": SECOND})
    engine = _engine(venue, settle_delay=5 * SECOND)
    engine.add_plan(_plan())
    run = engine.execute_plan("P", max_parallel=1)
    venue.sim.run_for(SECOND // 2)  # the first sell is in flight
    engine.cancel("P")
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert run.outcome == "cancelled"
    assert run.status("P-0002") is PlanOrderStatus.CANCELLED
    assert run.status("P-0003") is PlanOrderStatus.CANCELLED
    assert venue.of(PlanCancelled)[0].cancelled >= 2
    assert not venue.of(PlanCompleted)


def test_restart_resumes_without_duplicating_any_order(tmp_path: Path) -> None:
    venue = _venue(latency={"submit": SECOND})
    store = open_store(f"sqlite:///{tmp_path / 'plans.db'}")
    first = _engine(venue, settle_delay=0, store=store)
    first.add_plan(_plan())
    first.execute_plan("P", max_parallel=1)
    venue.sim.run_for(SECOND + SECOND // 2)  # first sell done, second in flight
    first.close()  # the process dies here
    second = _engine(venue, settle_delay=0, store=store)
    run = second.resume("P")
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    assert run.outcome == "completed" and run.stats.completed == 3
    sent = [e.client_order_id for e in venue.of(OrderSubmitted)]
    assert len(sent) == len(set(sent)) == 3
    assert venue.of(PlanStarted)[0].orders == 3
    with pytest.raises(InvalidValueError):
        _engine(venue).resume("P")
    with pytest.raises(InvalidValueError):
        second.resume("other")
    store.close()


def test_resume_asks_the_venue_and_waits_for_an_order_still_on_its_way(tmp_path: Path) -> None:
    venue = _venue(latency={"submit": 3 * SECOND})
    store = open_store(f"sqlite:///{tmp_path / 'plans.db'}")
    first = _engine(venue, settle_delay=0, store=store)
    first.add_plan(_plan())
    first.execute_plan("P", max_parallel=1)
    venue.sim.run_for(SECOND)  # the first sell is on its way (3 s: within 3 asks 1 s apart)
    first.close()
    second = _engine(venue, settle_delay=0, store=store)
    asked: list[OrderStatusReported] = []
    venue.bus.subscribe(OrderStatusReported, asked.append)
    run = second.resume("P")
    venue.sim.run_until(lambda: run.done, timeout=120 * SECOND)
    assert run.outcome == "completed" and run.stats.completed == 3
    sent = [e.client_order_id for e in venue.of(OrderSubmitted)]
    assert len(sent) == len(set(sent)) == 3  # the first sell was not sent twice
    # asked at once and 1 s later while it was on its way; it arrived (and filled) at 3 s
    assert [(e.ts - asked[0].ts, e.report) for e in asked] == [(0, None), (SECOND, None)]
    assert run.status("P-0001") is PlanOrderStatus.FILLED
    store.close()


def test_resume_sends_again_an_order_the_venue_never_received(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'plans.db'}")
    lost = _venue(latency={"submit": 5 * SECOND})  # the venue the first process talked to
    first = _engine(lost, settle_delay=0, store=store)
    first.add_plan(_plan())
    first.execute_plan("P", max_parallel=1)
    lost.sim.run_for(SECOND)
    first.close()  # died with the first sell in flight; that request is lost
    venue = _venue()  # a venue that never received it
    second = _engine(venue, settle_delay=0, store=store, retry_attempts=2)
    run = second.resume("P")
    venue.sim.run_until(lambda: run.done, timeout=120 * SECOND)
    assert run.outcome == "completed" and run.stats.completed == 3
    started = [e for e in venue.of(PlanOrderStarted) if e.order_id == "P-0001"]
    assert [e.attempt for e in started] == [2]  # sent again, under a new client order id
    assert len(venue.of(OrderSubmitted)) == 3
    store.close()


def test_the_safety_validator_stops_orders_it_fails() -> None:
    from riskbus.execution import SafetyLevel, SafetyLimits, SafetyValidator

    venue = _venue()
    validator = SafetyValidator(
        SafetyLevel.PERMISSIVE, limits=SafetyLimits(max_single_order_usd=D(5_000))
    )
    engine = _engine(venue, settle_delay=0, validator=validator)
    engine.add_plan(_plan())
    run = engine.execute_plan("P")
    venue.sim.run_until(lambda: run.done, timeout=60 * SECOND)
    (failed,) = venue.of(PlanOrderFailed)
    assert failed.order_id == "P-0003"  # the 12,000 SOL buy is over the 5,000 limit
    assert failed.reason.startswith("SAFETY_CHECK_FAILED: level=permissive, ORDER_AMOUNT_LIMIT")
    assert run.stats.completed == 2 and validator.daily_volume == D(5000)
