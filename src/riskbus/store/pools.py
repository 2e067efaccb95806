"""The pool ladder bot's durable state: one row per capital pool, one per bot run.

A restarted bot reads its pools back (cash, open quantity, cost, ladder targets, trailing
state) and the number of its last completed monitoring cycle, and carries on where it
stopped. :class:`PoolRepository` is the interface the bot uses; :class:`InMemoryPoolRepository`
keeps copies in memory (simulations and tests), :class:`SqlPoolRepository` writes through
the store (SQLite or PostgreSQL, tables ``bot_pools`` and ``bot_runs`` of revision 0002),
each write committed before it returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from riskbus.store.engine import Store
from riskbus.store.schema import Base, DecimalText

__all__ = [
    "BotRunRow",
    "InMemoryPoolRepository",
    "PoolRecord",
    "PoolRepository",
    "PoolRow",
    "SqlPoolRepository",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolRecord:
    """The stored state of one capital pool of a bot.

    Attributes:
        bot: the bot the pool belongs to.
        name: the pool's name, unique per bot (``pool-1`` ...).
        pair: the traded symbol.
        capital: the pool's free cash in quote currency.
        quantity: the base quantity the pool holds (0 when the pool is free).
        cost: what the open quantity cost, fees included.
        entries: purchases in the current ladder (the entry and its DCA buys).
        last_purchase_price: the price of the latest purchase of the ladder.
        expected_sale_price: sell at or above this price (raised by a trailing stop).
        next_purchase_price: buy more (DCA) at or below this price.
        trailing: whether the trailing stop is armed.
        realized_pnl: profit of the pool's completed sales, fees included.
        purchases: how many purchases the pool made.
        sales: how many sales the pool made.
        opened_cycle: the cycle the current ladder began, if one is open.
    """

    bot: str
    name: str
    pair: str
    capital: Decimal
    quantity: Decimal = _ZERO
    cost: Decimal = _ZERO
    entries: int = 0
    last_purchase_price: Decimal | None = None
    expected_sale_price: Decimal | None = None
    next_purchase_price: Decimal | None = None
    trailing: bool = False
    realized_pnl: Decimal = _ZERO
    purchases: int = 0
    sales: int = 0
    opened_cycle: int | None = None


class PoolRepository(ABC):
    """Where a bot keeps its pools and the number of its last completed cycle."""

    @abstractmethod
    def pools(self, bot: str) -> list[PoolRecord]:
        """Return the pools of ``bot`` ordered by name (empty for a new bot)."""

    @abstractmethod
    def save(self, pool: PoolRecord) -> None:
        """Insert or replace one pool."""

    @abstractmethod
    def last_cycle(self, bot: str) -> int:
        """Return the number of the last completed cycle of ``bot`` (0 for a new bot)."""

    @abstractmethod
    def save_cycle(self, bot: str, cycle: int, ts: int) -> None:
        """Record that ``bot`` completed cycle ``cycle`` at ``ts`` (ns)."""

    @abstractmethod
    def clear(self, bot: str) -> None:
        """Forget every pool and the cycle count of ``bot``."""


class InMemoryPoolRepository(PoolRepository):
    """Pools kept in memory: records are immutable, so what is saved cannot change."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str, str], PoolRecord] = {}
        self._cycles: dict[str, int] = {}

    def pools(self, bot: str) -> list[PoolRecord]:
        return sorted((p for (b, _), p in self._pools.items() if b == bot), key=_pool_key)

    def save(self, pool: PoolRecord) -> None:
        self._pools[(pool.bot, pool.name)] = pool

    def last_cycle(self, bot: str) -> int:
        return self._cycles.get(bot, 0)

    def save_cycle(self, bot: str, cycle: int, ts: int) -> None:
        self._cycles[bot] = cycle

    def clear(self, bot: str) -> None:
        for key in [k for k in self._pools if k[0] == bot]:
            del self._pools[key]
        self._cycles.pop(bot, None)


def _pool_key(pool: PoolRecord) -> tuple[int, str]:
    return len(pool.name), pool.name  # pool-2 before pool-10


class PoolRow(Base):
    """One capital pool of a bot."""

    __tablename__ = "bot_pools"
    bot: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    pair: Mapped[str] = mapped_column(String(64))
    capital: Mapped[Decimal] = mapped_column(DecimalText())
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    cost: Mapped[Decimal] = mapped_column(DecimalText())
    entries: Mapped[int] = mapped_column(Integer)
    last_purchase_price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    expected_sale_price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    next_purchase_price: Mapped[Decimal | None] = mapped_column(DecimalText(), nullable=True)
    trailing: Mapped[bool] = mapped_column(Boolean)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText())
    purchases: Mapped[int] = mapped_column(Integer)
    sales: Mapped[int] = mapped_column(Integer)
    opened_cycle: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class BotRunRow(Base):
    """The last completed monitoring cycle of a bot."""

    __tablename__ = "bot_runs"
    bot: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_cycle: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


_FIELDS = (
    "pair",
    "capital",
    "quantity",
    "cost",
    "entries",
    "last_purchase_price",
    "expected_sale_price",
    "next_purchase_price",
    "trailing",
    "realized_pnl",
    "purchases",
    "sales",
    "opened_cycle",
)


def _record(row: PoolRow) -> PoolRecord:
    return PoolRecord(bot=row.bot, name=row.name, **{f: getattr(row, f) for f in _FIELDS})


class SqlPoolRepository(PoolRepository):
    """Pools in the store's database; every write is committed before it returns.

    Args:
        store: an open store (its migrations create the tables).
    """

    def __init__(self, store: Store) -> None:
        self._sessions: sessionmaker[Session] = sessionmaker(store.engine, expire_on_commit=False)

    def pools(self, bot: str) -> list[PoolRecord]:
        query = select(PoolRow).where(PoolRow.bot == bot)
        with self._sessions() as session:
            return sorted((_record(row) for row in session.scalars(query)), key=_pool_key)

    def save(self, pool: PoolRecord) -> None:
        values = {f: getattr(pool, f) for f in _FIELDS}
        with self._sessions.begin() as session:
            row = session.get(PoolRow, (pool.bot, pool.name), with_for_update=True)
            if row is None:
                session.add(PoolRow(bot=pool.bot, name=pool.name, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)

    def last_cycle(self, bot: str) -> int:
        with self._sessions() as session:
            row = session.get(BotRunRow, bot)
            return 0 if row is None else row.last_cycle

    def save_cycle(self, bot: str, cycle: int, ts: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(BotRunRow, bot, with_for_update=True)
            if row is None:
                session.add(BotRunRow(bot=bot, last_cycle=cycle, updated_at=ts))
            else:
                row.last_cycle = cycle
                row.updated_at = ts

    def clear(self, bot: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(PoolRow).where(PoolRow.bot == bot))
            session.execute(delete(BotRunRow).where(BotRunRow.bot == bot))
