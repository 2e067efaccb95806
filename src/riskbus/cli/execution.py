"""``riskbus rebalance`` and ``riskbus liquidate``: plans from YAML, run on the simulator.

``riskbus rebalance --holdings h.yaml --targets t.yaml [--dry-run] [--max-parallel 3]
[--level strict|moderate|permissive] [--json]`` builds the plan, shows it as a table, runs it
(progress bar) through the execution engine and prints the stats. ``--json`` prints one
object: ``plan.orders`` (execution order: ``symbol``, ``side``, ``quantity``, ``usd``) and
``stats`` (``total_orders``, ``completed``, ``failed``, ``success_rate``, ``fees``).

``riskbus liquidate --holdings h.yaml --strategy fifo [--symbol S] [--quantity Q]
[--max-notional N] [--limit-offset-bps B] [--json]`` sells lots chosen by the strategy.

Orders go through the exchange registry: a dry run, or a platform with no connected client,
runs on the simulated exchange (seeded with the holdings at their prices); the registry's
reason is shown. Bad files exit 2 naming the file, key and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import msgspec
import numpy as np
import typer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.errors import InvalidValueError
from riskbus.core.seeds import Seeds
from riskbus.core.yamlconf import load_model
from riskbus.exchange import SimulatedExchange
from riskbus.exchange.registry import ExchangeRegistry
from riskbus.execution.engine import ExecutionEngine, PlanRun
from riskbus.execution.liquidation import LiquidationStrategy, Lot, plan_liquidation
from riskbus.execution.plans import Holding, RebalancePlan, build_plan, check_weights
from riskbus.execution.validator import SafetyLevel, SafetyLimits, SafetyValidator
from riskbus.market.path import PricePath
from riskbus.model.catalogue import default_registry
from riskbus.model.events.execution import PlanOrderCompleted, PlanOrderFailed

__all__ = ["HoldingsFile", "TargetsFile", "register"]

_CLOSED = ConfigDict(extra="forbid", frozen=True)


class LotEntry(BaseModel):
    """One purchase lot of a holding (for liquidation)."""

    model_config = _CLOSED
    quantity: Decimal = Field(gt=0)
    cost: Decimal = Field(gt=0)
    acquired: int = Field(ge=0, description="when bought: any increasing number, e.g. ns")


class HoldingEntry(BaseModel):
    """One asset held."""

    model_config = _CLOSED
    quantity: Decimal = Field(ge=0)
    price: Decimal = Field(gt=0)
    lots: list[LotEntry] = []


class HoldingsFile(BaseModel):
    """``holdings.yaml``: the cash currency and what is held."""

    model_config = _CLOSED
    cash: str = "USDT"
    holdings: dict[str, HoldingEntry]


class SafetyEntry(BaseModel):
    """The safety validator's limits (``targets.yaml`` → ``safety``)."""

    model_config = _CLOSED
    max_single_order_usd: Decimal = Field(default=Decimal(1_000), gt=0)
    max_daily_volume_usd: Decimal = Field(default=Decimal(10_000), gt=0)
    whitelist: list[str] | None = None


class TargetsFile(BaseModel):
    """``targets.yaml``: target weights or amounts, and the plan's options."""

    model_config = _CLOSED
    weights: dict[str, Decimal] | None = None
    amounts: dict[str, Decimal] | None = None
    prices: dict[str, Decimal] = {}
    min_trade_usd: Decimal = Field(default=Decimal(25), ge=0)
    pinned: list[str] = []
    blacklist: list[str] = []
    platform: str = "binance"
    safety: SafetyEntry = SafetyEntry()

    @field_validator("weights")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        # checked here too, so the error names the file and the line of ``weights:``
        if weights is None:
            return None
        try:
            return check_weights(weights)
        except InvalidValueError as error:  # "weights.BTC: must ...": the file adds the key
            message = str(error).removeprefix("weights: ").removeprefix("weights.")
            raise ValueError(message) from None


def register(app: typer.Typer) -> None:
    """Add ``rebalance`` and ``liquidate`` to ``app``."""
    app.command("rebalance")(rebalance)
    app.command("liquidate")(liquidate)


