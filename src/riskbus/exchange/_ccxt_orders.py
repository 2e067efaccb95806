"""Orders across the ccxt boundary: ``SubmitOrder`` to ccxt arguments, ccxt orders to events.

ccxt's unified order is a dict (``id``, ``clientOrderId``, ``status`` in ``open`` /
``closed`` / ``canceled`` / ``expired`` / ``rejected``, ``amount``, ``filled``,
``average``, ``trades``, ``fee``). Its fills become one ``OrderFilled`` per trade when the
venue lists them (Binance's ``FULL`` answer does), else one fill for the filled quantity at
the average price, with an id derived from the order id and the cumulative quantity so
that reading the same order twice gives the same fill id (a duplicate the portfolio
refuses, never a double count).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from riskbus.core.messages import Event
from riskbus.exchange._ccxt_markets import to_decimal
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType
from riskbus.model.events.account import OrderReport, PositionReport
from riskbus.model.events.orders import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from riskbus.model.instruments import Instrument

__all__ = [
    "CLIENT_ID_PARAMS",
    "OrderRequest",
    "order_events",
    "order_report",
    "order_request",
    "position_report",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """The arguments of ``exchange.create_order``."""

    symbol: str
    type: str
    side: str
    amount: float
    price: float | None
    params: dict[str, Any] = field(default_factory=dict)


#: Venues whose ccxt class ignores the unified ``clientOrderId`` and needs the raw field.
CLIENT_ID_PARAMS = {"coinbase": "client_order_id", "coinbaseadvanced": "client_order_id"}


def order_request(command: SubmitOrder, instrument: Instrument, venue: str = "") -> OrderRequest:
    """Translate ``command`` into ccxt's unified ``create_order`` arguments.

    The client order id travels as ``clientOrderId`` (ccxt renames it per venue: Binance's
    ``newClientOrderId``, Kraken's ``cl_ord_id``; Coinbase needs ``client_order_id`` set
    directly), so a resubmission is recognised by the venue.

    Raises:
        InvalidValueError: the quantity or a price is off the instrument's grid.
    """
    amount = instrument.validate_quantity(command.quantity)
    id_param = CLIENT_ID_PARAMS.get(venue, "clientOrderId")
    params: dict[str, Any] = {id_param: command.client_order_id}
    price: float | None = None
    if command.order_type.needs_price:
        price = float(instrument.validate_price(command.price or _ZERO))
        params["timeInForce"] = command.time_in_force.value
    if command.order_type.needs_stop_price:
        params["triggerPrice"] = float(instrument.validate_price(command.stop_price or _ZERO))
    if command.reduce_only and instrument.is_derivative:
        params["reduceOnly"] = True
    kind = "limit" if command.order_type.needs_price else "market"
    return OrderRequest(
        symbol=command.symbol,
        type=kind,
        side=command.side.value.lower(),
        amount=float(amount),
        price=price,
        params=params,
    )


def _qty(value: object, instrument: Instrument | None) -> Decimal:
    number = to_decimal(value) or _ZERO
    if instrument is None:
        return number
    return instrument.quantize_quantity(number, ROUND_HALF_EVEN)


def _venue_id(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("id")
    return None if value in (None, "") else str(value)


def _fee(raw: Mapping[str, Any] | None, default_currency: str) -> tuple[Decimal, str]:
    if not raw:
        return _ZERO, default_currency
    return to_decimal(raw.get("cost")) or _ZERO, str(raw.get("currency") or default_currency)


def _fills(
    raw: Mapping[str, Any], command: SubmitOrder, instrument: Instrument, ts: int
) -> list[OrderFilled]:
    venue_order_id = _venue_id(raw)
    trades = [t for t in raw.get("trades") or () if _qty(t.get("amount"), instrument) > 0]
    rows: list[tuple[str, Decimal, Decimal, Mapping[str, Any] | None, str | None]] = []
    for index, trade in enumerate(trades, start=1):
        rows.append(
            (
                str(trade.get("id") or f"{venue_order_id}-{index}"),
                _qty(trade.get("amount"), instrument),
                to_decimal(trade.get("price")) or _ZERO,
                trade.get("fee"),
                trade.get("takerOrMaker"),
            )
        )
    filled = _qty(raw.get("filled"), instrument)
    if not rows and filled > 0:
        price = to_decimal(raw.get("average")) or to_decimal(raw.get("price")) or _ZERO
        rows.append((f"{venue_order_id}-{filled}", filled, price, raw.get("fee"), None))
    fills: list[OrderFilled] = []
    cum = _ZERO
    for fill_id, qty, price, fee_raw, taker_or_maker in rows:
        cum += qty
        fee, fee_currency = _fee(fee_raw, instrument.quote)
        fills.append(
            OrderFilled(
                ts=ts,
                client_order_id=command.client_order_id,
                symbol=command.symbol,
                side=command.side,
                fill_id=fill_id,
                last_qty=qty,
                last_price=price,
                cum_qty=cum,
                leaves_qty=max(command.quantity - cum, _ZERO),
                fee=fee,
                fee_currency=fee_currency,
                liquidity=LiquiditySide.MAKER if taker_or_maker == "maker" else LiquiditySide.TAKER,
                venue_order_id=venue_order_id,
                strategy=command.strategy,
            )
        )
    return fills


def order_events(
    raw: Mapping[str, Any], command: SubmitOrder, instrument: Instrument, ts: int, venue: str
) -> list[Event]:
    """Return the events a ccxt ``create_order`` answer means, in order.

    ``OrderAccepted``, then one ``OrderFilled`` per fill, then ``OrderCanceled`` or
    ``OrderExpired`` when the venue ended the order at once (IOC, FOK, market remainder).
    A ``rejected`` status gives one ``OrderRejected`` (``REJECTED_BY_VENUE``).
    """
    venue_order_id = _venue_id(raw)
    status = raw.get("status")
    if status == "rejected":
        return [
            OrderRejected(
                ts=ts,
                client_order_id=command.client_order_id,
                symbol=command.symbol,
                code="REJECTED_BY_VENUE",
                reason=f"REJECTED_BY_VENUE: venue={venue}",
                venue_order_id=venue_order_id,
            )
        ]
    events: list[Event] = [
        OrderAccepted(
            ts=ts,
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            venue_order_id=venue_order_id,
        )
    ]
    fills = _fills(raw, command, instrument, ts)
    events.extend(fills)
    done = bool(fills) and fills[-1].leaves_qty == 0
    if status == "canceled" and not done:
        events.append(
            OrderCanceled(
                ts=ts,
                client_order_id=command.client_order_id,
                symbol=command.symbol,
                reason=f"CANCELED_BY_VENUE: venue={venue}",
                venue_order_id=venue_order_id,
            )
        )
    elif status == "expired" and not done:
        events.append(
            OrderExpired(
                ts=ts,
                client_order_id=command.client_order_id,
                symbol=command.symbol,
                venue_order_id=venue_order_id,
            )
        )
    return events


_STATUS = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}

_TYPES = {"market": OrderType.MARKET, "limit": OrderType.LIMIT}


def order_report(raw: Mapping[str, Any], instrument: Instrument | None) -> OrderReport:
    """Return a ccxt order as an :class:`OrderReport` (for ``OpenOrdersReport``)."""
    filled = _qty(raw.get("filled"), instrument)
    status = _STATUS.get(str(raw.get("status")))
    if status is None:
        status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED
    trigger = to_decimal(raw.get("triggerPrice") or raw.get("stopPrice"))
    order_type = _TYPES.get(str(raw.get("type")).lower(), OrderType.LIMIT)
    if trigger is not None:
        order_type = OrderType.STOP_LIMIT if order_type is OrderType.LIMIT else OrderType.STOP
    venue_order_id = _venue_id(raw)
    return OrderReport(
        client_order_id=str(raw.get("clientOrderId") or venue_order_id or ""),
        symbol=str(raw.get("symbol")),
        side=OrderSide.SELL if raw.get("side") == "sell" else OrderSide.BUY,
        order_type=order_type,
        quantity=_qty(raw.get("amount"), instrument),
        status=status,
        filled_qty=filled,
        venue_order_id=venue_order_id,
        price=to_decimal(raw.get("price")),
        stop_price=trigger,
        avg_fill_price=to_decimal(raw.get("average")),
        fee=to_decimal((raw.get("fee") or {}).get("cost")),
    )


def position_report(raw: Mapping[str, Any]) -> PositionReport | None:
    """Return a ccxt position as a signed :class:`PositionReport` (None when flat)."""
    contracts = to_decimal(raw.get("contracts")) or _ZERO
    if contracts == 0:
        return None
    sign = -1 if raw.get("side") == "short" else 1
    return PositionReport(
        symbol=str(raw.get("symbol")),
        quantity=contracts * sign,
        avg_price=to_decimal(raw.get("entryPrice")) or _ZERO,
        unrealized_pnl=to_decimal(raw.get("unrealizedPnl")),
    )
