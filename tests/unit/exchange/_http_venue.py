"""A tiny Binance-spot-shaped REST server on 127.0.0.1 for the ccxt client tests.

It speaks just enough of ``/api/v3`` for ccxt's ``binance`` class: ``exchangeInfo``,
``ticker/24hr``, ``klines``, ``order`` (POST / DELETE), ``openOrders`` and ``account``,
with Binance's error shape (``{"code": -2010, "msg": ...}``). Faults for the next order
are queued in :attr:`FakeBinance.order_faults`: ``("status", 500, body)`` answers with that
status, ``("hang",)`` holds the request until the test ends (a client timeout).
Private endpoints check the ``X-MBX-APIKEY`` header and the presence of a signature.
No internet: the server binds to 127.0.0.1 on a free port.
"""

from __future__ import annotations

import contextlib
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

D = Decimal

API_KEY = "test-key-AKIAXXXX1234567890"
SECRET = "test-secret-s3cr3tvalue-0987654321"

_FILTERS = {
    "BTCUSDT": ("0.01000000", "0.00001000", "5.00000000"),
    "ETHUSDT": ("0.01000000", "0.00010000", "5.00000000"),
    "OLDUSDT": ("0.00100000", "1.00000000", "1.00000000"),
}

_TS = 1_700_000_000_000


def _symbol_info(symbol: str, status: str = "TRADING") -> dict[str, Any]:
    tick, step, notional = _FILTERS[symbol]
    return {
        "symbol": symbol,
        "status": status,
        "baseAsset": symbol[:-4],
        "baseAssetPrecision": 8,
        "quoteAsset": "USDT",
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT"],
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "permissions": ["SPOT"],
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": tick,
                "maxPrice": "1000000.00",
                "tickSize": tick,
            },
            {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00", "stepSize": step},
            {"filterType": "NOTIONAL", "minNotional": notional, "maxNotional": "9000000.00"},
        ],
    }


