"""Assertions over a scenario's recorded events, and invariants checked on every event.

Original kinds, original semantics (the names of the results too):

* ``event_count: {Event: {min, max, exact}}`` → ``event_count.Event.min`` ...
* ``event_sequence: [A, B, C]`` — an in-order subsequence, gaps allowed.
* ``no_panic_sell: {crash_start_cycle: 20, crash_end_cycle: 30}`` (or ``true``) — no
  ``PositionSold`` of a cycle in that range.
* ``final_capital: {min, max}`` — the last ``CapitalRefreshed.available_capital``; fails
  when there is none.
* ``position_count: {min, max, exact}`` — ``#PositionPurchased − #PositionSold``.
* ``custom: package.module:function`` (or a list) — ``function(events)`` returns
  ``(passed, message)``; ``events`` are dicts ``{event_name, event_data, timestamp, cycle}``.

New: ``event_never: [A, ...]``; ``event_within: {after: X, event: Y, cycles: N}`` (every
``X`` is followed by a ``Y`` within ``N`` cycles); ``max_drawdown: {max_pct: P}`` (the bot's
equity drawdown from its peak, in percent).

Invariants (:class:`Invariants`), checked as each event is delivered: ``no_duplicate_orders``
(no client order id submitted twice), ``capital_conserved`` (the venue's quote balance is
exactly the opening balance plus sales, less purchases and fees, and the bot never counts
more cash than the venue holds), ``risk_limits_respected`` (no entry order is submitted while
the risk manager has trading ``HALTED``).

Every result names what was expected and what was found; all are collected.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from riskbus.core.errors import ScenarioError
from riskbus.core.messages import Message
from riskbus.model.enums import OrderSide, TradingState
from riskbus.model.events.bot import CapitalRefreshed, PositionSold
from riskbus.model.events.orders import OrderSubmitted
from riskbus.scenarios.recorder import Recorder
from riskbus.scenarios.schema import AssertSpec, CountBound, CustomCheck
from riskbus.scenarios.world import World

__all__ = ["AssertionResult", "Checker", "Invariants", "load_custom"]

_TOLERANCE = Decimal("1e-8")


@dataclass
class AssertionResult:
    """One checked assertion: what was expected, what was found."""

    name: str
    passed: bool
    message: str
    expected: str
    actual: Any
    kind: str
    step: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""
        return asdict(self)


def _json_value(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def load_custom(path: str) -> Callable[[list[dict[str, Any]]], Any]:
    """Import the callable ``package.module:function`` (or ``package.module.function``).

    Raises:
        ScenarioError: it cannot be imported or is not callable.
    """
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
        function = getattr(module, attribute)
    except (ImportError, AttributeError, ValueError) as e:
        raise ScenarioError(f"cannot import custom assertion {path!r}: {e}", field="custom") from e
    if not callable(function):
        raise ScenarioError(f"custom assertion {path!r} is not callable", field="custom")
    return function  # type: ignore[no-any-return]


def event_dicts(recorder: Recorder) -> list[dict[str, Any]]:
    """The recorded events in the original framework's shape (values stay typed)."""
    out = []
    for cycle, message in recorder.events():
        data = {name: getattr(message, name) for name in message.__struct_fields__}
        out.append(
            {
                "event_name": message.name,
                "event_data": data,
                "timestamp": message.ts,
                "cycle": cycle,
            }
        )
    return out


