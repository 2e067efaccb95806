"""Historical replay: load OHLCV candles from CSV or Parquet, check them, use them as a path.

::

    data = load_ohlcv("btc-1m.csv", columns={"timestamp": "time", "close": "Close"},
                      timezone="Europe/Paris")
    path = data.to_path(spread_bps=10)        # closes per step, the file's candles

Checks, each a :class:`~riskbus.market.candles.MarketDataError` (a ``BadInputError``)
naming the file, the row and the column: missing columns, missing or unparsable values,
non-positive prices, negative volume, ``high < low`` or a body outside ``[low, high]``,
duplicate or non-increasing timestamps. Intervals other than the step (gaps) are reported
in :attr:`HistoricalData.irregular` with their row, or raised with ``gaps="error"``.

**Rows** are 1-based data rows: the first record after the header is row 1, in CSV and
Parquet alike. For CSV the error also carries the file line (``error.line``; the header is
line 1, so row 1 is usually line 2) and its message starts ``file.csv:LINE column:``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from riskbus.core.errors import InvalidValueError
from riskbus.market.candles import (
    OHLCV,
    Candle,
    CandleIntervalError,
    InvalidCandleError,
    IrregularInterval,
    find_irregular_intervals,
)
from riskbus.market.columns import Locator, TimestampUnit, parse_numbers, parse_timestamps, zone
from riskbus.market.path import DEFAULT_STEP, PricePath
from riskbus.market.tables import RawTable, read_table

__all__ = ["FIELDS", "HistoricalData", "load_ohlcv", "load_path"]

#: Our column names; map them to the file's with ``columns={"close": "Close", ...}``.
FIELDS = ("timestamp", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class HistoricalData:
    """Checked candles from a file, oldest first.

    Attributes:
        source: the file.
        ohlcv: the candles as columns (``ts`` in ns since the epoch, UTC).
        step: the expected interval in ns (given, or the most common one in the file).
        irregular: intervals other than ``step`` (gaps), each naming its later row.
    """

    source: str
    ohlcv: OHLCV
    step: int
    irregular: tuple[IrregularInterval, ...]

    def __len__(self) -> int:
        return len(self.ohlcv.ts)

    def __iter__(self) -> Iterator[Candle]:
        return iter(self.candles())

    @property
    def gaps(self) -> list[IrregularInterval]:
        """The irregular intervals that are longer than ``step`` (missing candles)."""
        return [issue for issue in self.irregular if issue.kind == "gap"]

    def candles(self) -> list[Candle]:
        """Return the candles as :class:`Candle` values."""
        return self.ohlcv.to_candles()

    def closes(self) -> Iterator[float]:
        """Iterate over the closes, the path the exchange quotes step by step."""
        return iter(self.ohlcv.close.tolist())

    def to_path(self, *, spread_bps: float = 20.0, name: str | None = None) -> PricePath:
        """Return a :class:`PricePath` of the closes, keeping the file's timestamps and
        candles (``path.candles()`` gives them back; step 0 is the first row)."""
        ts = self.ohlcv.ts
        grid = ts[0] + np.arange(len(ts), dtype=np.int64) * self.step
        offsets = ts - grid
        return PricePath(
            self.ohlcv.close,
            name=name or Path(self.source).name,
            spread_bps=spread_bps,
            start=int(ts[0]),
            step=self.step,
            offsets=offsets if offsets.any() else None,
            ohlcv=self.ohlcv,
        )


def _resolve_columns(
    table: RawTable, columns: Mapping[str, str | None] | None, where: Locator
) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {name: name for name in FIELDS}
    for key, value in (columns or {}).items():
        if key not in mapping:
            raise InvalidValueError(
                f"unknown field {key!r}; fields: {', '.join(FIELDS)}", field=f"columns.{key}"
            )
        if value is None and key != "volume":
            raise InvalidValueError("only volume may be absent (None)", field=f"columns.{key}")
        mapping[key] = value
    lowered = {name.lower(): name for name in table.names}
    resolved: dict[str, str | None] = {}
    for field, wanted in mapping.items():
        if wanted is None:
            resolved[field] = None
            continue
        found = wanted if wanted in table.names else lowered.get(wanted.lower())
        if found is None:
            have = ", ".join(table.names) or "none"
            raise where.error(f"missing column {wanted!r} (the file has: {have})", None, wanted)
        resolved[field] = found
    return resolved


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _check_values(
    data: dict[str, np.ndarray], names: dict[str, str | None], where: Locator
) -> None:
    for field in PRICES:
        bad = _first(data[field] <= 0)
        if bad is not None:
            raise where.error(
                f"price must be positive (got {data[field][bad]:g})",
                bad,
                names[field],
                InvalidCandleError,
            )
    bad = _first(data["volume"] < 0)
    if bad is not None:
        raise where.error(
            f"volume must be >= 0 (got {data['volume'][bad]:g})",
            bad,
            names["volume"],
            InvalidCandleError,
        )
    high, low = data["high"], data["low"]
    bad = _first(high < low)
    if bad is not None:
        raise where.error(
            f"high {high[bad]:g} is below low {low[bad]:g}", bad, names["high"], InvalidCandleError
        )
    top = np.maximum(data["open"], data["close"])
    bad = _first(high < top)
    if bad is not None:
        raise where.error(
            f"high {high[bad]:g} is below open/close {top[bad]:g}",
            bad,
            names["high"],
            InvalidCandleError,
        )
    bottom = np.minimum(data["open"], data["close"])
    bad = _first(low > bottom)
    if bad is not None:
        raise where.error(
            f"low {low[bad]:g} is above open/close {bottom[bad]:g}",
            bad,
            names["low"],
            InvalidCandleError,
        )


def _check_order(ts: np.ndarray, column: str, where: Locator) -> None:
    bad = _first(np.diff(ts) <= 0)
    if bad is None:
        return
    later = bad + 1
    problem = "duplicate timestamp" if ts[later] == ts[bad] else "timestamp goes backwards"
    raise where.error(f"{problem}: not after row {bad + 1}", later, column, CandleIntervalError)


def _infer_step(ts: np.ndarray, step: int | None) -> int:
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
            raise InvalidValueError.for_value("step", step, "must be a positive int (ns)")
        return step
    if len(ts) < 2:
        return DEFAULT_STEP
    intervals, counts = np.unique(np.diff(ts), return_counts=True)
    return int(intervals[np.argmax(counts)])  # the most common; the smallest on a tie


def load_ohlcv(
    path: str | Path,
    *,
    columns: Mapping[str, str | None] | None = None,
    timezone: str = "UTC",
    timestamp_unit: TimestampUnit = "auto",
    step: int | None = None,
    gaps: Literal["report", "error"] = "report",
    file_format: Literal["csv", "parquet"] | None = None,
    delimiter: str = ",",
) -> HistoricalData:
    """Read and check an OHLCV file.

    Args:
        path: a ``.csv`` or ``.parquet`` file (or set ``file_format``).
        columns: our field (``timestamp open high low close volume``) → the file's column;
            unmapped fields use their own name, matched case-insensitively;
            ``{"volume": None}`` for a file without volume (zeros).
        timezone: IANA zone of naive timestamps (ISO strings, naive Parquet timestamps).
        timestamp_unit: ``auto``, ``s``, ``ms``, ``us``, ``ns`` (epochs) or ``iso``; see
            :func:`~riskbus.market.columns.parse_timestamps`.
        step: the expected interval in ns; default: the most common one in the file.
        gaps: ``report`` (in :attr:`HistoricalData.irregular`) or ``error`` (raise).
        file_format: override the format taken from the suffix.
        delimiter: the CSV field delimiter.

    Raises:
        MarketDataError: a bad file, naming the row and column (see the module docstring).
        InvalidValueError: a bad argument (unknown field, time zone, step).
    """
    zone_info = zone(timezone)
    table = read_table(Path(path), file_format, delimiter, timezone)
    where = Locator(table.source, table.lines)
    names = _resolve_columns(table, columns, where)
    if table.rows == 0:
        raise where.error("no data rows", None, None)
    data: dict[str, np.ndarray] = {}
    for field in FIELDS[1:]:
        name = names[field]
        data[field] = (
            np.zeros(table.rows) if name is None else parse_numbers(table.column(name), name, where)
        )
    ts_name = names["timestamp"]
    assert ts_name is not None
    ts = table.timestamps_ns(ts_name, where)
    if ts is None:
        ts = parse_timestamps(
            table.column(ts_name), ts_name, where, unit=timestamp_unit, zone_info=zone_info
        )
    _check_values(data, names, where)
    _check_order(ts, ts_name, where)
    expected = _infer_step(ts, step)
    irregular = tuple(find_irregular_intervals(ts, expected))
    if irregular and gaps == "error":
        first = irregular[0]
        raise where.error(
            f"irregular interval, {first.describe()}", first.row - 1, ts_name, CandleIntervalError
        )
    ohlcv = OHLCV(ts, data["open"], data["high"], data["low"], data["close"], data["volume"])
    return HistoricalData(table.source, ohlcv, expected, irregular)


def load_path(path: str | Path, *, spread_bps: float = 20.0, **options: Any) -> PricePath:
    """Load a file with :func:`load_ohlcv` (``options`` are its arguments) as a path."""
    return load_ohlcv(path, **options).to_path(spread_bps=spread_bps)
