"""``riskbus bot run``: run a monitoring-cycle bot, in simulation or live.

Simulation (default): the bot trades a simulated venue over a named market scenario in
virtual time; one cycle is one market step, so ``--cycles 60`` over ``flash_crash`` sees the
crash at cycles 20-29. The same arguments print the same summary, every run::

    riskbus bot run --strategy pool_ladder --market flash_crash --cycles 100 --seed 1
    riskbus bot run --strategy my_pkg.my_mod:MyStrategy --on-error stop --json

``--json`` prints one JSON object (money as decimal strings). ``--state URL`` keeps the pools
in a database (``sqlite:///bot.db``), so a second run resumes the ladder where the first one
stopped. Live: ``--exchange binance --symbols BTC/USDT --dry-run`` runs the same cycle on
the ccxt client with the wall clock; ``--dry-run`` logs the orders instead of sending them.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from riskbus.bot.runner import (
    STOPPED_BY_ERROR,
    BotConfig,
    BotReport,
    BotRunner,
    BotSimulation,
)
from riskbus.bot.strategies import resolve_strategy
from riskbus.bot.strategy import Strategy
from riskbus.core.errors import BadInputError, OperationalError
from riskbus.market import generate
from riskbus.store.pools import PoolRepository

__all__ = ["app", "register", "summary_payload"]

app = typer.Typer(name="bot", help="Run a monitoring-cycle trading bot.", no_args_is_help=True)

_CENT = Decimal("0.01")


def register(root: typer.Typer) -> None:
    """Add the ``bot`` group to ``root``."""
    root.add_typer(app, name="bot")


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise BadInputError(f"expected KEY=VALUE, got {pair!r}", field="--param")
        try:
            params[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            params[key.strip()] = text
    return params


#: The hooks of push-driven strategies (see riskbus.bot.strategy).
_PUSH_HOOKS = ("on_bar", "on_tick")


def _strategy(path: str, params: dict[str, Any]) -> Strategy:
    if ":" in path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # user strategies import from the working directory
    cls = resolve_strategy(path)
    pushed = any(getattr(cls, hook) is not getattr(Strategy, hook) for hook in _PUSH_HOOKS)
    if pushed and cls.on_cycle is Strategy.on_cycle:
        raise BadInputError(
            f"{path} is bar-driven (on_bar/on_tick) and riskbus bot run drives monitoring "
            "cycles (on_cycle), so it would never trade; feed it bars with "
            "riskbus.bot.feed.BarFeed (as benchmarks/bench_sim.py does)",
            field="--strategy",
        )
    try:
        return cls(params=params) if params else cls()
    except BadInputError:
        raise
    except (ValueError, TypeError) as e:  # pydantic's ValidationError is a ValueError
        raise BadInputError(f"invalid strategy parameters: {e}", field="--param") from e


def summary_payload(report: BotReport) -> dict[str, object]:
    """Return the ``--json`` object of a run: counts, cycles of trades, capital, P&L."""
    final = report.final_capital.quantize(_CENT)
    initial = report.initial_capital.quantize(_CENT)
    return {
        "cycles": report.cycles,
        "purchases": len(report.purchases_by_cycle),
        "sales": len(report.sales_by_cycle),
        "initial_capital": str(initial),
        "final_capital": str(final),
        "pnl": str(final - initial),
        "max_drawdown_pct": round(float(report.max_drawdown) * 100, 6),
        "purchases_by_cycle": list(report.purchases_by_cycle),
        "sales_by_cycle": list(report.sales_by_cycle),
        "strategy_errors": report.strategy_errors,
        "strategy_error_cycles": list(report.error_cycles),
        "errors": list(report.errors),
        "failed_fetches": report.failed_fetches,
        "stopped": report.stopped,
    }


def _print_summary(title: str, payload: dict[str, object]) -> None:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in (
        "cycles",
        "purchases",
        "sales",
        "initial_capital",
        "final_capital",
        "pnl",
        "max_drawdown_pct",
        "strategy_errors",
        "failed_fetches",
        "stopped",
    ):
        table.add_row(key.replace("_", " "), str(payload[key]))
    Console().print(table)


def _repository(url: str | None) -> tuple[PoolRepository | None, Any]:
    if url is None:
        return None, None
    from riskbus.store import SqlPoolRepository, open_store

    store = open_store(url)
    return SqlPoolRepository(store), store


@app.command("run")
def run(
    *,
    strategy: Annotated[
        str, typer.Option(help="A built-in strategy (pool_ladder) or package.module:Class.")
    ] = "pool_ladder",
    market: Annotated[str, typer.Option(help="The market scenario (simulation).")] = "flash_crash",
    cycles: Annotated[int, typer.Option(min=1, help="How many monitoring cycles.")] = 100,
    seed: Annotated[int, typer.Option(help="Root seed of the market and the venue.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    capital: Annotated[str, typer.Option(help="Initial capital (quote currency).")] = "10000",
    pools: Annotated[int, typer.Option(min=1, help="Pools the capital is split into.")] = 5,
    poll_interval: Annotated[float, typer.Option(help="Seconds between cycles.")] = 60.0,
    initial_price: Annotated[float, typer.Option(help="Price at step 0.")] = 50_000.0,
    symbol: Annotated[str, typer.Option(help="The traded pair (simulation).")] = "BTC/USDT",
    on_error: Annotated[
        str, typer.Option(help="On a strategy error: continue or stop.")
    ] = "continue",
    param: Annotated[
        list[str] | None, typer.Option(help="Strategy parameter KEY=VALUE (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option(help="The bot's name (keys its stored pools).")] = "bot",
    state: Annotated[
        str | None, typer.Option(help="Keep the pools in this database URL and resume.")
    ] = None,
    exchange: Annotated[
        str | None, typer.Option(help="Run live on this ccxt venue (e.g. binance).")
    ] = None,
    symbols: Annotated[
        str | None, typer.Option(help="Live: comma-separated pairs, e.g. BTC/USDT,ETH/USDT.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Log the orders instead of sending them.")] = False,
    sandbox: Annotated[bool, typer.Option(help="Live: the venue's test environment.")] = False,
    api_base_url: Annotated[
        str | None, typer.Option(help="Live: send the REST calls to this host instead.")
    ] = None,
) -> None:
    """Run a bot: simulated over a market scenario (default) or live on a ccxt venue."""
    if on_error not in ("continue", "stop"):
        raise BadInputError(f"must be 'continue' or 'stop', got {on_error!r}", field="--on-error")
    try:
        amount = Decimal(capital)
    except ArithmeticError:
        raise BadInputError(f"not a number: {capital!r}", field="--capital") from None
    params = _parse_params(param or [])
    try:
        config = BotConfig(
            name=name,
            symbol=symbol,
            initial_capital=amount,
            pool_count=pools,
            poll_interval=poll_interval,
            on_error=on_error,
            dry_run=dry_run,
        )
    except ValueError as e:
        raise BadInputError(f"invalid bot settings: {e}", field="bot") from e
    if exchange is not None:
        _run_live(
            exchange,
            symbols or symbol,
            strategy=strategy,
            params=params,
            config=config,
            cycles=cycles,
            sandbox=sandbox,
            api_base_url=api_base_url,
            as_json=as_json,
        )
        return
    repository, store = _repository(state)
    try:
        instance = _strategy(strategy, params)
        start = repository.last_cycle(name) if repository is not None else 0
        path = generate(market, start + cycles + 1, seed, initial_price=initial_price)
        simulation = BotSimulation(instance, path, seed=seed, config=config, repository=repository)
        report = simulation.run(cycles)
    finally:
        if store is not None:
            store.close()
    payload = summary_payload(report)
    if as_json:
        typer.echo(json.dumps(payload, sort_keys=True))
    else:
        _print_summary(f"bot {instance.strategy_name()} on {market} (seed {seed})", payload)
        for error in report.errors:
            Console(stderr=True).print(f"[red]strategy error:[/red] {error}", highlight=False)
    if report.stopped == STOPPED_BY_ERROR:
        raise typer.Exit(1)  # the bot stopped on a strategy error (--on-error stop)


def _run_live(
    venue: str,
    symbols: str,
    *,
    strategy: str,
    params: dict[str, Any],
    config: BotConfig,
    cycles: int,
    sandbox: bool,
    api_base_url: str | None,
    as_json: bool,
) -> None:
    try:
        from riskbus.exchange.ccxt_client import CcxtClient, CcxtConfig
    except ImportError as e:
        raise OperationalError(
            f"live mode needs the ccxt client (riskbus.exchange.ccxt_client): {e}"
        ) from e
    pairs = [s.strip() for s in symbols.split(",") if s.strip()]
    if not pairs:
        raise BadInputError("name at least one pair, e.g. BTC/USDT", field="--symbols")
    ccxt_config = CcxtConfig(venue=venue, sandbox=sandbox, api_base_url=api_base_url)
    reports = asyncio.run(
        _live(
            CcxtClient,
            ccxt_config,
            pairs,
            strategy=strategy,
            params=params,
            config=config,
            cycles=cycles,
        )
    )
    payloads = {pair: summary_payload(report) for pair, report in reports.items()}
    if as_json:
        typer.echo(json.dumps(payloads, sort_keys=True))
        return
    for pair, payload in payloads.items():
        _print_summary(f"bot {strategy} on {venue} {pair} (live)", payload)


async def _live(
    client_cls: Any,
    ccxt_config: Any,
    pairs: list[str],
    *,
    strategy: str,
    params: dict[str, Any],
    config: BotConfig,
    cycles: int,
) -> dict[str, BotReport]:
    from riskbus.core.bus import EventBus
    from riskbus.core.clock import LiveClock
    from riskbus.exchange.account import AccountTracker
    from riskbus.model.events.bot import BotMonitoringCycleCompleted
    from riskbus.risk.gate import OrderGateway

    clock = LiveClock()
    bus = EventBus(clock)
    client = client_cls(bus, clock, ccxt_config)
    await client.connect()
    try:
        client.attach(bus)
        registry = client.registry
        OrderGateway(bus, clock, client.submit, registry=registry).attach()
        account = AccountTracker(bus, clock, registry).attach()
        runners: dict[str, BotRunner] = {}
        for pair in pairs:
            pair_config = config.model_copy(
                update={"symbol": pair, "name": f"{config.name}:{pair}", "max_cycles": cycles}
            )
            runners[pair] = BotRunner(
                bus,
                clock,
                _strategy(strategy, params),
                registry,
                config=pair_config,
                portfolio=account.portfolio,
            )
        done = asyncio.Event()

        def check(_: BotMonitoringCycleCompleted) -> None:
            if not any(r.running for r in runners.values()):
                done.set()

        bus.subscribe(BotMonitoringCycleCompleted, check, component="cli")
        for runner in runners.values():
            runner.start()
        await done.wait()
        return {pair: runner.report for pair, runner in runners.items()}
    finally:
        await client.close()
