"""``ma_cross``: the GPT-Trader baseline, a moving-average crossover driven by ``on_bar``.

Rules (``BaselinePerpsStrategy`` of GPT-Trader, reference/original-systems.md §3):

* Signal: the fast SMA (default 5) against the slow SMA (default 20) of the closes;
  ``cross_up`` when fast was strictly below slow on the previous bar and is strictly above
  now, ``cross_down`` the mirror (``backtesting.lib.crossover``). A touch is not a cross.
* Flat: ``cross_up`` buys; ``cross_down`` sells short only with ``enable_shorts``
  (long/flat by default).
* In a position: the opposite cross closes it; otherwise a trailing stop
  (``trailing_stop_pct``, 1 %) closes it once the close falls that far below the highest
  close since entry (rises that far above the lowest, for a short). No pyramiding.
* Size: ``position_fraction × basis × target_leverage`` of quote currency, capped by
  ``max_trade_notional``; the basis is the account's ``equity`` or its ``cash``. The
  quantity is that budget over ``close × (1 + fee_reserve)``, rounded down to the step.
* Reduce-only mode (config, :meth:`MaCross.set_reduce_only`, or the executor's global
  ``reduce_only_mode``): no new entries; with ``reduce_only_action="close"`` an open position
  is closed at the next bar, with ``"hold"`` it waits for its exit signal or stop.

Orders are market ``SubmitOrder`` commands sent on the bus (client order ids
``rb-ma_cross-<ts>-<n>``, deterministic); exits are reduce-only. The strategy reads the
account (sizing) and the instrument (step) from its context's executor; with the executor
in dry run, decisions go through it and are only logged.

**SMA arithmetic.** The windows are summed exactly in ``Decimal`` and compared as
``slow·Σfast`` against ``fast·Σslow``, without division. Near a tie (within about 1e-10 of
a recent close) the comparison uses float window means instead (``sum(window) / n`` in
floats, oldest first), the convention of NautilusTrader and of the peers' reference
pipeline, so that fills match theirs to the bar. Further from a tie, float means order the
two the same way: their rounding error stays below 1e-14 of the price.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from decimal import Decimal
from itertools import islice
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskbus.bot.decisions import Action, Decision, DecisionExecutor
from riskbus.bot.strategy import Strategy, StrategyContext
from riskbus.core.errors import StrategyError
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide
from riskbus.model.events.market import Bar
from riskbus.model.events.orders import OrderFilled
from riskbus.model.instruments import Instrument
from riskbus.model.portfolio import Portfolio

__all__ = ["CrossSignal", "MaCross", "MaCrossConfig"]

log = logging.getLogger("riskbus.bot.strategies.ma_cross")

_ZERO = Decimal(0)
#: Relative distance from a tie under which the float window means decide.
_TIE_BAND = Decimal("1e-10")


class MaCrossConfig(BaseModel):
    """Parameters of :class:`MaCross` (GPT-Trader's names where it has them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1)
    short_ma_period: int = Field(default=5, ge=1)
    long_ma_period: int = Field(default=20, ge=2)
    position_fraction: Decimal = Field(default=Decimal("0.05"), gt=0, le=1)
    target_leverage: Decimal = Field(default=Decimal(2), gt=0)
    max_trade_notional: Decimal | None = Field(default=None, gt=0)
    sizing_basis: Literal["equity", "cash"] = "equity"
    fee_reserve: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    currency: str = Field(default="USDT", min_length=1)
    trailing_stop_pct: Decimal | None = Field(default=Decimal("0.01"), gt=0, lt=1)
    enable_shorts: bool = False
    reduce_only: bool = False
    reduce_only_action: Literal["close", "hold"] = "close"

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MaCrossConfig:
        if self.short_ma_period >= self.long_ma_period:
            raise ValueError(
                f"short_ma_period ({self.short_ma_period}) must be below "
                f"long_ma_period ({self.long_ma_period})"
            )
        return self


class CrossSignal:
    """Crossings of a fast and a slow SMA of a ``Decimal`` stream, O(1) per value.

    ``update(close)`` returns ``1`` on a cross up, ``-1`` on a cross down, else ``0``.

    Args:
        fast: the fast window (≥ 1).
        slow: the slow window (> fast).
    """

    __slots__ = (
        "_band",
        "_ceiling",
        "_count",
        "_diff",
        "_fast",
        "_fast_d",
        "_lower",
        "_neg_fast",
        "_sign",
        "_slow",
        "_slow_d",
        "_upper",
        "_window",
        "ready",
    )

    def __init__(self, fast: int, slow: int) -> None:
        if not 1 <= fast < slow:
            raise ValueError(f"need 1 <= fast < slow, got fast={fast}, slow={slow}")
        self._fast = fast
        self._slow = slow
        self._neg_fast = -fast
        self._fast_d = Decimal(fast)
        self._slow_d = Decimal(slow)
        self._window: deque[Decimal] = deque(maxlen=slow)
        self._count = 0
        self._diff = _ZERO  # slow·Σfast − fast·Σslow = fast·slow·(fast mean − slow mean)
        # |fast mean − slow mean| ≤ 1e-10·price  <=>  |diff| ≤ band·price
        self._band = _TIE_BAND * fast * slow
        self._upper = self._lower = self._ceiling = _ZERO
        self._sign = 0
        #: Whether both means are available.
        self.ready = False

    @property
    def fast(self) -> Decimal | None:
        """The fast mean (None while warming up)."""
        if len(self._window) < self._fast:
            return None
        return sum(islice(reversed(self._window), self._fast), _ZERO) / self._fast

    @property
    def slow(self) -> Decimal | None:
        """The slow mean (None while warming up)."""
        return sum(self._window, _ZERO) / self._slow if self.ready else None

    def update(self, close: Decimal) -> int:
        """Add a close; return the crossing it completes (1 up, -1 down, 0 none)."""
        window = self._window
        if not self.ready:
            return self._warm(close)
        diff = (
            self._diff
            + self._slow_d * (close - window[self._neg_fast])
            - self._fast_d * (close - window[0])
        )
        window.append(close)
        self._diff = diff
        if close > self._ceiling:
            self._rebase(close)
        if diff > self._upper:
            sign = 1
        elif diff < self._lower:
            sign = -1
        else:
            sign = self._near_tie(close)
        previous = self._sign
        if sign == previous:
            return 0
        self._sign = sign
        return sign if previous and sign else 0

    def _rebase(self, close: Decimal) -> None:
        # The tie band scales with the price; it is set from a recent close and moved when
        # the price leaves [close/100, close·100] (a lower price only widens it: safe).
        self._upper = self._band * close
        self._lower = -self._upper
        self._ceiling = close * 100

    def _near_tie(self, close: Decimal) -> int:
        self._rebase(close)
        diff = self._diff
        if diff > self._upper:
            return 1
        if diff < self._lower:
            return -1
        return self._float_sign()

    def _warm(self, close: Decimal) -> int:
        window = self._window
        window.append(close)
        self._count += 1
        if self._count == self._slow:
            self.ready = True
            fast_sum = sum(islice(window, self._slow - self._fast, None), _ZERO)
            self._diff = self._slow_d * fast_sum - self._fast_d * sum(window, _ZERO)
            self._sign = self._near_tie(close)
        return 0

    def _float_sign(self) -> int:
        window = self._window
        fast_mean = sum(map(float, islice(window, self._slow - self._fast, None))) / self._fast
        slow_mean = sum(map(float, window)) / self._slow
        return (fast_mean > slow_mean) - (fast_mean < slow_mean)


class MaCross(Strategy):
    """The moving-average crossover baseline; see the module docstring.

    Args:
        params: a :class:`MaCrossConfig`, or its fields as a mapping (as loaded from YAML).
        config: a :class:`MaCrossConfig` (instead of ``params``).

    Raises:
        pydantic.ValidationError: the parameters do not make a valid config.
    """

    name = "ma_cross"

    def __init__(
        self,
        params: Mapping[str, Any] | MaCrossConfig | None = None,
        *,
        config: MaCrossConfig | None = None,
    ) -> None:
        if isinstance(params, MaCrossConfig):
            config, params = params, None
        if config is not None:
            super().__init__(config.model_dump())
            self.config = config
        else:
            super().__init__(params)
            self.config = MaCrossConfig.model_validate(self.params)
        cfg = self.config
        self.signal = CrossSignal(cfg.short_ma_period, cfg.long_ma_period)
        self.reduce_only = cfg.reduce_only
        #: The position in the symbol, followed from every fill.
        self.position = _ZERO
        #: Every decision taken, oldest first.
        self.decisions: list[Decision] = []
        self._symbol = cfg.symbol
        self._update = self.signal.update
        self._extreme = _ZERO
        pct = cfg.trailing_stop_pct
        self._trailing = pct is not None
        self._stop_long = 1 - pct if pct is not None else _ZERO
        self._stop_short = 1 + pct if pct is not None else _ZERO
        self._cost_factor = 1 + cfg.fee_reserve
        self._close_when_reducing = cfg.reduce_only_action == "close"
        self._executor: DecisionExecutor | None = None
        self._sequence = 0
        self._id_prefix = f"rb-{self.strategy_name()}-"
        self._portfolio: Portfolio | None = None
        self._instrument: Instrument | None = None

    def set_reduce_only(self, on: bool) -> None:
        """Switch reduce-only mode (no new entries) on or off."""
        self.reduce_only = on

    def on_start(self, ctx: StrategyContext) -> None:
        """Find the account and the instrument; pick up a position already held."""
        if ctx.executor is None:
            raise StrategyError("ma_cross needs a decision executor", strategy=self.name)
        self._executor = ctx.executor
        self._portfolio = ctx.executor.portfolio
        self._instrument = ctx.executor.registry.get(self._symbol)
        held = self._portfolio.position(self._symbol)
        self.position = held.quantity if held is not None else _ZERO
        self._extreme = self._portfolio.mark(self._symbol) or _ZERO

    def on_order_filled(self, ctx: StrategyContext, event: OrderFilled) -> None:
        """Follow the position in the symbol, whoever traded it."""
        if event.symbol != self._symbol:
            return
        before = self.position
        if event.side is OrderSide.BUY:
            self.position = before + event.last_qty
        else:
            self.position = before - event.last_qty
        if not before or (before > 0) != (self.position > 0):
            self._extreme = event.last_price  # a new position: trail from its entry

    def on_bar(self, ctx: StrategyContext, bar: Bar) -> None:
        """Update the SMAs with the close; enter, exit or trail the stop."""
        if bar.symbol != self._symbol:
            return
        close = bar.close
        cross = self._update(close)
        position = self.position
        if not position:
            if cross and (cross > 0 or self.config.enable_shorts) and not self._reducing():
                self._enter(ctx, OrderSide.BUY if cross > 0 else OrderSide.SELL, close)
        elif cross and (cross > 0) != (position > 0):
            self._exit(ctx, position, close, "opposite crossover")
        elif self._close_when_reducing and (
            self.reduce_only or (self._executor is not None and self._executor.reduce_only_mode)
        ):
            self._exit(ctx, position, close, "reduce-only mode")
        elif self._trailing:
            self._trail(ctx, position, close)

    def _reducing(self) -> bool:
        executor = self._executor
        return self.reduce_only or (executor is not None and executor.reduce_only_mode)

    def _trail(self, ctx: StrategyContext, position: Decimal, close: Decimal) -> None:
        extreme = self._extreme
        if position > 0:
            if close > extreme:
                self._extreme = close
            elif close <= extreme * self._stop_long:
                self._exit(ctx, position, close, f"trailing stop: high={extreme}")
        elif close < extreme:
            self._extreme = close
        elif close >= extreme * self._stop_short:
            self._exit(ctx, position, close, f"trailing stop: low={extreme}")

    def _enter(self, ctx: StrategyContext, side: OrderSide, close: Decimal) -> None:
        cfg = self.config
        portfolio, instrument = self._account()
        if cfg.sizing_basis == "cash":
            basis = portfolio.balance(cfg.currency)
        else:
            basis = portfolio.equity(cfg.currency)
        budget = basis * cfg.position_fraction * cfg.target_leverage
        if cfg.max_trade_notional is not None and budget > cfg.max_trade_notional:
            budget = cfg.max_trade_notional
        if budget <= 0:
            return
        quantity = budget / (close * instrument.multiplier * self._cost_factor)
        quantity = instrument.quantize_quantity(quantity)
        if quantity <= 0 or quantity < instrument.min_size:
            log.info("ma_cross: %s entry skipped, budget %s buys no unit", side, budget)
            return
        action = Action.BUY if side is OrderSide.BUY else Action.SELL
        reason = "bullish crossover" if side is OrderSide.BUY else "bearish crossover"
        decision = Decision(action=action, symbol=self._symbol, quantity=quantity, reason=reason)
        self._send(ctx, decision, side, quantity, close)

    def _exit(self, ctx: StrategyContext, position: Decimal, close: Decimal, reason: str) -> None:
        side = OrderSide.SELL if position > 0 else OrderSide.BUY
        decision = Decision(
            action=Action.CLOSE, symbol=self._symbol, reduce_only=True, reason=reason
        )
        self._send(ctx, decision, side, abs(position), close)

    def _send(
        self,
        ctx: StrategyContext,
        decision: Decision,
        side: OrderSide,
        quantity: Decimal,
        close: Decimal,
    ) -> None:
        self.decisions.append(decision)
        if ctx.executor is not None and ctx.executor.dry_run:
            ctx.execute(decision, close)  # logged, not sent
            return
        self._sequence += 1
        now = ctx.clock.now()
        ctx.bus.send(
            SubmitOrder(
                ts=now,
                client_order_id=f"{self._id_prefix}{now}-{self._sequence}",
                symbol=self._symbol,
                side=side,
                quantity=quantity,
                reduce_only=decision.reduce_only,
                strategy=self.strategy_name(),
            )
        )

    def _account(self) -> tuple[Portfolio, Instrument]:
        if self._portfolio is None or self._instrument is None:
            raise StrategyError("ma_cross received a bar before on_start", strategy=self.name)
        return self._portfolio, self._instrument