def rebalance(
    holdings: Annotated[Path, typer.Option(help="YAML file of what is held.")],
    targets: Annotated[Path, typer.Option(help="YAML file of target weights or amounts.")],
    *,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run on the simulator.")] = False,
    max_parallel: Annotated[int, typer.Option(min=1, help="Orders in flight at most.")] = 3,
    level: Annotated[SafetyLevel, typer.Option(help="Safety validator level.")] = (
        SafetyLevel.STRICT
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Build a rebalancing plan (sells first) and execute it."""
    held = load_model(holdings, HoldingsFile)
    wanted = load_model(targets, TargetsFile)
    plan = build_plan(
        _holdings(held),
        plan_id="rebalance",
        weights=wanted.weights,
        amounts=wanted.amounts,
        prices=wanted.prices,
        cash=held.cash,
        min_trade_usd=wanted.min_trade_usd,
        pinned=wanted.pinned,
        blacklist=wanted.blacklist,
        platform=wanted.platform,
    )
    limits = SafetyLimits(
        max_single_order_usd=wanted.safety.max_single_order_usd,
        max_daily_volume_usd=wanted.safety.max_daily_volume_usd,
    )
    if wanted.safety.whitelist is not None:
        limits = msgspec.structs.replace(limits, whitelist=frozenset(wanted.safety.whitelist))
    validator = SafetyValidator(level, limits=limits, sandbox=True)
    _execute(
        plan,
        held,
        extra_prices=wanted.prices,
        dry_run=dry_run,
        max_parallel=max_parallel,
        validator=validator,
        as_json=as_json,
    )


def liquidate(
    holdings: Annotated[Path, typer.Option(help="YAML file of what is held (with lots).")],
    *,
    strategy: Annotated[LiquidationStrategy, typer.Option(help="Which lots go first.")] = (
        LiquidationStrategy.FIFO
    ),
    symbol: Annotated[str | None, typer.Option(help="Liquidate only this asset.")] = None,
    quantity: Annotated[str | None, typer.Option(help="Sell only this much of --symbol.")] = None,
    max_notional: Annotated[str | None, typer.Option(help="Slice orders above this.")] = None,
    limit_offset_bps: Annotated[
        str | None, typer.Option(help="Limit price this many bps under the price.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run on the simulator.")] = False,
    max_parallel: Annotated[int, typer.Option(min=1, help="Orders in flight at most.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Sell a position or the whole portfolio, choosing lots by a strategy."""
    held = load_model(holdings, HoldingsFile)
    if quantity is not None and symbol is None:
        raise InvalidValueError.for_value("--quantity", quantity, "needs --symbol")
    lots = [
        Lot(
            symbol=name,
            quantity=lot.quantity,
            cost=lot.cost,
            acquired_at=lot.acquired,
            lot_id=f"{name}-{n}",
        )
        for name, entry in sorted(held.holdings.items())
        if name != held.cash
        for n, lot in enumerate(
            entry.lots or [LotEntry(quantity=entry.quantity, cost=entry.price, acquired=0)]
        )
        if lot.quantity > 0
    ]
    prices = {name: entry.price for name, entry in held.holdings.items()}
    result = plan_liquidation(
        lots,
        prices,
        plan_id="liquidate",
        strategy=strategy,
        symbol=symbol,
        quantities={symbol: _decimal(quantity, "--quantity")} if symbol and quantity else None,
        max_notional=_decimal(max_notional, "--max-notional") if max_notional else None,
        limit_offset_bps=_decimal(limit_offset_bps, "--limit-offset-bps")
        if limit_offset_bps
        else None,
        cash=held.cash,
    )
    extra = {
        "lots": [
            {
                "lot": s.lot.lot_id,
                "symbol": s.lot.symbol,
                "quantity": str(s.quantity),
                "pnl": str(s.pnl),
            }
            for s in result.sales
        ],
        "realized_pnl": str(result.realized_pnl),
    }
    _execute(
        result.plan,
        held,
        extra_prices={},
        dry_run=dry_run,
        max_parallel=max_parallel,
        validator=None,
        as_json=as_json,
        extra=extra,
    )


# -- shared ----------------------------------------------------------------------------------


def _decimal(text: str, option: str) -> Decimal:
    try:
        return Decimal(text)
    except ArithmeticError:
        raise InvalidValueError.for_value(option, text, "is not a number") from None


def _holdings(held: HoldingsFile) -> list[Holding]:
    return [
        Holding(symbol=name, quantity=entry.quantity, price=entry.price)
        for name, entry in sorted(held.holdings.items())
    ]


def _execute(
    plan: RebalancePlan,
    held: HoldingsFile,
    *,
    extra_prices: dict[str, Decimal],
    dry_run: bool,
    max_parallel: int,
    validator: SafetyValidator | None,
    as_json: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    console = Console()
    if not plan.is_valid:
        raise InvalidValueError.for_value("plan", plan.plan_id, "; ".join(plan.errors))
    if not as_json:
        _show_plan(console, plan)
    sim = Simulator()
    bus = EventBus(sim.clock)
    instruments = default_registry()
    prices = {name: entry.price for name, entry in held.holdings.items()} | extra_prices
    paths = {}
    for order in plan.orders:
        market = f"{order.symbol}/{plan.cash}"
        if market not in instruments:
            raise InvalidValueError.for_value("symbol", order.symbol, f"no {market} market")
        paths[market] = PricePath(np.array([float(prices[order.symbol])] * 2))
    balances = {name: entry.quantity for name, entry in held.holdings.items()}
    exchange = SimulatedExchange(bus, sim.clock, Seeds(0), instruments, paths, balances=balances)
    exchange.attach(bus)
    registry = ExchangeRegistry(exchange, clock=sim.clock)
    engine = ExecutionEngine(
        bus, sim.clock, registry, instruments, validator=validator, settle_delay=2 * SECOND
    )
    engine.add_plan(plan)
    failures: list[PlanOrderFailed] = []
    bus.subscribe(PlanOrderFailed, failures.append)
    run = engine.execute_plan(plan.plan_id, dry_run=dry_run, max_parallel=max_parallel)
    _drive(sim, run, as_json, bus)
    stats = run.stats
    if as_json:
        payload: dict[str, Any] = {
            "plan": {
                "plan_id": plan.plan_id,
                "orders": [
                    {
                        "symbol": o.symbol,
                        "side": o.side.value,
                        "quantity": str(o.quantity),
                        "usd": str(o.usd),
                    }
                    for o in plan.orders
                ],
                "warnings": list(plan.warnings),
            },
            "stats": {
                "total_orders": stats.total_orders,
                "completed": stats.completed,
                "failed": stats.failed,
                "success_rate": round(stats.success_rate, 2),
                "fees": str(stats.fees),
                "volume_executed": str(stats.volume_executed),
            },
            "venue_reason": registry.history[-1].reason if registry.history else "",
            "failures": [{"order_id": f.order_id, "reason": f.reason} for f in failures],
            **(extra or {}),
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    table = Table(title="execution")
    for column in ("total", "completed", "failed", "success rate", "volume", "fees"):
        table.add_column(column, justify="right")
    table.add_row(
        str(stats.total_orders),
        str(stats.completed),
        str(stats.failed),
        f"{stats.success_rate:.1f} %",
        f"{stats.volume_executed:.2f}",
        f"{stats.fees:.4f}",
    )
    console.print(table)
    if registry.history:
        console.print(f"venue: {registry.history[-1].venue} ({registry.history[-1].reason})")
    for failure in failures:
        console.print(f"[red]failed[/red] {failure.order_id}: {failure.reason}")
    if extra:
        console.print(f"realized P&L of the lots sold: {extra['realized_pnl']}")


def _show_plan(console: Console, plan: RebalancePlan) -> None:
    table = Table(title=f"plan {plan.plan_id}")
    for column in ("#", "side", "symbol", "quantity", "usd", "platform"):
        table.add_column(column, justify="right" if column in ("quantity", "usd") else "left")
    for order in plan.orders:
        table.add_row(
            order.order_id,
            order.side.value,
            order.symbol,
            str(order.quantity),
            f"{order.usd:.2f}",
            order.platform,
        )
    console.print(table)
    for warning in plan.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}")


def _drive(sim: Simulator, run: PlanRun, quiet: bool, bus: EventBus) -> None:
    if quiet:
        sim.run_until(lambda: run.done, timeout=24 * 3600 * SECOND)
        return
    with Progress(transient=True) as progress:
        task = progress.add_task("executing", total=len(run.orders))
        advance: Callable[[object], None] = lambda _: progress.advance(task)  # noqa: E731
        bus.subscribe(PlanOrderCompleted, advance)
        bus.subscribe(PlanOrderFailed, advance)
        sim.run_until(lambda: run.done, timeout=24 * 3600 * SECOND)
