"""Risk: the pre-trade gate, the rule engine, enforcement, lockouts, resets and P&L.

Every ``SubmitOrder`` goes through the :class:`~riskbus.risk.gate.OrderGateway`, which checks
the order against its instrument, asks the configured :class:`~riskbus.risk.gate.RiskGate`
and then either publishes ``OrderDenied`` (with a ``CODE: key=value`` reason) or sends the
order on to the venue. The default gate lets everything through; the
:class:`~riskbus.risk.engine.RiskEngine` replaces it (``gateway.gate = engine``) and also
evaluates the rules after each event, enforcing their verdicts through the
:class:`~riskbus.risk.enforcement.EnforcementExecutor`. :class:`~riskbus.risk.manager.RiskManager`
wires the whole stack on a bus, a clock and (optionally) a store.
"""

from __future__ import annotations

from riskbus.risk.enforcement import TRANSIENT_CODES, EnforcementExecutor
from riskbus.risk.engine import RiskEngine, combine
from riskbus.risk.gate import OrderGateway, PassThroughRiskGate, RiskGate, Venue
from riskbus.risk.lockouts import Lockout, LockoutManager, LockoutMode, UnlockRefused
from riskbus.risk.manager import RiskManager
from riskbus.risk.pnl import PnLTracker
from riskbus.risk.schedule import ResetConfig, ResetScheduler

__all__ = [
    "TRANSIENT_CODES",
    "EnforcementExecutor",
    "Lockout",
    "LockoutManager",
    "LockoutMode",
    "OrderGateway",
    "PassThroughRiskGate",
    "PnLTracker",
    "ResetConfig",
    "ResetScheduler",
    "RiskEngine",
    "RiskGate",
    "RiskManager",
    "UnlockRefused",
    "Venue",
    "combine",
]
