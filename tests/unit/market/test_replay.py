"""Historical replay from CSV and Parquet: happy paths and every bad input, named by row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from riskbus.core.clock import MINUTE, SECOND, from_datetime
from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.market import (
    CandleIntervalError,
    InvalidCandleError,
    MarketDataError,
    load_ohlcv,
    load_path,
)

T0 = from_datetime(datetime(2024, 1, 1, tzinfo=UTC))
HEADER = "timestamp,open,high,low,close,volume"
ROWS = [
    "2024-01-01T00:00:00Z,100,101,99,100.5,10",
    "2024-01-01T00:01:00Z,100.5,102,100,101.5,12",
    "2024-01-01T00:02:00Z,101.5,101.5,98,99,30",
    "2024-01-01T00:03:00Z,99,100,98.5,99.5,8",
]


def write(tmp_path: Path, lines: list[str], name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_with_iso_timestamps_loads_as_candles_and_a_path(tmp_path: Path) -> None:
    data = load_ohlcv(write(tmp_path, [HEADER, *ROWS]))
    assert len(data) == 4 and data.step == MINUTE and data.irregular == ()
    assert data.ohlcv.ts.tolist() == [T0 + k * MINUTE for k in range(4)]
    first = data.candles()[0]
    assert (first.ts, first.open, first.high, first.low, first.close, first.volume) == (
        T0,
        100.0,
        101.0,
        99.0,
        100.5,
        10.0,
    )
    assert list(data.closes()) == [100.5, 101.5, 99.0, 99.5]
    assert [c.close for c in data] == [100.5, 101.5, 99.0, 99.5]
    path = data.to_path(spread_bps=10)
    assert path.prices.tolist() == [100.5, 101.5, 99.0, 99.5]
    assert (path.start, path.step, path.offsets, path.name) == (T0, MINUTE, None, "data.csv")
    assert path.candles() == data.candles()
    assert path.stats().min_step == 2
    assert str(path.price_at(2, "0.1")) == "99.0"


def test_column_mapping_case_and_a_missing_volume(tmp_path: Path) -> None:
    lines = ["Time;Open;HIGH;low;Close", "1704067200;1;2;0.5;1.5", "1704067260;1.5;2;1;1"]
    data = load_ohlcv(
        write(tmp_path, lines), columns={"timestamp": "time", "volume": None}, delimiter=";"
    )
    assert data.ohlcv.ts.tolist() == [T0, T0 + MINUTE]
    assert data.ohlcv.volume.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("stamps", "unit"),
    [
        (["1704067200", "1704067260"], "auto"),
        (["1704067200000", "1704067260000"], "auto"),
        (["1704067200000000", "1704067260000000"], "auto"),
        (["1704067200000000000", "1704067260000000000"], "auto"),
        (["1704067200.0", "1704067260.0"], "auto"),
        (["1704067200000", "1704067260000"], "ms"),
        (["2024-01-01 01:00:00", "2024-01-01 01:01:00"], "iso"),
    ],
)
def test_epoch_units_and_naive_times_in_a_zone(tmp_path: Path, stamps: list[str], unit: str):
    lines = [HEADER, f"{stamps[0]},1,1,1,1,1", f"{stamps[1]},1,1,1,1,1"]
    tz = "Europe/Paris" if unit == "iso" else "UTC"
    data = load_ohlcv(write(tmp_path, lines), timestamp_unit=unit, timezone=tz)  # type: ignore[arg-type]
    assert data.ohlcv.ts.tolist() == [T0, T0 + MINUTE]


def test_aware_iso_timestamps_keep_their_offset(tmp_path: Path) -> None:
    lines = [HEADER, "2024-01-01T01:00:00+01:00,1,1,1,1,1"]
    assert load_ohlcv(write(tmp_path, lines), timezone="Asia/Tokyo").ohlcv.ts.tolist() == [T0]


def test_gaps_are_reported_with_their_row_or_raised(tmp_path: Path) -> None:
    rows = [*ROWS[:2], ROWS[3], "2024-01-01T00:04:00Z,99,100,98.5,99.5,8"]
    path = write(tmp_path, [HEADER, *rows])
    data = load_ohlcv(path)
    assert [(g.row, g.kind, g.interval) for g in data.gaps] == [(3, "gap", 2 * MINUTE)]
    assert data.to_path().offsets is not None
    assert data.to_path().timestamps().tolist() == data.ohlcv.ts.tolist()
    with pytest.raises(CandleIntervalError) as info:
        load_ohlcv(path, gaps="error")
    assert (info.value.row, info.value.line, info.value.column) == (3, 4, "timestamp")
    assert str(info.value).startswith(f"{path}:4 timestamp: row 3: irregular interval, gap")
    assert load_ohlcv(path, step=2 * MINUTE).irregular[0].kind == "short"


def test_parquet_with_typed_timestamps_and_numeric_epochs(tmp_path: Path) -> None:
    stamps = [datetime(2024, 1, 1, 1, m) for m in range(3)]  # naive: local to the zone
    prices = {
        "open": [1.0, 2.0, 3.0],
        "high": [2.0, 3.0, 4.0],
        "low": [0.5, 1.5, 2.5],
        "close": [2.0, 3.0, 3.5],
        "Volume": [1, 2, 3],
    }
    naive = tmp_path / "naive.parquet"
    pq.write_table(pa.table({"time": pa.array(stamps, pa.timestamp("ms")), **prices}), naive)
    data = load_ohlcv(naive, columns={"timestamp": "time"}, timezone="Europe/Paris")
    assert data.ohlcv.ts.tolist() == [T0 + k * MINUTE for k in range(3)]
    assert data.ohlcv.volume.tolist() == [1.0, 2.0, 3.0]
    aware = tmp_path / "aware.parquet"
    utc = pa.array([T0 + k * MINUTE for k in range(3)], pa.timestamp("ns", "UTC"))
    pq.write_table(pa.table({"timestamp": utc, **prices}), aware)
    assert load_ohlcv(aware, timezone="Asia/Tokyo").ohlcv.ts.tolist()[0] == T0
    epochs = tmp_path / "epochs.pq"
    secs = pa.array([T0 // SECOND + 60 * k for k in range(3)], pa.int64())
    pq.write_table(pa.table({"timestamp": secs, **prices}), epochs)
    assert load_path(epochs, spread_bps=5).prices.tolist() == [2.0, 3.0, 3.5]
    dated = tmp_path / "dated.parquet"
    days = pa.array([datetime(2024, 1, d + 1).date() for d in range(3)], pa.date32())
    pq.write_table(pa.table({"timestamp": days, **prices}), dated)
    assert load_ohlcv(dated).step == 86_400 * SECOND


@pytest.mark.parametrize(
    ("row", "text", "column", "problem", "error"),
    [
        (
            2,
            "2024-01-01T00:01:00Z,abc,102,100,101.5,12",
            "open",
            "cannot parse 'abc'",
            MarketDataError,
        ),
        (2, "2024-01-01T00:01:00Z,,102,100,101.5,12", "open", "missing value", MarketDataError),
        (3, "2024-01-01T00:02:00Z,101.5,101.5,98,nan,30", "close", "finite", MarketDataError),
        (2, "2024-01-01T00:01:00Z,100.5,102,100,0,12", "close", "positive", InvalidCandleError),
        (3, "2024-01-01T00:02:00Z,-1,101.5,98,99,30", "open", "positive", InvalidCandleError),
        (2, "2024-01-01T00:01:00Z,100.5,99,100,99.5,12", "high", "below low", InvalidCandleError),
        (
            2,
            "2024-01-01T00:01:00Z,100.5,101,100,101.5,12",
            "high",
            "below open/close",
            InvalidCandleError,
        ),
        (
            2,
            "2024-01-01T00:01:00Z,100.5,102,101,101.5,12",
            "low",
            "above open/close",
            InvalidCandleError,
        ),
        (
            4,
            "2024-01-01T00:03:00Z,99,100,98.5,99.5,-8",
            "volume",
            "volume must be >= 0",
            InvalidCandleError,
        ),
        (
            3,
            "yesterday,101.5,101.5,98,99,30",
            "timestamp",
            "cannot parse 'yesterday' as a timestamp",
            MarketDataError,
        ),
        (3, ",101.5,101.5,98,99,30", "timestamp", "missing timestamp", MarketDataError),
        (
            3,
            "2024-01-01T00:00:30Z,101.5,101.5,98,99,30",
            "timestamp",
            "goes backwards",
            CandleIntervalError,
        ),
        (
            3,
            "2024-01-01T00:01:00Z,101.5,101.5,98,99,30",
            "timestamp",
            "duplicate timestamp",
            CandleIntervalError,
        ),
        (2, "2024-01-01T00:01:00Z,100.5,102", None, "expected 6 fields, got 3", MarketDataError),
    ],
)
def test_a_bad_csv_row_is_named_by_row_line_and_column(
    tmp_path: Path,
    row: int,
    text: str,
    column: str | None,
    problem: str,
    error: type[MarketDataError],
) -> None:
    rows = list(ROWS)
    rows[row - 1] = text
    path = write(tmp_path, [HEADER, "", *rows])  # a blank line: row 1 is on line 3
    with pytest.raises(error, match=problem) as info:
        load_ohlcv(path)
    assert (info.value.row, info.value.line, info.value.column) == (row, row + 2, column)
    where = f"{path}:{row + 2} {column}: " if column else f"{path}:{row + 2}: "
    assert str(info.value).startswith(f"{where}row {row}: ")


def test_explicit_epoch_unit_names_a_non_numeric_timestamp(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, "1704067200,1,1,1,1,1", "soon,1,1,1,1,1"])
    with pytest.raises(MarketDataError, match="row 2: cannot parse 'soon'"):
        load_ohlcv(path, timestamp_unit="s")


@pytest.mark.parametrize(
    ("lines", "problem", "line"),
    [
        ([], "empty file: no header", None),
        ([HEADER], "no data rows", 1),
        (["timestamp,open,high,low,close", ROWS[0][:-3]], "missing column 'volume'", 1),
    ],
)
def test_empty_files_and_missing_columns(
    tmp_path: Path, lines: list[str], problem: str, line: int | None
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(MarketDataError, match=problem) as info:
        load_ohlcv(path)
    assert info.value.line == line and info.value.row is None


def test_missing_mapped_column_lists_what_the_file_has(tmp_path: Path) -> None:
    with pytest.raises(MarketDataError, match=r"missing column 'Last' \(the file has: ") as info:
        load_ohlcv(write(tmp_path, [HEADER, ROWS[0]]), columns={"close": "Last"})
    assert info.value.column == "Last" and info.value.line == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"columns": {"price": "p"}}, "columns.price"),
        ({"columns": {"close": None}}, "columns.close"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"step": 0}, "step"),
        ({"step": 1.5}, "step"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        load_ohlcv(write(tmp_path, [HEADER, *ROWS]), **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="no such file"):
        load_ohlcv(tmp_path / "none.csv")
    with pytest.raises(BadInputError, match="unknown file format") as info:
        load_ohlcv(write(tmp_path, [HEADER], "data.xlsx"))
    assert info.value.field == "file_format"
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"\n\xe9,1,1,1,1,1\n")
    with pytest.raises(BadInputError, match="not UTF-8"):
        load_ohlcv(latin)
    nul = tmp_path / "nul.csv"
    nul.write_text(HEADER + '\n"a\n', encoding="utf-8")
    with pytest.raises(MarketDataError, match="malformed CSV"):
        load_ohlcv(nul, file_format="csv")
    broken = write(tmp_path, ["not parquet"], "broken.parquet")
    with pytest.raises(MarketDataError, match="cannot read Parquet"):
        load_ohlcv(broken)
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(BadInputError, match="no such file"):
        load_ohlcv(folder)


def test_unreadable_file_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, [HEADER, *ROWS])

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(BadInputError, match="cannot read file: denied"):
        load_ohlcv(path)


def test_parquet_nulls_and_text_are_named_by_row(tmp_path: Path) -> None:
    base = {
        "timestamp": pa.array([T0, T0 + MINUTE], pa.timestamp("ns", "UTC")),
        "open": [1.0, 1.0],
        "high": [1.0, 1.0],
        "low": [1.0, 1.0],
        "volume": [1.0, 1.0],
    }
    cases = {
        "null.parquet": ({"close": pa.array([1.0, None])}, "row 2: missing value", "close"),
        "text.parquet": ({"close": ["1.0", "x"]}, "row 2: cannot parse 'x'", "close"),
        "nullts.parquet": (
            {"close": [1.0, 1.0], "timestamp": pa.array([T0, None], pa.timestamp("ns", "UTC"))},
            "row 2: missing timestamp",
            "timestamp",
        ),
    }
    for name, (columns, problem, column) in cases.items():
        path = tmp_path / name
        pq.write_table(pa.table({**base, **columns}), path)
        with pytest.raises(MarketDataError, match=problem) as info:
            load_ohlcv(path)
        assert (info.value.column, info.value.line) == (column, None)
    text_ok = tmp_path / "text_ok.parquet"
    pq.write_table(pa.table({**base, "close": ["1.0", "1.0"]}), text_ok)
    assert load_ohlcv(text_ok).ohlcv.close.tolist() == [1.0, 1.0]


def test_parquet_nonexistent_local_time_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "dst.parquet"
    gap = pa.array([datetime(2024, 3, 31, 2, 30)], pa.timestamp("s"))  # skipped in Paris
    pq.write_table(
        pa.table(
            {
                "timestamp": gap,
                "open": [1.0],
                "high": [1.0],
                "low": [1.0],
                "close": [1.0],
                "volume": [1.0],
            }
        ),
        path,
    )
    with pytest.raises(MarketDataError, match="cannot convert timestamps") as info:
        load_ohlcv(path, timezone="Europe/Paris")
    assert info.value.column == "timestamp"


def test_a_single_row_file_defaults_to_one_minute_steps(tmp_path: Path) -> None:
    data = load_ohlcv(write(tmp_path, [HEADER, ROWS[0]]))
    assert data.step == MINUTE and np.array_equal(data.to_path().prices, [100.5])


def test_parquet_float_epoch_seconds_and_an_empty_column(tmp_path: Path) -> None:
    from riskbus.market.columns import Locator, parse_timestamps, zone

    path = tmp_path / "floats.parquet"
    secs = pa.array([T0 / SECOND, T0 / SECOND + 60.5], pa.float64())
    pq.write_table(
        pa.table(
            {
                "timestamp": secs,
                "open": [1.0, 1.0],
                "high": [1.0, 1.0],
                "low": [1.0, 1.0],
                "close": [1.0, 1.0],
                "volume": [1, 1],
            }
        ),
        path,
    )
    assert load_ohlcv(path).ohlcv.ts.tolist() == [T0, T0 + 60_500_000_000]
    empty = parse_timestamps([], "t", Locator("x"), unit="auto", zone_info=zone("UTC"))
    assert empty.dtype == np.int64 and len(empty) == 0
