"""Binance error answers: ``{"code": -NNNN, "msg": "..."}`` with the venue's status codes.

Every refusal the server makes is a :class:`BinanceError`; the app turns it into the JSON
body and HTTP status Binance would send, which ccxt's ``binance`` class maps to its
exceptions (``-1022`` → ``AuthenticationError``, ``-2010`` with the insufficient-balance
message → ``InsufficientFunds``, ``-2013`` → ``OrderNotFound``, ...).
"""

from __future__ import annotations

__all__ = [
    "BinanceError",
    "bad_param",
    "insufficient_balance",
    "invalid_symbol",
    "missing_param",
    "unknown_order",
]


class BinanceError(Exception):
    """A refusal with Binance's error code, message and HTTP status.

    Args:
        code: Binance's (negative) error code.
        msg: Binance's message text.
        status: the HTTP status (400 for request errors, 401 for key errors, ...).
        headers: extra response headers (``Retry-After`` on 429/418).
    """

    def __init__(
        self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        """Return the JSON body Binance sends."""
        return {"code": self.code, "msg": self.msg}


def missing_param(name: str) -> BinanceError:
    """Return -1102: a mandatory parameter is missing."""
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def bad_param(name: str, value: str) -> BinanceError:
    """Return -1100: a parameter has illegal characters or is not a valid number."""
    return BinanceError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{value}'."
    )


def invalid_symbol() -> BinanceError:
    """Return -1121: the symbol is not traded here."""
    return BinanceError(-1121, "Invalid symbol.")


def insufficient_balance() -> BinanceError:
    """Return -2010 with the message ccxt maps to ``InsufficientFunds``."""
    return BinanceError(-2010, "Account has insufficient balance for requested action.")


def unknown_order(cancel: bool) -> BinanceError:
    """Return -2011 (cancel of an unknown order) or -2013 (query of one)."""
    if cancel:
        return BinanceError(-2011, "Unknown order sent.")
    return BinanceError(-2013, "Order does not exist.")
