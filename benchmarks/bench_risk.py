"""Risk: one event through every enabled rule; event → enforcement command latency.

Targets (issue F4, ARCHITECTURE §7): an event through all enabled rules ≥ 200,000 events/s;
event → enforcement command in process p99 ≤ 100 µs. All 18 registered rules (the 13
original rules and the 5 account rules) are enabled, with limits far enough away that the
throughput events breach nothing. Run: ``python benchmarks/bench_risk.py``.

* *position event*: ``RiskEngine.on_event(PositionChanged)`` — the event most rules listen
  to (14 of 18), with 3 open positions;
* *quote*: ``RiskEngine.on_event(QuoteTick)`` — the price-driven rules (004, 005, 012, A01,
  A02) with the position marked;
* *latency*: ``bus.publish(QuoteTick)`` that takes an MNQ position past rule 004's
  unrealized-loss limit → account tracker marks → engine → rules → verdict →
  ``RuleViolated`` → ``EnforcementTriggered`` → ``SubmitOrder`` received by the order sink
  (standing in for the gateway). Between samples the in-flight close is forgotten so
  every sample enforces again.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, median_rate, print_table
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.exchange.account import AccountTracker
from riskbus.model import OrderSide, default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import PositionSide
from riskbus.model.events.account import PositionChanged
from riskbus.model.events.market import QuoteTick
from riskbus.model.fills import Fill
from riskbus.risk.engine import RiskEngine
from riskbus.risk.pnl import PnLTracker
from riskbus.risk.rules import RULES, Rule

#: 2026-11-18 (a Wednesday) 15:00 UTC.
START = int(dt.datetime(2026, 11, 18, 15, tzinfo=dt.UTC).timestamp()) * 1_000_000_000
BIG = Decimal(10**9)

CONFIGS: dict[str, dict[str, Any]] = {
    "max_contracts": {"limit": 1000},
    "max_contracts_per_instrument": {"default_limit": 100},
    "daily_realized_loss": {"limit": -BIG},
    "daily_unrealized_loss": {"limit": -BIG},
    "max_unrealized_profit": {"target": BIG},
    "trade_frequency_limit": {"per_session": 10**9},
    "cooldown_after_loss": {},
    "no_stop_loss_grace": {},
    "session_block_outside": {
        "start": "00:00",
        "end": "23:59",
        "timezone": "UTC",
        "allowed_days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    },
    "auth_loss_guard": {},
    "symbol_blocks": {},
    "trade_management": {"breakeven_ticks": 10**6},
    "daily_realized_profit": {"target": BIG},
    "trailing_drawdown": {"max_drawdown": BIG},
    "daily_equity_loss": {"limit": -BIG},
    "max_order_notional": {"max_notional": BIG},
    "order_rate": {"max_orders": 10**9},
    "max_exposure": {"max_leverage": 1000},
}


def all_rules(**overrides: dict[str, Any]) -> list[Rule[Any]]:
    """Every registered rule, enabled, with the benchmark's far-away limits."""
    rules = []
    for cls in {cls.name: cls for cls in RULES.values()}.values():
        settings = {**CONFIGS.get(cls.name, {}), **overrides.get(cls.name, {})}
        rules.append(cls(cls.config_type.model_validate(settings)))
    return rules


def build(rules: list[Rule[Any]]) -> tuple[Simulator, EventBus, AccountTracker, RiskEngine]:
    sim = Simulator(START)
    bus = EventBus(sim.clock)
    registry = default_registry()
    tracker = AccountTracker(bus, sim.clock, registry, {"USD": 10_000_000}, currency="USD")
    tracker.attach()
    pnl = PnLTracker(sim.clock, tracker.portfolio).attach(bus)
    engine = RiskEngine(bus, sim.clock, registry, tracker.portfolio, pnl, rules=rules)
    engine.attach()
    engine.start()
    for i, (symbol, price) in enumerate((("MNQ", "20000"), ("NQ", "20000"), ("ES", "5000"))):
        tracker.portfolio.apply_fill(
            Fill(
                fill_id=f"seed-{i}",
                client_order_id=f"seed-{i}",
                symbol=symbol,
                side=OrderSide.BUY,
                quantity=Decimal(1),
                price=Decimal(price),
                ts=START,
            )
        )
    return sim, bus, tracker, engine


