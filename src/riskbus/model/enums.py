"""Enumerations of the domain: sides, order types and statuses, instrument kinds, states.

All are ``StrEnum``s, so they compare equal to their value, serialize as that value in
JSON (``"BUY"``) and read naturally in YAML. State-like enums use upper-case values;
the two that users write in configs (:class:`InstrumentKind`, :class:`RiskAction`) use
the lower-case spelling of ARCHITECTURE.md (``"spot"``, ``"close_position"``).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from riskbus.core.errors import InvalidValueError

__all__ = [
    "InstrumentKind",
    "LiquiditySide",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "PositionSide",
    "RiskAction",
    "TimeInForce",
    "TradingState",
    "parse_enum",
]

_E = TypeVar("_E", bound=StrEnum)

_ONE = Decimal(1)


class OrderSide(StrEnum):
    """The side of an order or fill."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> Decimal:
        """``+1`` for a buy, ``-1`` for a sell: multiply a quantity to get a signed delta."""
        return _ONE if self is OrderSide.BUY else -_ONE

    @property
    def opposite(self) -> OrderSide:
        """The other side (what closes a position opened on this side)."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    """How an order is priced: at market, at a limit, or once a stop price trades."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def needs_price(self) -> bool:
        """Whether the order carries a limit ``price``."""
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        """Whether the order carries a ``stop_price`` (and can be triggered)."""
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    """How long an order works: until canceled, immediate-or-cancel, fill-or-kill."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Where an order is in its life; see :data:`riskbus.model.order_status.TRANSITIONS`."""

    INITIALIZED = "INITIALIZED"
    DENIED = "DENIED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    TRIGGERED = "TRIGGERED"
    PENDING_CANCEL = "PENDING_CANCEL"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether the order can no longer work at the venue (late fills may still land)."""
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Whether the order may still work at the venue (``UNKNOWN`` counts as open)."""
        return self not in _TERMINAL and self is not OrderStatus.INITIALIZED


_TERMINAL = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
    }
)


class LiquiditySide(StrEnum):
    """Whether a fill added liquidity (maker) or took it (taker)."""

    MAKER = "MAKER"
    TAKER = "TAKER"


class PositionSide(StrEnum):
    """The direction of a net position."""

    LONG = "LONG"
    SHORT = "SHORT"
    FLAT = "FLAT"


class InstrumentKind(StrEnum):
    """What is traded: a spot pair, a dated future, or a perpetual swap."""

    SPOT = "spot"
    FUTURE = "future"
    PERP = "perp"

    @property
    def is_derivative(self) -> bool:
        """Whether fills settle margin-style (only P&L and fees move cash)."""
        return self is not InstrumentKind.SPOT


class TradingState(StrEnum):
    """What the risk engine lets through.

    ``ACTIVE``: all orders. ``REDUCING``: only orders that reduce exposure. ``HALTED``: only
    enforcement orders (a lockout or a kill switch).
    """

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class RiskAction(StrEnum):
    """What a breached risk rule asks for (ARCHITECTURE.md §3, "Risk rule")."""

    DENY = "deny"
    CLOSE_POSITION = "close_position"
    REDUCE_TO_LIMIT = "reduce_to_limit"
    FLATTEN_ALL = "flatten_all"
    CANCEL_ALL_ORDERS = "cancel_all_orders"
    LOCKOUT = "lockout"
    COOLDOWN = "cooldown"
    MOVE_STOP = "move_stop"
    ALERT = "alert"


def parse_enum(enum: type[_E], value: object, field: str) -> _E:
    """Return the member of ``enum`` whose value is ``value`` (a member or its string).

    Raises:
        InvalidValueError: naming ``field``, the value and the allowed values.
    """
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    choices = ", ".join(member.value for member in enum)
    raise InvalidValueError.for_value(field, value, f"must be one of {choices}")
