"""``pool_ladder``: the original pool bot's take-profit ladder (a monitoring-cycle strategy).

The runner splits the capital across ``pool_count`` pools. Each cycle, for each pool:

* **Free pool**: when the entry signal holds (by default the RSI *or* the MACD buy signal
  of ``IndicatorsCalculated``), buy one rung: the pool's cash over its remaining rungs
  (``max_entries``), at most ``max_new_pools_per_cycle`` new pools a cycle.
* **Open pool**:

  - **stop loss** (only when ``stop_loss`` is set): sell everything when the price falls
    ``stop_loss`` below the average cost. Without it the ladder never sells at a loss: it
    holds through a crash (no panic selling) and buys more;
  - **take profit**: sell everything when the price reaches ``expected_sale_price`` (the
    average cost, fees included, plus ``take_profit``);
  - **trailing stop** (when ``trailing_stop`` is set): reaching the sale price arms the stop
    instead of selling; from then on the sale price is raised to ``price × (1 −
    trailing_stop)`` whenever that is higher, never lowered, and the pool sells when the price
    falls back to it;
  - **DCA**: buy the next rung when the price falls to ``next_purchase_price`` (the last
    purchase price less ``dca_step``), up to ``max_entries`` purchases.

After each purchase the targets are recomputed from the pool's new average cost (and the
trailing stop disarmed); after the sale the pool is free again.

**Prediction filter** (``prediction_filter``, optional): a prediction's direction and
confidence (e.g. from ``POST /api/v1/predictions``) gate the entries. New pools open only
while the direction is one of ``allow`` (default ``up``) and the confidence is at least
``min_confidence``; open pools are managed (take profit, DCA, stops) either way. A live bot
passes fresher predictions to :meth:`PoolLadder.update_prediction`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from riskbus.bot.pools import PoolState
from riskbus.bot.runner import Cycle
from riskbus.bot.strategy import Strategy, StrategyContext
from riskbus.model.events.bot import PositionPurchased, PositionSold

__all__ = ["PoolLadder", "PoolLadderConfig", "PredictionFilter"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_PRICE_PLACES = Decimal("1e-8")
_LOWEST = Decimal("-Infinity")
_HIGHEST = Decimal("Infinity")

EntrySignal = Literal["any", "all", "rsi", "macd", "always"]
Direction = Literal["up", "down", "flat"]


class PredictionFilter(BaseModel):
    """A prediction that gates the entries (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: Direction
    confidence: float = Field(ge=0, le=1)
    min_confidence: float = Field(default=0.70, ge=0, le=1)
    allow: tuple[Direction, ...] = Field(default=("up",), min_length=1)

    def allows_entry(self) -> bool:
        """Whether the prediction lets the bot open new pools."""
        return self.direction in self.allow and self.confidence >= self.min_confidence


class PoolLadderConfig(BaseModel):
    """Parameters of :class:`PoolLadder`; fractions, not percent (0.02 is 2 %)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_signal: EntrySignal = "any"
    max_entries: int = Field(default=4, ge=1, le=100)
    max_new_pools_per_cycle: int = Field(default=1, ge=1)
    take_profit: Decimal = Field(default=Decimal("0.02"), gt=0, lt=10)
    dca_step: Decimal = Field(default=Decimal("0.02"), gt=0, lt=1)
    trailing_stop: Decimal | None = Field(default=None, gt=0, lt=1)
    stop_loss: Decimal | None = Field(default=None, gt=0, lt=1)
    fee_reserve: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    prediction_filter: PredictionFilter | None = None


class PoolLadder(Strategy):
    """The pool ladder; see the module docstring.

    Args:
        config: a :class:`PoolLadderConfig`; without one, ``params`` are parsed into one.
        params: the config as a mapping (as loaded from YAML).
    """

    name = "pool_ladder"

    def __init__(
        self, config: PoolLadderConfig | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(params)
        self.config = config if config is not None else PoolLadderConfig.model_validate(self.params)
        cfg = self.config
        self._sale_factor = _ONE + cfg.take_profit
        self._dca_factor = _ONE - cfg.dca_step
        self._trail_factor = _ONE - cfg.trailing_stop if cfg.trailing_stop is not None else None
        self._stop_factor = _ONE - cfg.stop_loss if cfg.stop_loss is not None else None
        self._cost_factor = _ONE + cfg.fee_reserve
        self._plain = cfg.trailing_stop is None and cfg.stop_loss is None
        self._entries_blocked = False
        self.update_prediction(cfg.prediction_filter)
        #: (highest DCA price, lowest sale price, a pool is free) over the pools, cached
        #: until a pool's order completes (``on_position``).
        self._band: tuple[Decimal, Decimal, bool] | None = None

    def update_prediction(self, prediction: PredictionFilter | None) -> None:
        """Gate the entries with a newer prediction (None: no gate)."""
        self._entries_blocked = prediction is not None and not prediction.allows_entry()

    # -- hooks -------------------------------------------------------------------------

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        """Manage the open pools, then enter free pools while the entry signal holds."""
        current = ctx.cycle
        if current is None:
            return
        price = current.price.current_price
        plain = self._plain
        if plain:  # the quiet band: no pool can buy or sell at this price
            band = self._band
            if band is None:
                band = self._band = self._quiet_band(current.pools)
            low, high, free = band
            if low < price < high and not (free and self.entry_signal(current)):
                return
        busy = current.busy_pools
        entries = 0
        signal: bool | None = None
        for pool in current.pools:
            if pool.name in busy:
                continue
            if pool.quantity > 0:
                self._manage(current, pool, price)
                continue
            if entries >= self.config.max_new_pools_per_cycle:
                continue
            if signal is None:
                signal = self.entry_signal(current)
            if signal and self._buy(current, pool, "entry"):
                entries += 1

    def on_position(
        self, ctx: StrategyContext, pool: PoolState, event: PositionPurchased | PositionSold
    ) -> None:
        """After a purchase, set the sale and next purchase prices from the new average."""
        self._band = None  # the pools changed
        if not isinstance(event, PositionPurchased) or pool.quantity <= 0:
            return
        average = pool.cost / pool.quantity
        pool.expected_sale_price = (average * self._sale_factor).quantize(_PRICE_PLACES)
        pool.next_purchase_price = (event.purchase_price * self._dca_factor).quantize(_PRICE_PLACES)
        pool.trailing = False

    # -- rules -------------------------------------------------------------------------

    def _quiet_band(self, pools: list[PoolState]) -> tuple[Decimal, Decimal, bool]:
        """Return the prices strictly between which no open pool buys or sells."""
        low, high, free = _LOWEST, _HIGHEST, False
        for pool in pools:
            if pool.quantity <= 0:
                free = True
                continue
            below = pool.next_purchase_price
            if below is not None and pool.entries < self.config.max_entries and below > low:
                low = below
            target = pool.expected_sale_price
            if target is not None and target < high:
                high = target
        return low, high, free

    def entry_signal(self, cycle: Cycle) -> bool:
        """Whether the configured entry signal holds in ``cycle`` (and the prediction agrees)."""
        if self._entries_blocked:
            return False
        mode = self.config.entry_signal
        if mode == "always":
            return True
        rsi_buy = macd_buy = False
        for reading in cycle.indicators:
            if reading.name == "RSI":
                rsi_buy = reading.buy_signal
            elif reading.name == "MACD":
                macd_buy = reading.buy_signal
        if mode == "rsi":
            return rsi_buy
        if mode == "macd":
            return macd_buy
        if mode == "all":
            return rsi_buy and macd_buy
        return rsi_buy or macd_buy

    def _manage(self, cycle: Cycle, pool: PoolState, price: Decimal) -> None:
        stop = self._stop_factor
        if stop is not None and price <= pool.cost / pool.quantity * stop:
            cycle.sell(pool, reason="stop_loss")
            return
        target = pool.expected_sale_price
        if target is not None:
            trail = self._trail_factor
            if trail is None:
                if price >= target:
                    cycle.sell(pool, reason="take_profit")
                    return
            elif pool.trailing:
                if price <= target:
                    cycle.sell(pool, reason="trailing_stop")
                    return
                self._raise(cycle, pool, (price * trail).quantize(_PRICE_PLACES))
            elif price >= target:
                pool.trailing = True
                cycle.touch(pool)
                self._raise(cycle, pool, (price * trail).quantize(_PRICE_PLACES))
                return
        below = pool.next_purchase_price
        if below is not None and price <= below and pool.entries < self.config.max_entries:
            self._buy(cycle, pool, "dca")

    @staticmethod
    def _raise(cycle: Cycle, pool: PoolState, candidate: Decimal) -> None:
        """Raise the sale price to ``candidate``; a trailing stop never lowers it."""
        current = pool.expected_sale_price
        if current is None or candidate > current:
            pool.expected_sale_price = candidate
            cycle.touch(pool)

    def _buy(self, cycle: Cycle, pool: PoolState, reason: str) -> bool:
        rungs = self.config.max_entries - pool.entries
        if rungs <= 0 or pool.capital <= 0:
            return False
        budget = pool.capital / rungs
        ask = cycle.price.current_buy_price
        if ask <= 0:
            return False
        step = cycle.step_size
        quantity = (budget / (ask * self._cost_factor) / step).to_integral_value(ROUND_DOWN) * step
        if quantity <= 0:
            return False
        return cycle.buy(pool, quantity, reason=reason)
