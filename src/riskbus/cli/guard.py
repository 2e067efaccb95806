"""``riskbus guard`` (the live risk daemon) and ``riskbus smoke`` (its end-to-end check).

``riskbus guard --config risk.yaml [--exchange ID] [--symbols S,...] [--dry-run]`` runs a
:class:`~riskbus.risk.service.GuardService` on the wall clock until SIGINT/SIGTERM (or
``--duration`` seconds): the simulated exchange with ``--dry-run`` or without
``--exchange``, else the ccxt venue (API keys from ``RISKBUS_<VENUE>_API_KEY``/``_SECRET``,
never printed). It prints the checkpoints as they pass, every violation, enforcement,
lockout and config reload, and a summary at the end. State lives in the store
(``--database`` / ``RISKBUS_DATABASE_URL``), so a restarted guard comes back locked.
``--drill`` (dry run only) drives one daily-loss breach through the running guard.

``riskbus smoke`` boots the guard on the simulated exchange in virtual time with a built-in
config, drives one breach to enforcement and checks the 8 checkpoints: exit 0 when all pass,
1 on an exception, 2 when it stalls (the message names the last checkpoint reached).
"""

from __future__ import annotations

import asyncio
import json
import traceback
from pathlib import Path
from typing import Annotated

import typer

from riskbus.core.clock import LiveClock, seconds, to_datetime
from riskbus.core.errors import BadInputError
from riskbus.core.messages import Message
from riskbus.model.events.account import TradingStateChanged
from riskbus.model.events.orders import OrderDenied, OrderRejected
from riskbus.model.events.risk import (
    EnforcementTriggered,
    LockoutEnded,
    LockoutStarted,
    RiskConfigRejected,
    RiskConfigReloaded,
    RuleViolated,
)
from riskbus.risk.checkpoints import CHECKPOINTS, CheckpointPass
from riskbus.risk.config import load_config
from riskbus.risk.drill import BreachDrill, breach_checks, drill_market, plan_breach
from riskbus.risk.service import GuardOptions, GuardService, GuardSummary, default_symbols
from riskbus.risk.smoke import SmokeResult, run_smoke

__all__ = ["describe_event", "register"]


def register(root: typer.Typer) -> None:
    """Add the top-level ``guard`` and ``smoke`` commands to ``root``."""
    root.command("guard")(guard)
    root.command("smoke")(smoke)


def _when(ts: int | None) -> str:
    return "the next reset" if ts is None else to_datetime(ts).strftime("%Y-%m-%d %H:%M UTC")


def describe_event(event: Message) -> str:
    """One line for a denial, rejection, state change, violation, enforcement, lockout or
    reload event."""
    if isinstance(event, OrderDenied):
        return f"denied {event.symbol} order {event.client_order_id}: {event.reason}"
    if isinstance(event, OrderRejected):
        return (
            f"rejected by the venue: {event.symbol} order {event.client_order_id}: {event.reason}"
        )
    if isinstance(event, TradingStateChanged):
        return f"trading state {event.old} → {event.new}: {event.reason}"
    if isinstance(event, RuleViolated):
        return f"violation {event.rule} → {event.action}: {event.reason}"
    if isinstance(event, EnforcementTriggered):
        where = f" {event.symbol}" if event.symbol else ""
        return f"enforcement {event.action}{where} by {event.rule}"
    if isinstance(event, LockoutStarted):
        return f"lockout {event.rule} until {_when(event.until_ts)}: {event.reason}"
    if isinstance(event, LockoutEnded):
        return f"lockout ended {event.rule}: {event.reason}"
    if isinstance(event, RiskConfigReloaded):
        return f"config reloaded ({event.trigger}): {len(event.rules)} rules enabled"
    if isinstance(event, RiskConfigRejected):
        return f"config rejected ({event.trigger}): {event.error}"
    return type(event).__name__


def _print_checkpoint(checkpoint: CheckpointPass) -> None:
    typer.echo(f"checkpoint {checkpoint.number}/8 {checkpoint.name}: {checkpoint.message}")


def _print_summary(summary: GuardSummary) -> None:
    typer.echo(
        f"guard stopped after {summary.seconds:.1f} s on {summary.venue}: "
        f"state {summary.state}, {summary.events} events, {summary.evaluated} rule checks, "
        f"{summary.violations} violations, {summary.enforcements} enforcements, "
        f"checkpoints {len(summary.checkpoints)}/8"
    )
    for lock in summary.lockouts:
        typer.echo(f"  locked: {lock['rule']} until {_when(lock['until'])} ({lock['reason']})")


