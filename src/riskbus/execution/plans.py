"""Rebalancing plans: from holdings and targets to an ordered, validated list of orders.

:func:`build_plan` turns what an account holds (:class:`Holding`: quantity and price per
asset) and what it should hold (target **weights** summing to 1, or target **amounts** in
the cash currency) into a :class:`RebalancePlan`:

* **pinned** assets are never traded: their value stays where it is and the other targets
  share what is left (weights are renormalised over the unpinned value);
* **blacklisted** assets are never bought: a held one is sold to zero and its target weight
  goes to the others in proportion;
* trades smaller than ``min_trade_usd`` are dropped (the plan's ``imbalance`` then shows
  what was left undone);
* the cash currency (``cash``, e.g. ``USDT``) is not traded: sells raise it, buys spend it.

Orders are sorted as in the original: **sells first, then by priority (sells 2, buys 7),
then larger orders first**. :func:`validate_plan` checks the plan: it must balance
(``|Σ usd + cash change| ≤ max(100, 0.1 % of Σ|usd|)``), every price must be > 0, the
platform must be known; orders above $10,000 get a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

import msgspec

from riskbus.core.errors import InvalidValueError
from riskbus.model.enums import OrderSide
from riskbus.model.money import ZERO, finite

__all__ = [
    "KNOWN_PLATFORMS",
    "Holding",
    "PlanOrder",
    "PlanOrderStatus",
    "RebalancePlan",
    "build_plan",
    "check_weights",
    "validate_plan",
]

#: Platforms a plan may name (the original's exec-hint keywords that are venues).
KNOWN_PLATFORMS = frozenset(
    {"simulator", "binance", "coinbase", "kraken", "bitget", "bybit", "okx", "kucoin"}
)

_SELL_PRIORITY = 2
_BUY_PRIORITY = 7
_LARGE_ORDER_USD = Decimal(10_000)
_MIN_TOLERANCE = Decimal(100)
_TOLERANCE_RATE = Decimal("0.001")
_WEIGHT_SLACK = Decimal("0.000001")
_QTY_QUANTUM = Decimal("0.00000001")


class PlanOrderStatus(StrEnum):
    """Where one plan order is in its life (the original's statuses)."""

    PENDING = "pending"
    VALIDATED = "validated"
    QUEUED = "queued"
    EXECUTING = "executing"
    PARTIAL = "partial"
    FILLED = "filled"
    CANCELLED = "cancelled"
    FAILED = "failed"
    UNKNOWN = "unknown"


class Holding(msgspec.Struct, frozen=True, kw_only=True):
    """One asset held: ``quantity`` units priced at ``price`` in the cash currency."""

    symbol: str
    quantity: Decimal
    price: Decimal

    @property
    def usd(self) -> Decimal:
        """The holding's value in the cash currency."""
        return self.quantity * self.price


class PlanOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One order of a plan.

    Attributes:
        order_id: stable within the plan (``<plan_id>-<n>``), used as the client order id
            root so a resumed plan never sends the same order twice.
        symbol: the asset (the market is ``symbol/cash``).
        side: sell or buy.
        usd: signed value: negative for a sell, positive for a buy.
        quantity: the estimated quantity, ``|usd| / price`` rounded down to 1e-8.
        price: the price the plan was built with.
        platform: the venue hint (``binance``, ``simulator``, ...).
        priority: 1 (first) … 10 (last): sells 2, buys 7.
        limit_price: a limit order at this price, or ``None`` for a market order.
    """

    order_id: str
    symbol: str
    side: OrderSide
    usd: Decimal
    quantity: Decimal
    price: Decimal
    platform: str
    priority: int
    limit_price: Decimal | None = None


class RebalancePlan(msgspec.Struct, frozen=True, kw_only=True):
    """A plan: orders in execution order, plus what validation found.

    Attributes:
        plan_id: the plan's id.
        cash: the cash currency.
        orders: sells first, then by priority, larger first.
        cash_delta: how much the plan means to change the cash holding (target − current).
        errors: validation errors (a plan with errors must not execute).
        warnings: validation warnings.
    """

    plan_id: str
    cash: str
    orders: tuple[PlanOrder, ...]
    cash_delta: Decimal = ZERO
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def sells(self) -> tuple[PlanOrder, ...]:
        """The sell orders, in execution order."""
        return tuple(o for o in self.orders if o.side is OrderSide.SELL)

    @property
    def buys(self) -> tuple[PlanOrder, ...]:
        """The buy orders, in execution order."""
        return tuple(o for o in self.orders if o.side is OrderSide.BUY)

    @property
    def volume(self) -> Decimal:
        """``Σ |usd|`` over the orders."""
        return sum((abs(o.usd) for o in self.orders), ZERO)

    @property
    def imbalance(self) -> Decimal:
        """``Σ usd + cash change``: zero when the orders deliver exactly the targets."""
        return sum((o.usd for o in self.orders), ZERO) + self.cash_delta

    @property
    def is_valid(self) -> bool:
        """Whether validation found no error."""
        return not self.errors


def build_plan(
    holdings: Iterable[Holding],
    *,
    plan_id: str,
    weights: Mapping[str, Decimal] | None = None,
    amounts: Mapping[str, Decimal] | None = None,
    prices: Mapping[str, Decimal] | None = None,
    cash: str = "USDT",
    min_trade_usd: Decimal = Decimal(25),
    pinned: Iterable[str] = (),
    blacklist: Iterable[str] = (),
    platform: str = "simulator",
) -> RebalancePlan:
    """Build and validate the plan that moves ``holdings`` to the targets.

    Args:
        holdings: what the account holds (the cash currency included, at price 1).
        plan_id: the plan's id (also the root of its order ids).
        weights: target weight per asset (each ≥ 0, summing to 1); or
        amounts: target value per asset in the cash currency (each ≥ 0).
        prices: prices for target assets not held yet (and overrides for held ones).
        cash: the cash currency.
        min_trade_usd: smaller trades are dropped.
        pinned: assets never traded.
        blacklist: assets never bought (held ones are sold).
        platform: the venue hint for every order.

    Raises:
        InvalidValueError: both or neither of weights/amounts, a negative target, weights
            not summing to 1, or a target asset without a price; the field is named.
    """
    if (weights is None) == (amounts is None):
        raise InvalidValueError.for_value(
            "targets", None, "give exactly one of target weights or target amounts"
        )
    held = _holdings(holdings)
    price = {symbol: h.price for symbol, h in held.items()}
    for symbol, value in (prices or {}).items():
        price[symbol] = finite(value, f"prices.{symbol}")
    price[cash] = Decimal(1)
    current = {symbol: h.usd for symbol, h in held.items()}
    total = sum(current.values(), ZERO)
    pinned_set = set(pinned)
    banned = set(blacklist) - pinned_set
    free_value = total - sum((current.get(s, ZERO) for s in pinned_set), ZERO)

    if weights is not None:
        target = _from_weights(weights, banned, pinned_set, free_value)
    else:
        assert amounts is not None
        target = _from_amounts(amounts, banned, pinned_set)
    for symbol in pinned_set:
        target[symbol] = current.get(symbol, ZERO)
    for symbol in banned:
        target[symbol] = ZERO

    orders: list[PlanOrder] = []
    for symbol in sorted(set(target) | set(current)):
        if symbol == cash or symbol in pinned_set:
            continue
        delta = target.get(symbol, ZERO) - current.get(symbol, ZERO)
        if delta == 0 or abs(delta) < min_trade_usd:
            continue
        if symbol not in price:
            raise InvalidValueError.for_value(
                f"prices.{symbol}", None, "a target asset that is not held needs a price"
            )
        sell = delta < 0
        px = price[symbol]
        if sell and target.get(symbol, ZERO) == 0 and symbol in held:
            quantity = held[symbol].quantity  # sell everything, not an estimate
        else:
            quantity = (
                (abs(delta) / px).quantize(_QTY_QUANTUM, rounding=ROUND_DOWN) if px > 0 else ZERO
            )
        orders.append(
            PlanOrder(
                order_id="",
                symbol=symbol,
                side=OrderSide.SELL if sell else OrderSide.BUY,
                usd=delta,
                quantity=quantity,
                price=px,
                platform=platform,
                priority=_SELL_PRIORITY if sell else _BUY_PRIORITY,
            )
        )
    orders.sort(key=lambda o: (o.side is not OrderSide.SELL, o.priority, -abs(o.usd), o.symbol))
    numbered = tuple(
        msgspec.structs.replace(o, order_id=f"{plan_id}-{n:04d}") for n, o in enumerate(orders, 1)
    )
    cash_delta = target.get(cash, ZERO) - current.get(cash, ZERO)
    plan = RebalancePlan(plan_id=plan_id, cash=cash, orders=numbered, cash_delta=cash_delta)
    return validate_plan(plan)


def validate_plan(plan: RebalancePlan) -> RebalancePlan:
    """Return ``plan`` with its ``errors`` and ``warnings`` filled in (the original's checks)."""
    errors: list[str] = []
    warnings: list[str] = []
    tolerance = max(_MIN_TOLERANCE, plan.volume * _TOLERANCE_RATE)
    if abs(plan.imbalance) > tolerance:
        errors.append(
            f"PLAN_NOT_BALANCED: imbalance={plan.imbalance:.2f}, tolerance={tolerance:.2f}"
        )
    for order in plan.orders:
        if order.price <= 0:
            errors.append(f"INVALID_PRICE: order={order.order_id}, price={order.price}")
        if order.platform not in KNOWN_PLATFORMS:
            errors.append(f"UNKNOWN_PLATFORM: order={order.order_id}, platform={order.platform}")
        if abs(order.usd) > _LARGE_ORDER_USD:
            warnings.append(
                f"LARGE_ORDER: order={order.order_id}, usd={abs(order.usd):.2f}, "
                "advice=consider splitting"
            )
    return msgspec.structs.replace(plan, errors=tuple(errors), warnings=tuple(warnings))


def _holdings(holdings: Iterable[Holding]) -> dict[str, Holding]:
    held: dict[str, Holding] = {}
    for h in holdings:
        if h.symbol in held:
            raise InvalidValueError.for_value("holdings", h.symbol, "lists the same asset twice")
        if finite(h.quantity, f"holdings.{h.symbol}.quantity") < 0:
            raise InvalidValueError.for_value(
                f"holdings.{h.symbol}.quantity", h.quantity, "must not be negative"
            )
        if finite(h.price, f"holdings.{h.symbol}.price") <= 0:
            raise InvalidValueError.for_value(
                f"holdings.{h.symbol}.price", h.price, "must be greater than zero"
            )
        held[h.symbol] = h
    return held


def check_weights(weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """``weights`` as finite, non-negative numbers summing to 1 (to 1e-6), else an error."""
    clean: dict[str, Decimal] = {}
    for symbol, raw in weights.items():
        weight = finite(raw, f"weights.{symbol}")
        if weight < 0:
            raise InvalidValueError.for_value(f"weights.{symbol}", raw, "must not be negative")
        clean[symbol] = weight
    total = sum(clean.values(), ZERO)
    if abs(total - 1) > _WEIGHT_SLACK:
        raise InvalidValueError.for_value("weights", total, "must sum to 1")
    return clean


def _from_weights(
    weights: Mapping[str, Decimal], banned: set[str], pinned: set[str], free_value: Decimal
) -> dict[str, Decimal]:
    clean = check_weights(weights)
    kept = {s: w for s, w in clean.items() if s not in banned and s not in pinned}
    kept_total = sum(kept.values(), ZERO)
    if kept_total == 0:
        return dict.fromkeys(kept, ZERO)
    return {s: free_value * w / kept_total for s, w in kept.items()}


def _from_amounts(
    amounts: Mapping[str, Decimal], banned: set[str], pinned: set[str]
) -> dict[str, Decimal]:
    target: dict[str, Decimal] = {}
    for symbol, raw in amounts.items():
        amount = finite(raw, f"amounts.{symbol}")
        if amount < 0:
            raise InvalidValueError.for_value(f"amounts.{symbol}", raw, "must not be negative")
        if symbol not in banned and symbol not in pinned:
            target[symbol] = amount
    return target
