from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from riskbus.bot.decisions import Action, DecisionExecutor
from riskbus.bot.feed import BarFeed, BarSeries, attach_strategy
from riskbus.bot.strategies import resolve_strategy
from riskbus.bot.strategies.ma_cross import CrossSignal, MaCross, MaCrossConfig
from riskbus.bot.strategy import StrategyContext, StrategyHost
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.errors import StrategyError
from riskbus.core.seeds import Seeds
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market.path import PricePath
from riskbus.model.catalogue import InstrumentRegistry, default_registry
from riskbus.model.enums import InstrumentKind, OrderSide
from riskbus.model.events.orders import OrderFilled
from riskbus.model.instruments import Instrument
from riskbus.risk.gate import OrderGateway
from tests.stubs import D

SYMBOL = "SIM/USD"
FEE = D("0.001")


def sim_usd(tick: str = "0.0001") -> Instrument:
    return Instrument(
        symbol=SYMBOL,
        kind=InstrumentKind.SPOT,
        base="SIM",
        quote="USD",
        tick_size=D(tick),
        step_size=D(1),
        min_size=D(1),
        min_notional=D(0),
    )


class Run:
    """A whole pipeline: feed → ma_cross → gateway → simulated exchange → account."""

    def __init__(
        self,
        closes: Sequence[float],
        *,
        symbol: str = SYMBOL,
        cash: int = 100_000_000,
        currency: str = "USD",
        registry: InstrumentRegistry | None = None,
        dry_run: bool = False,
        **config: Any,
    ) -> None:
        self.registry = registry or InstrumentRegistry([sim_usd()])
        tick = self.registry.get(symbol).tick_size
        self.simulator = Simulator()
        clock = self.simulator.clock
        self.bus = EventBus(clock)
        path = PricePath(np.array(closes, dtype=float), spread_bps=0.0)
        self.exchange = SimulatedExchange(
            self.bus,
            clock,
            Seeds(7),
            self.registry,
            {symbol: path},
            balances={currency: cash},
            config=SimulatedExchangeConfig(
                taker_fee=FEE, maker_fee=FEE, volume_per_step=D(10**9), max_volume_share=D(1)
            ),
            currency=currency,
        )
        OrderGateway(self.bus, clock, self.exchange.submit, registry=self.registry).attach()
        self.account = AccountTracker(
            self.bus, clock, self.registry, {currency: cash}, currency=currency
        ).attach()
        self.executor = DecisionExecutor(
            self.bus, clock, self.registry, self.account.portfolio, strategy="ma_cross"
        )
        self.executor.dry_run = dry_run
        settings: dict[str, Any] = {"symbol": symbol, "currency": currency}
        settings.update(config)
        self.strategy = MaCross(MaCrossConfig(**settings))
        self.host = attach_strategy(
            StrategyHost(self.strategy, StrategyContext(self.bus, clock, self.executor))
        )
        self.fills: list[OrderFilled] = []
        self.bus.subscribe(OrderFilled, self.fills.append)
        series = BarSeries.from_path(symbol, path, tick=tick)
        self.closes = series.close
        self.feed = BarFeed(self.bus, self.simulator, series, exchange=self.exchange)

    def run(self, bars: int | None = None) -> Run:
        if not self.host.errors and self.feed._next == 0:
            self.host.start()
        self.feed.run(limit=bars)
        return self

    def trades(self) -> list[tuple[int, str, Decimal, Decimal]]:
        """(bar index, side, quantity, price) of each fill."""
        index = {ts: k for k, ts in enumerate(self.feed.series.ts)}
        return [(index[f.ts], f.side.value, f.last_qty, f.last_price) for f in self.fills]


# A crafted series: falling for 8 bars, rising, then falling again (windows 2/4).
CRAFTED = [110, 109, 108, 107, 106, 105, 104, 103, 104, 106, 108, 110, 111, 109, 106, 103, 100]


def crossings(closes: Sequence[float], fast: int, slow: int) -> list[tuple[int, int]]:
    signal = CrossSignal(fast, slow)
    out = []
    for k, close in enumerate(closes):
        cross = signal.update(Decimal(str(close)))
        if cross:
            out.append((k, cross))
    return out


def test_config_defaults_are_gpt_traders_baseline() -> None:
    config = MaCrossConfig(symbol="BTC/USDT")
    assert (config.short_ma_period, config.long_ma_period) == (5, 20)
    assert config.position_fraction == D("0.05") and config.target_leverage == 2
    assert config.trailing_stop_pct == D("0.01")
    assert not config.enable_shorts and not config.reduce_only


@pytest.mark.parametrize(
    "settings",
    [
        {"symbol": "X", "unknown": 1},
        {"symbol": "X", "short_ma_period": 20, "long_ma_period": 20},
        {"symbol": "X", "trailing_stop_pct": 0},
        {"symbol": "X", "position_fraction": 2},
        {"symbol": ""},
    ],
)
def test_config_rejects_bad_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MaCrossConfig(**settings)


