"""The scenario schema: the original format unchanged, extensions, errors with key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskbus.core.errors import BadInputError, ScenarioError
from riskbus.scenarios.runner import check_references
from riskbus.scenarios.schema import (
    AssertStep,
    DelayEvent,
    ScenarioFileError,
    WaitForCycles,
    WaitForEvent,
    WaitForTime,
    load_scenario,
    parse_scenario,
)

from .conftest import EXAMPLES

ORIGINAL = """\
name: "Nom du test"
description: "Description détaillée"

setup:
  exchange:
    scenario: flash_crash  # Scénario de marché
    initial_price: 50000.0
    pair: "BTC/USDT"
    volatility_multiplier: 1.0
    spread_bps: 20
  bot:
    initial_capital: 10000.0
    pool_count: 5
    poll_interval: 60
  recording:
    enabled: false
    output: "recordings/{scenario_name}.json"
  report:
    format: html
    output: "reports/{scenario_name}.html"
    include_events: true
    include_statistics: true

chaos:
  - type: delay_event
    event: IndicatorsCalculated
    delay_ms: 5000
    at_cycle: 25

steps:
  - wait_for_cycles: 50
  - wait_for_event: PositionPurchased
    timeout_seconds: 300
  - wait_for_time: 60
  - assert:
      event_count:
        PositionPurchased: {min: 3}
      no_panic_sell: true
"""


def test_the_original_format_is_accepted_unchanged() -> None:
    loaded = parse_scenario(ORIGINAL, source="orig.yaml")
    scenario = loaded.scenario
    assert scenario.name == "Nom du test"
    assert scenario.setup.exchange.scenario == "flash_crash"
    assert scenario.setup.bot.pool_count == 5
    assert scenario.setup.report.format == "html"
    assert scenario.chaos == [
        DelayEvent(type="delay_event", event="IndicatorsCalculated", delay_ms=5000, at_cycle=25)
    ]
    kinds = [type(step) for step in loaded.steps]
    assert kinds == [WaitForCycles, WaitForEvent, WaitForTime, AssertStep]
    assert loaded.steps[1] == WaitForEvent(wait_for_event="PositionPurchased", timeout_seconds=300)
    spec = loaded.steps[3].assert_  # type: ignore[union-attr]
    assert spec.no_panic_sell is not None
    assert (spec.no_panic_sell.crash_start_cycle, spec.no_panic_sell.crash_end_cycle) == (20, 30)
    assert len(loaded.sha256) == 64


def test_every_example_validates_and_resolves() -> None:
    files = sorted(EXAMPLES.glob("*.scenario.yaml"))
    assert len(files) >= 22
    for path in files:
        check_references(load_scenario(path))


def test_an_unknown_key_names_the_key_the_line_and_the_valid_keys() -> None:
    text = ORIGINAL.replace("    pool_count: 5\n", "    pool_cuont: 5\n")
    with pytest.raises(ScenarioFileError) as caught:
        parse_scenario(text, source="bad.yaml")
    error = caught.value
    assert isinstance(error, ScenarioError)
    assert isinstance(error, BadInputError)
    assert error.line == 13
    assert error.field == "setup.bot.pool_cuont"
    assert "did you mean 'pool_count'" in str(error)
    assert str(error).startswith("bad.yaml:13 setup.bot.pool_cuont: unknown key 'pool_cuont'")


def test_wrong_types_and_step_errors_are_all_reported_with_lines() -> None:
    text = ORIGINAL.replace("delay_ms: 5000", "delay_ms: soon").replace(
        "  - wait_for_time: 60\n", "  - wait_for_time: 60\n    wait_for_cycles: 2\n"
    )
    with pytest.raises(ScenarioFileError) as caught:
        parse_scenario(text, source="bad.yaml")
    rendered = str(caught.value).splitlines()
    assert len(rendered) == 2
    assert rendered[0].startswith("bad.yaml:27 chaos.0.delay_ms:")
    assert rendered[1].startswith("bad.yaml:34 steps.2: a step needs exactly one of")


def test_an_unknown_event_name_is_refused_with_a_hint() -> None:
    text = ORIGINAL.replace(
        "        PositionPurchased: {min: 3}", "        PositionPurchase: {min: 3}"
    )
    with pytest.raises(ScenarioFileError) as caught:
        parse_scenario(text, source="bad.yaml")
    assert "unknown event 'PositionPurchase'; did you mean 'PositionPurchased'" in str(caught.value)
    assert caught.value.line == 37
    assert caught.value.field == "steps.3.assert.event_count.PositionPurchase"


def test_extensions_parse() -> None:
    text = """\
name: ext
seed: 9
setup:
  exchange: {scenario: bull_run, instrument: ETH/USDT, params: {}}
  bot: {strategy: pool_ladder, params: {entry_signal: always}, config: {rsi_period: 10}}
  risk: {rules: {max_contracts: {limit: 1}}}
chaos:
  - {type: exchange_outage, at_cycle: 3, duration_cycles: 2}
  - {type: restart, at_cycle: 5}
steps:
  - wait_for_cycles: 1
  - assert:
      event_never: HandlerFailed
      event_within: {after: OrderRejected, event: PositionPurchased, cycles: 2}
      max_drawdown: 5
      custom: tests.unit.scenarios.checks:profitable_trade
"""
    loaded = parse_scenario(text)
    scenario = loaded.scenario
    assert scenario.seed == 9
    assert scenario.setup.exchange.symbol == "ETH/USDT"
    assert scenario.setup.bot.params == {"entry_signal": "always"}
    spec = loaded.steps[1].assert_  # type: ignore[union-attr]
    assert spec.event_never == ["HandlerFailed"]
    assert spec.max_drawdown is not None and str(spec.max_drawdown.max_pct) == "5"
    assert spec.custom is not None and spec.custom[0].function.endswith(":profitable_trade")
    assert scenario.planned_cycles() == 5


def test_an_invalid_inline_risk_config_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.scenario.yaml"
    path.write_text(
        "name: r\nsetup:\n  risk:\n    rules:\n      max_contracts: {limit: -1}\n"
        "steps:\n  - wait_for_cycles: 1\n"
    )
    with pytest.raises(ScenarioFileError) as caught:
        check_references(load_scenario(path))
    assert caught.value.line == 5
    assert "setup.risk.rules.max_contracts.limit" in str(caught.value)


def test_unknown_market_scenario_and_strategy_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.scenario.yaml"
    path.write_text(
        "name: m\nsetup:\n  exchange: {scenario: moon}\nsteps:\n  - wait_for_cycles: 1\n"
    )
    with pytest.raises(ScenarioError) as caught:
        check_references(load_scenario(path))
    assert caught.value.field == "setup.exchange.scenario"
    assert caught.value.line == 3
    path.write_text("name: m\nsetup:\n  bot: {strategy: nope}\nsteps:\n  - wait_for_cycles: 1\n")
    with pytest.raises(ScenarioError, match="unknown strategy 'nope'"):
        check_references(load_scenario(path))
