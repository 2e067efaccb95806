"""Simulation: SMA(10)/SMA(30) crossover over one-minute bars through the whole pipeline.

Every bar is a ``Bar`` event on the bus (``BarFeed`` on the ``Simulator``); the ``ma_cross``
strategy sends each order as ``SubmitOrder`` through the ``OrderGateway`` (risk gate), the
``SimulatedExchange`` fills it at the signal bar's close and the ``AccountTracker`` books
it in the ``Portfolio``. The peer benchmark's spec (shared/bench/README.md): long/flat, a
fixed 1,000,000 USD sleeve ``qty = int(min(cash, 1e6) // (p + p*0.001))``, fee 0.1 % on
every fill, no spread or slippage, an account of 100,000,000 USD.

Targets (ARCHITECTURE §7): ≥ 250,000 bars/s; ≥ 2.5× backtesting.py and ≥ 12× nautilus_trader
in the same run (``python shared/bench/run_peers.py --extra riskbus='PY bench_sim.py'``).

* ``python benchmarks/bench_sim.py --bars 1000000`` reads ``bars_1m.parquet`` from
  ``$PERF_DATA`` or ``$PERF_ROOT/data`` (default ``~/.cache/riskbus-peers/data``) and
  prints one ``RESULT {json}`` line (the peer protocol): ``run_s`` is the bar loop only,
  ``load_s`` reading the file and converting it to Decimal bars.
* ``run(quick)`` (``benchmarks/run_all.py``) uses the 1M (100k when quick) file when present,
  else a seeded GBM series generated in process (numpy seed 42, the peers' model).

The account is marked at every bar's close (``AccountTracker`` subscribed to ``Bar``);
``--no-bar-marks`` books fills only and marks once at the end. The risk gate is the default
pass-through ``RiskGate`` behind the gateway's instrument checks. The loaded bars are moved
out of the garbage collector's reach (``gc.freeze()``) once loaded, as they live for the
whole run; the collector stays on. SMA semantics: exact window means resolved like float
``sum(window)/n`` at ties (NautilusTrader's and the reference's convention), which gives
39,189 fills on the 1M-bar set (the pandas-rolling oracle has 39,181).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, print_table
from riskbus import __version__
from riskbus.bot.decisions import DecisionExecutor
from riskbus.bot.feed import BarFeed, BarSeries, attach_strategy
from riskbus.bot.strategies.ma_cross import MaCross, MaCrossConfig
from riskbus.bot.strategy import StrategyContext, StrategyHost
from riskbus.core.bus import EventBus
from riskbus.core.clock import MINUTE, Simulator
from riskbus.core.seeds import Seeds
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market.candles import OHLCV
from riskbus.market.path import PricePath
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.enums import InstrumentKind
from riskbus.model.events.orders import OrderFilled
from riskbus.model.instruments import Instrument
from riskbus.risk.gate import OrderGateway

SYMBOL = "SIM/USD"
CASH = Decimal(100_000_000)
SLEEVE = Decimal(1_000_000)
FEE = Decimal("0.001")
TICK = Decimal("0.0001")
FILES = {100_000: "bars_100k.parquet", 1_000_000: "bars_1m.parquet"}
TARGET = 250_000


def data_dir() -> Path:
    """Where the peer benchmark's data lives ($PERF_DATA, $PERF_ROOT/data or the default)."""
    if os.environ.get("PERF_DATA"):
        return Path(os.environ["PERF_DATA"])
    root = os.environ.get("PERF_ROOT") or str(Path.home() / ".cache" / "riskbus-peers")
    return Path(root) / "data"


def read_parquet(path: Path) -> OHLCV:
    """Read the peers' file; its ``timestamp`` is the bar's open time, ours is the close."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    column = table.column("timestamp").cast("int64").to_numpy()
    ts = np.asarray(column, dtype=np.int64) + MINUTE
    cols = [table.column(name).to_numpy() for name in ("open", "high", "low", "close", "volume")]
    return OHLCV(ts, *(np.asarray(c, dtype=np.float64) for c in cols))


def gbm(n: int, seed: int = 42) -> OHLCV:
    """The peers' GBM model (σ 0.1 %/bar, 4-decimal prices, open = previous close)."""
    rng = np.random.default_rng(seed)
    sigma = 0.001
    r = rng.normal(-0.5 * sigma**2, sigma, n)
    wick_hi = np.abs(rng.standard_normal(n)) * sigma * 0.5
    wick_lo = np.abs(rng.standard_normal(n)) * sigma * 0.5
    volume = np.round(rng.lognormal(mean=7.0, sigma=0.5, size=n))
    close = np.round(100.0 * np.exp(np.cumsum(r)), 4)
    open_ = np.empty(n)
    open_[0] = 100.0
    open_[1:] = close[:-1]
    high = np.maximum(np.round(np.maximum(open_, close) * np.exp(wick_hi), 4), close)
    high = np.maximum(high, open_)
    low = np.minimum(np.round(np.minimum(open_, close) * np.exp(-wick_lo), 4), close)
    low = np.minimum(low, open_)
    ts = 1_577_836_800 * 1_000_000_000 + (np.arange(n, dtype=np.int64) + 1) * MINUTE
    return OHLCV(ts, open_, high, low, close, volume)


def instrument() -> Instrument:
    """A spot instrument on the data's grid: 4-decimal prices, whole units, quoted in USD."""
    return Instrument(
        symbol=SYMBOL,
        kind=InstrumentKind.SPOT,
        base="SIM",
        quote="USD",
        tick_size=TICK,
        step_size=Decimal(1),
        min_size=Decimal(1),
        min_notional=Decimal(0),
        description="benchmark GBM series",
    )


