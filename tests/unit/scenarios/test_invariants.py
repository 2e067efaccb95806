"""The three invariants checked on every event, each shown failing for real and holding.

``no_duplicate_orders`` fails for a strategy that sends the same client order id twice;
``capital_conserved`` fails when a ``modify_event`` fault corrupts the price of a fill the bot
books; ``risk_limits_respected`` fails for a strategy that goes around the order gateway (it
hands its entries to the venue itself) while the daily-loss lockout has trading ``HALTED``.
Each failure names what was expected (``0 violations``) and what was found (the count, and the
first violation with its cycle); a run with failing invariants is ``failed``, never ``error``,
and every failure is reported in the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from riskbus.bot.strategies.pool_ladder import PoolLadder
from riskbus.bot.strategy import Strategy, StrategyContext
from riskbus.model.commands import FetchPrice, SubmitOrder
from riskbus.model.enums import OrderSide, OrderType
from riskbus.model.events.risk import LockoutStarted

Run = Callable[..., dict[str, Any]]

_HERE = __name__


class SendsOneIdTwice(Strategy):
    """In cycle 3, sends the same resting limit buy (far below the market) twice."""

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        if cycle != 3:
            return
        for _ in range(2):
            ctx.bus.send(
                SubmitOrder(
                    ts=ctx.clock.now(),
                    client_order_id="dup-1",
                    symbol="BTC/USDT",
                    side=OrderSide.BUY,
                    quantity=Decimal("0.01"),
                    order_type=OrderType.LIMIT,
                    price=Decimal("1000.00"),
                    strategy="dup",
                )
            )


class GoesAroundTheGate(PoolLadder):
    """The pool ladder, but once the account is locked it hands one entry to the venue itself.

    It finds the venue as the executor of ``FetchPrice`` on the bus and announces the order
    with ``OrderSubmitted`` as the gateway would, without asking the risk engine.
    """

    def __init__(self, params: dict[str, Any] | None = None) -> None:
        super().__init__(params=params)
        self.locked = False
        self.bypassed: list[str] = []

    def on_start(self, ctx: StrategyContext) -> None:
        ctx.bus.subscribe(LockoutStarted, self._on_lockout, component="GoesAroundTheGate")

    def _on_lockout(self, _event: LockoutStarted) -> None:
        self.locked = True

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        if not self.locked or self.bypassed:
            super().on_cycle(ctx, cycle)
            return
        venue = ctx.bus._commands[FetchPrice][0].__self__  # type: ignore[attr-defined]
        order = SubmitOrder(
            ts=ctx.clock.now(),
            client_order_id=f"rogue-{cycle}",
            symbol="BTC/USDT",
            side=OrderSide.BUY,
            quantity=Decimal("0.01"),
            order_type=OrderType.LIMIT,
            price=Decimal("1000.00"),
            strategy="rogue",
        )
        self.bypassed.append(order.client_order_id)
        ctx.bus.publish(order.submitted(ctx.clock.now()))
        venue.submit(order)


def _scenario(
    strategy: str, *, params: str = "{}", risk: bool = False, chaos: str = "", cycles: int = 12
) -> str:
    text = f"""
name: invariants
seed: 7
setup:
  exchange: {{scenario: flash_crash, initial_price: 50000.0}}
  bot:
    strategy: "{strategy}"
    params: {params}
"""
    if risk:
        text += """
  risk:
    account: {id: invariants, currency: USDT, timezone: UTC}
    schedule: {daily_reset: "00:00"}
    rules:
      daily_realized_loss: {limit: -100}
"""
    if chaos:
        text += f"chaos:\n{chaos}"
    text += f"steps:\n  - wait_for_cycles: {cycles}\n"
    return text


def _timeline_counts(results: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in results["timeline"]:
        counts[entry["event"]] = counts.get(entry["event"], 0) + 1
    return counts


def _invariants(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in results["assertions"]["results"] if r["kind"] == "invariant"}


def test_every_invariant_holds_in_the_normal_case_even_with_a_lockout(run_text: Run) -> None:
    results = run_text(
        _scenario(
            "pool_ladder", params="{entry_signal: always, stop_loss: 0.05}", risk=True, cycles=30
        )
    )
    assert results["status"] == "passed"
    found = _invariants(results)
    assert list(found) == [
        "invariant.no_duplicate_orders",
        "invariant.capital_conserved",
        "invariant.risk_limits_respected",
    ]
    for result in found.values():
        assert result["passed"] is True
        assert result["actual"] == 0
        assert result["expected"] == "0 violations"
        assert result["message"].startswith("held on all ")
    # the lockout happened and the entries after it were denied, not submitted
    counts = _timeline_counts(results)
    assert (counts["LockoutStarted"], counts["OrderDenied"], counts["OrderSubmitted"]) == (
        1,
        10,
        10,
    )
    assert found["invariant.risk_limits_respected"]["message"] == "held on all 10 checks"


def test_an_order_id_submitted_twice_fails_no_duplicate_orders(run_text: Run) -> None:
    results = run_text(_scenario(f"{_HERE}:SendsOneIdTwice"))
    assert results["status"] == "failed"
    assert results["error"] is None
    found = _invariants(results)
    duplicate = found["invariant.no_duplicate_orders"]
    assert duplicate["passed"] is False
    assert duplicate["expected"] == "0 violations"
    assert duplicate["actual"] == 1
    assert duplicate["message"] == "1 violation(s); first: cycle 3: order dup-1 submitted twice"
    # the venue took the first and refused the second: the invariant sees the sending itself
    on_dup = [
        (e["event"], e["summary"].split(" reason=")[-1])
        for e in results["timeline"]
        if "client_order_id=dup-1 " in e["summary"] and e["event"] != "OrderSubmitted"
    ]
    assert [event for event, _ in on_dup] == ["OrderAccepted", "OrderRejected"]
    assert on_dup[1][1] == "DUPLICATE_ORDER: client_order_id=dup-1"
    assert found["invariant.capital_conserved"]["passed"] is True
    assert found["invariant.risk_limits_respected"]["passed"] is True


_CORRUPT_FILL = """\
  - type: modify_event
    event: OrderFilled
    field: last_price
    value: "1"
    at_cycle: 2
