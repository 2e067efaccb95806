"""Plain, immutable values that the store repositories take and return.

Every timestamp is an ``int`` of nanoseconds since the Unix epoch, passed in by the caller:
the store never reads the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from riskbus.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.fills import Fill

__all__ = [
    "AuditEntry",
    "DailyPnl",
    "LockoutKind",
    "LockoutRecord",
    "LockoutScope",
    "OrderRecord",
    "ResetEntry",
    "ResetKind",
    "TimerRecord",
    "TradeRecord",
]


class LockoutScope(StrEnum):
    """What a lockout applies to."""

    ACCOUNT = "account"
    SYMBOL = "symbol"


class LockoutKind(StrEnum):
    """A hard lockout lasts until cleared; a cooldown ends at ``until``."""

    HARD = "hard"
    COOLDOWN = "cooldown"


class ResetKind(StrEnum):
    """Which periodic reset ran."""

    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class DailyPnl:
    """Realized P&L, fees and trade count of one account, trading day and symbol."""

    account: str
    trading_day: str
    symbol: str
    realized: Decimal
    fees: Decimal
    trade_count: int


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One stored fill."""

    fill_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts: int

    @classmethod
    def from_fill(cls, fill: Fill) -> TradeRecord:
        """Build a record from a validated :class:`~riskbus.model.fills.Fill`."""
        return cls(
            fill_id=fill.fill_id,
            client_order_id=fill.client_order_id,
            symbol=fill.symbol,
            side=fill.side,
            quantity=fill.quantity,
            price=fill.price,
            fee=fill.fee,
            ts=fill.ts,
        )


@dataclass(frozen=True, slots=True)
class LockoutRecord:
    """A lockout; ``until`` is ``None`` when it lasts until a condition clears it."""

    scope: LockoutScope
    target: str
    rule: str
    reason: str
    kind: LockoutKind
    started_at: int
    until: int | None = None
    cleared_at: int | None = None
    cleared_by: str | None = None
    id: int | None = None

    def active_at(self, ts: int) -> bool:
        """Return whether the lockout is in force at ``ts``."""
        if self.cleared_at is not None and self.cleared_at <= ts:
            return False
        return self.until is None or ts < self.until


@dataclass(frozen=True, slots=True)
class TimerRecord:
    """A named timer; ``interval`` (ns) is ``None`` for a one-shot timer."""

    name: str
    fire_at: int
    interval: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResetEntry:
    """One periodic reset that ran."""

    trading_day: str
    kind: ResetKind
    ts: int


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """The full spec and latest known state of one order."""

    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    status: OrderStatus
    updated_at: int
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    strategy: str = ""
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    venue_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit entry."""

    ts: int
    actor: str
    action: str
    outcome: str
    details: dict[str, Any] = field(default_factory=dict)
