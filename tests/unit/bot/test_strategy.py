from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.bot.decisions import DecisionExecutor
from riskbus.bot.strategy import (
    Strategy,
    StrategyContext,
    StrategyFailed,
    StrategyHost,
    load_strategy,
)
from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.errors import BadInputError, StrategyError
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.events.market import Bar, QuoteTick
from riskbus.risk.gate import OrderGateway
from tests.stubs import D, order_filled, portfolio

USER = "tests.unit.bot.user_strategies"


def context() -> tuple[Simulator, StrategyContext, list[StrategyFailed]]:
    sim = Simulator()
    bus = EventBus(sim.clock)
    failures: list[StrategyFailed] = []
    bus.subscribe(StrategyFailed, failures.append)
    return sim, StrategyContext(bus=bus, clock=sim.clock), failures


def run_cycles(host: StrategyHost, sim: Simulator, count: int) -> None:
    host.start()
    for number in range(1, count + 1):
        sim.run_for(60 * SECOND)
        host.cycle(number)
    host.stop()


def test_load_strategy_by_import_path() -> None:
    cls = load_strategy(f"{USER}:FailsInCycleFive")
    assert cls.strategy_name() == "fails_in_5"
    assert load_strategy(f"{USER}:BuysOnEveryBar").strategy_name() == "BuysOnEveryBar"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no_colon", "expected 'package.module:Class'"),
        (":Cls", "expected 'package.module:Class'"),
        ("no.such.module:X", "cannot import module 'no.such.module'"),
        (f"{USER}:Missing", "has no 'Missing'"),
        (f"{USER}:NOT_A_STRATEGY", "is not a riskbus Strategy class"),
    ],
)
def test_bad_strategy_paths_name_the_field(path: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message) as info:
        load_strategy(path)
    assert info.value.field == "strategy"


def test_user_error_in_cycle_five_is_reported_and_the_run_continues() -> None:
    sim, ctx, failures = context()
    strategy = load_strategy(f"{USER}:FailsInCycleFive")()
    host = StrategyHost(strategy, ctx)
    run_cycles(host, sim, 8)
    assert strategy.cycles == [1, 2, 3, 4, 6, 7, 8]  # type: ignore[attr-defined]
    assert len(host.errors) == 1
    error = host.errors[0]
    assert isinstance(error, StrategyError) and isinstance(error.__cause__, ZeroDivisionError)
    assert (error.strategy, error.cycle) == ("fails_in_5", 5)
    assert str(error) == (
        "strategy fails_in_5 failed in on_cycle in cycle 5: "
        "ZeroDivisionError: division by zero in user code"
    )
    assert [(f.cycle, f.hook, f.error_type, f.stopped) for f in failures] == [
        (5, "on_cycle", "ZeroDivisionError", False)
    ]
    assert failures[0].ts == sim.clock.now() - 3 * 60 * SECOND  # stamped in cycle 5


def test_user_error_with_stop_configured_stops_calling_hooks_but_still_stops() -> None:
    sim, ctx, failures = context()
    strategy = load_strategy(f"{USER}:FailsInCycleFive")()
    host = StrategyHost(strategy, ctx, on_error="stop")
    run_cycles(host, sim, 8)
    assert strategy.cycles == [1, 2, 3, 4]  # type: ignore[attr-defined]
    assert strategy.stopped  # type: ignore[attr-defined]
    assert failures[0].stopped and host.stopped
    assert host.call("on_cycle", 9, cycle=9) is False


def test_push_mode_bars_reach_the_strategy_which_orders_through_its_executor() -> None:
    sim, ctx, failures = context()
    sent: list[SubmitOrder] = []
    registry = default_registry()
    OrderGateway(ctx.bus, sim.clock, sent.append, registry=registry).attach()
    ctx.executor = DecisionExecutor(ctx.bus, sim.clock, registry, portfolio(), strategy="bars")
    strategy = load_strategy(f"{USER}:BuysOnEveryBar")({"qty": D(1)})
    StrategyHost(strategy, ctx).attach()
    for close in ("100", "101.25"):
        sim.run_for(60 * SECOND)
        price = Decimal(close)
        ctx.bus.publish(
            Bar(
                ts=sim.now(),
                symbol="MNQ",
                interval=60 * SECOND,
                open=price,
                high=price,
                low=price,
                close=price,
                volume=D(10),
            )
        )
    ctx.bus.publish(
        QuoteTick(ts=sim.now(), symbol="MNQ", bid=D(1), ask=D(2), bid_size=D(1), ask_size=D(1))
    )
    ctx.bus.publish(order_filled())
    assert [(o.symbol, o.quantity) for o in sent] == [("MNQ", D(1)), ("MNQ", D(1))]
    assert failures == []


def test_context_without_executor_and_bad_on_error() -> None:
    sim, ctx, failures = context()
    with pytest.raises(StrategyError, match="no decision executor"):
        ctx.execute(None, None)  # type: ignore[arg-type]
    with pytest.raises(BadInputError, match="on_error"):
        StrategyHost(Strategy(), ctx, on_error="explode")  # type: ignore[arg-type]
    host = StrategyHost(Strategy(), ctx)
    run_cycles(host, sim, 2)  # default hooks do nothing, and nothing fails
    assert failures == [] and host.errors == []