class Pipeline:
    """Simulator, bus, venue, gateway, account, strategy and feed, wired as in a scenario."""

    def __init__(self, ohlcv: OHLCV, series: BarSeries, *, bar_marks: bool = True) -> None:
        registry = InstrumentRegistry([instrument()])
        path = PricePath(ohlcv.close, name="bench", spread_bps=0.0, step=MINUTE, ohlcv=ohlcv)
        self.simulator = Simulator(start=int(ohlcv.ts[0]) - MINUTE)
        clock = self.simulator.clock
        self.bus = EventBus(clock)
        self.exchange = SimulatedExchange(
            self.bus,
            clock,
            Seeds(42),
            registry,
            {SYMBOL: path},
            balances={"USD": CASH},
            config=SimulatedExchangeConfig(
                maker_fee=FEE,
                taker_fee=FEE,
                volume_per_step=Decimal(10**12),
                max_volume_share=Decimal(1),
            ),
            currency="USD",
        )
        self.gateway = OrderGateway(self.bus, clock, self.exchange.submit, registry=registry)
        self.gateway.attach()
        self.account = AccountTracker(self.bus, clock, registry, {"USD": CASH}, currency="USD")
        if bar_marks:
            self.account.attach()  # books fills and marks the position at every bar
        else:  # books fills only; the position is marked once, at the end
            self.bus.subscribe(
                OrderFilled, self.account.on_order_filled, component="AccountTracker"
            )
        executor = DecisionExecutor(
            self.bus, clock, registry, self.account.portfolio, strategy=MaCross.name
        )
        self.strategy = MaCross(
            MaCrossConfig(
                symbol=SYMBOL,
                short_ma_period=10,
                long_ma_period=30,
                position_fraction=Decimal(1),
                target_leverage=Decimal(1),
                max_trade_notional=SLEEVE,
                sizing_basis="cash",
                fee_reserve=FEE,
                currency="USD",
                trailing_stop_pct=None,
            )
        )
        self.host = StrategyHost(self.strategy, StrategyContext(self.bus, clock, executor))
        attach_strategy(self.host)
        self.feed = BarFeed(self.bus, self.simulator, series, exchange=self.exchange)
        self.series = series

    @property
    def fills(self) -> int:
        """Fills the venue made."""
        return len(self.exchange.trades)

    def run(self) -> float:
        """Run every bar; return the seconds it took."""
        self.host.start()
        start = time.perf_counter()
        self.feed.run()
        elapsed = time.perf_counter() - start
        self.host.stop()
        return elapsed

    def final_equity(self) -> Decimal:
        """Cash plus the position marked at the last close (the open position is kept)."""
        portfolio = self.account.portfolio
        portfolio.update_mark(SYMBOL, self.series.close[-1])
        return portfolio.equity("USD")


def load(ohlcv: OHLCV) -> BarSeries:
    """Convert the columns to Decimal bars on the tick (part of load time, not run time)."""
    return BarSeries.from_ohlcv(SYMBOL, ohlcv, interval=MINUTE, tick=TICK, volume_step=Decimal(1))


def run_once(ohlcv: OHLCV, series: BarSeries, *, bar_marks: bool = True) -> dict[str, Any]:
    """Run one backtest; return run_s, fills and final equity."""
    pipeline = Pipeline(ohlcv, series, bar_marks=bar_marks)
    run_s = pipeline.run()
    return {
        "run_s": run_s,
        "fills": pipeline.fills,
        "final_equity": float(pipeline.final_equity()),
        "denied": pipeline.gateway.denied,
        "bus_failures": pipeline.bus.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=100_000, choices=sorted(FILES))
    parser.add_argument("--profile", action="store_true", help="cProfile the run")
    parser.add_argument(
        "--no-bar-marks",
        action="store_true",
        help="the account books fills only (marked once at the end), not every bar's close",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    ohlcv = read_parquet(data_dir() / FILES[args.bars])
    series = load(ohlcv)
    gc.freeze()  # the loaded bars live for the whole run: keep them out of GC passes
    load_s = time.perf_counter() - start
    if args.profile:
        import cProfile
        import pstats

        pipeline = Pipeline(ohlcv, series, bar_marks=not args.no_bar_marks)
        profiler = cProfile.Profile()
        profiler.runcall(pipeline.run)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    result = run_once(ohlcv, series, bar_marks=not args.no_bar_marks)
    result.update(
        peer="riskbus",
        version=__version__,
        bars=args.bars,
        load_s=load_s,
        fill_rule="market order from on_bar, filled at the signal bar's close",
        bar_marks=not args.no_bar_marks,
        sma="exact Decimal window sums; float window means within 1e-10 of a tie",
        python=sys.version.split()[0],
    )
    print("RESULT " + json.dumps(result), flush=True)


def run(quick: bool = False) -> list[Row]:
    """Return the benchmark rows (see ``_common``)."""
    bars = 100_000 if quick else 1_000_000
    file = data_dir() / FILES[bars]
    ohlcv = read_parquet(file) if file.exists() else gbm(bars)
    series = load(ohlcv)
    gc.freeze()
    rows: list[Row] = []
    try:
        for bar_marks in (True, False):
            results = [
                run_once(ohlcv, series, bar_marks=bar_marks) for _ in range(1 if quick else 3)
            ]
            rates = [bars / result["run_s"] for result in results]
            how = "account marked every bar" if bar_marks else "account books fills only"
            rows.append(
                {
                    "name": f"ma_cross 10/30, {bars:,} bars, {results[0]['fills']} fills ({how})",
                    "value": statistics.median(rates),
                    "unit": "bars/s",
                    "target": TARGET,
                    "spread": (min(rates), max(rates)),
                }
            )
    finally:
        gc.unfreeze()
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main()
    else:
        print_table("simulation", run(quick=False))
