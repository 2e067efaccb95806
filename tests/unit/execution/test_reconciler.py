"""The reconciler: diff semantics, a property test, and a pass against the simulated venue."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from riskbus.execution.reconciler import (
    Reconciler,
    SimulatedVenueState,
    apply_order_diffs,
    reconcile,
)
from riskbus.model import OrderSide, OrderStatus, OrderType, Portfolio, default_registry
from riskbus.model.events import (
    OrderReconciled,
    OrderReport,
    PositionMismatch,
    PositionReport,
    ReconciliationCompleted,
)
from riskbus.store import open_store
from riskbus.store.records import OrderRecord
from tests.stubs import D
from tests.unit.exchange.helpers import Venue

OPEN = [OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED]
STATUSES = [*OPEN, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.UNKNOWN]


def _report(cid: str, status: OrderStatus, filled: Decimal = Decimal(0)) -> OrderReport:
    return OrderReport(
        client_order_id=cid,
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=D(2),
        status=status,
        filled_qty=filled,
        price=D(100),
    )


def test_each_kind_of_divergence_gets_its_action() -> None:
    local = {
        "same": _report("same", OrderStatus.ACCEPTED),
        "moved": _report("moved", OrderStatus.ACCEPTED),
        "filled_meanwhile": _report("filled_meanwhile", OrderStatus.ACCEPTED),
        "gone": _report("gone", OrderStatus.ACCEPTED),
        "unknown_there": _report("unknown_there", OrderStatus.UNKNOWN),
        "unknown_never": _report("unknown_never", OrderStatus.UNKNOWN),
        "done": _report("done", OrderStatus.FILLED, D(2)),
    }
    venue_open = [
        _report("same", OrderStatus.ACCEPTED),
        _report("moved", OrderStatus.PARTIALLY_FILLED, D(1)),
        _report("unknown_there", OrderStatus.ACCEPTED),
        _report("stranger", OrderStatus.ACCEPTED),
    ]
    known = {"filled_meanwhile": _report("filled_meanwhile", OrderStatus.FILLED, D(2))}
    probed: list[str] = []

    def probe(cid: str) -> OrderReport | None:
        probed.append(cid)
        return known.get(cid)

    result = reconcile(
        local,
        venue_open,
        probe,
        local_positions={"BTC/USDT": D(1), "ETH/USDT": D(3)},
        venue_positions=[
            PositionReport(symbol="BTC/USDT", quantity=D(2), avg_price=D(100)),
            PositionReport(symbol="ETH/USDT", quantity=D(3), avg_price=D(10)),
        ],
    )
    actions = {d.client_order_id: d.action for d in result.orders}
    assert actions == {
        "moved": "update",
        "filled_meanwhile": "update",
        "gone": "assume_cancelled",
        "unknown_there": "settle",
        "unknown_never": "assume_cancelled",
        "stranger": "adopt",
    }
    assert probed == ["filled_meanwhile", "gone", "unknown_never"]  # probe before "gone"
    assert [(p.symbol, p.local, p.venue) for p in result.positions] == [("BTC/USDT", D(1), D(2))]
    fixed = apply_order_diffs(local, result)
    assert fixed["gone"].status is OrderStatus.CANCELED
    assert fixed["filled_meanwhile"].status is OrderStatus.FILLED
    assert fixed["stranger"].status is OrderStatus.ACCEPTED
    assert not result.clean and result.count("adopt") == 1


@settings(max_examples=300, deadline=None)
@given(
    local_states=st.dictionaries(
        st.sampled_from([f"o{i}" for i in range(8)]), st.sampled_from(STATUSES), max_size=8
    ),
    venue_states=st.dictionaries(
        st.sampled_from([f"o{i}" for i in range(8)]),
        st.tuples(
            st.sampled_from([*OPEN, OrderStatus.FILLED, OrderStatus.CANCELED]), st.integers(0, 2)
        ),
        max_size=8,
    ),
    ours=st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(-3, 3), max_size=3),
    theirs=st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(-3, 3), max_size=3),
)
def test_property_one_pass_makes_both_sides_agree(
    local_states: dict[str, OrderStatus],
    venue_states: dict[str, tuple[OrderStatus, int]],
    ours: dict[str, int],
    theirs: dict[str, int],
) -> None:
    local = {cid: _report(cid, status) for cid, status in local_states.items()}
    venue = {cid: _report(cid, status, D(filled)) for cid, (status, filled) in venue_states.items()}
    venue_open = [r for r in venue.values() if r.status.is_open]
    result = reconcile(
        local,
        venue_open,
        venue.get,
        local_positions={s: D(q) for s, q in ours.items() if q},
        venue_positions=[
            PositionReport(symbol=s, quantity=D(q), avg_price=D(10)) for s, q in theirs.items() if q
        ],
    )
    fixed = apply_order_diffs(local, result)
    # every order open on either side now has the venue's state, or is cancelled if the
    # venue never heard of it; orders closed on both sides are left alone
    for cid, report in fixed.items():
        was_open = cid in local and local[cid].status.is_open
        if not (was_open or (cid in venue and venue[cid].status.is_open)):
            continue
        if cid in venue:
            assert (report.status, report.filled_qty) == (venue[cid].status, venue[cid].filled_qty)
        else:
            assert report.status is OrderStatus.CANCELED
    assert {c for c, r in fixed.items() if r.status.is_open} == {
        r.client_order_id for r in venue_open
    }
    again = reconcile(fixed, venue_open, venue.get)
    assert again.orders == ()
    positions = {s: D(q) for s, q in ours.items() if q}
    for diff in result.positions:
        positions[diff.symbol] = diff.venue
    assert {s: q for s, q in positions.items() if q} == {s: D(q) for s, q in theirs.items() if q}


def test_a_pass_against_the_simulated_venue_fixes_store_and_portfolio(tmp_path: Path) -> None:
    venue = Venue(prices={"BTC/USDT": [100.0] * 10})
    # the venue holds: a resting limit we know, one we do not know, and a 1 BTC position
    venue.submit(client_order_id="known", order_type=OrderType.LIMIT, price=D(90))
    venue.submit(client_order_id="stranger", order_type=OrderType.LIMIT, price=D(80))
    venue.submit(client_order_id="bought", quantity=D(1))
    venue.sim.run_for(10**9)
    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    for cid, status in (("known", OrderStatus.ACCEPTED), ("lost", OrderStatus.UNKNOWN)):
        store.orders.upsert(
            OrderRecord(
                client_order_id=cid,
                symbol="BTC/USDT",
                side=OrderSide.BUY,
                order_type=OrderType.LIMIT,
                quantity=D(1),
                status=status,
                updated_at=0,
                price=D(90),
            )
        )
    ours = Portfolio(default_registry(), {"USDT": D(100_000)})
    reconciler = Reconciler(
        venue.bus, venue.sim.clock, SimulatedVenueState(venue.exchange), store.orders, ours
    )
    first = reconciler.start(60 * 10**9)
    assert {d.client_order_id: d.action for d in first.orders} == {
        "lost": "assume_cancelled",
        "stranger": "adopt",
    }
    assert store.orders.get("lost").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert store.orders.get("stranger").status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    assert ours.position("BTC/USDT").quantity == D(1)  # type: ignore[union-attr]
    assert len(venue.of(OrderReconciled)) == 2
    assert venue.of(PositionMismatch)[0].venue == D(1)
    summary = venue.of(ReconciliationCompleted)[-1]
    assert (summary.adopted, summary.assumed_cancelled, summary.position_mismatches) == (1, 1, 1)
    venue.sim.run_for(60 * 10**9)  # the periodic pass finds nothing left to fix
    assert reconciler.passes == 2
    assert reconciler.last is not None and reconciler.last.clean
    assert venue.of(ReconciliationCompleted)[-1].clean
    store.close()
