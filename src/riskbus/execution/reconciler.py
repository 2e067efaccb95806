"""The order reconciler: make our view of orders and positions agree with the venue's.

Semantics from GPT-Trader's reconciler and NautilusTrader's execution reconciliation:

* **Diff** our open orders (``UNKNOWN`` ones included) against the venue's open orders.
* **Gone orders** — ours is open, the venue does not list it: the single order is
  **probed** first (it may have filled or been cancelled meanwhile: we take that state).
  If the venue does not know it at all, it is marked **assumed cancelled**.
* **Untracked venue orders** — open at the venue, unknown to us: **adopted**.
* **Mismatches** — status or filled quantity differ: we take the venue's.
* **Outcome-unknown orders** are **settled** the same way: probed, then adopted or
  assumed cancelled (never reached the venue: safe to send again).
* **Positions** — the snapshots are diffed per symbol; a difference is booked into our
  portfolio as a reconciliation fill at the venue's average price (no fee), so the two agree.

:func:`reconcile` is the pure diff over snapshots; :class:`Reconciler` runs it against a
venue (:class:`VenueState`) and our store, applies it, publishes an ``OrderReconciled`` per
order fixed, a ``PositionMismatch`` per symbol fixed, and a ``ReconciliationCompleted``
summary (the snapshot metric). It runs once at start — if that fails, trading is refused
(:class:`~riskbus.core.errors.OperationalError`) — and then every ``interval`` on the Clock.
An async venue (ccxt) fetches its snapshots at the edge and hands them to the same code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Protocol

import msgspec

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.errors import OperationalError, RiskbusError
from riskbus.model.enums import LiquiditySide, OrderSide, OrderStatus
from riskbus.model.events.account import OrderReport, PositionReport
from riskbus.model.events.execution import (
    OrderReconciled,
    PositionMismatch,
    ReconciliationCompleted,
)
from riskbus.model.fills import Fill
from riskbus.model.money import ZERO
from riskbus.model.portfolio import Portfolio
from riskbus.store.orders import OrderRepository
from riskbus.store.records import OrderRecord

__all__ = [
    "OrderDiff",
    "PositionDiff",
    "ReconcileResult",
    "Reconciler",
    "SimulatedVenueState",
    "VenueState",
    "apply_order_diffs",
    "reconcile",
]


class VenueState(Protocol):
    """What the reconciler reads from a venue (synchronously, from snapshots)."""

    def open_orders(self) -> tuple[OrderReport, ...]:
        """The venue's open orders."""
        ...

    def order_status(self, client_order_id: str) -> OrderReport | None:
        """The venue's report of one order, or None if it does not know it."""
        ...

    def position_reports(self) -> tuple[PositionReport, ...]:
        """The venue's positions."""
        ...


class OrderDiff(msgspec.Struct, frozen=True, kw_only=True):
    """One order to fix: ``action`` is adopt, update, settle or assume_cancelled."""

    client_order_id: str
    symbol: str
    action: str
    local_status: OrderStatus | None
    venue: OrderReport | None


class PositionDiff(msgspec.Struct, frozen=True, kw_only=True):
    """``symbol``: we hold ``local``, the venue says ``venue`` at ``avg_price``."""

    symbol: str
    local: Decimal
    venue: Decimal
    avg_price: Decimal


class ReconcileResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one pass found."""

    orders: tuple[OrderDiff, ...] = ()
    positions: tuple[PositionDiff, ...] = ()

    @property
    def clean(self) -> bool:
        """Whether the two sides already agreed."""
        return not self.orders and not self.positions

    def count(self, action: str) -> int:
        """How many order diffs have ``action``."""
        return sum(1 for d in self.orders if d.action == action)


def reconcile(
    local: Mapping[str, OrderReport],
    venue_open: Iterable[OrderReport],
    probe: Callable[[str], OrderReport | None],
    *,
    local_positions: Mapping[str, Decimal] | None = None,
    venue_positions: Iterable[PositionReport] = (),
) -> ReconcileResult:
    """Diff our orders (``local``, by client order id) and positions against the venue's."""
    venue_by_id = {report.client_order_id: report for report in venue_open}
    diffs: list[OrderDiff] = []
    for cid in sorted(local):
        ours = local[cid]
        if not ours.status.is_open:
            continue
        theirs = venue_by_id.get(cid)
        if theirs is None:
            theirs = probe(cid)
        settle = ours.status is OrderStatus.UNKNOWN
        if theirs is None:
            action = "assume_cancelled"
        elif settle:
            action = "settle"
        elif theirs.status != ours.status or theirs.filled_qty != ours.filled_qty:
            action = "update"
        else:
            continue
        diffs.append(
            OrderDiff(
                client_order_id=cid,
                symbol=ours.symbol,
                action=action,
                local_status=ours.status,
                venue=theirs,
            )
        )
    for cid in sorted(venue_by_id):
        ours_or_none = local.get(cid)
        if ours_or_none is None or not ours_or_none.status.is_open:
            theirs = venue_by_id[cid]
            diffs.append(
                OrderDiff(
                    client_order_id=cid,
                    symbol=theirs.symbol,
                    action="adopt",
                    local_status=ours_or_none.status if ours_or_none else None,
                    venue=theirs,
                )
            )
    return ReconcileResult(
        orders=tuple(diffs), positions=_position_diffs(local_positions or {}, venue_positions)
    )


def apply_order_diffs(
    local: Mapping[str, OrderReport], result: ReconcileResult
) -> dict[str, OrderReport]:
    """Return ``local`` with every order diff applied (the venue's state wins)."""
    fixed = dict(local)
    for diff in result.orders:
        if diff.venue is not None:
            fixed[diff.client_order_id] = diff.venue
        else:
            fixed[diff.client_order_id] = msgspec.structs.replace(
                local[diff.client_order_id], status=OrderStatus.CANCELED
            )
    return fixed


def _position_diffs(
    local: Mapping[str, Decimal], venue: Iterable[PositionReport]
) -> tuple[PositionDiff, ...]:
    theirs = {report.symbol: report for report in venue}
    diffs = []
    for symbol in sorted(set(local) | set(theirs)):
        ours = local.get(symbol, ZERO)
        report = theirs.get(symbol)
        venue_qty = report.quantity if report is not None else ZERO
        if ours != venue_qty:
            avg = report.avg_price if report is not None else ZERO
            diffs.append(PositionDiff(symbol=symbol, local=ours, venue=venue_qty, avg_price=avg))
    return tuple(diffs)


class SimulatedVenueState:
    """:class:`VenueState` over a :class:`~riskbus.exchange.simulated.SimulatedExchange`."""

    def __init__(self, exchange: object) -> None:
        self.exchange = exchange

    def open_orders(self) -> tuple[OrderReport, ...]:
        """The simulated venue's open orders."""
        return tuple(self.exchange.open_orders())  # type: ignore[attr-defined]

    def order_status(self, client_order_id: str) -> OrderReport | None:
        """The simulated venue's report of one order."""
        report: OrderReport | None = self.exchange.order_status(client_order_id)  # type: ignore[attr-defined]
        return report

    def position_reports(self) -> tuple[PositionReport, ...]:
        """The simulated venue's open positions."""
        account: Portfolio = self.exchange.account  # type: ignore[attr-defined]
        return tuple(p.to_report() for p in account.open_positions())


