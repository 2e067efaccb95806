"""Bar feeds: push ``Bar`` events on the bus in virtual time, in step with the venue.

A :class:`BarSeries` holds bars ready to publish: close times and ``Decimal`` OHLCV columns,
converted once from a :class:`~riskbus.market.path.PricePath` or a replayed
:class:`~riskbus.market.candles.OHLCV` table (prices snapped to the instrument's tick, equal
values shared as one ``Decimal``). A :class:`BarFeed` publishes them on a
:class:`~riskbus.core.clock.Simulator`, the first walk of ARCHITECTURE §3:

1. the clock is set to bar ``k``'s close time (heap items due by then fire first);
2. the simulated exchange, if given, is moved to step ``k`` of its price path (resting
   orders are matched again), so its quote *is* the bar's close;
3. a ``QuoteTick`` is published first when ``quotes`` is on, then the ``Bar``.

So a market order a strategy sends from ``on_bar`` fills at that bar's close, before the next
bar, with latency zero ("fills at the signal bar's close"). Two ways to drive it:

* :meth:`BarFeed.schedule` puts the next bar on the simulator's heap as one item, which
  schedules the following one when it fires: bars interleave with timers, latency and
  chaos like any other heap item (``simulator.run_until(...)`` drives them);
* :meth:`BarFeed.run` is the fast path for backtests: a tight loop that fires whatever the
  heap holds up to each bar's time, sets the virtual clock and publishes the bar.

Bar ``k`` of the series is step ``first_step + k`` of the exchange's path for the symbol;
bar timestamps are close times (``ts``), as in :class:`~riskbus.market.candles.Candle`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import islice
from typing import Any

import numpy as np

from riskbus.bot.strategy import StrategyContext, StrategyHost
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.errors import InvalidValueError
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market.base import FloatArray
from riskbus.market.candles import OHLCV
from riskbus.market.path import PricePath, to_tick
from riskbus.model.events.market import Bar, QuoteTick
from riskbus.model.events.orders import OrderFilled

__all__ = ["BarFeed", "BarSeries", "attach_strategy", "decimal_columns"]

_ZERO = Decimal(0)
_ONE = Decimal(1)


def decimal_columns(
    columns: Sequence[FloatArray], tick: Decimal | None = None
) -> list[list[Decimal]]:
    """Convert float columns to ``Decimal`` lists, snapped to ``tick`` (or shortest repr).

    Each distinct value is converted once and shared by every column (a million
    one-minute bars hold far fewer distinct prices), so this is fast and light.
    """
    arrays = [np.asarray(column, dtype=np.float64) for column in columns]
    if not arrays or not sum(len(a) for a in arrays):
        return [[] for _ in arrays]
    distinct, inverse = np.unique(np.concatenate(arrays), return_inverse=True)
    values = distinct.tolist()
    if tick is not None and _power_of_ten(tick):
        # quantizing equals to_tick's half-even snap on a power-of-ten grid, and is faster
        pool = [Decimal(repr(value)).quantize(tick, ROUND_HALF_EVEN) for value in values]
    else:
        pool = [to_tick(value, tick) for value in values]
    take = pool.__getitem__
    out: list[list[Decimal]] = []
    start = 0
    for array in arrays:
        stop = start + len(array)
        out.append(list(map(take, inverse[start:stop].tolist())))
        start = stop
    return out


def _power_of_ten(tick: Decimal) -> bool:
    return tick.is_finite() and tick == _ONE.scaleb(int(tick.as_tuple().exponent))


def attach_strategy(host: StrategyHost) -> StrategyHost:
    """Subscribe ``host`` like :meth:`StrategyHost.attach`, each hook one call shorter.

    The handlers call the strategy's ``on_bar``/``on_tick``/``on_order_filled`` directly
    instead of through :meth:`StrategyHost.call`; what a hook raises is isolated and reported
    exactly the same way (``StrategyFailed``, ``on_error``). Use it for bar-driven backtests.
    """
    bus = host.ctx.bus
    strategy = host.strategy
    bus.subscribe(Bar, _direct(host, "on_bar", strategy.on_bar), component=host.name)
    bus.subscribe(QuoteTick, _direct(host, "on_tick", strategy.on_tick), component=host.name)
    bus.subscribe(
        OrderFilled,
        _direct(host, "on_order_filled", strategy.on_order_filled),
        component=host.name,
    )
    return host


def _direct(
    host: StrategyHost, name: str, hook: Callable[[StrategyContext, Any], None]
) -> Callable[[Any], None]:
    ctx = host.ctx
    failed = host._failed

    def handler(event: Any) -> None:
        if host.stopped:
            return
        try:
            hook(ctx, event)
        except Exception as error:
            failed(name, error, None)

    return handler


@dataclass(frozen=True, slots=True)
class BarSeries:
    """Bars of one symbol ready to publish, oldest first.

    Attributes:
        symbol: the instrument.
        interval: the bar length in ns.
        ts: close time of each bar, ns since the epoch.
        open, high, low, close, volume: ``Decimal`` columns, one entry per bar.
    """

    symbol: str
    interval: int
    ts: list[int]
    open: list[Decimal]
    high: list[Decimal]
    low: list[Decimal]
    close: list[Decimal]
    volume: list[Decimal]

    def __post_init__(self) -> None:
        n = len(self.ts)
        columns = (self.open, self.high, self.low, self.close, self.volume)
        if any(len(column) != n for column in columns):
            raise InvalidValueError("every column must have one value per bar", field="bars")
        if self.interval <= 0:
            raise InvalidValueError.for_value("interval", self.interval, "must be positive")

    def __len__(self) -> int:
        return len(self.ts)

    def bar(self, k: int) -> Bar:
        """Return bar ``k`` as a ``Bar`` event."""
        return Bar(
            ts=self.ts[k],
            symbol=self.symbol,
            interval=self.interval,
            open=self.open[k],
            high=self.high[k],
            low=self.low[k],
            close=self.close[k],
            volume=self.volume[k],
        )

    @classmethod
    def from_ohlcv(
        cls,
        symbol: str,
        ohlcv: OHLCV,
        *,
        interval: int,
        tick: Decimal | None = None,
        volume_step: Decimal | None = None,
    ) -> BarSeries:
        """Convert candle columns (``ts`` = close times) to a series.

        Args:
            symbol: the instrument.
            ohlcv: the candles; ``ts`` are close times in ns.
            interval: the bar length in ns.
            tick: snap prices to this tick (default: the floats' shortest repr).
            volume_step: snap volumes to this step (default: shortest repr).
        """
        open_, high, low, close = decimal_columns(
            (ohlcv.open, ohlcv.high, ohlcv.low, ohlcv.close), tick
        )
        (volume,) = decimal_columns((ohlcv.volume,), volume_step)
        return cls(
            symbol=symbol,
            interval=int(interval),
            ts=np.asarray(ohlcv.ts, dtype=np.int64).tolist(),
            open=open_,
            high=high,
            low=low,
            close=close,
            volume=volume,
        )

    @classmethod
    def from_path(cls, symbol: str, path: PricePath, *, tick: Decimal | None = None) -> BarSeries:
        """One bar per step of ``path`` (its own or synthesized candles), closing at the step."""
        return cls.from_ohlcv(symbol, path.ohlcv(), interval=path.step, tick=tick)


class BarFeed:
    """Publishes a :class:`BarSeries` on the bus in virtual time (see the module docstring).

    Args:
        bus: where the bars go.
        simulator: owns the virtual clock the bars set.
        series: the bars.
        exchange: the simulated venue kept at the bar's step (its path for the symbol must
            cover ``first_step + len(series)`` steps).
        first_step: the exchange step of bar 0.
        quotes: publish a ``QuoteTick`` of the venue's quote before each bar.
    """

    def __init__(
        self,
        bus: EventBus,
        simulator: Simulator,
        series: BarSeries,
        *,
        exchange: SimulatedExchange | None = None,
        first_step: int = 0,
        quotes: bool = False,
    ) -> None:
        if quotes and exchange is None:
            raise InvalidValueError("quote ticks need the exchange", field="quotes")
        if exchange is not None:
            path = exchange.market.get(series.symbol)
            if path is None:
                raise InvalidValueError.for_value(
                    "symbol", series.symbol, "has no price path on the exchange"
                )
            if first_step < 0 or len(path) < first_step + len(series):
                raise InvalidValueError.for_value(
                    "first_step",
                    first_step,
                    f"{len(series)} bars do not fit the {len(path)}-step path",
                )
        self.bus = bus
        self.simulator = simulator
        self.series = series
        self.exchange = exchange
        self.first_step = first_step
        self.quotes = quotes
        self.published = 0
        self._next = 0

    @property
    def done(self) -> bool:
        """Whether every bar was published."""
        return self._next >= len(self.series)

    def schedule(self) -> None:
        """Put the next bar on the simulator's heap; each bar schedules the one after it."""
        if self.done:
            return
        self.simulator.schedule(self.series.ts[self._next], self._fire)

    def _fire(self) -> None:
        self.publish_next()
        self.schedule()

    def publish_next(self) -> Bar:
        """Publish the next bar now (at the clock's current time); return it."""
        k = self._next
        self._next = k + 1
        self._sync(self.first_step + k)
        bar = self.series.bar(k)
        self.published += 1
        self.bus.publish(bar)
        return bar

    def _sync(self, step: int) -> None:
        exchange = self.exchange
        if exchange is None:
            return
        if exchange._open:  # resting orders: match them at every step on the way
            exchange.advance(step - exchange.step)
        else:
            exchange.step = step
        if self.quotes:
            self.bus.publish(self._quote_tick(exchange))

    def _quote_tick(self, exchange: SimulatedExchange) -> QuoteTick:
        symbol = self.series.symbol
        quote = exchange.quote(symbol)
        return QuoteTick(
            ts=self.simulator.now(),
            symbol=symbol,
            bid=quote.bid,
            ask=quote.ask,
            bid_size=_ZERO,
            ask_size=_ZERO,
        )

    def run(self, limit: int | None = None) -> int:
        """Publish the remaining bars (at most ``limit``) in a tight loop; return the count.

        Heap items due by a bar's time fire before it; the clock ends at the last bar's time.
        """
        series = self.series
        start = self._next
        stop = len(series) if limit is None else min(len(series), start + limit)
        if start >= stop:
            return 0
        if self.quotes or self.exchange is None:
            return self._run_general(start, stop)
        return self._run_fast(start, stop)

    def _run_general(self, start: int, stop: int) -> int:
        simulator = self.simulator
        heap = simulator._heap
        clock = simulator.clock
        ts = self.series.ts
        publish_next = self.publish_next
        for k in range(start, stop):
            when = ts[k]
            if heap and heap[0][0] <= when:
                simulator.run_until(when)
            clock._now = when
            publish_next()
        return stop - start

    def _run_fast(self, start: int, stop: int) -> int:
        # The same steps as publish_next, inlined: this loop is the backtest's hot path.
        series = self.series
        exchange = self.exchange
        assert exchange is not None
        simulator = self.simulator
        heap = simulator._heap
        clock = simulator.clock
        publish = self.bus.publish
        symbol, interval = series.symbol, series.interval
        step = self.first_step + start
        rows = zip(
            islice(series.ts, start, stop),
            islice(series.open, start, stop),
            islice(series.high, start, stop),
            islice(series.low, start, stop),
            islice(series.close, start, stop),
            islice(series.volume, start, stop),
            strict=True,
        )
        first = step
        step -= 1
        try:
            for step, (when, open_, high, low, close, volume) in enumerate(rows, first):
                if heap and heap[0][0] <= when:
                    simulator.run_until(when)
                clock._now = when
                if exchange._open:  # resting orders: match them at every step on the way
                    exchange.advance(step - exchange.step)
                else:
                    exchange.step = step
                publish(
                    Bar(
                        ts=when,
                        symbol=symbol,
                        interval=interval,
                        open=open_,
                        high=high,
                        low=low,
                        close=close,
                        volume=volume,
                    )
                )
        finally:
            done = step + 1 - first
            self._next = start + done
            self.published += done
        return done
