"""The repository suite shared by the SQLite unit tests and the two-backend integration tests.

A subclass provides the ``store_url`` fixture (a URL to an empty, private database).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from riskbus.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.fills import Fill
from riskbus.store import (
    AuditEntry,
    LockoutKind,
    LockoutRecord,
    LockoutScope,
    OrderRecord,
    ResetEntry,
    ResetKind,
    Store,
    TimerRecord,
    TradeRecord,
    open_store,
)

WRITER = Path(__file__).with_name("writer.py")
DAY = "2026-11-20"


def trade(fill_id: str, ts: int = 1, price: str = "101.123456789012345678") -> TradeRecord:
    return TradeRecord(
        fill_id=fill_id,
        client_order_id="c-1",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        quantity=Decimal("0.000000000000000001"),
        price=Decimal(price),
        fee=Decimal("0.01"),
        ts=ts,
    )


def order(status: OrderStatus = OrderStatus.ACCEPTED, coid: str = "c-1") -> OrderRecord:
    return OrderRecord(
        client_order_id=coid,
        symbol="ETH/USDT",
        side=OrderSide.SELL,
        order_type=OrderType.STOP_LIMIT,
        quantity=Decimal("1.5"),
        price=Decimal("2000.10"),
        trigger_price=Decimal("2001"),
        time_in_force=TimeInForce.IOC,
        reduce_only=True,
        strategy="grid",
        status=status,
        updated_at=7,
    )


class RepositorySuite:
    """Behaviour every backend must show; values are asserted exactly."""

    @pytest.fixture
    def store(self, store_url: str) -> Iterator[Store]:
        with open_store(store_url) as opened:
            yield opened

    def test_daily_pnl_accumulates_exactly(self, store: Store) -> None:
        store.daily_pnl.add("acc", DAY, "BTC", realized=Decimal("0.1"), fees=Decimal("0.2"))
        total = store.daily_pnl.add(
            "acc", DAY, "BTC", realized=Decimal("-0.3"), fees=Decimal("0.000000000000000001")
        )
        assert total.realized == Decimal("-0.2")
        assert total.fees == Decimal("0.200000000000000001")
        assert total.trade_count == 2
        store.daily_pnl.add("acc", DAY, "AAA", realized=Decimal(5), fees=Decimal(0), trades=3)
        assert [p.symbol for p in store.daily_pnl.for_day("acc", DAY)] == ["AAA", "BTC"]
        assert store.daily_pnl.get("acc", DAY, "AAA") is not None
        assert store.daily_pnl.get("acc", "2026-11-21", "AAA") is None

    def test_fill_recorded_twice_is_stored_once(self, store: Store) -> None:
        assert store.trades.record(trade("f-1")) is True
        assert store.trades.record(trade("f-1")) is False
        assert store.trades.record(trade("f-2", ts=5)) is True
        assert store.trades.count() == 2
        assert store.trades.get("f-1") == trade("f-1")
        assert store.trades.get("nope") is None
        assert [t.fill_id for t in store.trades.find(since=2)] == ["f-2"]
        assert len(store.trades.find(client_order_id="c-1")) == 2
        fill = Fill(
            fill_id="f-3",
            client_order_id="c-2",
            symbol="BTC/USDT",
            side=OrderSide.SELL,
            quantity=Decimal("2"),
            price=Decimal("3"),
            ts=9,
        )
        assert store.trades.record(TradeRecord.from_fill(fill)) is True
        stored = store.trades.get("f-3")
        assert stored is not None
        assert (stored.side, stored.quantity, stored.fee) == (
            OrderSide.SELL,
            Decimal(2),
            Decimal(0),
        )

    def test_lockouts_open_expire_and_clear(self, store: Store) -> None:
        hard = store.lockouts.add(
            LockoutRecord(
                scope=LockoutScope.ACCOUNT,
                target="acc",
                rule="daily_loss",
                reason="loss 5% > 3%",
                kind=LockoutKind.HARD,
                started_at=10,
            )
        )
        cool = store.lockouts.add(
            LockoutRecord(
                scope=LockoutScope.SYMBOL,
                target="BTC",
                rule="cooldown",
                reason="3 losses",
                kind=LockoutKind.COOLDOWN,
                started_at=10,
                until=100,
            )
        )
        assert hard.id is not None and cool.id is not None
        assert store.lockouts.active(50) == [hard, cool]
        assert store.lockouts.active(100) == [hard]
        assert store.lockouts.active(50, target="BTC") == [cool]
        assert store.lockouts.clear(hard.id, cleared_at=60, cleared_by="ops") is True
        assert store.lockouts.clear(hard.id, cleared_at=61, cleared_by="ops") is False
        assert store.lockouts.clear(9999, cleared_at=61, cleared_by="ops") is False
        assert store.lockouts.active(70) == [cool]
        history = store.lockouts.history()
        assert (history[0].cleared_at, history[0].cleared_by) == (60, "ops")

    def test_timers_upsert_due_and_delete(self, store: Store) -> None:
        store.timers.upsert(TimerRecord("reset", fire_at=100, interval=86_400, payload={"a": [1]}))
        store.timers.upsert(TimerRecord("once", fire_at=50))
        store.timers.upsert(TimerRecord("reset", fire_at=200, interval=86_400, payload={"b": 2}))
        assert store.timers.get("reset") == TimerRecord("reset", 200, 86_400, {"b": 2})
        assert [t.name for t in store.timers.all()] == ["once", "reset"]
        assert [t.name for t in store.timers.due(150)] == ["once"]
        assert store.timers.delete("once") is True
        assert store.timers.delete("once") is False
        assert store.timers.get("once") is None

    def test_reset_log(self, store: Store) -> None:
        assert store.resets.last(ResetKind.DAILY) is None
        store.resets.record(ResetEntry(DAY, ResetKind.DAILY, 5))
        store.resets.record(ResetEntry("2026-11-21", ResetKind.DAILY, 9))
        assert store.resets.has_run(DAY, ResetKind.DAILY)
        assert not store.resets.has_run(DAY, ResetKind.WEEKLY)
        assert store.resets.last(ResetKind.DAILY) == ResetEntry("2026-11-21", ResetKind.DAILY, 9)

    def test_order_upsert_by_client_order_id(self, store: Store) -> None:
        store.orders.upsert(order())
        store.orders.upsert(order(OrderStatus.ACCEPTED, coid="c-2"))
        filled = OrderRecord(
            **{
                **{f: getattr(order(), f) for f in OrderRecord.__slots__},
                "status": OrderStatus.FILLED,
                "filled_qty": Decimal("1.5"),
                "avg_price": Decimal("2000.123"),
                "venue_order_id": "v-9",
                "updated_at": 8,
            }
        )
        store.orders.upsert(filled)
        assert store.orders.get("c-1") == filled
        assert store.orders.get("zzz") is None
        assert [o.client_order_id for o in store.orders.all()] == ["c-2", "c-1"]
        assert [o.client_order_id for o in store.orders.open_orders()] == ["c-2"]

    def test_audit_and_checkpoints(self, store: Store) -> None:
        store.audit.append(AuditEntry(1, "ops", "clear_lockout", "ok", {"id": 3}))
        store.audit.append(AuditEntry(2, "bot", "submit", "denied"))
        assert store.audit.entries() == [
            AuditEntry(1, "ops", "clear_lockout", "ok", {"id": 3}),
            AuditEntry(2, "bot", "submit", "denied"),
        ]
        assert len(store.audit.entries(since=2)) == 1
        assert store.checkpoints.get("k") is None
        store.checkpoints.put("k", "v1", ts=1)
        store.checkpoints.put("k", "v2", ts=2)
        assert store.checkpoints.get("k") == "v2"

    def test_state_survives_close_and_reopen(self, store_url: str) -> None:
        with open_store(store_url) as first:
            _write_state(first)
        with open_store(store_url) as second:
            _assert_state(second)

    def test_state_survives_kill_9_of_the_writer(self, store_url: str) -> None:
        child = subprocess.Popen(
            [sys.executable, str(WRITER), store_url],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "written"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
            if child.stdout is not None:
                child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        with open_store(store_url) as reopened:
            _assert_state(reopened)


def _write_state(store: Store) -> None:
    """Write one value of every kind (also used by ``writer.py``)."""
    store.daily_pnl.add("acc", DAY, "BTC", realized=Decimal("-12.345"), fees=Decimal("0.5"))
    store.daily_pnl.add("acc", DAY, "BTC", realized=Decimal("2.005"), fees=Decimal("0.25"))
    store.trades.record(trade("f-1"))
    store.trades.record(trade("f-1"))
    store.lockouts.add(
        LockoutRecord(
            scope=LockoutScope.ACCOUNT,
            target="acc",
            rule="daily_loss",
            reason="limit",
            kind=LockoutKind.HARD,
            started_at=10,
        )
    )
    store.timers.upsert(TimerRecord("reset", fire_at=100, interval=5, payload={"day": DAY}))
    store.orders.upsert(order())


def _assert_state(store: Store) -> None:
    pnl = store.daily_pnl.get("acc", DAY, "BTC")
    assert pnl is not None
    assert (pnl.realized, pnl.fees, pnl.trade_count) == (Decimal("-10.340"), Decimal("0.75"), 2)
    assert store.trades.find() == [trade("f-1")]
    [lockout] = store.lockouts.active(11)
    assert (lockout.rule, lockout.kind, lockout.until) == ("daily_loss", LockoutKind.HARD, None)
    assert store.timers.all() == [TimerRecord("reset", 100, 5, {"day": DAY})]
    assert store.orders.all() == [order()]