def quiet() -> None:
    """Checkpoint records are still made, but written nowhere (no terminal I/O timed)."""
    logger = logging.getLogger("riskbus.risk")
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False


def bench_position_events(n: int, rules: list[Rule[Any]] | None = None) -> int:
    _, _, _, engine = build(all_rules() if rules is None else rules)
    event = PositionChanged(
        ts=START,
        symbol="NQ",
        side=PositionSide.LONG,
        quantity=Decimal(1),
        avg_price=Decimal(20000),
        realized_pnl=Decimal(0),
        unrealized_pnl=Decimal(0),
        trade_pnl=Decimal(0),
        fee=Decimal(0),
        currency="USD",
        fill_id="x",
    )
    on_event = engine.on_event
    for _ in range(n):
        on_event(event)
    assert engine.violations == 0, "the throughput events must not breach"
    return n


def bench_quotes(n: int) -> int:
    _, _, _, engine = build(all_rules())
    tick = QuoteTick(
        ts=START,
        symbol="MNQ",
        bid=Decimal("20001"),
        ask=Decimal("20001.5"),
        bid_size=Decimal(1),
        ask_size=Decimal(1),
    )
    on_event = engine.on_event
    for _ in range(n):
        on_event(tick)
    assert engine.violations == 0
    return n


def enforcement_latency(samples: int) -> list[float]:
    """Microseconds from publishing the breaching quote to the ``SubmitOrder`` arriving."""
    rules = all_rules(daily_unrealized_loss={"limit": -100})
    _, bus, _, engine = build(rules)
    arrived: list[int] = []
    bus.register(SubmitOrder, lambda command: arrived.append(time.perf_counter_ns()))
    ex = engine.enforcement
    good = QuoteTick(
        ts=START, symbol="MNQ", bid=Decimal(20000), ask=Decimal(20000),
        bid_size=Decimal(1), ask_size=Decimal(1),
    )  # fmt: skip
    bad = QuoteTick(
        ts=START, symbol="MNQ", bid=Decimal(19900), ask=Decimal(19900),
        bid_size=Decimal(1), ask_size=Decimal(1),
    )  # fmt: skip
    out = []
    gc.collect()
    for _ in range(samples):
        bus.publish(good)
        ex._jobs.clear()  # forget the previous close: every sample enforces again
        ex._by_order.clear()
        start = time.perf_counter_ns()
        bus.publish(bad)
        out.append((arrived[-1] - start) / 1000)
    assert len(arrived) == samples
    return out


def run(quick: bool = False) -> list[Row]:
    n = 20_000 if quick else 100_000
    repeats = 3 if quick else 5
    quiet()
    rows: list[Row] = []
    enabled = len(all_rules())
    original = [r for r in all_rules() if r.code.isdigit()]
    for name, work, target in (
        (f"position event through all {enabled} rules", bench_position_events, 200_000),
        (
            f"position event through the {len(original)} original rules",
            lambda k: bench_position_events(k, [r for r in all_rules() if r.code.isdigit()]),
            200_000,
        ),
        (f"quote through the price rules (of {enabled})", bench_quotes, 200_000),
        ("engine overhead: position event, no rules", lambda k: bench_position_events(k, []), None),
    ):
        median, rates = median_rate(lambda w=work: w(n), repeats)  # type: ignore[misc]
        rows.append(
            {
                "name": name,
                "value": median,
                "unit": "events/s",
                "target": target,
                "spread": (min(rates), max(rates)),
            }
        )
    latencies = enforcement_latency(2_000 if quick else 10_000)
    cuts = statistics.quantiles(latencies, n=100)
    rows.append(
        {
            "name": "event -> enforcement command, p99",
            "value": cuts[98],
            "unit": "µs",
            "target": 100,
            "lower_is_better": True,
            "spread": (min(latencies), max(latencies)),
        }
    )
    rows.append(
        {
            "name": "event -> enforcement command, p50",
            "value": cuts[49],
            "unit": "µs",
            "lower_is_better": True,
        }
    )
    return rows


if __name__ == "__main__":
    print_table(__doc__.strip().splitlines()[0], run(quick="--quick" in sys.argv))
