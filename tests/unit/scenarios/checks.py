"""Custom assertion callables used by the scenario tests (imported by path)."""

from __future__ import annotations

from typing import Any


def profitable_trade(events: list[dict[str, Any]]) -> tuple[bool, str]:
    """The original document's example: the first sale is above the first purchase."""
    purchases = [e for e in events if e["event_name"] == "PositionPurchased"]
    sales = [e for e in events if e["event_name"] == "PositionSold"]
    if not purchases or not sales:
        return False, "No trades"
    profit = sales[0]["event_data"]["sale_price"] - purchases[0]["event_data"]["purchase_price"]
    return profit > 0, f"Profit: {profit}"


def always_fails(events: list[dict[str, Any]]) -> tuple[bool, str]:
    """Fails, naming how many events it saw."""
    return False, f"saw {len(events)} events"
