"""Builders for test data, shared by every test tier.

Each builder returns a valid object with sensible defaults; pass keyword overrides for what
the test is about. Keep builders here (not in a conftest) so tests import what they use.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from riskbus.model import (
    Fill,
    LiquiditySide,
    Order,
    OrderSide,
    OrderType,
    Portfolio,
    SubmitOrder,
    default_registry,
)
from riskbus.model.events import OrderFilled

__all__ = [
    "D",
    "fill",
    "order",
    "order_filled",
    "portfolio",
    "submit_order",
]


def D(value: str | int) -> Decimal:
    """Return ``Decimal(str(value))``: short for literals in tests."""
    return Decimal(str(value))


def submit_order(**overrides: Any) -> SubmitOrder:
    """A ``SubmitOrder`` for 2 MNQ at market by strategy ``test``, at ts 1."""
    fields: dict[str, Any] = {
        "ts": 1,
        "client_order_id": "O-1",
        "symbol": "MNQ",
        "side": OrderSide.BUY,
        "quantity": D(2),
        "order_type": OrderType.MARKET,
        "strategy": "test",
    }
    fields.update(overrides)
    return SubmitOrder(**fields)


def order(**overrides: Any) -> Order:
    """An ``INITIALIZED`` order built from :func:`submit_order` with ``overrides``."""
    return Order.from_command(submit_order(**overrides))


def order_filled(**overrides: Any) -> OrderFilled:
    """An ``OrderFilled`` for 1 of order ``O-1`` (BUY 2 MNQ) at 100.25, fee 0.37 USD."""
    fields: dict[str, Any] = {
        "ts": 2,
        "client_order_id": "O-1",
        "symbol": "MNQ",
        "side": OrderSide.BUY,
        "fill_id": "T-1",
        "last_qty": D(1),
        "last_price": D("100.25"),
        "cum_qty": D(1),
        "leaves_qty": D(1),
        "fee": D("0.37"),
        "fee_currency": "USD",
        "liquidity": LiquiditySide.TAKER,
    }
    fields.update(overrides)
    return OrderFilled(**fields)


def fill(**overrides: Any) -> Fill:
    """A ``Fill`` buying 1 MNQ at 100.25 with a 0.37 USD fee, at ts 2."""
    fields: dict[str, Any] = {
        "fill_id": "T-1",
        "client_order_id": "O-1",
        "symbol": "MNQ",
        "side": OrderSide.BUY,
        "quantity": D(1),
        "price": D("100.25"),
        "fee": D("0.37"),
        "fee_currency": "USD",
        "ts": 2,
    }
    fields.update(overrides)
    return Fill(**fields)


def portfolio(currency: str = "USD", **balances: str | int) -> Portfolio:
    """A portfolio over the built-in instruments; ``balances`` default to 10,000 ``currency``."""
    opening = {asset: D(amount) for asset, amount in balances.items()} or {currency: D(10_000)}
    return Portfolio(default_registry(), opening, currency=currency)
