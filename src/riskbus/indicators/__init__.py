"""Incremental technical indicators: SMA, EMA, RSI, MACD, Bollinger Bands and ATR.

Each indicator is a small slotted object fed one input at a time with ``update(...)`` in
O(1) (ring buffers and running sums, periodically recomputed exactly so that rounding
never drifts), with ``value`` (``None`` until warm), ``ready``, ``period``, ``warmup`` (how
many inputs until ready) and ``reset()``. Floats are used throughout: indicators are
analytics, never accounting. ``signals`` turns readings into the ``buy_signal`` /
``sell_signal`` pairs the bot's ``IndicatorsCalculated`` event carries, and provides the
strict ``crossover``/``crossunder`` tests. The package imports only ``riskbus.core``.
"""

from __future__ import annotations

from riskbus.indicators.moving_average import EMA, RESYNC_UPDATES, SMA
from riskbus.indicators.oscillators import MACD, RSI, MACDValue
from riskbus.indicators.signals import (
    CrossTracker,
    IndicatorSignal,
    crossover,
    crossunder,
    macd_signal,
    rsi_signal,
)
from riskbus.indicators.volatility import ATR, BollingerBands, BollingerValue

__all__ = [
    "ATR",
    "EMA",
    "MACD",
    "RESYNC_UPDATES",
    "RSI",
    "SMA",
    "BollingerBands",
    "BollingerValue",
    "CrossTracker",
    "IndicatorSignal",
    "MACDValue",
    "crossover",
    "crossunder",
    "macd_signal",
    "rsi_signal",
]
