"""The service's live desk: its bus on the event loop and, optionally, the risk guard.

:class:`RiskDesk` owns the service's :class:`~riskbus.core.bus.EventBus` on a
:class:`~riskbus.core.clock.LiveClock`. With ``settings.risk_config`` it also hosts the risk
guard: a :class:`~riskbus.risk.manager.RiskManager` for that file, writing through the
store (P&L, trades, lockouts, audit), with the admin token as its unlock credential. A venue
adapter is plugged in with :meth:`RiskDesk.attach_venue`: orders then pass the guard's
pre-trade checks, and its enforcement (flatten, cancel) reaches the venue.

Whatever publishes on the bus (the hosted guard, a venue adapter), the desk keeps the
numbers ``/metrics`` shows: events, rule evaluations, violations (also written to the audit
log, action ``rule_violated``, so the violations page survives a restart), denials, and the
latency from an event entering the bus to the enforcement it triggers.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock
from riskbus.core.messages import Message
from riskbus.exchange.base import ExchangeClient
from riskbus.model.enums import TradingState
from riskbus.model.events.orders import OrderDenied
from riskbus.model.events.risk import EnforcementTriggered, RuleViolated
from riskbus.risk.gate import OrderGateway
from riskbus.store import AuditEntry, LockoutScope, Store

__all__ = ["VIOLATION_ACTION", "Histogram", "RiskDesk"]

log = logging.getLogger("riskbus.service")

#: The audit action of a rule violation seen by the desk.
VIOLATION_ACTION = "rule_violated"

#: Enforcement-latency buckets, in seconds (10 µs … 1 s).
LATENCY_BUCKETS = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1, 1.0)


@dataclass
class Histogram:
    """A Prometheus-style cumulative histogram."""

    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        """Count one observation."""
        self.count += 1
        self.total += value
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1


class RiskDesk:
    """The live bus and the hosted guard (see the module docstring).

    Args:
        store: the store (lockouts, P&L, audit).
        risk_config: a risk config file to host the guard for, or None.
        admin_token: the credential of admin unlocks through the hosted guard.
    """

    def __init__(self, store: Store, *, risk_config: Any = None, admin_token: str | None) -> None:
        self.store = store
        self.risk_config_path = risk_config
        self.admin_token = admin_token
        self.clock = LiveClock()
        self.bus = EventBus(self.clock)
        self.manager: Any = None
        self.account = "default"
        self.denials = 0
        self.violations = 0
        self.enforcements = 0
        self.latency = Histogram()
        self._entered = 0.0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Wire the desk's listeners; load the risk config and start the guard, if any.

        Raises:
            ConfigError: the risk config file is invalid (file, key and line named).
        """
        self.bus.add_interceptor(self._stamp, first=True)
        self.bus.subscribe(RuleViolated, self._on_violation, component="ServiceDesk")
        self.bus.subscribe(OrderDenied, self._on_denied, component="ServiceDesk")
        self.bus.subscribe(EnforcementTriggered, self._on_enforcement, component="ServiceDesk")
        if self.risk_config_path is None:
            return
        from riskbus.risk.config import load_config
        from riskbus.risk.manager import RiskManager

        config = load_config(self.risk_config_path)
        self.account = config.account.id
        self.manager = RiskManager(
            self.bus,
            self.clock,
            config.registry(),
            config.build_rules(),
            store=self.store,
            account=config.account.id,
            currency=config.account.currency,
            reset=config.reset_config(),
            admin_credential=self.admin_token,
        )
        self.manager.start()
        log.info("risk guard started for %s (%s)", config.account.id, self.risk_config_path)

    def attach_venue(self, exchange: ExchangeClient) -> OrderGateway:
        """Plug a venue adapter into the desk: it executes the venue commands on the bus and
        ``SubmitOrder`` goes through an :class:`~riskbus.risk.gate.OrderGateway` to it, gated
        by the hosted guard's pre-trade checks (when there is a guard).

        Raises:
            HandlerWiringError: a venue is already attached.
        """
        exchange.attach(self.bus)
        gate = self.manager.engine if self.manager is not None else None
        registry = self.manager.registry if self.manager is not None else None
        gateway = OrderGateway(self.bus, self.clock, exchange.submit, gate=gate, registry=registry)
        gateway.attach()
        if self.manager is not None:
            self.manager.exchange = exchange
            self.manager.gateway = gateway
        return gateway

    def stop(self) -> None:
        """Stop the guard (its rules' state is saved)."""
        if self.manager is not None and self.manager.running:
            self.manager.stop()

    # -- listeners --------------------------------------------------------------------------

    def _stamp(self, message: Message, bus: EventBus) -> Message:
        # A message published from outside any handler starts a dispatch: the time origin
        # of the enforcement it may trigger (published inside that same dispatch).
        if bus._current == EventBus.EXTERNAL:
            self._entered = time.perf_counter()
        return message

    def _on_violation(self, event: RuleViolated) -> None:
        self.violations += 1
        details = {"rule": event.rule, "reason": event.reason, "symbol": event.symbol}
        self.store.audit.append(
            AuditEntry(event.ts, "risk-engine", VIOLATION_ACTION, str(event.action), details)
        )

    def _on_denied(self, _event: OrderDenied) -> None:
        self.denials += 1

    def _on_enforcement(self, _event: EnforcementTriggered) -> None:
        self.enforcements += 1
        self.latency.observe(time.perf_counter() - self._entered)

    # -- views ------------------------------------------------------------------------------

    @property
    def evaluations(self) -> int:
        """Rule evaluations by the hosted guard's engine."""
        return int(self.manager.engine.evaluated) if self.manager is not None else 0

    def state(self) -> dict[str, Any]:
        """The trading state: from the hosted guard, else from the store's lockouts."""
        now = self.clock.now()
        if self.manager is not None:
            locks = self.manager.active_lockouts()
            return {
                "source": "guard",
                "account": self.account,
                "state": str(self.manager.state),
                "account_locked": bool(self.manager.lockouts.account_locked),
                "active_lockouts": len(locks),
                "locked_symbols": sorted({lock.symbol for lock in locks if lock.symbol}),
                "rules": [rule.name for rule in self.manager.engine.rules if rule.enabled],
            }
        records = self.store.lockouts.active(now)
        account_locked = any(r.scope is LockoutScope.ACCOUNT for r in records)
        return {
            "source": "store",
            "account": self.account,
            "state": str(TradingState.HALTED if account_locked else TradingState.ACTIVE),
            "account_locked": account_locked,
            "active_lockouts": len(records),
            "locked_symbols": sorted({r.target for r in records if r.scope is LockoutScope.SYMBOL}),
            "rules": [],
        }

    def trading_day(self) -> str:
        """The current trading day (the guard's schedule, else the UTC date)."""
        if self.manager is not None:
            return str(self.manager.schedule.trading_day())
        return time.strftime("%Y-%m-%d", time.gmtime())  # wall-clock ok: a live view
