"""The simulated exchange as Binance's spot API sees it: markets, orders, balances in JSON.

:class:`Venue` owns one :class:`~riskbus.exchange.simulated.SimulatedExchange` (no latency:
the HTTP round trip is the latency) over seeded price paths of a named market scenario,
one per spot symbol, on :class:`~riskbus.exchange.server.market.MarketClock` time. Before
each request the venue catches up with the market clock (one path step per
``path.step`` of market time, resting orders matched at each). It translates Binance
parameters into commands and the venue's state into Binance's JSON shapes (numbers as
strings, times in ms), and the venue's reason codes into Binance errors.

Differences from the real venue: a client order id is accepted once, ever (Binance
refuses it only while the first order is open), so a resubmission after a lost
acknowledgement can never place a second order; order book depth is synthesised around the
quote from the volume model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from riskbus.core.bus import EventBus
from riskbus.core.seeds import Seeds
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.server.errors import (
    BinanceError,
    insufficient_balance,
    invalid_symbol,
    missing_param,
    unknown_order,
)
from riskbus.exchange.server.market import MarketClock, MarketTimeClock
from riskbus.exchange.server.params import (
    binance_id,
    decimal_param,
    int_param,
    required,
    text,
)
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market import generate
from riskbus.model.catalogue import InstrumentRegistry, default_registry
from riskbus.model.commands import CancelOrder, SubmitOrder
from riskbus.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from riskbus.model.events.account import OrderReport
from riskbus.model.events.orders import OrderCanceled, OrderFilled, OrderRejected
from riskbus.model.instruments import Instrument

__all__ = ["DEFAULT_BALANCES", "DEFAULT_PRICES", "Venue", "VenueConfig"]

#: The spot symbols served by default and their prices at step 0.
DEFAULT_PRICES: Mapping[str, Decimal] = {
    "BTC/USDT": Decimal(50_000),
    "ETH/USDT": Decimal(3_000),
    "SOL/USDT": Decimal(150),
}
#: The test account's opening balances.
DEFAULT_BALANCES: Mapping[str, Decimal] = {
    "USDT": Decimal(100_000),
    "BTC": Decimal(1),
    "ETH": Decimal(10),
    "SOL": Decimal(100),
}
_MS = 1_000_000
_ZERO = Decimal(0)
_STATUS = {
    OrderStatus.ACCEPTED: "NEW",
    OrderStatus.TRIGGERED: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
}
_TYPES = {
    "MARKET": OrderType.MARKET,
    "LIMIT": OrderType.LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT,
    "STOP_LOSS": OrderType.STOP,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
}
_EXPIRING = ("IOC_REMAINDER", "NOT_MARKETABLE", "FOK_NOT_FILLED")
_FILTERS = {
    "INVALID_QUANTITY": "LOT_SIZE",
    "MIN_SIZE": "LOT_SIZE",
    "STEP_SIZE": "LOT_SIZE",
    "INVALID_PRICE": "PRICE_FILTER",
    "TICK_SIZE": "PRICE_FILTER",
    "MIN_NOTIONAL": "NOTIONAL",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueConfig:
    """What the server trades.

    Attributes:
        market: the market scenario name (``flash_crash``, ``bull_run``, ...).
        seed: the root seed of the price paths.
        speed: market seconds per wall second (0: stepped only).
        steps: how many path steps are generated (the last price holds after them).
        prices: symbol → price at step 0 (spot symbols of the built-in catalogue).
        balances: the test account's opening balances.
        exchange: costs and fill model of the simulated venue (latency must stay 0).
    """

    market: str = "sideways"
    seed: int = 1
    speed: float = 1.0
    steps: int = 10_000
    prices: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    balances: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_BALANCES))
    exchange: SimulatedExchangeConfig = field(
        default_factory=lambda: SimulatedExchangeConfig(venue="binance")
    )


@dataclass(slots=True)
class _Meta:
    order_id: int
    symbol_id: str
    binance_type: str
    time: int
    update_time: int
    quote_qty: Decimal


class Venue:
    """The simulated venue behind the server (see the module docstring).

    Args:
        config: what it trades.
        market_clock: the market time (default: from the config's speed).
    """

    def __init__(self, config: VenueConfig, market_clock: MarketClock | None = None) -> None:
        self.config = config
        catalogue = default_registry()
        instruments: list[Instrument] = []
        for symbol in config.prices:
            instrument = catalogue.find(symbol)
            if instrument is None or instrument.is_derivative:
                raise bad_input_symbol(symbol)
            instruments.append(instrument)
        self.registry = InstrumentRegistry(instruments)
        seeds = Seeds(config.seed)
        paths = {
            symbol: generate(
                config.market,
                config.steps,
                seeds.stream(f"market.{symbol}").randrange(2**31),
                initial_price=price,
            )
            for symbol, price in config.prices.items()
        }
        first = next(iter(paths.values()))
        self.step_ns = first.step
        self.market = market_clock or MarketClock(first.start, config.speed)
        self.clock = MarketTimeClock(self.market)
        self.bus = EventBus(self.clock)
        self.exchange = SimulatedExchange(
            self.bus,
            self.clock,
            seeds,
            self.registry,
            paths,
            balances=dict(config.balances),
            config=config.exchange,
        )
        self.paths = paths
        self.last_step = config.steps - 1
        self.by_id = {binance_id(i.symbol): i for i in instruments}
        self._meta: dict[str, _Meta] = {}
        self._by_order_id: dict[int, str] = {}
        self._rejections: dict[str, OrderRejected] = {}
        self._cancel_reasons: dict[str, str] = {}
        self._fills: dict[str, list[OrderFilled]] = {}
        self._generated = 0
        self.bus.subscribe(OrderRejected, self._on_rejected, component="server")
        self.bus.subscribe(OrderCanceled, self._on_canceled, component="server")
        self.bus.subscribe(OrderFilled, self._on_filled, component="server")

    # -- bookkeeping ------------------------------------------------------------------------

    def _on_rejected(self, event: OrderRejected) -> None:
        self._rejections[event.client_order_id] = event

    def _on_canceled(self, event: OrderCanceled) -> None:
        self._cancel_reasons[event.client_order_id] = event.reason
        meta = self._meta.get(event.client_order_id)
        if meta is not None:
            meta.update_time = self.now_ms()

    def _on_filled(self, event: OrderFilled) -> None:
        self._fills.setdefault(event.client_order_id, []).append(event)
        meta = self._meta.get(event.client_order_id)
        if meta is not None:
            meta.update_time = event.ts // _MS

    def now_ms(self) -> int:
        """Return the market time in ms."""
        return self.market.now() // _MS

    def sync(self) -> None:
        """Catch the venue up with the market clock (one path step per ``step_ns``)."""
        target = (self.market.now() - self.market.start) // self.step_ns
        target = min(target, self.last_step + 1)
        if target > self.exchange.step:
            self.exchange.advance(target - self.exchange.step)

    def instrument(self, params: Mapping[str, str], *, required: bool = True) -> Instrument | None:
        """Return the instrument of the ``symbol`` parameter.

        Raises:
            BinanceError: -1102 when missing and required, -1121 when unknown.
        """
        symbol_id = params.get("symbol")
        if not symbol_id:
            if required:
                raise missing_param("symbol")
            return None
        instrument = self.by_id.get(symbol_id.upper())
        if instrument is None:
            raise invalid_symbol()
        return instrument

    # -- market data ----------------------------------------------------------------------
    def new_order(self, params: Mapping[str, str]) -> dict[str, object]:
        """Place an order (``POST /api/v3/order``); return the ACK/RESULT/FULL answer."""
        instrument = self.instrument(params)
        assert instrument is not None
        command, kind, quote_qty = self._command(params, instrument)
        if command.client_order_id in self._meta:
            raise BinanceError(-2010, "Duplicate order sent.")
        if kind == "LIMIT_MAKER":
            quote = self.exchange.quote(instrument.symbol)
            price = command.price or _ZERO
            if (command.side is OrderSide.BUY and price >= quote.ask) or (
                command.side is OrderSide.SELL and price <= quote.bid
            ):
                raise BinanceError(-2010, "Order would immediately match and take.")
        self.exchange.submit(command)
        report = self.exchange.order_status(command.client_order_id)
        if report is None:
            raise self._rejection(command.client_order_id)
        assert report.venue_order_id is not None
        order_id = int(report.venue_order_id.rpartition("-")[2])
        now = self.now_ms()
        self._meta[command.client_order_id] = _Meta(
            order_id, binance_id(instrument.symbol), kind, now, now, quote_qty
        )
        self._by_order_id[order_id] = command.client_order_id
        answer = self._order_json(report)
        answer["transactTime"] = now
        response_type = params.get("newOrderRespType") or (
            "FULL" if kind in ("MARKET", "LIMIT") else "ACK"
        )
        if response_type == "ACK":
            return {
                "symbol": answer["symbol"],
                "orderId": order_id,
                "orderListId": -1,
                "clientOrderId": command.client_order_id,
                "transactTime": now,
            }
        for key in ("time", "updateTime", "isWorking", "icebergQty", "stopPrice"):
            answer.pop(key, None)
        answer["workingTime"] = now
        if response_type == "FULL":
            answer["fills"] = [
                {
                    "price": text(fill.last_price),
                    "qty": text(fill.last_qty),
                    "commission": text(fill.fee),
                    "commissionAsset": fill.fee_currency,
                    "tradeId": int(fill.fill_id.rpartition("-")[2]),
                }
                for fill in self._fills.get(command.client_order_id, ())
            ]
        return answer

    def _command(
        self, params: Mapping[str, str], instrument: Instrument
    ) -> tuple[SubmitOrder, str, Decimal]:
        side_text = required(params, "side").upper()
        if side_text not in ("BUY", "SELL"):
            raise BinanceError(-1100, "Illegal characters found in parameter 'side'.")
        side = OrderSide(side_text)
        kind = required(params, "type").upper()
        order_type = _TYPES.get(kind)
        if order_type is None:
            raise BinanceError(-1116, "Invalid orderType.")
        quote_qty = _ZERO
        quantity = decimal_param(params, "quantity")
        if quantity is None and order_type is OrderType.MARKET and side is OrderSide.BUY:
            quote_qty = decimal_param(params, "quoteOrderQty") or _ZERO
            if quote_qty > 0:
                ask = self.exchange.quote(instrument.symbol).ask
                quantity = instrument.quantize_quantity(quote_qty / ask, ROUND_DOWN)
        if quantity is None:
            raise missing_param("quantity")
        price = decimal_param(params, "price")
        if order_type.needs_price and price is None:
            raise missing_param("price")
        stop = decimal_param(params, "stopPrice")
        if order_type.needs_stop_price and stop is None:
            raise missing_param("stopPrice")
        tif_text = params.get("timeInForce")
        if order_type is OrderType.LIMIT and kind == "LIMIT" and not tif_text:
            raise missing_param("timeInForce")
        try:
            tif = TimeInForce(tif_text.upper()) if tif_text else TimeInForce.GTC
        except ValueError:
            raise BinanceError(-1115, "Invalid timeInForce.") from None
        client_order_id = params.get("newClientOrderId") or self._generated_id()
        command = SubmitOrder(
            ts=self.clock.now(),
            client_order_id=client_order_id,
            symbol=instrument.symbol,
            side=side,
            quantity=quantity,
            order_type=order_type,
            price=price if order_type.needs_price else None,
            stop_price=stop if order_type.needs_stop_price else None,
            time_in_force=tif,
        )
        return command, kind, quote_qty

    def _generated_id(self) -> str:
        self._generated += 1
        return f"srv-{self._generated:010d}"

    def _rejection(self, client_order_id: str) -> BinanceError:
        event = self._rejections.get(client_order_id)
        code = event.code if event is not None else ""
        if code == "INSUFFICIENT_BALANCE":
            return insufficient_balance()
        if code == "DUPLICATE_ORDER":
            return BinanceError(-2010, "Duplicate order sent.")
        if code in _FILTERS:
            return BinanceError(-1013, f"Filter failure: {_FILTERS[code]}")
        reason = event.reason if event is not None else "rejected"
        return BinanceError(-2010, f"Order rejected: {reason}")

    def _client_id(self, params: Mapping[str, str], *, cancel: bool) -> str:
        instrument = self.instrument(params)
        assert instrument is not None
        order_id = int_param(params, "orderId", None)
        client_id = params.get("origClientOrderId")
        if order_id is None and not client_id:
            raise BinanceError(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        if order_id is not None:
            found = self._by_order_id.get(order_id)
            if found is None or (client_id and client_id != found):
                raise unknown_order(cancel)
            client_id = found
        assert client_id is not None
        meta = self._meta.get(client_id)
        if meta is None or meta.symbol_id != binance_id(instrument.symbol):
            raise unknown_order(cancel)
        return client_id

    def query_order(self, params: Mapping[str, str]) -> dict[str, object]:
        """Return one order (``GET /api/v3/order``)."""
        client_id = self._client_id(params, cancel=False)
        report = self.exchange.order_status(client_id)
        assert report is not None
        return self._order_json(report)

    def cancel_order(self, params: Mapping[str, str]) -> dict[str, object]:
        """Cancel one order (``DELETE /api/v3/order``)."""
        client_id = self._client_id(params, cancel=True)
        return self._cancel(client_id)

    def _cancel(self, client_id: str) -> dict[str, object]:
        report = self.exchange.order_status(client_id)
        assert report is not None
        if report.status not in _OPEN:
            raise unknown_order(True)
        self.exchange.cancel_order(
            CancelOrder(ts=self.clock.now(), client_order_id=client_id, symbol=report.symbol)
        )
        report = self.exchange.order_status(client_id)
        assert report is not None
        answer = self._order_json(report)
        answer["origClientOrderId"] = client_id
        answer["clientOrderId"] = f"cancel-{client_id}"[:36]
        answer["transactTime"] = self.now_ms()
        for key in ("time", "updateTime", "isWorking", "icebergQty", "workingTime"):
            answer.pop(key, None)
        return answer

    def open_orders(self, params: Mapping[str, str]) -> list[dict[str, object]]:
        """Return the open orders (``GET /api/v3/openOrders``)."""
        instrument = self.instrument(params, required=False)
        symbol = instrument.symbol if instrument is not None else None
        return [self._order_json(r) for r in self.exchange.open_orders(symbol)]

    def cancel_open_orders(self, params: Mapping[str, str]) -> list[dict[str, object]]:
        """Cancel every open order of a symbol (``DELETE /api/v3/openOrders``)."""
        instrument = self.instrument(params)
        assert instrument is not None
        reports = self.exchange.open_orders(instrument.symbol)
        return [self._cancel(report.client_order_id) for report in reports]

    def all_orders(self, params: Mapping[str, str]) -> list[dict[str, object]]:
        """Return every order of a symbol (``GET /api/v3/allOrders``), oldest first."""
        instrument = self.instrument(params)
        assert instrument is not None
        symbol_id = binance_id(instrument.symbol)
        from_id = int_param(params, "orderId", None)
        start = int_param(params, "startTime", None)
        end = int_param(params, "endTime", None)
        limit = int_param(params, "limit", 500, maximum=1000)
        rows = []
        for client_id, meta in self._meta.items():
            if meta.symbol_id != symbol_id:
                continue
            if from_id is not None and meta.order_id < from_id:
                continue
            if (start is not None and meta.time < start) or (end is not None and meta.time > end):
                continue
            report = self.exchange.order_status(client_id)
            assert report is not None
            rows.append(self._order_json(report))
        return rows[:limit]

    def my_trades(self, params: Mapping[str, str]) -> list[dict[str, object]]:
        """Return the account's trades on a symbol (``GET /api/v3/myTrades``), oldest first.

        As Binance: from ``fromId``, or within ``startTime``/``endTime`` (ms), the first
        ``limit`` of them; with neither, the most recent ``limit``.
        """
        instrument = self.instrument(params)
        assert instrument is not None
        order_filter = int_param(params, "orderId", None)
        from_id = int_param(params, "fromId", None)
        start = int_param(params, "startTime", None)
        end = int_param(params, "endTime", None)
        limit = int_param(params, "limit", 500, maximum=1000)
        rows: list[dict[str, object]] = []
        for fill in self.exchange.trades:
            if fill.symbol != instrument.symbol:
                continue
            meta = self._meta.get(fill.client_order_id)
            order_id = meta.order_id if meta is not None else 0
            trade_id = int(fill.fill_id.rpartition("-")[2])
            time = fill.ts // _MS
            if (
                (order_filter is not None and order_id != order_filter)
                or (from_id is not None and trade_id < from_id)
                or (start is not None and time < start)
                or (end is not None and time > end)
            ):
                continue
            rows.append(
                {
                    "symbol": binance_id(fill.symbol),
                    "id": trade_id,
                    "orderId": order_id,
                    "orderListId": -1,
                    "price": text(fill.last_price),
                    "qty": text(fill.last_qty),
                    "quoteQty": text(fill.last_qty * fill.last_price),
                    "commission": text(fill.fee),
                    "commissionAsset": fill.fee_currency,
                    "time": time,
                    "isBuyer": fill.side is OrderSide.BUY,
                    "isMaker": fill.liquidity.value == "MAKER",
                    "isBestMatch": True,
                }
            )
        if from_id is None and start is None:
            return rows[-limit:]  # the most recent
        return rows[:limit]

    def order_count(self) -> int:
        """Return how many orders the venue accepted."""
        return len(self._meta)

    def _order_json(self, report: OrderReport) -> dict[str, object]:
        client_id = report.client_order_id
        meta = self._meta.get(client_id)
        status = _STATUS.get(report.status, "NEW")
        if status == "CANCELED" and self._cancel_reasons.get(client_id, "").startswith(_EXPIRING):
            status = "EXPIRED"
        quote_total = sum(
            (f.last_qty * f.last_price for f in self._fills.get(client_id, ())), _ZERO
        )
        tif = "GTC"
        kind = meta.binance_type if meta is not None else report.order_type.value
        return {
            "symbol": binance_id(report.symbol),
            "orderId": meta.order_id if meta is not None else 0,
            "orderListId": -1,
            "clientOrderId": client_id,
            "price": text(report.price or _ZERO),
            "origQty": text(report.quantity),
            "executedQty": text(report.filled_qty),
            "origQuoteOrderQty": text(meta.quote_qty if meta is not None else _ZERO),
            "cummulativeQuoteQty": text(quote_total),
            "status": status,
            "timeInForce": tif if kind != "MARKET" else "GTC",
            "type": kind,
            "side": report.side.value,
            "stopPrice": text(report.stop_price or _ZERO),
            "icebergQty": "0",
            "time": meta.time if meta is not None else 0,
            "updateTime": meta.update_time if meta is not None else 0,
            "isWorking": status in ("NEW", "PARTIALLY_FILLED"),
            "workingTime": meta.time if meta is not None else 0,
            "selfTradePreventionMode": "NONE",
        }


_OPEN = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.TRIGGERED)


def bad_input_symbol(symbol: str) -> Exception:
    """Return the error for a configured symbol the catalogue has no spot instrument for."""
    from riskbus.core.errors import InvalidValueError

    return InvalidValueError.for_value("symbols", symbol, "not a spot symbol of the catalogue")
