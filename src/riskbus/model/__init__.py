"""The domain model: instruments, orders, fills, positions, the portfolio, and every message.

Pure and synchronous, with no I/O and no clock: instruments know their price and size grids
and contract economics (:class:`Instrument`, :func:`default_registry`); an :class:`Order`
moves through an explicit transition table as order events are applied and refuses illegal
moves; :class:`Position` and :class:`Portfolio` book :class:`Fill`s with average-cost,
exactly conserved ``Decimal`` accounting for spot (cash) and futures/perps (margin-style);
and :mod:`riskbus.model.events` with :mod:`riskbus.model.commands` is the catalogue of
events and commands on the bus. Importing this package registers every message type.
"""

from __future__ import annotations

from riskbus.model import commands, events
from riskbus.model.catalogue import BUILTIN_INSTRUMENTS, InstrumentRegistry, default_registry
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    FetchBalances,
    FetchFills,
    FetchOpenOrders,
    FetchOrder,
    FetchPositions,
    FetchPrice,
    FlattenAll,
    KillSwitch,
    ReducePosition,
    SetTradingState,
    SubmitOrder,
)
from riskbus.model.enums import (
    InstrumentKind,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    RiskAction,
    TimeInForce,
    TradingState,
)
from riskbus.model.errors import (
    DuplicateFillError,
    InvalidOrderTransition,
    MissingMarkPriceError,
    OrderOverfillError,
    OrderStateError,
)
from riskbus.model.fills import Fill
from riskbus.model.instruments import Instrument
from riskbus.model.order_status import (
    EVENT_TRIGGERS,
    RESUME,
    TRANSITIONS,
    OrderTrigger,
    allowed_triggers,
)
from riskbus.model.orders import Order
from riskbus.model.portfolio import Portfolio
from riskbus.model.positions import Position
from riskbus.model.reasons import format_reason, parse_reason, reason_code

__all__ = [
    "BUILTIN_INSTRUMENTS",
    "EVENT_TRIGGERS",
    "RESUME",
    "TRANSITIONS",
    "CancelAllOrders",
    "CancelOrder",
    "ClosePosition",
    "DuplicateFillError",
    "FetchBalances",
    "FetchFills",
    "FetchOpenOrders",
    "FetchOrder",
    "FetchPositions",
    "FetchPrice",
    "Fill",
    "FlattenAll",
    "Instrument",
    "InstrumentKind",
    "InstrumentRegistry",
    "InvalidOrderTransition",
    "KillSwitch",
    "LiquiditySide",
    "MissingMarkPriceError",
    "Order",
    "OrderOverfillError",
    "OrderSide",
    "OrderStateError",
    "OrderStatus",
    "OrderTrigger",
    "OrderType",
    "Portfolio",
    "Position",
    "PositionSide",
    "ReducePosition",
    "RiskAction",
    "SetTradingState",
    "SubmitOrder",
    "TimeInForce",
    "TradingState",
    "allowed_triggers",
    "commands",
    "default_registry",
    "events",
    "format_reason",
    "parse_reason",
    "reason_code",
]
