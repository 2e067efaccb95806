"""The risk manager: wiring, lifecycle, restart recovery and the 8 checkpoints.

:class:`RiskManager` builds and wires, on one bus and clock, the account tracker (fills →
portfolio → position events), the P&L tracker, the lockout manager, the reset schedule, the
enforcement executor and the :class:`~riskbus.risk.engine.RiskEngine`, and installs the
engine as the order gateway's gate. Subscription order matters and is fixed here: the
account tracker books a fill before the P&L tracker, the enforcement executor and the rules
see it.

**Restart recovery** (:meth:`RiskManager.start` with a store): the day's realized P&L and
trade counts (``daily_pnl``, ``trades``), the active lockouts, pending rule alarms
(``timers``) and each rule's own state (``checkpoints``) are reloaded; a reset missed while
down runs at once; positions come back from the venue (``FetchPositions`` →
``PositionsReport``, booked into the tracked portfolio at their average price — exact for
futures and perps, whose balances only move by realized P&L). If the account is still
locked, whatever is open is flattened.

The original's **8 checkpoints** are structured log records on the ``riskbus.risk`` logger,
each with ``extra={"checkpoint": n, ...}``:

1. service start · 2. config loaded (rules) · 3. venue connected · 4. rules initialized ·
5. event loop running · 6. event received (DEBUG, engine) · 7. rule evaluated (PASS at
DEBUG, VIOLATED at INFO, engine) · 8. enforcement triggered (WARNING, enforcement).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from riskbus.core.bus import EventBus
from riskbus.core.clock import MILLISECOND, Clock
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.base import ExchangeClient
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import CancelAllOrders, FetchPositions
from riskbus.model.enums import OrderSide, TradingState
from riskbus.model.events.account import PositionsReport
from riskbus.model.fills import Fill
from riskbus.model.money import MoneyInput
from riskbus.model.portfolio import Portfolio
from riskbus.risk.enforcement import EnforcementExecutor
from riskbus.risk.engine import RiskEngine
from riskbus.risk.gate import OrderGateway
from riskbus.risk.lockouts import Lockout, LockoutManager
from riskbus.risk.pnl import PnLTracker
from riskbus.risk.rules.base import Rule
from riskbus.risk.schedule import ResetConfig, ResetScheduler
from riskbus.store import ResetKind, Store

if TYPE_CHECKING:  # risk.config imports the rule modules: importing it here would cycle
    from riskbus.risk.config import RiskConfig

__all__ = ["RiskManager"]

log = logging.getLogger("riskbus.risk")

_RESTORE_REQUEST = "risk-restore-positions"


class RiskManager:
    """One account's risk stack on a bus and a clock.

    Args:
        bus: the bus.
        clock: the clock.
        registry: the instruments.
        rules: the rules (built from their configs).
        exchange: the venue; attached to the bus if nothing executes its commands yet, and
            used for the gateway and to fetch positions on start.
        store: when given, state is persisted and recovered.
        account: the account name.
        balances: opening balances of the tracked portfolio (when no tracker is given).
        currency: the account currency.
        reset: when the trading day resets.
        admin_credential: the secret admin unlocks need (``None``: admin unlock disabled).
        tracker: an existing, attached account tracker (default: a new one).
        gateway: an existing order gateway (default: one over ``exchange.submit``).
        max_attempts: enforcement attempts before escalation.
        backoff: the first enforcement retry delay (ns), doubling per attempt.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        registry: InstrumentRegistry,
        rules: Sequence[Rule[Any]],
        *,
        exchange: ExchangeClient | None = None,
        store: Store | None = None,
        account: str = "default",
        balances: Mapping[str, MoneyInput] | None = None,
        currency: str = "USD",
        reset: ResetConfig | None = None,
        admin_credential: str | None = None,
        tracker: AccountTracker | None = None,
        gateway: OrderGateway | None = None,
        max_attempts: int = 5,
        backoff: int = 100 * MILLISECOND,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.registry = registry
        self.exchange = exchange
        self.store = store
        self.account = account
        self._own_tracker = tracker is None
        self.tracker = tracker or AccountTracker(bus, clock, registry, balances, currency=currency)
        self.schedule = ResetScheduler(clock, reset, store=store)
        self.pnl = PnLTracker(
            clock,
            self.tracker.portfolio,
            store=store,
            account=account,
            trading_day=self.schedule.trading_day(),
            session_start=self.schedule.session_start(),
        )
        self.lockouts = LockoutManager(
            bus, clock, store=store, account=account, admin_credential=admin_credential
        )
        self.enforcement = EnforcementExecutor(
            bus, clock, self.tracker.portfolio, max_attempts=max_attempts, backoff=backoff
        )
        self.engine = RiskEngine(
            bus,
            clock,
            registry,
            self.tracker.portfolio,
            self.pnl,
            rules=rules,
            lockouts=self.lockouts,
            enforcement=self.enforcement,
            store=store,
            timezone=self.schedule.config.timezone,
            next_reset=self.schedule.next_reset_ts,
        )
        self.schedule.listeners.append(self._on_reset)
        self.gateway = gateway
        self.running = False
        self._positions_restored = False

    # -- views ------------------------------------------------------------------------------

    @property
    def portfolio(self) -> Portfolio:
        """The tracked account."""
        return self.tracker.portfolio

    @property
    def state(self) -> TradingState:
        """The trading state."""
        return self.engine.state

    def active_lockouts(self) -> list[Lockout]:
        """The lockouts and cooldowns in force."""
        return self.lockouts.active()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> RiskManager:
        """Wire everything, recover state, start the rules and the reset schedule."""
        log.info("service start", extra={"checkpoint": 1, "account": self.account})
        enabled = [rule.name for rule in self.engine.rules if rule.enabled]
        log.info(
            "config loaded (%d rules, %d enabled)",
            len(self.engine.rules),
            len(enabled),
            extra={"checkpoint": 2, "rules": enabled},
        )
        self._wire()
        self._recover()
        verdicts = self.engine.start()
        log.info(
            "rules initialized",
            extra={"checkpoint": 4, "rules": enabled, "verdicts": len(verdicts)},
        )
        self.schedule.start()
        self.running = True
        log.info(
            "event loop running",
            extra={"checkpoint": 5, "state": str(self.engine.state)},
        )
        return self

    def _wire(self) -> None:
        bus = self.bus
        if self._own_tracker:
            self.tracker.attach()
        self.pnl.attach(bus)
        self.enforcement.attach()
        self.engine.attach()
        bus.subscribe(PositionsReport, self._on_positions, component="RiskManager")
        venue = "none"
        if self.exchange is not None:
            venue = self.exchange.venue
            if not bus.has_handler(CancelAllOrders):
                self.exchange.attach(bus)
            if self.gateway is None:
                self.gateway = OrderGateway(
                    bus, self.clock, self.exchange.submit, registry=self.registry
                ).attach()
        if self.gateway is not None:
            self.gateway.gate = self.engine
        log.info("venue connected", extra={"checkpoint": 3, "venue": venue})

    def _recover(self) -> None:
        session = self.schedule.previous_reset()
        start = session[0] if session is not None else self.clock.now()
        day = self.schedule.trading_day()
        if self.store is not None:
            self.pnl.restore(day, start)
            self.lockouts.restore()
            self.engine.restore()
        if self.bus.has_handler(FetchPositions):
            self.bus.send(FetchPositions(ts=self.clock.now(), request_id=_RESTORE_REQUEST))

    def _on_positions(self, report: PositionsReport) -> None:
        if report.request_id != _RESTORE_REQUEST or self._positions_restored:
            return
        self._positions_restored = True
        portfolio = self.portfolio
        now = self.clock.now()
        for item in report.positions:
            held = portfolio.position(item.symbol)
            if not item.quantity or (held is not None and held.quantity):
                continue
            portfolio.apply_fill(
                Fill(
                    fill_id=f"restore:{item.symbol}:{now}",
                    client_order_id=_RESTORE_REQUEST,
                    symbol=item.symbol,
                    side=OrderSide.BUY if item.quantity > 0 else OrderSide.SELL,
                    quantity=abs(item.quantity),
                    price=item.avg_price,
                    ts=now,
                )
            )
        if self.engine.state is TradingState.HALTED and self.lockouts.account_locked:
            lock = self.lockouts.blocking()
            rule = lock.rule if lock is not None else "restore"
            reason = lock.reason if lock is not None else "restored while locked"
            self.enforcement.flatten_all(rule=rule, reason=reason)

    def stop(self) -> None:
        """Stop the schedule and the timers, save the rules' state."""
        self.schedule.stop()
        for name in self.clock.timer_names():
            if name.startswith(("risk:", "rule:")):
                self.clock.cancel(name)
        if self.store is not None:
            self.engine._save_rule_state(self.engine.rules)
        self.running = False
        log.info("service stop", extra={"checkpoint": 1, "account": self.account, "stop": True})

    def _on_reset(self, kind: ResetKind, ts: int, trading_day: str) -> None:
        log.info(
            "%s reset, trading day %s",
            kind,
            trading_day,
            extra={"checkpoint": 7, "reset": str(kind), "trading_day": trading_day},
        )
        self.pnl.on_reset(ts, trading_day)
        self.lockouts.on_reset(ts)
        self.engine.on_reset(ts)

    # -- config ---------------------------------------------------------------------------

    def apply_config(self, config: RiskConfig) -> None:
        """Put a validated risk config in force (the hot-reload ``ConfigApplier``).

        The rules are replaced (:meth:`RiskEngine.replace_rules`: state carried over, all or
        nothing) and the reset schedule takes the file's reset times.
        """
        rules = config.build_rules()
        self.engine.replace_rules(rules)
        self.schedule.reconfigure(config.reset_config())

    # -- admin ------------------------------------------------------------------------------

    def admin_unlock(self, lock_id: int, *, credential: str, actor: str = "admin") -> Lockout:
        """Lift a lockout by hand (see :meth:`LockoutManager.admin_unlock`)."""
        return self.lockouts.admin_unlock(lock_id, credential=credential, actor=actor)
