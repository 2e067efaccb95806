"""Capital pools of the monitoring-cycle bot: the working state and its bookkeeping.

The bot splits its capital across ``pool_count`` pools (the original pool bot). A pool is
free (no position) or holds one ladder: an entry and its DCA purchases, sold together. The
runner books each fill into its pool (:meth:`PoolState.book_buy`, :meth:`PoolState.book_sell`)
and writes the pool through a :class:`~riskbus.store.pools.PoolRepository`; the strategy sets
the ladder's targets (``expected_sale_price``, ``next_purchase_price``) and may raise the sale
price with a trailing stop. Money is ``Decimal`` throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from riskbus.model.events.bot import PoolPosition
from riskbus.store.pools import (
    InMemoryPoolRepository,
    PoolRecord,
    PoolRepository,
    SqlPoolRepository,
)

__all__ = [
    "InMemoryPoolRepository",
    "PoolRecord",
    "PoolRepository",
    "PoolState",
    "SqlPoolRepository",
    "split_capital",
]

_ZERO = Decimal(0)


@dataclass(slots=True, kw_only=True)
class PoolState:
    """One pool as the running bot sees it (mutable; see :class:`PoolRecord` for fields)."""

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

    @property
    def is_open(self) -> bool:
        """Whether the pool holds a position."""
        return self.quantity > 0

    @property
    def average_price(self) -> Decimal | None:
        """What one unit of the open position cost, fees included (None when free)."""
        return self.cost / self.quantity if self.quantity > 0 else None

    def book_buy(self, quantity: Decimal, price: Decimal, fee: Decimal) -> None:
        """Book a purchase fill: ``quantity`` at ``price``, ``fee`` in quote currency."""
        spent = quantity * price + fee
        self.capital -= spent
        self.cost += spent
        self.quantity += quantity

    def book_sell(self, quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Book a sale fill and return its profit (proceeds less fee less the cost sold)."""
        held = self.quantity
        quantity = min(quantity, held)
        cost = self.cost if quantity == held else self.cost * quantity / held
        proceeds = quantity * price - fee
        self.capital += proceeds
        self.cost -= cost
        self.quantity = held - quantity
        profit = proceeds - cost
        self.realized_pnl += profit
        if self.quantity <= 0:
            self.close()
        return profit

    def close(self) -> None:
        """Forget the ladder after its last unit was sold; the pool is free again."""
        self.quantity = _ZERO
        self.cost = _ZERO
        self.entries = 0
        self.last_purchase_price = None
        self.expected_sale_price = None
        self.next_purchase_price = None
        self.trailing = False
        self.opened_cycle = None

    def position(self) -> PoolPosition:
        """Return the open position as the ``PoolPosition`` carried by bot events."""
        return PoolPosition(
            pool=self.name,
            pair=self.pair,
            purchase_price=self.average_price or _ZERO,
            quantity=self.quantity,
            expected_sale_price=self.expected_sale_price,
            next_purchase_price=self.next_purchase_price,
        )

    def to_record(self, bot: str) -> PoolRecord:
        """Return the stored form of this pool for ``bot``."""
        return PoolRecord(
            bot=bot,
            name=self.name,
            pair=self.pair,
            capital=self.capital,
            quantity=self.quantity,
            cost=self.cost,
            entries=self.entries,
            last_purchase_price=self.last_purchase_price,
            expected_sale_price=self.expected_sale_price,
            next_purchase_price=self.next_purchase_price,
            trailing=self.trailing,
            realized_pnl=self.realized_pnl,
            purchases=self.purchases,
            sales=self.sales,
            opened_cycle=self.opened_cycle,
        )

    @classmethod
    def from_record(cls, record: PoolRecord) -> PoolState:
        """Rebuild the working state of a stored pool."""
        return cls(
            name=record.name,
            pair=record.pair,
            capital=record.capital,
            quantity=record.quantity,
            cost=record.cost,
            entries=record.entries,
            last_purchase_price=record.last_purchase_price,
            expected_sale_price=record.expected_sale_price,
            next_purchase_price=record.next_purchase_price,
            trailing=record.trailing,
            realized_pnl=record.realized_pnl,
            purchases=record.purchases,
            sales=record.sales,
            opened_cycle=record.opened_cycle,
        )


def split_capital(capital: Decimal, count: int, pair: str) -> list[PoolState]:
    """Split ``capital`` into ``count`` pools ``pool-1`` ...; the last takes the remainder.

    The shares are rounded down to the cent so that they add up to ``capital`` exactly.
    """
    if count < 1:
        raise ValueError(f"pool count must be at least 1, got {count}")
    share = (capital / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    pools = [PoolState(name=f"pool-{i + 1}", pair=pair, capital=share) for i in range(count)]
    pools[-1].capital = capital - share * (count - 1)
    return pools