def test_strategy_builds_its_config_from_params() -> None:
    strategy = MaCross(params={"symbol": "X", "short_ma_period": 3, "long_ma_period": 7})
    assert strategy.config.long_ma_period == 7
    assert MaCross({"symbol": "X"}).config == MaCross(config=MaCrossConfig(symbol="X")).config
    assert resolve_strategy("ma_cross") is MaCross
    assert MaCross(MaCrossConfig(symbol="Y")).params["symbol"] == "Y"
    with pytest.raises(ValidationError):
        MaCross(params={"symbol": "X", "typo": True})


def test_cross_signal_fires_on_the_bar_that_completes_the_cross() -> None:
    # fast SMA(2) / slow SMA(4): at bar 9 fast=(104+106)/2=105 > slow=(103+104+106... )
    assert crossings(CRAFTED, 2, 4) == [(9, 1), (14, -1)]


def test_cross_signal_touch_is_not_a_cross() -> None:
    # fast(1) equals slow(3) at bar 3 (a touch), then goes above: no cross up from a tie
    closes = [10, 10, 10, 10, 11, 12]
    assert crossings(closes, 1, 3) == []
    signal = CrossSignal(1, 3)
    for close in (12, 11, 10, 11):
        signal.update(D(close))
    assert signal.fast == D(11) and signal.slow == D(32) / 3


def test_cross_signal_resolves_an_exact_tie_as_float_window_means_do() -> None:
    # window [0.1, 0.6, 0.35]: the means are exactly equal (0.35), but in floats
    # sum(window) / 3 = 0.34999999999999992 < 0.35: the reference pipeline (and nautilus)
    # see fast > slow, a cross up from the previous bar (0.6 < 0.9)
    assert sum([0.1, 0.6, 0.35]) / 3 < 0.35
    assert crossings([2, 0.1, 0.6, 0.35], 1, 3) == [(3, 1)]


def test_cross_signal_means_are_none_while_warming_up() -> None:
    signal = CrossSignal(2, 3)
    signal.update(D(1))
    assert signal.fast is None and signal.slow is None and not signal.ready
    signal.update(D(2))
    assert signal.fast == D("1.5") and signal.slow is None
    with pytest.raises(ValueError, match="fast < slow"):
        CrossSignal(3, 3)


def test_buys_on_cross_up_and_sells_on_cross_down_at_those_closes() -> None:
    run = Run(CRAFTED, short_ma_period=2, long_ma_period=4, trailing_stop_pct=None).run()
    assert [(k, side) for k, side, _, _ in run.trades()] == [(9, "BUY"), (14, "SELL")]
    (_, _, bought, price), (_, _, sold, exit_price) = run.trades()
    assert price == D(106) and exit_price == D(106) and sold == bought
    reasons = [d.reason for d in run.strategy.decisions]
    assert reasons == ["bullish crossover", "opposite crossover"]


def test_size_is_fraction_of_equity_times_leverage_rounded_down() -> None:
    run = Run(CRAFTED, cash=1_000_000, short_ma_period=2, long_ma_period=4).run(10)
    # 0.05 × 1,000,000 × 2 = 100,000 USD at 106 → 943.39 → 943 units
    assert run.trades() == [(9, "BUY", D(943), D(106))]


