"""Market data for simulations: seeded price paths by name, composed paths, candles, replay.

:func:`generate` makes a :class:`PricePath` from one of the ten scenarios of the original
mock exchange (``bull_run``, ``bear_crash``, ``sideways``, ``flash_crash``, ``volatile``,
``pump_and_dump``, ``dead_cat_bounce``, ``accumulation``, ``distribution``,
``irregular_candles``) or a stochastic model (``gbm``, ``jump_diffusion``,
``regime_switch``), all drawn from the seeded stream ``"market"``; :func:`compose` chains
them; :func:`load_ohlcv` replays a CSV or Parquet file after checking it. A path holds
one price per step (step 0 is the initial price, step ``k`` is at ``start + k*step`` ns),
quotes buy and sell prices around it, gives ``Decimal`` prices at the tick, summary
statistics and OHLCV candles. Floats live inside this layer; Decimals leave it.
"""

from __future__ import annotations

from riskbus.market.base import Scenario
from riskbus.market.candles import (
    OHLCV,
    Candle,
    CandleIntervalError,
    InvalidCandleError,
    IrregularInterval,
    MarketDataError,
    find_irregular_intervals,
    validate_candles,
)
from riskbus.market.compose import Segment, compose, parse_segments
from riskbus.market.path import DEFAULT_START, DEFAULT_STEP, PathStats, PricePath, Quote, to_tick
from riskbus.market.registry import (
    ORIGINAL_SCENARIOS,
    SCENARIOS,
    generate,
    get_scenario,
    scenario_names,
)
from riskbus.market.replay import FIELDS, HistoricalData, load_ohlcv, load_path
from riskbus.market.stochastic import per_step

__all__ = [
    "DEFAULT_START",
    "DEFAULT_STEP",
    "FIELDS",
    "OHLCV",
    "ORIGINAL_SCENARIOS",
    "SCENARIOS",
    "Candle",
    "CandleIntervalError",
    "HistoricalData",
    "InvalidCandleError",
    "IrregularInterval",
    "MarketDataError",
    "PathStats",
    "PricePath",
    "Quote",
    "Scenario",
    "Segment",
    "compose",
    "find_irregular_intervals",
    "generate",
    "get_scenario",
    "load_ohlcv",
    "load_path",
    "parse_segments",
    "per_step",
    "scenario_names",
    "to_tick",
    "validate_candles",
]
