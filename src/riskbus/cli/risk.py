"""``riskbus risk``: portfolio risk analytics from the command line.

``riskbus risk var --returns FILE.csv`` reads one column of daily returns (or of prices with
``--prices``) and prints VaR and CVaR by method as a table, or one JSON object with
``--json``. A missing file, column or bad cell is a ``BadInputError`` naming the file,
column and line (exit 2).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Console
from rich.table import Table

from riskbus.analytics import VaRMethod, VaRResult, var_report
from riskbus.core.errors import BadInputError, InvalidValueError

__all__ = ["read_series", "register", "risk_app"]

risk_app = typer.Typer(
    name="risk",
    help="Portfolio risk analytics: VaR and CVaR.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    """Add the ``risk`` command group to ``app``."""
    app.add_typer(risk_app, name="risk")


def _number(cell: str, source: str, column: str, line: int) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise BadInputError(
            f"not a number: {cell!r}", source=source, field=column, line=line
        ) from None
    if not math.isfinite(value):
        raise BadInputError(
            f"not a finite number: {cell!r}", source=source, field=column, line=line
        )
    return value


def read_series(
    path: Path, column: str | None = None, *, prices: bool = False
) -> tuple[str, npt.NDArray[np.float64]]:
    """Read one numeric column of a CSV file with a header row.

    Without ``column`` it reads ``returns`` (``close`` with ``prices``), or the only column
    of a one-column file. With ``prices``, the prices become simple returns.

    Returns:
        The column read and the returns.

    Raises:
        BadInputError: unreadable file, missing column, or a bad cell (naming the line).
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise BadInputError(f"cannot read the file: {reason}", source=source) from e
    reader = csv.DictReader(io.StringIO(text))
    fields = [name.strip() for name in reader.fieldnames or []]
    if not fields:
        raise BadInputError("the file is empty; expected a header row", source=source)
    reader.fieldnames = fields
    name = column or ("close" if prices else "returns")
    if name not in fields:
        if column is not None or len(fields) != 1:
            listed = ", ".join(fields)
            raise BadInputError(
                f"column not found; columns are: {listed}", source=source, field=name
            )
        name = fields[0]
    values = [
        _number((row.get(name) or "").strip(), source, name, reader.line_num) for row in reader
    ]
    series = np.asarray(values, dtype=np.float64)
    if not prices:
        return name, series
    bad = np.flatnonzero(series <= 0.0)
    if bad.size:
        raise BadInputError(
            f"prices must be positive, got {series[bad[0]]!r}",
            source=source,
            field=name,
            line=int(bad[0]) + 2,
        )
    return name, series[1:] / series[:-1] - 1.0


def _methods(method: str) -> list[VaRMethod]:
    if method.strip().lower() == "all":
        return list(VaRMethod)
    try:
        return [VaRMethod.parse(method)]
    except InvalidValueError as e:
        known = ", ".join(m.value for m in VaRMethod)
        problem = f"must be one of {known} or all"
        raise InvalidValueError.for_value("--method", method, problem) from e


def _table(title: str, results: list[VaRResult]) -> Table:
    amounts = results[0].portfolio_value is not None
    table = Table(title=title)
    for header in ("method", "confidence", "horizon", "VaR", "CVaR"):
        table.add_column(header, justify="left" if header == "method" else "right")
    if amounts:
        table.add_column("VaR amount", justify="right")
        table.add_column("CVaR amount", justify="right")
    for r in results:
        cells = [
            r.method.value,
            f"{r.confidence:.1%}",
            f"{r.horizon_days} d",
            f"{r.var:.2%}",
            f"{r.cvar:.2%}",
        ]
        if r.var_amount is not None and r.cvar_amount is not None:
            cells += [f"{r.var_amount:,.2f}", f"{r.cvar_amount:,.2f}"]
        table.add_row(*cells)
    return table


@risk_app.command("var")
def var_command(
    *,
    returns: Annotated[
        Path,
        typer.Option(
            "--returns",
            help="CSV file with a header row and a column of daily returns (or prices).",
        ),
    ],
    method: Annotated[
        str, typer.Option(help="historical, normal, student_t, monte_carlo or all.")
    ] = "all",
    confidence: Annotated[float, typer.Option(help="Confidence level in (0, 1).")] = 0.95,
    horizon: Annotated[
        str, typer.Option(help="Horizon in days, or 1d, 1w (7 days), 1m (30 days).")
    ] = "1",
    column: Annotated[
        str | None,
        typer.Option(help="Column to read (default: returns, or close with --prices)."),
    ] = None,
    prices: Annotated[
        bool, typer.Option("--prices", help="The column holds prices: use their returns.")
    ] = False,
    portfolio_value: Annotated[
        float | None, typer.Option(help="Also report VaR and CVaR in currency.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Root seed of the Monte Carlo stream.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Estimate Value at Risk and CVaR (expected shortfall) from a CSV of returns or prices."""
    methods = _methods(method)
    name, data = read_series(returns, column, prices=prices)
    try:
        results = var_report(
            data,
            methods=methods,
            confidences=(confidence,),
            horizons=(horizon,),
            portfolio_value=portfolio_value,
            seed=seed,
        )
    except InvalidValueError as e:
        if e.field in (None, "returns"):
            raise BadInputError(e.message, source=str(returns), field=name) from e
        raise BadInputError(e.message, field="--" + e.field.replace("_", "-")) from e
    if as_json:
        payload = {
            "file": str(returns),
            "column": name,
            "input": "prices" if prices else "returns",
            "observations": int(data.size),
            "results": [r.to_dict() for r in results],
        }
        typer.echo(json.dumps(payload))
        return
    title = f"VaR / CVaR: {returns.name} ({name}, {data.size} returns)"
    Console().print(_table(title, results))
