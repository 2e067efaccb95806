"""The ``restart`` chaos kind brings the risk manager's state back from the store.

Both scenarios trade the seeded flash crash (seed 7) with the pool ladder and a 5 % stop
loss: the five stop-loss sales of cycle 20 lose about 385 USDT. With ``daily_realized_loss``
that locks the account until the daily reset; with ``cooldown_after_loss`` it pauses entries
for 600 s. The bot and the risk manager are then killed half-way through a later cycle and
rebuilt from the SQLite store two cycles on. After the restart the lockout is still listed,
every entry is still denied with the same reason, the cooldown ends at its original time (its
timer came back) and the day's realized P&L equals that of the same run without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from riskbus.core.messages import Message
from riskbus.model.enums import TradingState
from riskbus.model.events.account import TradingStateChanged
from riskbus.model.events.bot import PositionPurchased
from riskbus.model.events.faults import FaultHealed, FaultStarted
from riskbus.model.events.orders import OrderDenied, OrderSubmitted
from riskbus.model.events.risk import CooldownEnded, CooldownStarted, LockoutStarted
from riskbus.scenarios.runner import ScenarioRunner

Write = Callable[[str, str], Path]

_SECOND = 1_000_000_000
_DAILY_LOSS = "daily_realized_loss: {limit: -100}"
_COOLDOWN = "cooldown_after_loss: {tiers: [{loss: -50, cooldown_seconds: 600}]}"


def _text(rule: str, restart_at: int | None, cycles: int) -> str:
    chaos = (
        f"chaos:\n  - type: restart\n    at_cycle: {restart_at}\n    downtime_cycles: 2\n"
        if restart_at is not None
        else ""
    )
    return f"""
name: restart-risk-state
seed: 7
setup:
  exchange: {{scenario: flash_crash, initial_price: 50000.0}}
  bot:
    params: {{entry_signal: always, stop_loss: 0.05}}
  risk:
    account: {{id: restart-state, currency: USDT, timezone: UTC}}
    schedule: {{daily_reset: "00:00"}}
    rules:
      {rule}
{chaos}steps:
  - wait_for_cycles: {cycles}
