"""Fills read back from a ccxt venue's trade history, each reported exactly once.

A ``create_order`` answer lists the fills made at once, and the client reports them then
(:func:`~riskbus.exchange._ccxt_orders.order_events`). Fills made later — a resting limit
order reached by the market, an order placed by another program or on the venue's own
screen — exist only in the account's trade history (``fetch_my_trades``). A
:class:`FillLedger` turns that history into ``OrderFilled`` events:

* each trade is counted once, by its id;
* per venue order, what order answers already reported is skipped first (their fills may
  carry ids the history does not use, when the venue listed no trades), so a quantity is
  never reported twice: only what the history shows beyond it becomes new fills;
* the first read of a symbol is a baseline: the trades there are the account's starting
  state, taken as known, not reported;
* the next read starts at the time of the last trade seen (the venue's clock, never ours);
  the trades of that millisecond come again and are skipped by id.

Fills of orders this client placed keep their client order id, side, quantity and
strategy; others get ``venue-<order id>`` and, their size being unknown here,
``leaves_qty`` 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from riskbus.exchange._ccxt_markets import to_decimal
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import LiquiditySide, OrderSide
from riskbus.model.events.orders import OrderFilled
from riskbus.model.instruments import Instrument

__all__ = ["FillLedger"]

_ZERO = Decimal(0)
#: the time kept for a trade without one: never forgotten (it could come again any time)
_UNTIMED = 2**62


@dataclass(slots=True)
class _Order:
    """One venue order as the ledger knows it."""

    client_order_id: str
    quantity: Decimal | None  # None: placed elsewhere, size unknown
    strategy: str = ""
    reported: Decimal = _ZERO  # quantity reported as fills so far
    traded: Decimal = _ZERO  # quantity the trade history showed so far


class FillLedger:
    """What a ccxt client reported per venue order, and what the trade history showed."""

    def __init__(self) -> None:
        self._orders: dict[str, _Order] = {}
        #: symbol → {trade id: venue time (ms)} of the trades counted and still readable
        #: (those at or after the next read's start; older ones are forgotten)
        self._counted: dict[str, dict[str, int]] = {}
        self._since: dict[str, int] = {}
        self._read: set[str] = set()

    def placed(
        self, command: SubmitOrder, venue_order_id: str | None, fills: Iterable[OrderFilled]
    ) -> None:
        """Remember an order this client placed and the fills its answer reported."""
        if venue_order_id is None:
            return
        order = self._orders.get(venue_order_id)
        if order is None:
            order = self._orders[venue_order_id] = _Order(
                command.client_order_id, command.quantity, command.strategy
            )
        for fill in fills:
            order.reported += fill.last_qty

    def since(self, symbol: str) -> int | None:
        """The venue time (ms) to read ``symbol``'s trades from (None: the most recent)."""
        return self._since.get(symbol)

    def read(
        self,
        symbol: str,
        trades: Iterable[Mapping[str, Any]],
        instrument: Instrument,
        ts: int,
        venue: str,
    ) -> tuple[list[OrderFilled], bool]:
        """Take ccxt trades of ``symbol``; return the new fills and whether this was the
        baseline (the symbol's first read: nothing is new)."""
        baseline = symbol not in self._read
        self._read.add(symbol)
        counted = self._counted.setdefault(symbol, {})
        fills: list[OrderFilled] = []
        for trade in sorted(trades, key=_order_key):
            stamp = trade.get("timestamp")
            if stamp is not None:
                self._since[symbol] = max(self._since.get(symbol, 0), int(stamp))
            trade_id = _trade_id(trade)
            if trade_id in counted:
                continue
            counted[trade_id] = _UNTIMED if stamp is None else int(stamp)
            amount = instrument.quantize_quantity(
                to_decimal(trade.get("amount")) or _ZERO, ROUND_HALF_EVEN
            )
            if amount <= 0:
                continue
            order_id = str(trade.get("order") or f"trade-{trade_id}")
            order = self._orders.get(order_id)
            if order is None:
                order = self._orders[order_id] = _Order(f"{venue}-{order_id}", None)
            order.traded += amount
            if baseline:
                order.reported = max(order.reported, order.traded)
                continue
            quantity = min(amount, order.traded - order.reported)
            if quantity <= 0:
                continue  # reported from the order's own answer
            order.reported += quantity
            fills.append(
                _fill(
                    trade,
                    trade_id,
                    order=order,
                    venue_order_id=order_id,
                    quantity=quantity,
                    amount=amount,
                    instrument=instrument,
                    ts=ts,
                )
            )
        start = self._since.get(symbol, 0)  # the next read's start: older ones never return
        self._counted[symbol] = {key: at for key, at in counted.items() if at >= start}
        return fills, baseline


def _trade_id(trade: Mapping[str, Any]) -> str:
    """The venue's trade id, or (a venue without them) what the trade is made of."""
    if trade.get("id") not in (None, ""):
        return str(trade["id"])
    parts = (trade.get(name) for name in ("order", "timestamp", "side", "amount", "price"))
    return "-".join(str(part) for part in parts)


def _order_key(trade: Mapping[str, Any]) -> tuple[int, str]:
    return int(trade.get("timestamp") or 0), _trade_id(trade)


def _fill(
    trade: Mapping[str, Any],
    trade_id: str,
    *,
    order: _Order,
    venue_order_id: str,
    quantity: Decimal,
    amount: Decimal,
    instrument: Instrument,
    ts: int,
) -> OrderFilled:
    fee_raw = trade.get("fee") or {}
    fee = to_decimal(fee_raw.get("cost")) or _ZERO
    if quantity != amount:  # partly reported already: the rest's share of the fee
        fee = fee * quantity / amount
    leaves = _ZERO if order.quantity is None else max(order.quantity - order.reported, _ZERO)
    return OrderFilled(
        ts=ts,
        client_order_id=order.client_order_id,
        symbol=instrument.symbol,
        side=OrderSide.BUY if trade.get("side") == "buy" else OrderSide.SELL,
        fill_id=trade_id,
        last_qty=quantity,
        last_price=to_decimal(trade.get("price")) or _ZERO,
        cum_qty=order.reported,
        leaves_qty=leaves,
        fee=fee,
        fee_currency=str(fee_raw.get("currency") or instrument.quote),
        liquidity=(
            LiquiditySide.MAKER if trade.get("takerOrMaker") == "maker" else LiquiditySide.TAKER
        ),
        venue_order_id=venue_order_id,
        strategy=order.strategy,
    )
