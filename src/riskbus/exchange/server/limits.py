"""Request weights, the per-minute weight limit, order counts and IP bans, as Binance does.

Every endpoint has a weight (:data:`WEIGHTS`; some depend on the parameters). Weights add
up in fixed one-minute windows; each answer carries ``X-MBX-USED-WEIGHT`` and
``X-MBX-USED-WEIGHT-1M``. Over the limit the request is refused with HTTP 429 and ``-1003``
and a ``Retry-After`` (seconds to the next window). A client that keeps sending while told
to wait is banned: HTTP 418, ``-1003`` "IP banned until ...", for 2 minutes, doubling with
each new ban up to 3 days. New orders are counted per 10 seconds
(``X-MBX-ORDER-COUNT-10S``); over that limit an order gets 429 ``-1015``.

Time here is the wall clock (``now`` is injectable): rate limits protect the real server.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from riskbus.exchange.server.errors import BinanceError

__all__ = ["WEIGHTS", "RateLimiter", "weight_of"]

#: Endpoint (method, path under /api/v3) → weight, when it does not depend on parameters.
WEIGHTS: Mapping[tuple[str, str], int] = {
    ("GET", "ping"): 1,
    ("GET", "time"): 1,
    ("GET", "exchangeInfo"): 20,
    ("GET", "klines"): 2,
    ("GET", "account"): 20,
    ("POST", "order"): 1,
    ("GET", "order"): 4,
    ("DELETE", "order"): 1,
    ("DELETE", "openOrders"): 1,
    ("GET", "allOrders"): 20,
    ("GET", "myTrades"): 20,
}

_MIN_BAN = 120.0
_MAX_BAN = 3 * 86400.0


def weight_of(method: str, path: str, params: Mapping[str, str]) -> int:
    """Return the weight of one request (Binance's table for the spot endpoints)."""
    if path in ("ticker/price", "ticker/bookTicker"):
        return 2 if "symbol" in params else 4
    if path == "ticker/24hr":
        return 2 if "symbol" in params else 80
    if path == "openOrders" and method == "GET":
        return 6 if "symbol" in params else 80
    if path == "depth":
        limit = _int(params.get("limit"), 100)
        return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250
    return WEIGHTS.get((method, path), 1)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


class RateLimiter:
    """The weight and order-count windows and the ban state of the server.

    Args:
        weight_limit: weight allowed per minute (0: no limit).
        order_limit: new orders allowed per 10 seconds (0: no limit).
        now: the wall clock in seconds.
    """

    def __init__(
        self,
        weight_limit: int = 6000,
        order_limit: int = 100,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.weight_limit = weight_limit
        self.order_limit = order_limit
        self._now = now
        self._minute = -1
        self.used_weight = 0
        self._order_window = -1
        self.order_count = 0
        self.banned_until = 0.0
        self.bans = 0
        self._told_to_wait_until = 0.0

    def clear(self) -> None:
        """Forget the counts, the bans and the escalation."""
        self._minute = self._order_window = -1
        self.used_weight = self.order_count = 0
        self.banned_until = self._told_to_wait_until = 0.0
        self.bans = 0

    def _roll(self, now: float) -> None:
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self.used_weight = minute, 0
        window = int(now // 10)
        if window != self._order_window:
            self._order_window, self.order_count = window, 0

    def check_ban(self) -> None:
        """Refuse with 418 while banned.

        Raises:
            BinanceError: HTTP 418, -1003.
        """
        now = self._now()
        if now < self.banned_until:
            raise self._banned(now)

    def _banned(self, now: float) -> BinanceError:
        until_ms = int(self.banned_until * 1000)
        return BinanceError(
            -1003,
            f"Way too much request weight used; IP banned until {until_ms}. "
            "Please use WebSocket Streams for live updates to avoid bans.",
            status=418,
            headers={"Retry-After": str(max(1, math.ceil(self.banned_until - now)))},
        )

    def ban(self, seconds: float | None = None) -> BinanceError:
        """Ban the client (for ``seconds``, else the next escalation step); return the 418."""
        now = self._now()
        if seconds is None:
            seconds = min(_MAX_BAN, _MIN_BAN * 2**self.bans)
        self.bans += 1
        self.banned_until = now + seconds
        return self._banned(now)

    def too_many(self, retry_after: float, code: int = -1003, msg: str = "") -> BinanceError:
        """Return a 429 and remember that the client was told to wait ``retry_after`` s.

        A client that sends again before then is banned (418) instead.
        """
        now = self._now()
        if now < self._told_to_wait_until:
            return self.ban()
        self._told_to_wait_until = now + retry_after
        text = msg or (
            f"Too much request weight used; current limit is {self.weight_limit} request "
            "weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
            "polling the API."
        )
        return BinanceError(
            code, text, status=429, headers={"Retry-After": str(max(1, math.ceil(retry_after)))}
        )

    def spend(self, weight: int, *, order: bool) -> None:
        """Count one request of ``weight`` (and one new order when ``order``).

        Raises:
            BinanceError: 429 over a limit, 418 when the client ignored a 429.
        """
        now = self._now()
        if now < self.banned_until:
            raise self._banned(now)
        self._roll(now)
        self.used_weight += weight
        if self.weight_limit and self.used_weight > self.weight_limit:
            raise self.too_many(60 - now % 60)
        if order:
            self.order_count += 1
            if self.order_limit and self.order_count > self.order_limit:
                raise self.too_many(
                    10 - now % 10,
                    -1015,
                    f"Too many new orders; current limit is {self.order_limit} orders per "
                    "TEN_SECONDS.",
                )

    def headers(self, *, order: bool) -> dict[str, str]:
        """Return the usage headers of an answer."""
        used = str(self.used_weight)
        out = {"X-MBX-USED-WEIGHT": used, "X-MBX-USED-WEIGHT-1M": used}
        if order:
            out["X-MBX-ORDER-COUNT-10S"] = str(self.order_count)
        return out
