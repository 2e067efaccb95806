"""Repositories for orders (upserted by ``client_order_id``) and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from riskbus.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.store.records import AuditEntry, OrderRecord
from riskbus.store.schema import AuditRow, OrderRow, Repository

__all__ = ["AuditRepository", "OrderRepository"]

_FIELDS = (
    "symbol",
    "side",
    "order_type",
    "quantity",
    "price",
    "trigger_price",
    "time_in_force",
    "reduce_only",
    "strategy",
    "status",
    "filled_qty",
    "avg_price",
    "venue_order_id",
    "updated_at",
)


def _order(row: OrderRow) -> OrderRecord:
    return OrderRecord(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=OrderSide(row.side),
        order_type=OrderType(row.order_type),
        quantity=row.quantity,
        price=row.price,
        trigger_price=row.trigger_price,
        time_in_force=TimeInForce(row.time_in_force),
        reduce_only=row.reduce_only,
        strategy=row.strategy,
        status=OrderStatus(row.status),
        filled_qty=row.filled_qty,
        avg_price=row.avg_price,
        venue_order_id=row.venue_order_id,
        updated_at=row.updated_at,
    )


class OrderRepository(Repository):
    """The latest known state of every order."""

    def upsert(self, order: OrderRecord) -> None:
        """Insert the order, or replace the stored state of the same ``client_order_id``."""
        values = {name: getattr(order, name) for name in _FIELDS}
        for name in ("side", "order_type", "time_in_force", "status"):
            values[name] = str(values[name])
        with self._sessions.begin() as session:
            row = session.get(OrderRow, order.client_order_id, with_for_update=True)
            if row is None:
                session.add(OrderRow(client_order_id=order.client_order_id, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)

    def get(self, client_order_id: str) -> OrderRecord | None:
        """Return one order, or ``None``."""
        with self._sessions() as session:
            row = session.get(OrderRow, client_order_id)
            return None if row is None else _order(row)

    def open_orders(self) -> list[OrderRecord]:
        """Return the orders not in a terminal status, oldest update first."""
        return [order for order in self.all() if not order.status.is_terminal]

    def all(self) -> list[OrderRecord]:
        """Return every order, ordered by ``updated_at`` then id."""
        query = select(OrderRow).order_by(OrderRow.updated_at, OrderRow.client_order_id)
        with self._sessions() as session:
            return [_order(row) for row in session.scalars(query)]


class AuditRepository(Repository):
    """An append-only audit log."""

    def append(self, entry: AuditEntry) -> None:
        """Append one entry."""
        with self._sessions.begin() as session:
            session.add(
                AuditRow(
                    ts=entry.ts,
                    actor=entry.actor,
                    action=entry.action,
                    details=dict(entry.details),
                    outcome=entry.outcome,
                )
            )

    def entries(self, *, since: int | None = None) -> list[AuditEntry]:
        """Return entries in the order written, optionally from ``since`` (ns)."""
        query = select(AuditRow).order_by(AuditRow.id)
        if since is not None:
            query = query.where(AuditRow.ts >= since)
        with self._sessions() as session:
            return [
                AuditEntry(
                    ts=row.ts,
                    actor=row.actor,
                    action=row.action,
                    outcome=row.outcome,
                    details=dict(row.details),
                )
                for row in session.scalars(query)
            ]
