"""Fault events: what chaos injection announces, so reports can line faults up with effects.

``kind`` is the chaos kind (``delay_event``, ``drop_event``, ``exchange_outage``, ...);
``fault_id`` is unique within a run and pairs a ``FaultStarted`` with its ``FaultHealed``;
``details`` is a short human-readable description (``"event=IndicatorsCalculated delay_ms=5000"``).
"""

from __future__ import annotations

from riskbus.core.messages import Event

__all__ = ["FaultHealed", "FaultStarted"]


class FaultStarted(Event, frozen=True, kw_only=True):
    """A fault of ``kind`` is now active."""

    kind: str
    fault_id: str
    details: str = ""


class FaultHealed(Event, frozen=True, kw_only=True):
    """The fault ``fault_id`` is over."""

    kind: str
    fault_id: str
    details: str = ""
