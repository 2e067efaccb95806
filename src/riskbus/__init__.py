"""riskbus: guard a trading account, execute safely, and prove a bot before it trades.

The package is layered (see ARCHITECTURE.md): ``core`` (bus, clock, seeds, errors),
``model`` (pure domain objects and the event catalogue), then the components built on
them. Import the layer you need; this top level only exposes the version.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
