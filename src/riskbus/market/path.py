"""The price path the simulated exchange consumes: closes per step, quotes and candles.

Conventions, the same for generated and historical paths:

* ``prices[k]`` is the price at step ``k``; step 0 is the initial price, step ``k`` the
  price after the k-th move (the original mock exchange's ``call_count``). A path of
  ``steps`` steps holds ``steps`` prices, steps ``0`` to ``steps - 1``.
* Step ``k`` happens at ``start + k*step`` ns since the epoch (plus the path's offset for
  that step, non-zero only for irregular or historical timestamps). ``step`` is an int in
  **nanoseconds** (``riskbus.core.clock.MINUTE`` by default).
* Quotes: ``buy = p + spread/2``, ``sell = p - spread/2`` with ``spread = p*bps/10000``.
* Floats inside; :meth:`PricePath.price_at` and :meth:`PricePath.quote_at` return
  ``Decimal`` quantized to the instrument's tick, for the exchange and the accounting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import numpy as np

from riskbus.core.clock import MINUTE, Simulator
from riskbus.core.errors import InvalidValueError
from riskbus.market.base import FloatArray, IntArray
from riskbus.market.candles import OHLCV, Candle, synthesize_candles

__all__ = ["DEFAULT_START", "DEFAULT_STEP", "PathStats", "PricePath", "Quote", "to_tick"]

DEFAULT_START = Simulator.DEFAULT_START  # 2024-01-01T00:00:00Z, as the simulator
DEFAULT_STEP = MINUTE


@dataclass(frozen=True, slots=True)
class PathStats:
    """Summary of a path (floats). ``volatility`` is the population standard deviation of
    the simple step returns ``p[k]/p[k-1] - 1``; 0 for a one-step path."""

    steps: int
    first: float
    last: float
    min: float
    max: float
    min_step: int
    max_step: int
    mean: float
    total_return_pct: float
    volatility: float

    def as_dict(self) -> dict[str, float | int]:
        """Return the fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Quote:
    """The price and the buy/sell prices around it at one step, quantized."""

    step: int
    price: Decimal
    buy: Decimal
    sell: Decimal


def to_tick(value: float, tick: Decimal | str | float | None) -> Decimal:
    """Return ``value`` as a Decimal, rounded half-even to a multiple of ``tick``.

    ``tick=None`` keeps the float's shortest repr; a float tick is read by its repr
    (``0.01`` is ``Decimal("0.01")``). Raises :class:`InvalidValueError` for a tick that is
    not a positive number.
    """
    exact = Decimal(repr(float(value)))
    if tick is None:
        return exact
    if type(tick) is Decimal:
        power = _DECIMAL_POWERS.get(tick)
        if power is not None and tick.same_quantum(power):
            # On a power-of-ten grid written 1E-n (0.01, 1, ...; not 0.010) the snap below
            # is a half-even quantize: the same value and exponent, without the division.
            try:
                return exact.quantize(tick, ROUND_HALF_EVEN)
            except InvalidOperation:
                pass  # more digits than the context holds: the general way below
    try:
        size = Decimal(repr(tick)) if isinstance(tick, float) else Decimal(tick)
    except InvalidOperation as e:
        raise InvalidValueError.for_value("tick", tick, "must be a positive number") from e
    if not size.is_finite() or size <= 0:
        raise InvalidValueError.for_value("tick", tick, "must be a positive number")
    units = (exact / size).to_integral_value(rounding=ROUND_HALF_EVEN)
    return (units * size).quantize(size)


#: 1E-12 .. 1E+6, each by its value (``Decimal("0.010")`` finds ``1E-2`` too: equal Decimals
#: hash alike; :func:`to_tick` then compares exponents), for :func:`to_tick`.
_DECIMAL_POWERS = {power: power for power in (Decimal(1).scaleb(n) for n in range(-12, 7))}


