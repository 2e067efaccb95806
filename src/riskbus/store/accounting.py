"""Repositories for daily P&L, trades (fills) and the reset log."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from riskbus.model.enums import OrderSide
from riskbus.store.records import DailyPnl, ResetEntry, ResetKind, TradeRecord
from riskbus.store.schema import DailyPnlRow, Repository, ResetRow, TradeRow

__all__ = ["DailyPnlRepository", "ResetLogRepository", "TradeRepository"]


def _pnl(row: DailyPnlRow) -> DailyPnl:
    return DailyPnl(
        account=row.account,
        trading_day=row.trading_day,
        symbol=row.symbol,
        realized=row.realized,
        fees=row.fees,
        trade_count=row.trade_count,
    )


class DailyPnlRepository(Repository):
    """Realized P&L, fees and trade counts per account, trading day and symbol."""

    def add(
        self,
        account: str,
        trading_day: str,
        symbol: str,
        *,
        realized: Decimal,
        fees: Decimal,
        trades: int = 1,
    ) -> DailyPnl:
        """Add to the running totals and return the new totals.

        Args:
            account: the account name.
            trading_day: the trading day, ``YYYY-MM-DD``.
            symbol: the instrument symbol.
            realized: realized P&L to add.
            fees: fees to add.
            trades: number of trades to add.

        Returns:
            The totals after the addition.
        """
        with self._sessions.begin() as session:
            row = session.get(DailyPnlRow, (account, trading_day, symbol), with_for_update=True)
            if row is None:
                row = DailyPnlRow(
                    account=account,
                    trading_day=trading_day,
                    symbol=symbol,
                    realized=realized,
                    fees=fees,
                    trade_count=trades,
                )
                session.add(row)
            else:
                row.realized = row.realized + realized
                row.fees = row.fees + fees
                row.trade_count = row.trade_count + trades
            session.flush()
            return _pnl(row)

    def get(self, account: str, trading_day: str, symbol: str) -> DailyPnl | None:
        """Return the totals of one account, day and symbol, or ``None``."""
        with self._sessions() as session:
            row = session.get(DailyPnlRow, (account, trading_day, symbol))
            return None if row is None else _pnl(row)

    def for_day(self, account: str, trading_day: str) -> list[DailyPnl]:
        """Return every symbol's totals for one account and day, sorted by symbol."""
        query = (
            select(DailyPnlRow)
            .where(DailyPnlRow.account == account, DailyPnlRow.trading_day == trading_day)
            .order_by(DailyPnlRow.symbol)
        )
        with self._sessions() as session:
            return [_pnl(row) for row in session.scalars(query)]


def _trade(row: TradeRow) -> TradeRecord:
    return TradeRecord(
        fill_id=row.fill_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=OrderSide(row.side),
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        ts=row.ts,
    )


class TradeRepository(Repository):
    """Fills, stored once each by ``fill_id``."""

    def record(self, trade: TradeRecord) -> bool:
        """Store a fill unless one with the same ``fill_id`` is already stored.

        Returns:
            ``True`` if the fill was new, ``False`` if it was a duplicate.
        """
        try:
            with self._sessions.begin() as session:
                query = select(TradeRow.id).where(TradeRow.fill_id == trade.fill_id)
                if session.scalar(query) is not None:
                    return False
                session.add(
                    TradeRow(
                        fill_id=trade.fill_id,
                        client_order_id=trade.client_order_id,
                        symbol=trade.symbol,
                        side=str(trade.side),
                        quantity=trade.quantity,
                        price=trade.price,
                        fee=trade.fee,
                        ts=trade.ts,
                    )
                )
        except IntegrityError:  # pragma: no cover - a concurrent writer won the race
            return False
        return True

    def get(self, fill_id: str) -> TradeRecord | None:
        """Return one fill by id, or ``None``."""
        with self._sessions() as session:
            row = session.scalar(select(TradeRow).where(TradeRow.fill_id == fill_id))
            return None if row is None else _trade(row)

    def find(
        self, *, client_order_id: str | None = None, since: int | None = None
    ) -> list[TradeRecord]:
        """Return fills in time order, optionally for one order or from ``since`` (ns)."""
        query = select(TradeRow).order_by(TradeRow.ts, TradeRow.id)
        if client_order_id is not None:
            query = query.where(TradeRow.client_order_id == client_order_id)
        if since is not None:
            query = query.where(TradeRow.ts >= since)
        with self._sessions() as session:
            return [_trade(row) for row in session.scalars(query)]

    def count(self) -> int:
        """Return how many fills are stored."""
        return len(self.find())


class ResetLogRepository(Repository):
    """Which daily and weekly resets have run."""

    def record(self, entry: ResetEntry) -> None:
        """Store one reset."""
        with self._sessions.begin() as session:
            session.add(ResetRow(trading_day=entry.trading_day, kind=str(entry.kind), ts=entry.ts))

    def has_run(self, trading_day: str, kind: ResetKind) -> bool:
        """Return whether a reset of ``kind`` ran for ``trading_day``."""
        query = select(ResetRow.id).where(
            ResetRow.trading_day == trading_day, ResetRow.kind == str(kind)
        )
        with self._sessions() as session:
            return session.scalar(query) is not None

    def last(self, kind: ResetKind) -> ResetEntry | None:
        """Return the latest reset of ``kind``, or ``None``."""
        query = (
            select(ResetRow)
            .where(ResetRow.kind == str(kind))
            .order_by(ResetRow.ts.desc(), ResetRow.id.desc())
            .limit(1)
        )
        with self._sessions() as session:
            row = session.scalar(query)
            if row is None:
                return None
            return ResetEntry(trading_day=row.trading_day, kind=ResetKind(row.kind), ts=row.ts)