"""


# the bot's CapitalRefreshed of cycle 5 claims a million USDT: more than the venue holds
_INFLATED_CAPITAL = """\
  - type: modify_event
    event: CapitalRefreshed
    field: available_capital
    value: "1000000"
    at_cycle: 5
"""


def test_a_corrupted_fill_price_fails_capital_conserved(run_text: Run) -> None:
    results = run_text(
        _scenario("pool_ladder", params="{entry_signal: always}", chaos=_CORRUPT_FILL)
    )
    assert results["status"] == "failed"
    assert results["chaos"]["events_modified"] >= 1
    found = _invariants(results)
    capital = found["invariant.capital_conserved"]
    assert capital["passed"] is False
    assert capital["expected"] == "0 violations"
    assert capital["actual"] == 10
    # the bot booked the purchase at 1 USDT: it counts ~500 USDT the venue no longer holds
    assert capital["message"] == (
        "10 violation(s); first: cycle 3: the bot counts 9500.46651210865 available "
        "but the venue holds 9001.00777080865"
    )
    assert found["invariant.no_duplicate_orders"]["passed"] is True
    assert found["invariant.risk_limits_respected"]["message"] == (
        "no risk manager in this scenario (setup.risk): nothing to check"
    )


def test_an_entry_around_the_gate_while_halted_fails_risk_limits_respected(run_text: Run) -> None:
    results = run_text(
        _scenario(
            f"{_HERE}:GoesAroundTheGate",
            params="{entry_signal: always, stop_loss: 0.05}",
            risk=True,
            cycles=30,
        )
    )
    assert results["status"] == "failed"
    assert results["error"] is None
    found = _invariants(results)
    risk = found["invariant.risk_limits_respected"]
    assert risk["passed"] is False
    assert (risk["expected"], risk["actual"]) == ("0 violations", 1)
    assert risk["message"] == (
        "1 violation(s); first: cycle 21: entry order rogue-21 submitted while trading is HALTED"
    )
    assert found["invariant.no_duplicate_orders"]["passed"] is True
    assert found["invariant.capital_conserved"]["passed"] is True
    # the steps themselves passed: the run failed on the invariant alone
    assert [s["status"] for s in results["steps"]] == ["passed"]
    assert results["failed_step"] is None


class BreaksAllThree(GoesAroundTheGate):
    """Goes around the gate once locked and sends one client order id twice in cycle 3."""

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        SendsOneIdTwice.on_cycle(self, ctx, cycle)  # type: ignore[arg-type]
        super().on_cycle(ctx, cycle)


def test_all_failing_invariants_are_reported_together_and_the_run_is_failed(
    run_text: Run,
) -> None:
    results = run_text(
        _scenario(
            f"{_HERE}:BreaksAllThree",
            params="{entry_signal: always, stop_loss: 0.05}",
            risk=True,
            chaos=_INFLATED_CAPITAL,
            cycles=30,
        )
    )
    assert results["status"] == "failed"
    assert results["error"] is None
    checks = results["assertions"]
    assert (checks["total"], checks["passed"], checks["failed"]) == (3, 0, 3)
    assert [(r["name"], r["passed"], r["actual"]) for r in checks["results"]] == [
        ("invariant.no_duplicate_orders", False, 1),
        ("invariant.capital_conserved", False, 1),
        ("invariant.risk_limits_respected", False, 1),
    ]
    messages = [r["message"] for r in checks["results"]]
    assert messages == [
        "1 violation(s); first: cycle 3: order dup-1 submitted twice",
        "1 violation(s); first: cycle 5: the bot counts 1000000 available but the venue "
        "holds 8002.00812341005",
        "1 violation(s); first: cycle 21: entry order rogue-21 submitted while trading is HALTED",
    ]