class PricePath:
    """Prices per step plus what is needed to quote and to build candles.

    Args:
        prices: one positive price per step, step 0 first.
        name: scenario name (or ``a+b`` for a composed path, the file for a replay).
        seed: the seed the path came from; seeds the synthetic candles.
        spread_bps: the quoted spread in basis points.
        start: time of step 0, ns since the epoch.
        step: duration of one step in ns.
        offsets: per-step ns added to ``start + k*step`` (irregular timestamps), or None.
        volatility_multiplier: scales the synthetic candles' wick variance.
        ohlcv: real candles (historical replay); used instead of synthetic ones.
    """

    __slots__ = (
        "_ohlcv",
        "name",
        "offsets",
        "prices",
        "seed",
        "spread_bps",
        "start",
        "step",
        "volatility_multiplier",
    )

    def __init__(
        self,
        prices: FloatArray,
        *,
        name: str = "custom",
        seed: int = 0,
        spread_bps: float = 20.0,
        start: int = DEFAULT_START,
        step: int = DEFAULT_STEP,
        offsets: IntArray | None = None,
        volatility_multiplier: float = 1.0,
        ohlcv: OHLCV | None = None,
    ) -> None:
        # a view, so freezing it leaves the caller's array writable
        self.prices = np.ascontiguousarray(prices, dtype=np.float64).view()
        self.prices.flags.writeable = False
        if self.prices.ndim != 1 or len(self.prices) == 0:
            raise InvalidValueError.for_value("prices", prices, "must be a non-empty 1-D array")
        if not np.all(np.isfinite(self.prices) & (self.prices > 0)):
            raise InvalidValueError("every price must be positive and finite", field="prices")
        if offsets is not None and len(offsets) != len(self.prices):
            raise InvalidValueError.for_value("offsets", len(offsets), "must match the prices")
        self.name = name
        self.seed = seed
        self.spread_bps = float(spread_bps)
        self.start = int(start)
        self.step = int(step)
        self.offsets = offsets
        self.volatility_multiplier = float(volatility_multiplier)
        self._ohlcv = ohlcv

    def __len__(self) -> int:
        return len(self.prices)

    def __iter__(self) -> Iterator[float]:
        """Iterate over the prices (closes) as floats, step 0 first."""
        return iter(self.prices.tolist())

    def __repr__(self) -> str:
        return f"PricePath(name={self.name!r}, seed={self.seed}, steps={len(self)})"

    @property
    def steps(self) -> int:
        """Number of steps (prices) in the path."""
        return len(self.prices)

    @property
    def buy_prices(self) -> FloatArray:
        """Buy (ask) prices per step: ``p + spread/2``."""
        return self.prices * (1.0 + self.spread_bps / 20_000.0)

    @property
    def sell_prices(self) -> FloatArray:
        """Sell (bid) prices per step: ``p - spread/2``."""
        return self.prices * (1.0 - self.spread_bps / 20_000.0)

    def timestamps(self, start_ts: int | None = None, step_ns: int | None = None) -> IntArray:
        """Return the time of each step in ns; offsets rescale with a different step."""
        start = self.start if start_ts is None else int(start_ts)
        step = self.step if step_ns is None else int(step_ns)
        if step <= 0:
            raise InvalidValueError.for_value("step_ns", step, "must be positive")
        ts = start + np.arange(len(self.prices), dtype=np.int64) * step
        if self.offsets is not None:
            if step == self.step:
                ts += self.offsets
            else:  # in floats: offset*step would overflow int64 for ns-sized values
                ts += np.round(self.offsets * (step / self.step)).astype(np.int64)
        return ts

    def ohlcv(self, start_ts: int | None = None, step_ns: int | None = None) -> OHLCV:
        """Return one candle per step as columns (see :meth:`candles`)."""
        ts = self.timestamps(start_ts, step_ns)
        if self._ohlcv is not None:
            return self._ohlcv._replace(ts=ts)
        return synthesize_candles(self.prices, ts, self.seed, self.volatility_multiplier)

    def candles(self, start_ts: int | None = None, step_ns: int | None = None) -> list[Candle]:
        """Return one candle per step, candle ``k`` closing at step ``k``'s time and price.

        Args:
            start_ts: time of step 0 in ns (default: the path's ``start``).
            step_ns: step duration in ns (default: the path's ``step``).
        """
        return self.ohlcv(start_ts, step_ns).to_candles()

    def index_at(self, ts: int, *, clamp: bool = False) -> int:
        """Return the step in force at time ``ts`` (the last step at or before it).

        Raises:
            IndexError: ``ts`` is before step 0, or after the last step unless ``clamp``.
        """
        times = self.timestamps()
        k = int(np.searchsorted(times, ts, side="right")) - 1
        if k < 0:
            raise IndexError(f"time {ts} is before the path starts at {int(times[0])}")
        if k == len(times) - 1 and ts >= times[-1] + self.step and not clamp:
            raise IndexError(f"time {ts} is past the last step of {self!r}")
        return k

    def _check_step(self, k: int) -> int:
        n = len(self.prices)
        if not -n <= k < n:
            raise IndexError(f"step {k} out of range for {self!r}")
        return k % n

    def price_at(self, k: int, tick: Decimal | str | float | None = None) -> Decimal:
        """Return the price at step ``k`` as a Decimal quantized to ``tick``."""
        return to_tick(float(self.prices[self._check_step(k)]), tick)

    def quote_at(self, k: int, tick: Decimal | str | float | None = None) -> Quote:
        """Return price, buy and sell at step ``k``, each quantized to ``tick``."""
        k = self._check_step(k)
        price = float(self.prices[k])
        half = price * self.spread_bps / 20_000.0
        mid = to_tick(price, tick)
        if not half:  # no spread: buy and sell are the price
            return Quote(k, mid, mid, mid)
        return Quote(k, mid, to_tick(price + half, tick), to_tick(price - half, tick))

    def stats(self) -> PathStats:
        """Return min, max (and their steps), mean, total return and volatility."""
        p = self.prices
        returns = p[1:] / p[:-1] - 1.0
        return PathStats(
            steps=len(p),
            first=float(p[0]),
            last=float(p[-1]),
            min=float(p.min()),
            max=float(p.max()),
            min_step=int(p.argmin()),
            max_step=int(p.argmax()),
            mean=float(p.mean()),
            total_return_pct=float((p[-1] / p[0] - 1.0) * 100.0),
            volatility=float(returns.std()) if len(returns) else 0.0,
        )
