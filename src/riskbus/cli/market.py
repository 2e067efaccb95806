"""``riskbus market``: look at the market scenarios before running a bot through them.

``riskbus market preview flash_crash --steps 60 --seed 7`` prints a table of the path's
statistics; ``--json`` prints one JSON object instead (the same for the same arguments,
every run); ``--plot out.png`` also draws the path. ``riskbus market list`` names the
scenarios. ``--steps N`` means steps 0 to N-1: N prices, the first being the initial price.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from riskbus.core.clock import SECOND
from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.market import SCENARIOS, PricePath, generate, scenario_names

__all__ = ["app", "preview_payload", "register"]

app = typer.Typer(name="market", help="Preview the market scenarios.", no_args_is_help=True)

#: Decimal places of the prices and statistics in ``--json``.
JSON_DIGITS = 8


def register(root: typer.Typer) -> None:
    """Add the ``market`` group to ``root``."""
    root.add_typer(app, name="market")


_OWN_FLAGS = {
    "initial_price",
    "volatility_multiplier",
    "spread_bps",
    "step",
    "start",
    "seed",
    "steps",
    "name",
}


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise BadInputError(f"expected KEY=VALUE, got {pair!r}", field="--param")
        key = key.strip()
        if key in _OWN_FLAGS:
            raise BadInputError(f"{key} has a flag of its own, not --param", field="--param")
        try:
            params[key] = json.loads(text)  # numbers, lists (transition matrices)
        except json.JSONDecodeError as e:
            raise BadInputError(
                f"{key}: value is not a number or JSON ({e.msg})", field="--param"
            ) from e
    return params


def preview_payload(path: PricePath, initial_price: float) -> dict[str, object]:
    """Return the ``--json`` object for ``path``: prices and statistics, rounded."""
    stats = path.stats()
    return {
        "scenario": path.name,
        "seed": path.seed,
        "steps": path.steps,
        "initial_price": initial_price,
        "prices": [round(p, JSON_DIGITS) for p in path.prices.tolist()],
        "min": round(stats.min, JSON_DIGITS),
        "max": round(stats.max, JSON_DIGITS),
        "min_step": stats.min_step,
        "total_return_pct": round(stats.total_return_pct, JSON_DIGITS),
        "volatility": round(stats.volatility, JSON_DIGITS),
    }


def _table(path: PricePath) -> Table:
    stats = path.stats()
    table = Table(title=f"{path.name} — seed {path.seed}, {path.steps} steps")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    rows = [
        ("initial price", f"{stats.first:,.2f}"),
        ("final price", f"{stats.last:,.2f}"),
        ("min", f"{stats.min:,.2f}"),
        ("min step", str(stats.min_step)),
        ("max", f"{stats.max:,.2f}"),
        ("max step", str(stats.max_step)),
        ("total return", f"{stats.total_return_pct:+.2f} %"),
        ("volatility", f"{stats.volatility * 100:.3f} % per step"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _plot(path: PricePath, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = path.stats()
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        axes.plot(range(path.steps), path.prices, linewidth=1.2)
        axes.scatter([stats.min_step], [stats.min], color="red", zorder=3, label="min")
        axes.set_title(f"{path.name} (seed {path.seed})")
        axes.set_xlabel("step")
        axes.set_ylabel("price")
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(out, format="png")
    except OSError as e:
        raise BadInputError(f"cannot write the plot: {e}", source=str(out), field="--plot") from e
    finally:
        plt.close(figure)


@app.command("list")
def list_scenarios() -> None:
    """List the scenarios and their parameters."""
    table = Table(title="market scenarios")
    for column in ("scenario", "family", "description", "parameters"):
        table.add_column(column)
    for name in scenario_names():
        scenario = SCENARIOS[name]
        params = ", ".join(f"{k}={v}" for k, v in scenario.params.items()) or "-"
        table.add_row(name, scenario.family, scenario.description, params)
    Console().print(table)


@app.command()
def preview(
    scenario: Annotated[str, typer.Argument(help="Scenario name (see `riskbus market list`).")],
    *,
    steps: Annotated[int, typer.Option(help="Number of steps N: prices for steps 0..N-1.")] = 100,
    seed: Annotated[int, typer.Option(help="Root seed of the path.")] = 0,
    initial_price: Annotated[float, typer.Option(help="Price at step 0.")] = 50_000.0,
    volatility_multiplier: Annotated[
        float, typer.Option(help="Scales the variance of the noise.")
    ] = 1.0,
    spread_bps: Annotated[float, typer.Option(help="Quoted spread in basis points.")] = 20.0,
    step_seconds: Annotated[float, typer.Option(help="Duration of one step in seconds.")] = 60.0,
    param: Annotated[
        list[str] | None,
        typer.Option(help="Scenario parameter KEY=VALUE (repeatable), e.g. depth=0.3."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    plot: Annotated[Path | None, typer.Option(help="Also write a PNG of the path.")] = None,
) -> None:
    """Generate a scenario's path and print its statistics."""
    if not step_seconds > 0:
        raise InvalidValueError.for_value("--step-seconds", step_seconds, "must be positive")
    path = generate(
        scenario,
        steps,
        seed,
        initial_price=initial_price,
        volatility_multiplier=volatility_multiplier,
        spread_bps=spread_bps,
        step=max(round(step_seconds * SECOND), 1),
        **_parse_params(param or []),
    )
    if plot is not None:
        _plot(path, plot)
    if as_json:
        typer.echo(json.dumps(preview_payload(path, initial_price)))
        return
    console = Console()
    console.print(_table(path))
    if plot is not None:
        console.print(f"plot written to {plot}")