class Checker:
    """Checks :class:`AssertSpec` s against what the recorder holds now."""

    def __init__(self, recorder: Recorder, world: World) -> None:
        self.recorder = recorder
        self.world = world

    def check(self, spec: AssertSpec, step: int | None = None) -> list[AssertionResult]:
        """Check every assertion of ``spec``; return one result per check."""
        results: list[AssertionResult] = []
        for name, bound in (spec.event_count or {}).items():
            results += self._counts(f"event_count.{name}", name, self.recorder.count(name), bound)
        if spec.event_sequence:
            results.append(self._sequence(spec.event_sequence))
        if spec.no_panic_sell is not None:
            results.append(
                self._panic(
                    spec.no_panic_sell.crash_start_cycle, spec.no_panic_sell.crash_end_cycle
                )
            )
        if spec.final_capital is not None:
            if spec.final_capital.measure == "equity":
                results += self._final_equity(spec.final_capital.min, spec.final_capital.max)
            else:
                results += self._final_capital(spec.final_capital.min, spec.final_capital.max)
        if spec.position_count is not None:
            count = self.recorder.count("PositionPurchased") - self.recorder.count("PositionSold")
            results += self._counts("position_count", "open positions", count, spec.position_count)
        for check in spec.custom or []:
            results.append(self._custom(check))
        for name in spec.event_never or []:
            found = self.recorder.count(name)
            results.append(
                AssertionResult(
                    f"event_never.{name}",
                    found == 0,
                    f"Expected no {name} events, got {found}",
                    "0",
                    found,
                    "event_never",
                )
            )
        for within in spec.event_within or []:
            results.append(self._within(within.after, within.event, within.cycles))
        if spec.max_drawdown is not None:
            drawdown = self.world.runner.report.max_drawdown * 100
            limit = spec.max_drawdown.max_pct
            results.append(
                AssertionResult(
                    "max_drawdown",
                    drawdown <= limit,
                    f"Expected a max drawdown of at most {limit}%, got {drawdown:.4f}%",
                    f"<= {limit}%",
                    round(float(drawdown), 6),
                    "max_drawdown",
                )
            )
        for result in results:
            result.step = step
            result.actual = _json_value(result.actual)
        return results

    @staticmethod
    def _counts(prefix: str, label: str, found: int, bound: CountBound) -> list[AssertionResult]:
        out = []
        kind = prefix.split(".", maxsplit=1)[0]
        if bound.min is not None:
            out.append(
                AssertionResult(
                    f"{prefix}.min",
                    found >= bound.min,
                    f"Expected at least {bound.min} {label} events, got {found}"
                    if kind == "event_count"
                    else f"Expected at least {bound.min} {label}, got {found}",
                    f">= {bound.min}",
                    found,
                    kind,
                )
            )
        if bound.max is not None:
            out.append(
                AssertionResult(
                    f"{prefix}.max",
                    found <= bound.max,
                    f"Expected at most {bound.max} {label}"
                    + (" events" if kind == "event_count" else "")
                    + f", got {found}",
                    f"<= {bound.max}",
                    found,
                    kind,
                )
            )
        if bound.exact is not None:
            out.append(
                AssertionResult(
                    f"{prefix}.exact",
                    found == bound.exact,
                    f"Expected exactly {bound.exact} {label}"
                    + (" events" if kind == "event_count" else "")
                    + f", got {found}",
                    f"== {bound.exact}",
                    found,
                    kind,
                )
            )
        return out

    def _sequence(self, names: list[str]) -> AssertionResult:
        position = 0
        for _, message in self.recorder.events():
            if position < len(names) and message.name == names[position]:
                position += 1
        passed = position == len(names)
        missing = "" if passed else f"; {names[position]} (item {position + 1}) never followed"
        return AssertionResult(
            "event_sequence",
            passed,
            f"Expected the sequence {' → '.join(names)}, matched {position} of {len(names)}"
            + missing,
            " → ".join(names),
            names[:position],
            "event_sequence",
        )

    def _panic(self, start: int, end: int) -> AssertionResult:
        sold = [
            cycle
            for cycle, message in self.recorder.events()
            if type(message) is PositionSold and start <= _cycle_of(message, cycle) <= end
        ]
        return AssertionResult(
            "no_panic_sell",
            not sold,
            f"Expected no PositionSold in cycles {start}-{end}, got {len(sold)}"
            + (f" (cycles {sorted(set(sold))})" if sold else ""),
            f"0 sales in cycles {start}-{end}",
            len(sold),
            "no_panic_sell",
        )

    def _final_capital(self, low: Decimal | None, high: Decimal | None) -> list[AssertionResult]:
        last: Decimal | None = None
        for _, message in self.recorder.events():
            if type(message) is CapitalRefreshed:
                last = message.available_capital
        out = []
        for suffix, bound in (("min", low), ("max", high)):
            if bound is None:
                continue
            sign = ">=" if suffix == "min" else "<="
            if last is None:
                out.append(
                    AssertionResult(
                        f"final_capital.{suffix}",
                        False,
                        "No CapitalRefreshed event: the final capital is unknown",
                        f"{sign} {bound}",
                        None,
                        "final_capital",
                    )
                )
                continue
            passed = last >= bound if suffix == "min" else last <= bound
            word = "at least" if suffix == "min" else "at most"
            out.append(
                AssertionResult(
                    f"final_capital.{suffix}",
                    passed,
                    f"Expected final capital {word} {bound}, got {last}",
                    f"{sign} {bound}",
                    last,
                    "final_capital",
                )
            )
        return out

    def _final_equity(self, low: Decimal | None, high: Decimal | None) -> list[AssertionResult]:
        equity = self.world.equity()
        out = []
        for suffix, bound in (("min", low), ("max", high)):
            if bound is None:
                continue
            passed = equity >= bound if suffix == "min" else equity <= bound
            word, sign = ("at least", ">=") if suffix == "min" else ("at most", "<=")
            out.append(
                AssertionResult(
                    f"final_capital.{suffix}",
                    passed,
                    f"Expected final equity (cash + positions at the bid) {word} {bound}, "
                    f"got {equity:.2f}",
                    f"{sign} {bound}",
                    equity,
                    "final_capital",
                )
            )
        return out

    def _custom(self, check: CustomCheck) -> AssertionResult:
        name = f"custom.{check.name or check.function}"
        function = load_custom(check.function)
        try:
            outcome = function(event_dicts(self.recorder))
        except Exception as e:
            return AssertionResult(
                name, False, f"{type(e).__name__}: {e}", "(passed, message)", None, "custom"
            )
        if isinstance(outcome, tuple) and len(outcome) == 2:
            passed, message = bool(outcome[0]), str(outcome[1])
        else:
            passed, message = bool(outcome), ""
        return AssertionResult(name, passed, message, "passed", passed, "custom")

    def _within(self, after: str, event: str, cycles: int) -> AssertionResult:
        triggers: list[int] = []
        hits: list[int] = []
        for cycle, message in self.recorder.events():
            if message.name == after:
                triggers.append(cycle)
            elif message.name == event:
                hits.append(cycle)
        late = [c for c in triggers if not any(c <= h <= c + cycles for h in hits)]
        return AssertionResult(
            f"event_within.{after}.{event}",
            not late,
            f"Expected {event} within {cycles} cycles after each of {len(triggers)} {after}"
            + (f"; none after the {after} of cycles {late[:10]}" if late else ""),
            f"{event} <= {cycles} cycles after {after}",
            len(triggers) - len(late),
            "event_within",
        )


