"""Account telemetry: periodic snapshots of equity, cash, exposure, positions and P&L.

:class:`AccountTelemetry` (the component) reads the account's portfolio every
``interval`` on the Clock, publishes an ``AccountTelemetry`` event and, with a store,
writes it as the account's latest snapshot (checkpoint ``telemetry:<account>``) so a
dashboard or a restarted process can read the last known state. Exposure is the sum of
``|quantity| · mark · multiplier`` (gross) and of the signed values (net); leverage is
gross exposure over equity (0 when equity is not positive).
"""

from __future__ import annotations

import msgspec

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.model.events.execution import AccountTelemetry
from riskbus.model.money import ZERO
from riskbus.model.portfolio import Portfolio
from riskbus.store.engine import Store

__all__ = ["TelemetryPublisher", "snapshot"]

_KEY = "telemetry:"


def snapshot(portfolio: Portfolio, *, ts: int, account: str = "main") -> AccountTelemetry:
    """Return the telemetry event for ``portfolio`` now."""
    currency = portfolio.currency
    gross = ZERO
    net = ZERO
    for position in portfolio.open_positions():
        value = position.notional()
        gross += value
        net += value if position.quantity > 0 else -value
    equity = portfolio.equity()
    leverage = (gross / equity).quantize(ZERO.scaleb(-4)) if equity > 0 else ZERO
    return AccountTelemetry(
        ts=ts,
        account=account,
        currency=currency,
        equity=equity,
        cash=portfolio.balance(currency),
        gross_exposure=gross,
        net_exposure=net,
        realized_pnl=portfolio.realized_pnl(),
        unrealized_pnl=portfolio.unrealized_pnl(),
        fees=portfolio.fees(),
        open_positions=len(portfolio.open_positions()),
        leverage=leverage,
    )


class TelemetryPublisher:
    """Publishes (and stores) an account snapshot every ``interval`` ns.

    Args:
        bus: where ``AccountTelemetry`` goes.
        clock: the timer.
        portfolio: the account to read.
        account: the account's name.
        store: where the latest snapshot is written, if any.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        portfolio: Portfolio,
        *,
        account: str = "main",
        store: Store | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.portfolio = portfolio
        self.account = account
        self.store = store
        self.published = 0

    def start(self, interval: int) -> None:
        """Publish now and then every ``interval`` ns."""
        self.publish()
        self.clock.set_timer(f"telemetry:{self.account}", interval, self.publish)

    def stop(self) -> None:
        """Stop the periodic snapshots."""
        self.clock.cancel(f"telemetry:{self.account}")

    def publish(self) -> None:
        """Take one snapshot: store it (if a store is set), then publish it."""
        event = snapshot(self.portfolio, ts=self.clock.now(), account=self.account)
        if self.store is not None:
            self.store.checkpoints.put(
                _KEY + self.account, msgspec.json.encode(event).decode(), ts=event.ts
            )
        self.published += 1
        self.bus.publish(event)

    def latest(self) -> AccountTelemetry | None:
        """The last stored snapshot of this account (from the store), or None."""
        if self.store is None:
            return None
        raw = self.store.checkpoints.get(_KEY + self.account)
        return None if raw is None else msgspec.json.decode(raw, type=AccountTelemetry)
