"""Reference computations (numpy/pandas, whole-series) that the incremental indicators must match.

Every function returns an array aligned with its input, NaN where the indicator is not ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

TOLERANCE = 1e-9


def random_walk(n: int, seed: int, start: float = 100.0, step: float = 0.5) -> np.ndarray:
    """A seeded random walk of closes around ``start``."""
    rng = np.random.default_rng(seed)
    return start + np.cumsum(rng.normal(0.0, step, n))


def random_bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded (high, low, close) bars with gaps, so all three true-range terms occur."""
    rng = np.random.default_rng(seed)
    close = 100.0 + np.cumsum(rng.normal(0.0, 1.0, n))
    open_ = np.r_[close[0], close[:-1]] + rng.normal(0.0, 0.8, n)  # gaps from the close
    high = np.maximum(open_, close) + rng.exponential(0.3, n)
    low = np.minimum(open_, close) - rng.exponential(0.3, n)
    return high, low, close


def collect(update: Callable[[float], None], read: Callable[[], float | None], xs: Iterable[float]):
    """Feed ``xs`` one by one and return the readings as an array (NaN when not ready)."""
    out = []
    for x in xs:
        update(x)
        value = read()
        out.append(np.nan if value is None else value)
    return np.asarray(out, dtype=float)


def sma_ref(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n).mean(axis=1)
    return out


def std_ref(x: np.ndarray, n: int, ddof: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    out[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n).std(axis=1, ddof=ddof)
    return out


def ema_ref(x: np.ndarray, n: int) -> np.ndarray:
    """pandas ``ewm(span=n, adjust=False)`` seeded with the mean of the first n values."""
    seeded = pd.Series(x[n - 1 :].copy())
    seeded.iloc[0] = x[:n].mean()
    out = np.full(len(x), np.nan)
    out[n - 1 :] = seeded.ewm(span=n, adjust=False).mean().to_numpy()
    return out


def wilder_ref(values: np.ndarray, n: int) -> np.ndarray:
    """Wilder's recursion written out: seed = mean of the first n, then (prev*(n-1) + x)/n."""
    out = np.full(len(values), np.nan)
    average = values[:n].mean()
    out[n - 1] = average
    for i in range(n, len(values)):
        average = (average * (n - 1) + values[i]) / n
        out[i] = average
    return out


def wilder_ewm_ref(values: np.ndarray, n: int) -> np.ndarray:
    """The same as :func:`wilder_ref` through pandas ``ewm(alpha=1/n, adjust=False)``."""
    seeded = pd.Series(values[n - 1 :].copy())
    seeded.iloc[0] = values[:n].mean()
    out = np.full(len(values), np.nan)
    out[n - 1 :] = seeded.ewm(alpha=1.0 / n, adjust=False).mean().to_numpy()
    return out


def rsi_ref(close: np.ndarray, n: int) -> np.ndarray:
    change = np.diff(close)
    gain = wilder_ref(np.clip(change, 0.0, None), n)
    loss = wilder_ref(np.clip(-change, 0.0, None), n)
    out = np.full(len(close), np.nan)
    with np.errstate(divide="ignore"):  # no loss at all: RS = inf, RSI = 100
        out[1:] = 100.0 - 100.0 / (1.0 + gain / loss)
    return out


def true_range_ref(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    previous = close[:-1]
    return np.maximum.reduce(
        [high[1:] - low[1:], np.abs(high[1:] - previous), np.abs(low[1:] - previous)]
    )


def atr_ref(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(close), np.nan)
    out[1:] = wilder_ref(true_range_ref(high, low, close), n)
    return out


def macd_ref(
    close: np.ndarray, fast: int, slow: int, signal: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    line = ema_ref(close, fast) - ema_ref(close, slow)
    signal_line = np.full(len(close), np.nan)
    signal_line[slow - 1 :] = ema_ref(line[slow - 1 :], signal)
    return line, signal_line, line - signal_line


def assert_matches(actual: np.ndarray, expected: np.ndarray, tol: float = TOLERANCE) -> None:
    """Same NaN positions (warm-up) and values within ``tol``."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(expected)
    assert ok.any()
    np.testing.assert_allclose(actual[ok], expected[ok], rtol=0.0, atol=tol)
