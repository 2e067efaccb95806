from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.bot.guards import GuardsConfig, RuntimeGuards, VolatilityLevel
from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.errors import InvalidValueError
from riskbus.model.commands import KillSwitch
from riskbus.model.enums import RiskAction
from riskbus.model.events.market import Bar, MarketPriceFetched
from riskbus.model.events.risk import RuleViolated


class World:
    def __init__(self, config: GuardsConfig | None = None) -> None:
        self.sim = Simulator()
        self.bus = EventBus(self.sim.clock)
        self.violations: list[RuleViolated] = []
        self.bus.subscribe(RuleViolated, self.violations.append)
        self.guards = RuntimeGuards(self.bus, self.sim.clock, config).attach()

    def price(self, value: float | str, symbol: str = "BTC/USDT", *, after: float = 60) -> None:
        self.sim.run_for(int(after * SECOND))
        price = Decimal(str(value))
        self.bus.publish(
            MarketPriceFetched(
                ts=self.sim.now(),
                cycle_id="c",
                pair=symbol,
                current_price=price,
                current_buy_price=price,
                current_sell_price=price,
            )
        )


def test_stale_price_blocks_entries_until_a_fresh_price_and_reports_once() -> None:
    world = World(GuardsConfig(stale_price_seconds=120))
    assert world.guards.entry_block("BTC/USDT") == (
        "STALE_PRICE: symbol=BTC/USDT, age_s=None, max_s=120"
    )
    world.guards.entry_block("BTC/USDT")
    assert [v.rule for v in world.violations] == ["stale_price"]
    world.price(100)
    assert world.guards.entry_block("BTC/USDT") is None
    world.sim.run_for(120 * SECOND)
    assert world.guards.entry_block("BTC/USDT") is None  # exactly at the limit: still fresh
    world.sim.run_for(1 * SECOND)
    assert world.guards.entry_block("BTC/USDT") == (
        "STALE_PRICE: symbol=BTC/USDT, age_s=121.0, max_s=120"
    )
    assert len(world.violations) == 2 and world.violations[1].action is RiskAction.DENY


def test_stale_guard_can_be_switched_off() -> None:
    world = World(GuardsConfig(stale_price_seconds=None))
    assert world.guards.entry_block("ETH/USDT") is None


def calm_config(**overrides: object) -> GuardsConfig:
    fields: dict[str, object] = {
        "stale_price_seconds": None,
        "volatility_window": 4,
        "volatility_warning": 0.01,
        "volatility_reduce_only": 0.03,
        "volatility_kill": 0.2,
        "cooldown_seconds": 300,
    }
    fields.update(overrides)
    return GuardsConfig(**fields)  # type: ignore[arg-type]


def test_calm_market_leaves_the_breaker_normal() -> None:
    world = World(calm_config())
    for value in (100, 100.1, 100.0, 100.2, 100.1, 100.15):
        world.price(value)
    assert world.guards.level is VolatilityLevel.NORMAL and world.violations == []


def test_warning_alerts_but_still_allows_entries() -> None:
    world = World(calm_config())
    for value in (100, 101.5, 100, 101.5, 100):  # |returns| ~1.5 %: std ~1.5 %
        world.price(value)
    assert world.guards.level is VolatilityLevel.WARNING
    assert world.guards.entry_block("BTC/USDT") is None and not world.guards.reduce_only
    assert [v.action for v in world.violations] == [RiskAction.ALERT]


def test_reduce_only_blocks_entries_then_lifts_after_the_cooldown() -> None:
    world = World(calm_config())
    for value in (100, 105, 100, 105, 100):  # std of returns ~4.8 %
        world.price(value)
    assert world.guards.reduce_only
    assert world.guards.entry_block("BTC/USDT") == "VOLATILITY_CIRCUIT_BREAKER: level=REDUCE_ONLY"
    assert world.violations[-1].reason.startswith(
        "VOLATILITY_CIRCUIT_BREAKER: symbol=BTC/USDT, level=REDUCE_ONLY, std=0.04"
    )
    for value in (100, 100, 100, 100, 100):  # calm again; the cooldown still holds
        world.price(value, after=30)
    assert world.guards.reduce_only
    world.sim.run_for(300 * SECOND)
    assert not world.guards.reduce_only
    assert world.guards.entry_block("BTC/USDT") is None


def test_extreme_volatility_trips_the_kill_switch_until_reset() -> None:
    world = World(calm_config())
    for value in (100, 130, 100, 130, 100):
        world.price(value)
    assert world.guards.killed and world.guards.level is VolatilityLevel.KILL
    assert world.guards.entry_block("BTC/USDT").startswith("KILL_SWITCH: reason=")  # type: ignore[union-attr]
    assert [v.rule for v in world.violations] == ["volatility_circuit_breaker", "kill_switch"]
    world.sim.run_for(3600 * SECOND)
    assert world.guards.killed  # the cooldown does not release a kill switch
    world.guards.reset_kill_switch()
    assert world.guards.entry_block("BTC/USDT") is None


def test_kill_switch_command_blocks_everything_once() -> None:
    world = World(GuardsConfig(stale_price_seconds=None))
    world.bus.send(KillSwitch(ts=world.sim.now(), reason="operator", source="cli"))
    world.bus.send(KillSwitch(ts=world.sim.now(), reason="again", source="api"))
    assert world.guards.entry_block("MNQ") == "KILL_SWITCH: reason=operator"
    assert world.guards.reduce_only
    assert [v.reason for v in world.violations] == ["KILL_SWITCH: source=cli, reason=operator"]


def test_guards_observe_the_kill_switch_when_another_component_executes_it() -> None:
    sim = Simulator()
    bus = EventBus(sim.clock)
    executed: list[KillSwitch] = []
    bus.register(KillSwitch, executed.append, component="RiskEngine")
    guards = RuntimeGuards(bus, sim.clock).attach()
    bus.send(KillSwitch(ts=0, reason="", source=""))
    assert len(executed) == 1 and guards.killed
    assert guards.kill_reason == "kill switch"


def test_bars_feed_the_guards() -> None:
    world = World(calm_config(stale_price_seconds=60))
    world.sim.run_for(SECOND)
    one = Decimal(1)
    world.bus.publish(
        Bar(
            ts=world.sim.now(),
            symbol="ES",
            interval=60 * SECOND,
            open=one,
            high=one,
            low=one,
            close=Decimal("5000"),
            volume=one,
        )
    )
    assert world.guards.entry_block("ES") is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"stale_price_seconds": 0}, "stale_price_seconds"),
        ({"volatility_window": 1}, "volatility_window"),
        ({"cooldown_seconds": -1}, "cooldown_seconds"),
        ({"volatility_warning": 0.05, "volatility_reduce_only": 0.01}, "volatility thresholds"),
        ({"volatility_warning": -0.01}, "volatility thresholds"),
    ],
)
def test_bad_config_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        GuardsConfig(**overrides)  # type: ignore[arg-type]
    assert info.value.field == field
