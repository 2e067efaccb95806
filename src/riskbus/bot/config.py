"""The settings of a monitoring-cycle bot (:class:`BotConfig`) and its run report."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["BotConfig", "BotReport"]

_ZERO = Decimal(0)


class BotConfig(BaseModel):
    """The bot's set-up (the original ``BotSetup`` plus the indicator parameters).

    Attributes:
        name: the bot's name: its pools, orders and stored state are keyed by it.
        symbol: the traded pair.
        initial_capital: the capital split across the pools (quote currency).
        pool_count: how many pools the capital is split into.
        poll_interval: seconds between cycles (one market step in simulation).
        on_error: what a strategy error does: ``continue`` or ``stop`` the bot.
        dry_run: log the orders instead of sending them.
        max_cycles: stop after this many cycles (None: run until stopped).
        rsi_period, rsi_oversold, rsi_overbought: the RSI and its buy/sell thresholds.
        macd_fast, macd_slow, macd_signal: the MACD periods.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="bot", min_length=1, max_length=64)
    symbol: str = Field(default="BTC/USDT", min_length=1)
    initial_capital: Decimal = Field(default=Decimal(10_000), gt=0)
    pool_count: int = Field(default=5, ge=1, le=1000)
    poll_interval: float = Field(default=60.0, gt=0)
    on_error: Literal["continue", "stop"] = "continue"
    dry_run: bool = False
    max_cycles: int | None = Field(default=None, ge=1)
    rsi_period: int = Field(default=14, ge=1)
    rsi_oversold: float = Field(default=30.0, ge=0, lt=100)
    rsi_overbought: float = Field(default=70.0, gt=0, le=100)
    macd_fast: int = Field(default=12, ge=1)
    macd_slow: int = Field(default=26, ge=2)
    macd_signal: int = Field(default=9, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> BotConfig:
        if self.rsi_oversold >= self.rsi_overbought:
            raise ValueError("rsi_oversold must be below rsi_overbought")
        if self.macd_fast >= self.macd_slow:
            raise ValueError("macd_fast must be below macd_slow")
        return self


@dataclass
class BotReport:
    """What a run did, for summaries: counts, the cycles of each trade, capital."""

    cycles: int = 0
    purchases_by_cycle: list[int] = field(default_factory=list)
    sales_by_cycle: list[int] = field(default_factory=list)
    failed_fetches: int = 0
    strategy_errors: int = 0
    errors: list[str] = field(default_factory=list)
    error_cycles: list[int | None] = field(default_factory=list)
    initial_capital: Decimal = _ZERO
    final_capital: Decimal = _ZERO
    peak_capital: Decimal = _ZERO
    max_drawdown: Decimal = _ZERO  # fraction of the peak
    stopped: str = ""
