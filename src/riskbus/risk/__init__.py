"""Risk: the pre-trade gate on the order path (and, later, rules, engine and enforcement).

Every ``SubmitOrder`` goes through the :class:`~riskbus.risk.gate.OrderGateway`, which checks
the order against its instrument, asks the configured :class:`~riskbus.risk.gate.RiskGate`
and then either publishes ``OrderDenied`` (with a ``CODE: key=value`` reason) or sends the
order on to the venue. The default gate lets everything through; the risk engine replaces it.
"""

from __future__ import annotations

from riskbus.risk.gate import OrderGateway, PassThroughRiskGate, RiskGate, Venue

__all__ = ["OrderGateway", "PassThroughRiskGate", "RiskGate", "Venue"]
