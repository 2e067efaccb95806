"""Enforcement: close, reduce, flatten, cancel and move stops — verified, retried, escalated.

Every action first publishes ``EnforcementTriggered`` (checkpoint 8), then sends commands on
the bus: ``SubmitOrder(enforcement=True, reduce_only=True, strategy="risk")`` with a client
order id derived from the action (``riskbus.core.ids.derive_id``: rule, kind, symbol, the
time the action started and the attempt), or ``CancelAllOrders`` / ``CancelOrder``.

Each action is then **verified** against the account, not assumed:

* a close is done when the tracked portfolio shows the position flat (a reduce: at most the
  target size) after our order filled — checked in the fill handler, which runs after the
  ``AccountTracker`` booked the fill (subscribe order);
* a cancel-all is done when a ``FetchOpenOrders`` sent after it reports no open orders (when
  no component answers ``FetchOpenOrders``, the ``OrderCanceled`` events are trusted);
* a stop move is done when the venue accepts the new reduce-only stop.

A transient failure (``OrderRejected`` with a transient code, ``OrderStatusUnknown``,
``OrderCancelRejected``, or a verification that finds the job undone) is retried after an
exponential backoff on the clock. After ``max_attempts`` the action **escalates**: the
``on_escalate`` callback (the engine halts trading) runs and an alert
``RuleViolated(rule="enforcement", action=alert, reason="ENFORCEMENT_FAILED: ...")`` is
published. A permanent failure (a non-transient rejection or a denial) escalates at once.

Actions are idempotent: while a close (or reduce) of a symbol is in flight another one for
the same symbol is not sent, so several rules firing on one fill close a position once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.ids import derive_id
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    FetchOpenOrders,
    SubmitOrder,
)
from riskbus.model.enums import OrderSide, OrderType, RiskAction
from riskbus.model.events.account import OpenOrdersReport
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderFilled,
    OrderRejected,
    OrderStatusUnknown,
)
from riskbus.model.events.risk import EnforcementTriggered, RuleViolated
from riskbus.model.portfolio import Portfolio
from riskbus.model.reasons import format_reason, reason_code

__all__ = ["TRANSIENT_CODES", "EnforcementExecutor", "JobKind"]

log = logging.getLogger("riskbus.risk")

#: Rejection codes worth retrying.
TRANSIENT_CODES = frozenset(
    {
        "REJECTED_BY_VENUE",
        "VENUE_UNAVAILABLE",
        "RATE_LIMITED",
        "TIMEOUT",
        "NETWORK_ERROR",
        "OUTCOME_UNKNOWN",
        "EXCHANGE_UNAVAILABLE",
    }
)
_MS = 1_000_000
_ZERO = Decimal(0)


class JobKind(StrEnum):
    """What an enforcement job does."""

    CLOSE = "close"
    REDUCE = "reduce"
    CANCEL_ALL = "cancel_all"
    MOVE_STOP = "move_stop"


@dataclass(slots=True)
class _Job:
    kind: JobKind
    rule: str
    reason: str
    symbol: str | None
    started: int
    seq: int = 0
    target: Decimal = _ZERO
    stop_price: Decimal | None = None
    attempt: int = 0
    order_id: str = ""
    request_id: str = ""
    waiting: bool = False  # a retry is scheduled

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.symbol or '*'}"


class EnforcementExecutor:
    """Sends and verifies enforcement commands.

    Args:
        bus: where commands go and order events come from.
        clock: backoff timers and timestamps.
        portfolio: the tracked account (positions are read from here).
        max_attempts: attempts before an action escalates.
        backoff: the first retry delay (ns); it doubles per attempt.
        on_escalate: called ``(reason)`` when an action keeps failing.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        portfolio: Portfolio,
        *,
        max_attempts: int = 5,
        backoff: int = 100 * _MS,
        on_escalate: Callable[[str], None] | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.portfolio = portfolio
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.on_escalate = on_escalate
        self._jobs: dict[str, _Job] = {}
        self._by_order: dict[str, _Job] = {}
        self._by_request: dict[str, _Job] = {}
        self._stops: dict[str, str] = {}  # symbol -> client order id of our stop
        self._seq = 0
        self.escalations: list[str] = []
        self.completed = 0

    def attach(self) -> EnforcementExecutor:
        """Subscribe to the order events it verifies with; return self."""
        sub = self.bus.subscribe
        sub(OrderFilled, self._on_filled, component="Enforcement")
        sub(OrderRejected, self._on_rejected, component="Enforcement")
        sub(OrderDenied, self._on_denied, component="Enforcement")
        sub(OrderStatusUnknown, self._on_unknown, component="Enforcement")
        sub(OrderAccepted, self._on_accepted, component="Enforcement")
        sub(OrderCanceled, self._on_canceled, component="Enforcement")
        sub(OrderCancelRejected, self._on_cancel_rejected, component="Enforcement")
        sub(OpenOrdersReport, self._on_open_orders, component="Enforcement")
        return self

    # -- queries ----------------------------------------------------------------------------

    def in_flight(self, symbol: str | None = None) -> bool:
        """Whether a close/reduce of ``symbol`` (or any job when ``None``) is in flight."""
        if symbol is None:
            return bool(self._jobs)
        return f"close:{symbol}" in self._jobs or f"reduce:{symbol}" in self._jobs

    # -- actions ----------------------------------------------------------------------------

    def close_position(self, symbol: str, *, rule: str, reason: str) -> bool:
        """Close the whole position in ``symbol``; False when already flat or in flight."""
        return self._position_job(JobKind.CLOSE, symbol, _ZERO, rule=rule, reason=reason)

    def reduce_to_limit(self, symbol: str, target: Decimal, *, rule: str, reason: str) -> bool:
        """Reduce the position in ``symbol`` to ``|target|``; False when nothing to do."""
        return self._position_job(JobKind.REDUCE, symbol, abs(target), rule=rule, reason=reason)

    def flatten_all(self, *, rule: str, reason: str, cancel_orders: bool = True) -> list[str]:
        """Close every open position (and cancel all orders); return the symbols closed."""
        symbols = sorted(
            p.symbol for p in self.portfolio.open_positions() if not self.in_flight(p.symbol)
        )
        cancel_orders = cancel_orders and "cancel_all:*" not in self._jobs
        if not symbols and not cancel_orders:
            return []
        commands = [f"close {s}" for s in symbols] + (["cancel_all"] if cancel_orders else [])
        self._announce(rule, RiskAction.FLATTEN_ALL, reason, None, commands)
        closed = [s for s in symbols if self._start_close(JobKind.CLOSE, s, _ZERO, rule, reason)]
        if cancel_orders:
            self._start_cancel_all(None, rule, reason)
        return closed

    def cancel_all_orders(self, symbol: str | None = None, *, rule: str, reason: str) -> bool:
        """Cancel every open order (of ``symbol``); False when one is already in flight."""
        self._announce(rule, RiskAction.CANCEL_ALL_ORDERS, reason, symbol, ["cancel_all"])
        return self._start_cancel_all(symbol, rule, reason)

    def move_stop(self, symbol: str, stop_price: Decimal, *, rule: str, reason: str) -> bool:
        """Cancel our reduce-only stop in ``symbol`` and place one at ``stop_price``."""
        position = self.portfolio.position(symbol)
        if position is None or not position.quantity:
            return False
        self._announce(rule, RiskAction.MOVE_STOP, reason, symbol, [f"stop {symbol} {stop_price}"])
        job = _Job(
            JobKind.MOVE_STOP,
            rule,
            reason,
            symbol,
            self.clock.now(),
            self._next_seq(),
            stop_price=stop_price,
        )
        old = self._jobs.pop(job.key, None)
        if old is not None:
            self._by_order.pop(old.order_id, None)
        self._jobs[job.key] = job
        self._send_stop(job)
        return True

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- internals: positions ---------------------------------------------------------------

    def _position_job(
        self,
        kind: JobKind,
        symbol: str,
        target: Decimal,
        *,
        rule: str,
        reason: str,
    ) -> bool:
        if self.in_flight(symbol) or self._excess(symbol, target) <= 0:
            return False
        action = RiskAction.CLOSE_POSITION if kind is JobKind.CLOSE else RiskAction.REDUCE_TO_LIMIT
        self._announce(rule, action, reason, symbol, [f"{kind} {symbol}"])
        return self._start_close(kind, symbol, target, rule, reason)

    def _excess(self, symbol: str, target: Decimal) -> Decimal:
        position = self.portfolio.position(symbol)
        if position is None:
            return _ZERO
        return abs(position.quantity) - target

    def _start_close(
        self, kind: JobKind, symbol: str, target: Decimal, rule: str, reason: str
    ) -> bool:
        if self.in_flight(symbol) or self._excess(symbol, target) <= 0:
            return False
        job = _Job(kind, rule, reason, symbol, self.clock.now(), self._next_seq(), target=target)
        self._jobs[job.key] = job
        self._send_close(job)
        return True

    def _send_close(self, job: _Job) -> None:
        assert job.symbol is not None
        job.waiting = False
        position = self.portfolio.position(job.symbol)
        excess = self._excess(job.symbol, job.target)
        if position is None or excess <= 0:
            self._done(job)
            return
        job.attempt += 1
        job.order_id = derive_id(
            job.rule, job.kind, job.symbol, job.started, job.seq, job.attempt, prefix="risk-"
        )
        self._by_order[job.order_id] = job
        side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
        self.bus.send(
            SubmitOrder(
                ts=self.clock.now(),
                client_order_id=job.order_id,
                symbol=job.symbol,
                side=side,
                quantity=excess,
                reduce_only=True,
                strategy="risk",
                enforcement=True,
            )
        )

    def _send_stop(self, job: _Job) -> None:
        assert job.symbol is not None and job.stop_price is not None
        job.waiting = False
        position = self.portfolio.position(job.symbol)
        if position is None or not position.quantity:
            self._done(job)
            return
        old = self._stops.pop(job.symbol, None)
        if old is not None:
            self.bus.send(
                CancelOrder(
                    ts=self.clock.now(), client_order_id=old, symbol=job.symbol, reason="move_stop"
                )
            )
        job.attempt += 1
        job.order_id = derive_id(
            job.rule, job.kind, job.symbol, job.started, job.seq, job.attempt, prefix="risk-"
        )
        self._by_order[job.order_id] = job
        self._stops[job.symbol] = job.order_id
        self.bus.send(
            SubmitOrder(
                ts=self.clock.now(),
                client_order_id=job.order_id,
                symbol=job.symbol,
                side=OrderSide.SELL if position.quantity > 0 else OrderSide.BUY,
                quantity=abs(position.quantity),
                order_type=OrderType.STOP,
                stop_price=job.stop_price,
                reduce_only=True,
                strategy="risk",
                enforcement=True,
            )
        )

    # -- internals: orders ------------------------------------------------------------------

    def _start_cancel_all(self, symbol: str | None, rule: str, reason: str) -> bool:
        job = _Job(JobKind.CANCEL_ALL, rule, reason, symbol, self.clock.now())
        if job.key in self._jobs:
            return False
        self._jobs[job.key] = job
        self._send_cancel_all(job)
        return True

    def _send_cancel_all(self, job: _Job) -> None:
        job.waiting = False
        job.attempt += 1
        self.bus.send(CancelAllOrders(ts=self.clock.now(), symbol=job.symbol, reason=job.reason))
        if self.bus.has_handler(FetchOpenOrders):
            job.request_id = derive_id(job.rule, job.key, job.started, job.attempt, prefix="rq-")
            self._by_request[job.request_id] = job
            request = FetchOpenOrders(
                ts=self.clock.now(), symbol=job.symbol, request_id=job.request_id
            )
            self.bus.send(request)
        else:
            self._done(job)

    # -- event handlers ---------------------------------------------------------------------

    def _on_filled(self, event: OrderFilled) -> None:
        job = self._by_order.get(event.client_order_id)
        if job is None or event.leaves_qty > 0:
            return
        del self._by_order[event.client_order_id]
        if job.kind is JobKind.MOVE_STOP:  # our stop was hit: the position is closed
            if self._stops.get(job.symbol or "") == event.client_order_id:
                del self._stops[job.symbol or ""]
            return
        assert job.symbol is not None
        if self._excess(job.symbol, job.target) <= 0:
            self._done(job)
        else:  # the position moved meanwhile: close what is left
            self._retry(job, "NOT_FLAT")

    def _on_accepted(self, event: OrderAccepted) -> None:
        job = self._by_order.get(event.client_order_id)
        if job is not None and job.kind is JobKind.MOVE_STOP:
            self._done(job)

    def _on_rejected(self, event: OrderRejected) -> None:
        job = self._by_order.pop(event.client_order_id, None)
        if job is None:
            return
        if job.kind is JobKind.MOVE_STOP:
            self._stops.pop(job.symbol or "", None)
        if event.code in TRANSIENT_CODES:
            self._retry(job, event.code)
        else:
            self._escalate(job, event.code or reason_code(event.reason))

    def _on_denied(self, event: OrderDenied) -> None:
        job = self._by_order.pop(event.client_order_id, None)
        if job is not None:
            self._escalate(job, reason_code(event.reason))

    def _on_unknown(self, event: OrderStatusUnknown) -> None:
        job = self._by_order.get(event.client_order_id)
        if job is not None:
            # It may exist: keep listening for its fill, but check again after a backoff.
            self._retry(job, "OUTCOME_UNKNOWN")

    def _on_canceled(self, event: OrderCanceled) -> None:
        job = self._by_order.pop(event.client_order_id, None)
        if job is not None and job.kind in (JobKind.CLOSE, JobKind.REDUCE):
            self._retry(job, "CANCELED")

    def _on_cancel_rejected(self, event: OrderCancelRejected) -> None:
        return None  # the open-orders report that follows decides

    def _on_open_orders(self, report: OpenOrdersReport) -> None:
        job = self._by_request.pop(report.request_id, None)
        if job is None:
            return
        ours = set(self._stops.values())
        left = [o for o in report.orders if o.client_order_id not in ours]
        if left:
            self._retry(job, "ORDERS_OPEN")
        else:
            self._done(job)

    # -- outcomes ---------------------------------------------------------------------------

    def _retry(self, job: _Job, why: str) -> None:
        if job.waiting or self._jobs.get(job.key) is not job:
            return
        if job.attempt >= self.max_attempts:
            self._escalate(job, why)
            return
        job.waiting = True
        delay = self.backoff * (2 ** (job.attempt - 1))
        log.info(
            "enforcement retry %s after %s",
            job.key,
            why,
            extra={"checkpoint": 8, "job": job.key, "attempt": job.attempt, "why": why},
        )
        if job.kind is JobKind.CANCEL_ALL:
            self.clock.call_later(delay, lambda: self._resend(job, self._send_cancel_all))
        elif job.kind is JobKind.MOVE_STOP:
            self.clock.call_later(delay, lambda: self._resend(job, self._send_stop))
        else:
            self.clock.call_later(delay, lambda: self._resend(job, self._send_close))

    def _resend(self, job: _Job, send: Callable[[_Job], None]) -> None:
        if self._jobs.get(job.key) is job:
            send(job)

    def _done(self, job: _Job) -> None:
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
            self.completed += 1

    def _escalate(self, job: _Job, why: str) -> None:
        if self._jobs.get(job.key) is not job:
            return
        del self._jobs[job.key]
        reason = format_reason(
            "ENFORCEMENT_FAILED",
            action=job.kind,
            symbol=job.symbol or "*",
            attempts=job.attempt,
            cause=why,
            rule=job.rule,
        )
        self.escalations.append(reason)
        log.error(reason, extra={"checkpoint": 8, "job": job.key, "escalated": True})
        if self.on_escalate is not None:
            self.on_escalate(reason)
        self.bus.publish(
            RuleViolated(
                ts=self.clock.now(),
                rule="enforcement",
                reason=reason,
                action=RiskAction.ALERT,
                symbol=job.symbol,
            )
        )

    def _announce(
        self, rule: str, action: RiskAction, reason: str, symbol: str | None, commands: list[str]
    ) -> None:
        log.warning(
            "enforcement %s by %s: %s",
            action,
            rule,
            reason,
            extra={"checkpoint": 8, "rule": rule, "action": str(action), "symbol": symbol},
        )
        self.bus.publish(
            EnforcementTriggered(
                ts=self.clock.now(),
                rule=rule,
                action=action,
                reason=reason,
                symbol=symbol,
                commands=tuple(commands),
            )
        )