class FakeBinance:
    """The venue's state: quotes, balances, orders, queued faults and the request log."""

    def __init__(self) -> None:
        self.quotes = {"BTCUSDT": (D("100.40"), D("100.60"), D("100.50"))}  # bid, ask, last
        self.balances = {"USDT": D("1000"), "BTC": D("0.5"), "ETH": D("0")}
        self.orders: dict[str, dict[str, Any]] = {}
        self.order_faults: list[tuple[Any, ...]] = []
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.release = threading.Event()
        self._next_id = 1000
        self._trade_id = 5000
        self.lock = threading.Lock()

    # -- routing --------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, Any]:
        with self.lock:
            self.requests.append((method, path, params, headers))
        public = {
            ("GET", "/api/v3/exchangeInfo"): self.exchange_info,
            ("GET", "/api/v3/ticker/24hr"): self.ticker,
            ("GET", "/api/v3/klines"): self.klines,
        }
        if (method, path) in public:
            return public[(method, path)](params)
        private = {
            ("POST", "/api/v3/order"): self.new_order,
            ("DELETE", "/api/v3/order"): self.cancel_order,
            ("GET", "/api/v3/openOrders"): self.open_orders,
            ("GET", "/api/v3/account"): self.account,
        }
        if (method, path) not in private:
            return 404, {"code": -1000, "msg": f"no route {method} {path}"}
        if headers.get("x-mbx-apikey") != API_KEY or "signature" not in params:
            return 401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}
        return private[(method, path)](params)

    # -- public ---------------------------------------------------------------------------

    def exchange_info(self, params: dict[str, str]) -> tuple[int, Any]:
        symbols = [
            _symbol_info("BTCUSDT"),
            _symbol_info("ETHUSDT"),
            _symbol_info("OLDUSDT", status="BREAK"),
        ]
        return 200, {"timezone": "UTC", "serverTime": _TS, "rateLimits": [], "symbols": symbols}

    def ticker(self, params: dict[str, str]) -> tuple[int, Any]:
        symbol = params.get("symbol", "")
        if symbol not in self.quotes:
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        bid, ask, last = self.quotes[symbol]
        return 200, {
            "symbol": symbol,
            "lastPrice": str(last),
            "bidPrice": str(bid),
            "bidQty": "1.0",
            "askPrice": str(ask),
            "askQty": "1.0",
            "openPrice": "99.00",
            "highPrice": "101.00",
            "lowPrice": "98.00",
            "volume": "1000.0",
            "quoteVolume": "100000.0",
            "openTime": _TS,
            "closeTime": _TS + 86_400_000,
            "count": 10,
        }

    def klines(self, params: dict[str, str]) -> tuple[int, Any]:
        limit = int(params.get("limit", "3"))
        rows = [
            [
                _TS + i * 60_000,
                f"{99 + i}.00",
                f"{101 + i}.00",
                f"{98 + i}.00",
                f"{100 + i}.00",
                "10.5",
                _TS + i * 60_000 + 59_999,
                "1050.0",
                100,
                "5.0",
                "500.0",
                "0",
            ]
            for i in range(3)
        ]
        return 200, rows[-limit:]

    # -- private --------------------------------------------------------------------------

    def new_order(self, params: dict[str, str]) -> tuple[int, Any]:
        if self.order_faults:
            fault = self.order_faults.pop(0)
            if fault[0] == "hang":
                self.release.wait(10)
                return 500, {"code": -1000, "msg": "released"}
            return fault[1], fault[2]
        symbol, side, kind = params["symbol"], params["side"], params["type"]
        qty = D(params["quantity"])
        bid, ask, _ = self.quotes[symbol]
        market_price = ask if side == "BUY" else bid
        price = D(params.get("price", market_price))
        crosses = kind == "MARKET" or (price >= ask if side == "BUY" else price <= bid)
        fill_price = market_price if kind == "MARKET" else price
        base = symbol[:-4]
        if side == "BUY" and crosses and qty * fill_price > self.balances["USDT"]:
            return 400, {
                "code": -2010,
                "msg": "Account has insufficient balance for requested action.",
            }
        self._next_id += 1
        order = {
            "symbol": symbol,
            "orderId": self._next_id,
            "orderListId": -1,
            "clientOrderId": params.get("newClientOrderId", f"x{self._next_id}"),
            "transactTime": _TS,
            "price": params.get("price", "0.00000000"),
            "origQty": params["quantity"],
            "executedQty": "0.00000000",
            "cummulativeQuoteQty": "0.00000000",
            "status": "NEW",
            "timeInForce": params.get("timeInForce", "GTC"),
            "type": kind,
            "side": side,
            "fills": [],
        }
        if crosses:
            self._trade_id += 1
            fee = (qty * fill_price * D("0.001")).quantize(D("0.00000001"))
            order.update(
                status="FILLED",
                executedQty=params["quantity"],
                cummulativeQuoteQty=str(qty * fill_price),
                fills=[
                    {
                        "price": str(fill_price),
                        "qty": params["quantity"],
                        "commission": str(fee),
                        "commissionAsset": "USDT",
                        "tradeId": self._trade_id,
                    }
                ],
            )
            sign = 1 if side == "BUY" else -1
            self.balances[base] = self.balances.get(base, D(0)) + sign * qty
            self.balances["USDT"] -= sign * qty * fill_price + fee
        elif order["timeInForce"] == "IOC":
            order["status"] = "EXPIRED"
        else:
            self.orders[str(order["clientOrderId"])] = order
        return 200, order

    def cancel_order(self, params: dict[str, str]) -> tuple[int, Any]:
        key = params.get("origClientOrderId")
        if key is None:
            key = next(
                (k for k, o in self.orders.items() if str(o["orderId"]) == params.get("orderId")),
                None,
            )
        order = self.orders.get(key or "")
        if order is None or order["status"] != "NEW":
            return 400, {"code": -2011, "msg": "Unknown order sent."}
        order["status"] = "CANCELED"
        del self.orders[key or ""]
        return 200, {**order, "origClientOrderId": order["clientOrderId"]}

    def open_orders(self, params: dict[str, str]) -> tuple[int, Any]:
        symbol = params.get("symbol")
        rows = [
            {
                **o,
                "time": _TS,
                "updateTime": _TS,
                "isWorking": True,
                "stopPrice": "0.0",
                "icebergQty": "0.0",
                "origQuoteOrderQty": "0.0",
            }
            for o in self.orders.values()
            if symbol in (None, o["symbol"])
        ]
        return 200, rows

    def account(self, params: dict[str, str]) -> tuple[int, Any]:
        return 200, {
            "makerCommission": 10,
            "takerCommission": 10,
            "canTrade": True,
            "accountType": "SPOT",
            "updateTime": _TS,
            "balances": [
                {"asset": asset, "free": str(amount), "locked": "0.00000000"}
                for asset, amount in sorted(self.balances.items())
            ],
            "permissions": ["SPOT"],
        }


class _Handler(BaseHTTPRequestHandler):
    venue: FakeBinance

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            params.update(parse_qsl(self.rfile.read(length).decode()))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.server.venue.handle(method, parts.path, params, headers)  # type: ignore[attr-defined]
        body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client timed out
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


class VenueServer:
    """The fake venue served on 127.0.0.1 in a daemon thread; ``url`` is its base URL."""

    def __init__(self) -> None:
        self.venue = FakeBinance()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.venue = self.venue  # type: ignore[attr-defined]
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> VenueServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.venue.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