class Reconciler:
    """Runs :func:`reconcile` against a venue and applies it to our store and portfolio.

    Args:
        bus: where the reconciliation events go.
        clock: timestamps and the periodic timer.
        venue: the venue's state.
        orders: our orders (the store's order repository).
        portfolio: our positions (the account tracker's portfolio), if positions are
            reconciled too.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        venue: VenueState,
        orders: OrderRepository,
        portfolio: Portfolio | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.venue = venue
        self.orders = orders
        self.portfolio = portfolio
        self.passes = 0
        self.last: ReconcileResult | None = None

    def start(self, interval: int) -> ReconcileResult:
        """Reconcile now, then every ``interval`` ns.

        Raises:
            OperationalError: the first pass failed: trading must not start.
        """
        try:
            result = self.run()
        except RiskbusError as error:
            raise OperationalError(
                f"startup reconciliation failed, trading is refused: {error}"
            ) from error
        self.clock.set_timer("reconciler", interval, self._tick)
        return result

    def _tick(self) -> None:
        self.run()

    def run(self) -> ReconcileResult:
        """One pass: diff, apply, publish; return what it found."""
        local = {r.client_order_id: _report(r) for r in self.orders.all() if r.status.is_open}
        positions = (
            {p.symbol: p.quantity for p in self.portfolio.open_positions()}
            if self.portfolio is not None
            else {}
        )
        result = reconcile(
            local,
            self.venue.open_orders(),
            self.venue.order_status,
            local_positions=positions,
            venue_positions=self.venue.position_reports() if self.portfolio is not None else (),
        )
        now = self.clock.now()
        for diff in result.orders:
            self._apply_order(diff, local.get(diff.client_order_id), now)
        for n, position_diff in enumerate(result.positions):
            self._apply_position(position_diff, now, n)
        self.passes += 1
        self.last = result
        self.bus.publish(
            ReconciliationCompleted(
                ts=now,
                adopted=result.count("adopt"),
                updated=result.count("update"),
                settled=result.count("settle"),
                assumed_cancelled=result.count("assume_cancelled"),
                position_mismatches=len(result.positions),
                open_orders=len(self.venue.open_orders()),
            )
        )
        return result

    def _apply_order(self, diff: OrderDiff, ours: OrderReport | None, now: int) -> None:
        source = diff.venue if diff.venue is not None else ours
        assert source is not None
        status = diff.venue.status if diff.venue is not None else OrderStatus.CANCELED
        self.orders.upsert(
            OrderRecord(
                client_order_id=diff.client_order_id,
                symbol=source.symbol,
                side=source.side,
                order_type=source.order_type,
                quantity=source.quantity,
                status=status,
                updated_at=now,
                price=source.price,
                trigger_price=source.stop_price,
                filled_qty=source.filled_qty,
                avg_price=source.avg_fill_price,
                venue_order_id=source.venue_order_id,
            )
        )
        self.bus.publish(
            OrderReconciled(
                ts=now,
                client_order_id=diff.client_order_id,
                symbol=diff.symbol,
                action=diff.action,
                old_status=diff.local_status.value if diff.local_status else "",
                new_status=status.value,
            )
        )

    def _apply_position(self, diff: PositionDiff, now: int, n: int) -> None:
        assert self.portfolio is not None
        delta = diff.venue - diff.local
        position = self.portfolio.position(diff.symbol)
        price = diff.avg_price if diff.avg_price > 0 else (position.mark if position else None)
        if price is not None and price > 0:
            for event in self.portfolio.apply_fill(
                Fill(
                    client_order_id=f"reconcile-{self.passes}",
                    fill_id=f"reconcile-{self.passes}-{n}-{diff.symbol}",
                    symbol=diff.symbol,
                    side=OrderSide.BUY if delta > 0 else OrderSide.SELL,
                    quantity=abs(delta),
                    price=price,
                    fee=ZERO,
                    fee_currency=self.portfolio.registry.get(diff.symbol).quote,
                    ts=now,
                    liquidity=LiquiditySide.TAKER,
                )
            ):
                self.bus.publish(event)
        self.bus.publish(
            PositionMismatch(
                ts=now, symbol=diff.symbol, local=diff.local, venue=diff.venue, fixed=True
            )
        )


def _report(record: OrderRecord) -> OrderReport:
    return OrderReport(
        client_order_id=record.client_order_id,
        symbol=record.symbol,
        side=record.side,
        order_type=record.order_type,
        quantity=record.quantity,
        status=record.status,
        filled_qty=record.filled_qty,
        venue_order_id=record.venue_order_id,
        price=record.price,
        stop_price=record.trigger_price,
        avg_fill_price=record.avg_price,
    )