def _cycle_of(message: Message, recorded: int) -> int:
    cycle_id = getattr(message, "cycle_id", "")
    return int(cycle_id) if isinstance(cycle_id, str) and cycle_id.isdigit() else recorded


class Invariants:
    """The invariants checked on every event (see the module docstring)."""

    def __init__(self, world: World, names: list[str]) -> None:
        self.world = world
        self.names = names
        self.violations: dict[str, list[str]] = {name: [] for name in names}
        self.checked: dict[str, int] = dict.fromkeys(names, 0)
        self._ids: set[str] = set()
        self._quote = world.capital
        self._currency = world.quote_currency
        self._seen = 0

    def attach(self) -> Invariants:
        """Subscribe to the events the invariants watch."""
        bus = self.world.bus
        if "no_duplicate_orders" in self.names or "risk_limits_respected" in self.names:
            bus.subscribe(OrderSubmitted, self._on_submitted, component="Invariants")
        if "capital_conserved" in self.names:
            bus.subscribe(CapitalRefreshed, self._on_capital, component="Invariants")
        return self

    def _fail(self, name: str, text: str) -> None:
        found = self.violations[name]
        if len(found) < 20:
            found.append(f"cycle {self.world.cycles_started}: {text}")
        else:
            found.append("")

    def _on_submitted(self, event: OrderSubmitted) -> None:
        if "no_duplicate_orders" in self.violations:
            self.checked["no_duplicate_orders"] += 1
            if event.client_order_id in self._ids:
                self._fail("no_duplicate_orders", f"order {event.client_order_id} submitted twice")
            self._ids.add(event.client_order_id)
        risk = self.world.risk
        if "risk_limits_respected" in self.violations and risk is not None:
            self.checked["risk_limits_respected"] += 1
            if not event.enforcement and risk.state is TradingState.HALTED:
                self._fail(
                    "risk_limits_respected",
                    f"entry order {event.client_order_id} submitted while trading is HALTED",
                )

    def _venue_cash(self) -> Decimal:
        """The opening balance plus what every fill the venue made moved (fees included)."""
        trades = self.world.exchange._matcher.fills  # the venue's own list: no copy
        for fill in trades[self._seen :]:
            instrument = self.world.registry.find(fill.symbol)
            if instrument is None or instrument.quote != self._currency:
                continue
            notional = fill.last_qty * fill.last_price * instrument.multiplier
            self._quote += -notional if fill.side is OrderSide.BUY else notional
            if fill.fee_currency == self._currency:
                self._quote -= fill.fee
        self._seen = len(trades)
        return self._quote

    def _on_capital(self, event: CapitalRefreshed) -> None:
        expected = self._balance_matches()
        if event.ts != self.world.clock.now():
            return  # delivered late (chaos): the venue has moved on since it was published
        if event.available_capital > expected + _TOLERANCE:
            self._fail(
                "capital_conserved",
                f"the bot counts {event.available_capital} available but the venue holds "
                f"{expected}",
            )

    def _balance_matches(self) -> Decimal:
        self.checked["capital_conserved"] += 1
        expected = self._venue_cash()
        held = self.world.exchange.account.balance(self._currency)
        if abs(held - expected) > _TOLERANCE:
            self._fail(
                "capital_conserved",
                f"venue {self._currency} balance {held} but its fills say {expected}",
            )
        return expected

    def results(self) -> list[AssertionResult]:
        """One result per invariant (the balance is checked once more first)."""
        if "capital_conserved" in self.names:
            self._balance_matches()
        out = []
        for name in self.names:
            found = self.violations[name]
            if name == "risk_limits_respected" and self.world.risk is None:
                message = "no risk manager in this scenario (setup.risk): nothing to check"
            elif found:
                message = f"{len(found)} violation(s); first: {found[0]}"
            else:
                message = f"held on all {self.checked[name]} checks"
            out.append(
                AssertionResult(
                    f"invariant.{name}",
                    not found,
                    message,
                    "0 violations",
                    len(found),
                    "invariant",
                )
            )
        return out