"""


def _run(write: Write, rule: str, restart_at: int | None, cycles: int = 40) -> ScenarioRunner:
    name = f"{'r' if restart_at else 'n'}{cycles}.scenario.yaml"
    runner = ScenarioRunner(write(_text(rule, restart_at, cycles), name))
    results = runner.run()
    assert results["status"] == "passed", results["assertions"]
    return runner


def _split_at_boot(
    runner: ScenarioRunner,
) -> tuple[list[tuple[int, Message]], list[tuple[int, Message]]]:
    """The recorded (cycle, message) pairs before the restart's ``FaultStarted`` and from the
    boot on (every message at or after the time of its ``FaultHealed``)."""
    assert runner.recorder is not None
    events = list(runner.recorder.events())
    fault = next(i for i, (_, m) in enumerate(events) if isinstance(m, FaultStarted))
    healed = next(m.ts for _, m in events if isinstance(m, FaultHealed))
    boot = next(i for i, (_, m) in enumerate(events) if m.ts >= healed)
    return events[:fault], events[boot:]


def test_daily_loss_lockout_is_still_in_force_after_a_restart(write: Write) -> None:
    baseline = _run(write, _DAILY_LOSS, None)
    runner = _run(write, _DAILY_LOSS, 25)
    assert runner.world is not None and baseline.world is not None
    assert runner.world.restarts == 1
    before, after = _split_at_boot(runner)

    # before: the lockout started once, in cycle 20, until the next daily reset
    started = [(c, m) for c, m in before if isinstance(m, LockoutStarted)]
    assert len(started) == 1
    cycle, lockout = started[0]
    assert cycle == 20
    assert lockout.rule == "daily_realized_loss"
    assert lockout.reason == "DAILY_LOSS_LIMIT: realized=-154.763063788041, limit=-100"
    reset_ts = runner.world.start_ts + 86_400 * _SECOND  # midnight after the start
    assert lockout.until_ts == reset_ts

    # after: the new risk manager comes up HALTED from the store, no new lockout is started
    changes = [m for _, m in after if isinstance(m, TradingStateChanged)]
    assert [(m.old, m.new, m.reason) for m in changes] == [
        (TradingState.ACTIVE, TradingState.HALTED, "restored")
    ]
    assert not any(isinstance(m, LockoutStarted) for _, m in after)
    denied = [(c, m.reason) for c, m in after if isinstance(m, OrderDenied)]
    assert [c for c, _ in denied] == list(range(26, 41))  # every cycle after the restart
    assert {reason for _, reason in denied} == {
        "TRADING_HALTED: state=HALTED, rule=daily_realized_loss, until=reset"
    }
    assert not any(isinstance(m, OrderSubmitted | PositionPurchased) for _, m in after)

    # the rebuilt risk manager lists the same lockout and the same realized P&L
    risk = runner.world.risk
    assert risk.state is TradingState.HALTED
    [restored] = risk.active_lockouts()
    assert (restored.rule, restored.reason, restored.until, restored.symbol) == (
        "daily_realized_loss",
        lockout.reason,
        reset_ts,
        None,
    )
    assert restored.started_at == runner.world.start_ts + 1200 * _SECOND
    realized = risk.pnl.daily_realized()
    assert realized == baseline.world.risk.pnl.daily_realized()
    assert realized == Decimal("-384.843379302850")


def test_cooldown_after_loss_keeps_its_end_time_across_a_restart(write: Write) -> None:
    runner = _run(write, _COOLDOWN, 22)
    assert runner.world is not None
    start = runner.world.start_ts
    before, after = _split_at_boot(runner)

    [cooldown] = [m for _, m in before if isinstance(m, CooldownStarted)]
    assert cooldown.until_ts == start + (1200 + 600) * _SECOND
    assert not any(isinstance(m, CooldownStarted) for _, m in after)

    # still paused after the restart: cycles 23-27 are denied with the original end time
    denied = [(c, m.reason) for c, m in after if isinstance(m, OrderDenied)]
    assert [c for c, _ in denied] == [23, 24, 25, 26, 27]
    assert {reason for _, reason in denied} == {
        f"COOLDOWN_ACTIVE: rule=cooldown_after_loss, until={cooldown.until_ts}"
    }
    # the restored timer ends it exactly when it was due, then entries resume
    [ended] = [m for _, m in after if isinstance(m, CooldownEnded)]
    assert (ended.ts, ended.rule, ended.reason) == (
        cooldown.until_ts,
        "cooldown_after_loss",
        "expired",
    )
    bought = [c for c, m in after if isinstance(m, PositionPurchased)]
    assert bought and bought[0] == 28

    risk = runner.world.risk
    assert risk.state is TradingState.ACTIVE
    assert risk.active_lockouts() == []


def test_realized_pnl_is_the_same_after_a_restart_inside_the_cooldown(write: Write) -> None:
    # 27 cycles: the run ends while the cooldown still pauses entries, with or without the
    # restart, so both runs made the same trades and must report the same day's P&L
    baseline = _run(write, _COOLDOWN, None, cycles=27)
    runner = _run(write, _COOLDOWN, 22, cycles=27)
    assert runner.world is not None and baseline.world is not None
    assert runner.world.restarts == 1
    assert runner.recorder is not None and baseline.recorder is not None
    for name in ("PositionPurchased", "PositionSold", "OrderSubmitted"):
        assert runner.recorder.count(name) == baseline.recorder.count(name)
    realized = runner.world.risk.pnl.daily_realized()
    assert realized == baseline.world.risk.pnl.daily_realized()
    assert realized == Decimal("-384.843379302850")
    # the same entries denied in both (cycles 21-27) under the same one cooldown
    for name, count in (("OrderDenied", 7), ("CooldownStarted", 1)):
        assert (runner.recorder.count(name), baseline.recorder.count(name)) == (count, count)