def test_size_is_capped_and_reserves_the_fee() -> None:
    run = Run(
        CRAFTED,
        short_ma_period=2,
        long_ma_period=4,
        position_fraction=1,
        target_leverage=1,
        max_trade_notional=1_000_000,
        sizing_basis="cash",
        fee_reserve="0.001",
    ).run(10)
    assert run.trades()[0][2] == int(1_000_000 // (106 + 106 * 0.001)) == 9424


def test_trailing_stop_closes_one_percent_below_the_high() -> None:
    closes = [*CRAFTED[:12], 112, 114, 116, 118, 120, 118.81, 118.8, 121]
    run = Run(closes, short_ma_period=2, long_ma_period=6).run()
    # high 120 at bar 16; 120 × 0.99 = 118.80: 118.81 holds, 118.80 (bar 18) stops out
    assert [(k, side) for k, side, _, _ in run.trades()] == [(9, "BUY"), (18, "SELL")]
    assert run.strategy.decisions[-1].reason == "trailing stop: high=120.0000"
    assert run.strategy.position == 0


def test_reduce_only_close_exits_at_the_next_bar_and_blocks_entries() -> None:
    run = Run(CRAFTED, short_ma_period=2, long_ma_period=4, trailing_stop_pct=None)
    run.run(11)
    run.strategy.set_reduce_only(True)
    run.run()
    assert [(k, side) for k, side, _, _ in run.trades()] == [(9, "BUY"), (11, "SELL")]
    assert run.strategy.decisions[-1].reason == "reduce-only mode"
    assert run.strategy.decisions[-1].action is Action.CLOSE


def test_reduce_only_hold_keeps_the_position_until_its_exit() -> None:
    run = Run(
        CRAFTED,
        short_ma_period=2,
        long_ma_period=4,
        trailing_stop_pct=None,
        reduce_only_action="hold",
    )
    run.run(11)
    run.strategy.set_reduce_only(True)
    run.run()
    assert [(k, side) for k, side, _, _ in run.trades()] == [(9, "BUY"), (14, "SELL")]


def test_reduce_only_from_the_start_never_enters() -> None:
    run = Run(CRAFTED, short_ma_period=2, long_ma_period=4, reduce_only=True).run()
    assert run.fills == [] and run.strategy.decisions == []


def test_executor_reduce_only_mode_blocks_entries_too() -> None:
    run = Run(CRAFTED, short_ma_period=2, long_ma_period=4)
    run.executor.reduce_only_mode = True
    run.run()
    assert run.fills == []


def test_dry_run_logs_decisions_and_sends_nothing() -> None:
    run = Run(CRAFTED, short_ma_period=2, long_ma_period=4, dry_run=True).run()
    assert run.fills == []
    assert [d.action for d in run.strategy.decisions] == [Action.BUY]
    assert run.executor.stats.dry_run == 1


def test_shorts_sell_on_cross_down_and_cover_on_cross_up() -> None:
    registry = default_registry()  # MES: a future, 0.25 tick, multiplier 5
    closes = [4000, 4010, 4020, 4030, 4025, 4010, 3990, 3980, 3990, 4010, 4030, 4040]
    run = Run(
        closes,
        symbol="MES",
        registry=registry,
        short_ma_period=2,
        long_ma_period=4,
        enable_shorts=True,
        trailing_stop_pct=None,
        cash=1_000_000,
    ).run()
    trades = run.trades()
    assert [(k, side) for k, side, _, _ in trades] == [(5, "SELL"), (9, "BUY")]
    assert trades[0][2] == trades[1][2] == 100_000 // (4010 * 5)
    assert run.strategy.position == 0


def test_long_only_ignores_cross_down_when_flat() -> None:
    closes = [100, 101, 102, 103, 104, 103, 101, 99, 97]
    run = Run(closes, short_ma_period=2, long_ma_period=4).run()
    assert run.fills == []


def test_needs_an_executor_to_start() -> None:
    simulator = Simulator()
    bus = EventBus(simulator.clock)
    strategy = MaCross(MaCrossConfig(symbol=SYMBOL))
    with pytest.raises(StrategyError, match="executor"):
        strategy.on_start(StrategyContext(bus, simulator.clock))


def test_follows_fills_of_other_symbols_not() -> None:
    run = Run(CRAFTED, short_ma_period=2, long_ma_period=4)
    run.host.start()
    event = OrderFilled(
        ts=1,
        client_order_id="x",
        symbol="OTHER",
        side=OrderSide.BUY,
        fill_id="f",
        last_qty=D(5),
        last_price=D(1),
        cum_qty=D(5),
        leaves_qty=D(0),
        fee=D(0),
        fee_currency="USD",
    )
    run.strategy.on_order_filled(run.host.ctx, event)
    assert run.strategy.position == 0


def gbm_closes(n: int, seed: int = 42) -> np.ndarray:
    rng = np.random.default_rng(seed)
    returns = rng.normal(-0.5 * 0.001**2, 0.001, n)
    return np.round(100.0 * np.exp(np.cumsum(returns)), 4)


def numpy_oracle(closes: np.ndarray, fast: int, slow: int) -> tuple[int, float]:
    """The peers' spec with float window means summed oldest first (the reference's SMA)."""
    n = len(closes)

    def means(window: int) -> np.ndarray:
        total = np.zeros(n - window + 1)
        for j in range(window):  # left to right, as sum(window) does
            total = total + closes[j : n - window + 1 + j]
        out = np.full(n, np.nan)
        out[window - 1 :] = total / window
        return out

    f, s = means(fast), means(slow)
    with np.errstate(invalid="ignore"):
        up = np.r_[False, (f[:-1] < s[:-1]) & (f[1:] > s[1:])]
        down = np.r_[False, (f[:-1] > s[:-1]) & (f[1:] < s[1:])]
    cash, qty, fills = 100_000_000.0, 0, 0
    for t in np.flatnonzero(up | down):
        p = float(closes[t])
        if up[t] and qty == 0:
            qty = int(min(cash, 1e6) // (p + p * 0.001))
            cash -= qty * p + qty * p * 0.001
            fills += 1
        elif down[t] and qty > 0:
            cash += qty * p - qty * p * 0.001
            qty, fills = 0, fills + 1
    return fills, cash + qty * float(closes[-1])


def test_fill_count_and_equity_equal_a_numpy_oracle_on_5000_gbm_bars() -> None:
    closes = gbm_closes(5000)
    run = Run(
        closes.tolist(),
        short_ma_period=10,
        long_ma_period=30,
        position_fraction=1,
        target_leverage=1,
        max_trade_notional=1_000_000,
        sizing_basis="cash",
        fee_reserve="0.001",
        trailing_stop_pct=None,
    ).run()
    fills, equity = numpy_oracle(closes, 10, 30)
    assert fills > 150
    assert len(run.fills) == fills
    portfolio = run.account.portfolio
    portfolio.update_mark(SYMBOL, run.closes[-1])
    assert float(portfolio.equity("USD")) == pytest.approx(equity, rel=1e-12)