def _symbols(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    symbols = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not symbols:
        raise BadInputError("give at least one symbol, e.g. --symbols MNQ,ES", field="--symbols")
    return symbols


def _positive(value: float | None, name: str) -> None:
    if value is not None and value <= 0:
        raise BadInputError(f"{name} must be > 0 (got {value:g})", field=name)


def guard(
    *,
    config: Annotated[Path, typer.Option("--config", help="The risk config file.")],
    exchange: Annotated[
        str | None, typer.Option("--exchange", help="A ccxt venue id (default: simulated).")
    ] = None,
    symbols: Annotated[
        str | None, typer.Option("--symbols", help="Symbols to watch, comma-separated.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Run against the simulated exchange.")
    ] = False,
    database: Annotated[
        str | None,
        typer.Option("--database", envvar="RISKBUS_DATABASE_URL", help="Store URL."),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after SECONDS (default: never).")
    ] = None,
    poll: Annotated[
        float, typer.Option("--poll", help="Seconds between config/admin-request polls.")
    ] = 2.0,
    tick: Annotated[float, typer.Option("--tick", help="Seconds between market ticks.")] = 1.0,
    fills: Annotated[
        float | None,
        typer.Option(
            "--fills",
            help="Live venue: seconds between reads of the account's new fills "
            "(default: every tick).",
        ),
    ] = None,
    drill: Annotated[
        bool, typer.Option("--drill", help="Dry run: drive one daily-loss breach at start.")
    ] = False,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="The venue's test network.")] = False,
    api_base_url: Annotated[
        str | None, typer.Option("--api-base-url", help="Send venue requests to this host.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    bridge: Annotated[
        str | None,
        typer.Option(
            "--bridge",
            envvar="RISKBUS_REDIS_URL",
            help="A Redis URL: also watch bots in other processes through the bridge.",
        ),
    ] = None,
) -> None:
    """Run the live risk guard until SIGINT/SIGTERM (or --duration seconds)."""
    for value, name in (
        (duration, "--duration"),
        (poll, "--poll"),
        (tick, "--tick"),
        (fills, "--fills"),
    ):
        _positive(value, name)
    risk = load_config(config)  # exit 2 naming file, key and line
    if exchange is not None:  # checked even in a dry run: a typo surfaces before going live
        from riskbus.exchange.ccxt_client import ccxt_venue_ids, unknown_venue_error

        if exchange not in ccxt_venue_ids():
            raise unknown_venue_error(exchange, ccxt_venue_ids())
    options = GuardOptions(
        config=config,
        exchange=exchange,
        symbols=_symbols(symbols),
        dry_run=dry_run,
        database=database,
        poll_interval=seconds(poll),
        tick_interval=seconds(tick),
        fills_interval=None if fills is None else seconds(fills),
        sandbox=sandbox,
        api_base_url=api_base_url,
        bridge_url=bridge,
    )
    market = {}
    plan = None
    if drill:
        if not options.simulated:
            raise BadInputError("--drill runs only against the simulated exchange", field="--drill")
        registry = risk.registry()
        watched = options.symbols or default_symbols(risk, registry)
        plan = plan_breach(risk, registry, watched[0])
        market[plan.symbol] = drill_market(plan)

    def started(service: GuardService) -> None:
        restored = service.manager.active_lockouts()
        if restored:
            typer.echo(
                f"restored {len(restored)} lockout(s); trading state {service.manager.state}"
            )
        if plan is not None:
            typer.echo(f"drill: daily loss of {plan.loss} on {plan.symbol} (limit {plan.limit})")
            BreachDrill(service, plan).run()
            checks = breach_checks(service, plan)
            typer.echo(
                "drill: " + ", ".join(f"{k} {'ok' if v else 'NO'}" for k, v in checks.items())
            )

    service = GuardService(
        options,
        clock=LiveClock(),
        config=risk,
        market=market,
        on_checkpoint=_print_checkpoint,
        on_event=lambda event: typer.echo(describe_event(event)),
    )
    summary = asyncio.run(service.run(duration=duration, on_started=started))
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        _print_summary(summary)


def _print_smoke(result: SmokeResult) -> None:
    typer.echo(
        f"riskbus smoke: guard on the simulated exchange, daily loss {result.plan.loss} "
        f"on {result.plan.symbol} against a limit of {result.plan.limit}"
    )
    typer.echo(f"{'#':>2}  {'checkpoint':<22} {'status':<6} {'count':>5}  first record")
    for row in result.checkpoints:
        status = "PASS" if row["passed"] else "-"
        message = str(row["message"])
        message = message if len(message) <= 70 else message[:67] + "..."
        number, name, count = row["checkpoint"], row["name"], row["count"]
        typer.echo(f"{number:>2}  {name:<22} {status:<6} {count:>5}  {message}")
    checks = ", ".join(f"{name} {'ok' if ok else 'NO'}" for name, ok in result.checks.items())
    typer.echo(f"enforcement: {checks}")


def smoke(
    *,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Virtual seconds to wait for the checkpoints.")
    ] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Tracebacks on errors.")] = False,
    database: Annotated[
        str | None, typer.Option("--database", help="Store URL (default: a temporary file).")
    ] = None,
    stop_after: Annotated[
        int | None,
        typer.Option("--stop-after", hidden=True, help="Stop the drill after N steps (tests)."),
    ] = None,
) -> None:
    """Boot the guard on the simulated exchange, drive one breach, check the 8 checkpoints."""
    _positive(timeout, "--timeout")
    try:
        result = run_smoke(timeout=timeout, stop_after=stop_after, database=database)
    except Exception as e:  # any failure to run is exit 1, as the original's smoke test
        if verbose:
            typer.echo(traceback.format_exc(), err=True)
        typer.echo(f"error: smoke failed: {type(e).__name__}: {e}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
    else:
        _print_smoke(result)
    if not result.passed:
        typer.echo(f"error: {result.stall_message()}", err=True)
        raise typer.Exit(2)
    if not as_json:
        typer.echo(f"smoke passed: {len(CHECKPOINTS)}/8 checkpoints, breach enforced")
