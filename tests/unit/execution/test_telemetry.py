"""Account telemetry: exposure, leverage and P&L values; periodic, stored snapshots."""

from __future__ import annotations

from pathlib import Path

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.execution.telemetry import TelemetryPublisher, snapshot
from riskbus.model import OrderSide
from riskbus.model.events import AccountTelemetry
from riskbus.store import open_store
from tests.stubs import D, fill, portfolio


def _account():  # type: ignore[no-untyped-def]
    book = portfolio("USD", USD=100_000)
    book.apply_fill(fill(fill_id="a", symbol="MNQ", quantity=D(2), price=D(100), fee=D(1)))
    book.apply_fill(
        fill(fill_id="b", symbol="ES", side=OrderSide.SELL, quantity=D(1), price=D(50), fee=D(2))
    )
    book.update_mark("MNQ", D(110))
    book.update_mark("ES", D(40))
    return book


def test_snapshot_values() -> None:
    event = snapshot(_account(), ts=5, account="acct")
    # MNQ: 2 x 110 x 2 = 440 long; ES: 1 x 40 x 50 = 2,000 short
    assert event.gross_exposure == D(2440)
    assert event.net_exposure == D(-1560)
    assert event.unrealized_pnl == D(40) + D(500)
    assert event.fees == D(3)
    assert event.equity == D(100_000) - D(3) + D(540)
    assert event.open_positions == 2
    assert event.leverage == (D(2440) / D(100_537)).quantize(D("0.0001"))
    assert (event.account, event.currency, event.ts) == ("acct", "USD", 5)


def test_periodic_publication_is_stored(tmp_path: Path) -> None:
    sim = Simulator()
    bus = EventBus(sim.clock)
    seen: list[AccountTelemetry] = []
    bus.subscribe(AccountTelemetry, seen.append)
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    publisher = TelemetryPublisher(bus, sim.clock, _account(), account="acct", store=store)
    publisher.start(10 * SECOND)
    sim.run_for(35 * SECOND)
    assert publisher.published == 4 and len(seen) == 4
    assert [e.ts - seen[0].ts for e in seen] == [0, 10 * SECOND, 20 * SECOND, 30 * SECOND]
    assert publisher.latest() == seen[-1]
    publisher.stop()
    sim.run_for(60 * SECOND)
    assert len(seen) == 4
    assert TelemetryPublisher(bus, sim.clock, _account()).latest() is None
    store.close()
