"""Reading a CSV or Parquet file into raw columns, before any parsing or checking.

CSV needs only the standard library; Parquet imports ``pyarrow`` when first used. Both
give a :class:`RawTable`: the column names, the number of data rows, a way to fetch one
column, and for CSV the file line of every data row (blank lines are skipped).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from riskbus.core.errors import BadInputError
from riskbus.market.base import IntArray
from riskbus.market.candles import MarketDataError
from riskbus.market.columns import Locator

__all__ = ["RawTable", "read_table"]


@dataclass(slots=True)
class RawTable:
    """Raw columns of a file.

    Attributes:
        source: the file.
        names: the column names in file order.
        rows: number of data rows.
        lines: the 1-based file line of each data row (CSV), or None (Parquet).
    """

    source: str
    names: list[str]
    rows: int
    lines: list[int] | None = None
    _csv: list[Sequence[str]] = field(default_factory=list)
    _arrow: Any = None
    _timezone: str = "UTC"

    def column(self, name: str) -> Sequence[object] | np.ndarray:
        """Return the column ``name``: strings (CSV), or NumPy/Python values (Parquet)."""
        if self._arrow is None:
            index = self.names.index(name)
            return [row[index] for row in self._csv]
        array = self._arrow.column(name).combine_chunks()
        import pyarrow as pa

        numeric = pa.types.is_integer(array.type) or pa.types.is_floating(array.type)
        if numeric and array.null_count == 0:
            return np.asarray(array.to_numpy(zero_copy_only=False))
        return list(array.to_pylist())

    def timestamps_ns(self, name: str, where: Locator) -> IntArray | None:
        """Return a natively typed timestamp/date column as ns since the epoch, else None.

        Naive values are taken in the table's time zone.
        """
        if self._arrow is None:
            return None
        import pyarrow as pa
        import pyarrow.compute as pc

        array = self._arrow.column(name).combine_chunks()
        if pa.types.is_date(array.type):
            array = array.cast(pa.timestamp("ns"))
        if not pa.types.is_timestamp(array.type) or array.null_count:
            return None  # nulls: parsed value by value, naming the row
        try:
            if array.type.tz is None:
                array = pc.assume_timezone(array, self._timezone)
            ns = array.cast(pa.timestamp("ns", array.type.tz)).cast(pa.int64())
        except (pa.ArrowInvalid, ValueError) as e:
            raise where.error(f"cannot convert timestamps: {e}", None, name) from e
        return np.asarray(ns.to_numpy(zero_copy_only=False), dtype=np.int64)


def _read_csv(path: Path, delimiter: str) -> RawTable:
    source = str(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next((row for row in reader if row), None)
            if header is None:
                raise MarketDataError("empty file: no header", source=source)
            names = [name.strip() for name in header]
            rows: list[Sequence[str]] = []
            lines: list[int] = []
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(names):
                    raise MarketDataError(
                        f"expected {len(names)} fields, got {len(row)}",
                        source=source,
                        row=len(rows) + 1,
                        line=reader.line_num,
                    )
                rows.append(row)
                lines.append(reader.line_num)
        except csv.Error as e:
            raise MarketDataError(f"malformed CSV: {e}", source=source, line=reader.line_num) from e
    return RawTable(source, names, len(rows), lines, rows)


def _read_parquet(path: Path, timezone: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise MarketDataError(f"cannot read Parquet file: {e}", source=str(path)) from e
    return RawTable(str(path), list(table.column_names), table.num_rows, None, [], table, timezone)


def read_table(
    path: Path, file_format: Literal["csv", "parquet"] | None, delimiter: str, timezone: str
) -> RawTable:
    """Read ``path`` as CSV or Parquet (from ``file_format`` or the suffix).

    Raises:
        BadInputError: the file is missing, unreadable, not UTF-8, or malformed.
    """
    kind = file_format or {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(
        path.suffix.lower()
    )
    if kind not in ("csv", "parquet"):
        raise BadInputError(
            "unknown file format; use .csv or .parquet, or set file_format",
            source=str(path),
            field="file_format",
        )
    if not path.is_file():
        raise BadInputError("no such file", source=str(path))
    try:
        if kind == "csv":
            return _read_csv(path, delimiter)
        return _read_parquet(path, timezone)
    except UnicodeDecodeError as e:
        raise BadInputError(f"not UTF-8 text: {e}", source=str(path)) from e
    except OSError as e:
        raise BadInputError(f"cannot read file: {e}", source=str(path)) from e
