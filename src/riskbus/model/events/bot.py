"""The monitoring-cycle bot's events, with the original system's names and fields.

Scenarios written for the original framework refer to these names (``wait_for_event``,
``event_count``, ``no_panic_sell``, ``final_capital`` reading ``available_capital``), so
they are kept verbatim. One cycle: ``BotMonitoringCycleStarted`` → price, capital and
positions fetched (``MarketPriceFetched``, ``CapitalRefreshed``, ``OpenedPositionsQueried``)
→ ``IndicatorsCalculated`` → ``DecisionContextReady`` → ``BuyConditionMet`` /
``SellConditionMet`` → ``PositionPurchased`` / ``PositionSold`` →
``BotMonitoringCycleCompleted``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from riskbus.core.messages import Event

__all__ = [
    "BotMonitoringCycleCompleted",
    "BotMonitoringCycleStarted",
    "BuyConditionMet",
    "CapitalRefreshed",
    "DecisionContextReady",
    "IndicatorValue",
    "IndicatorsCalculated",
    "OpenedPositionsQueried",
    "PoolPosition",
    "PositionPurchased",
    "PositionSold",
    "SellConditionMet",
]


class IndicatorValue(msgspec.Struct, frozen=True, kw_only=True):
    """One indicator reading; ``value`` is ``None`` while the indicator warms up.

    Indicators are analytics, so the value is a float; it never enters accounting.
    """

    name: str
    value: float | None
    buy_signal: bool = False
    sell_signal: bool = False


class PoolPosition(msgspec.Struct, frozen=True, kw_only=True):
    """An open position of one capital pool of the ladder bot."""

    pool: str
    pair: str
    purchase_price: Decimal
    quantity: Decimal
    expected_sale_price: Decimal | None = None
    next_purchase_price: Decimal | None = None


class BotMonitoringCycleStarted(Event, frozen=True, kw_only=True):
    """A monitoring cycle began; chaos ``at_cycle`` counts these ``cycle_number``s."""

    cycle_number: int


class CapitalRefreshed(Event, frozen=True, kw_only=True):
    """The capital the bot may still invest, in its quote currency."""

    available_capital: Decimal
    cycle_id: str = ""
    currency: str = "USDT"


class OpenedPositionsQueried(Event, frozen=True, kw_only=True):
    """The bot's open pool positions at the start of the cycle."""

    positions: tuple[PoolPosition, ...] = ()
    cycle_id: str = ""


class IndicatorsCalculated(Event, frozen=True, kw_only=True):
    """Indicators computed over ``candles_count`` candles for cycle ``cycle_id``."""

    cycle_id: str
    indicators: tuple[IndicatorValue, ...]
    current_price: Decimal
    candles_count: int


class DecisionContextReady(Event, frozen=True, kw_only=True):
    """Price, capital, positions and indicators of a cycle, gathered for the decision."""

    cycle_id: str
    current_price: Decimal
    available_capital: Decimal
    positions: tuple[PoolPosition, ...] = ()
    indicators: tuple[IndicatorValue, ...] = ()


class BuyConditionMet(Event, frozen=True, kw_only=True):
    """The buy conditions hold in cycle ``cycle_id``."""

    cycle_id: str
    indicators: tuple[IndicatorValue, ...]
    current_price: Decimal
    pool: str = ""


class SellConditionMet(Event, frozen=True, kw_only=True):
    """The sell conditions hold in cycle ``cycle_id`` (for ``pool`` when one is named)."""

    cycle_id: str
    indicators: tuple[IndicatorValue, ...]
    current_price: Decimal
    pool: str = ""


class PositionPurchased(Event, frozen=True, kw_only=True):
    """A pool bought ``quantity`` of ``pair`` at ``purchase_price``."""

    pool: str
    pair: str
    purchase_price: Decimal
    quantity: Decimal
    cycle_id: str = ""


class PositionSold(Event, frozen=True, kw_only=True):
    """A pool sold ``quantity`` of ``pair`` at ``sale_price``; ``profit`` in quote currency."""

    pool: str
    pair: str
    sale_price: Decimal
    quantity: Decimal
    profit: Decimal
    cycle_id: str = ""


class BotMonitoringCycleCompleted(Event, frozen=True, kw_only=True):
    """A monitoring cycle ended after ``duration_ms`` (virtual milliseconds in simulation)."""

    cycle_number: int
    duration_ms: int
