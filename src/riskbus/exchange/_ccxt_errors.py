"""The map from every ccxt exception class to the riskbus error tree.

ccxt's errors (``ccxt.base.errors``) are organised by where they come from; ours by what
the caller should do. :data:`CCXT_ERRORS` names every ccxt class explicitly (a test walks
``ccxt.base.errors`` and fails if ccxt grows a class this table does not name); a class
from a newer ccxt still maps through its nearest named ancestor.

Reads versus writes: a failure of a *write* (placing or cancelling an order) after the
request may have reached the venue leaves its outcome unknown. Binance says so of every 5xx
("execution status is UNKNOWN") and of ``-1007``; a timeout, a dropped connection or an
unreadable answer are the same. Those classes carry ``unknown_on_write`` and become
:class:`~riskbus.core.errors.OutcomeUnknownError` for writes (an ``OrderStatusUnknown``
event, never a rejection), and :class:`~riskbus.core.errors.TransientError` for reads.
Refusals that prove the venue did nothing (429 rate limit, a bad nonce or signature) stay
definite: the order was not placed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

from riskbus.core.errors import (
    AuthenticationError,
    BadInputError,
    ConfigError,
    InvalidValueError,
    OperationalError,
    OutcomeUnknownError,
    RateLimitedError,
    RiskbusError,
    TransientError,
    VenueRejectedError,
)
from riskbus.exchange._ccxt_secrets import Redactor

__all__ = ["CCXT_ERRORS", "CCXT_ERRORS_MODULE", "ErrorRule", "Operation", "map_error", "rule_for"]

Operation = Literal["submit", "cancel", "fetch", "connect"]

_WRITES = ("submit", "cancel")

# ``import ccxt.base.errors`` would not do: the ``ccxt`` package shadows its ``base``
# subpackage with a list of exchange names.
CCXT_ERRORS_MODULE = importlib.import_module("ccxt.base.errors")


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """How one ccxt exception class is translated.

    Attributes:
        error: the riskbus class (for reads, and for writes whose outcome is known).
        code: the reason code events carry (``OrderRejected.code``, ...).
        unknown_on_write: the request may have reached the venue: a write's outcome is
            unknown.
        field: the offending field, for ``BadInputError`` subclasses.
    """

    error: type[RiskbusError]
    code: str
    unknown_on_write: bool = False
    field: str | None = None


def _r(
    error: type[RiskbusError], code: str, *, unknown: bool = False, field: str | None = None
) -> ErrorRule:
    return ErrorRule(error, code, unknown, field)


#: Every class of ``ccxt.base.errors`` by name, in ccxt's own hierarchy order.
CCXT_ERRORS: dict[str, ErrorRule] = {
    "BaseError": _r(OperationalError, "VENUE_ERROR", unknown=True),
    # -- ExchangeError: the venue answered and refused ------------------------------------
    "ExchangeError": _r(VenueRejectedError, "REJECTED_BY_VENUE"),
    "AuthenticationError": _r(AuthenticationError, "AUTHENTICATION_FAILED"),
    "PermissionDenied": _r(AuthenticationError, "PERMISSION_DENIED"),
    "AccountNotEnabled": _r(AuthenticationError, "ACCOUNT_NOT_ENABLED"),
    "AccountSuspended": _r(AuthenticationError, "ACCOUNT_SUSPENDED"),
    "ArgumentsRequired": _r(InvalidValueError, "INVALID_ARGUMENTS", field="arguments"),
    "BadRequest": _r(VenueRejectedError, "BAD_REQUEST"),
    "BadSymbol": _r(InvalidValueError, "UNKNOWN_SYMBOL", field="symbol"),
    "OperationRejected": _r(VenueRejectedError, "REJECTED_BY_VENUE"),
    "NoChange": _r(VenueRejectedError, "NO_CHANGE"),
    "MarginModeAlreadySet": _r(VenueRejectedError, "NO_CHANGE"),
    "MarketClosed": _r(VenueRejectedError, "MARKET_CLOSED"),
    "ManualInteractionNeeded": _r(OperationalError, "MANUAL_INTERACTION_NEEDED"),
    "RestrictedLocation": _r(OperationalError, "RESTRICTED_LOCATION"),
    "InsufficientFunds": _r(VenueRejectedError, "INSUFFICIENT_BALANCE"),
    "InvalidAddress": _r(InvalidValueError, "INVALID_ADDRESS", field="address"),
    "AddressPending": _r(TransientError, "ADDRESS_PENDING"),
    "InvalidOrder": _r(VenueRejectedError, "INVALID_ORDER"),
    "OrderNotFound": _r(VenueRejectedError, "ORDER_NOT_FOUND"),
    "OrderNotCached": _r(VenueRejectedError, "ORDER_NOT_CACHED"),
    "OrderImmediatelyFillable": _r(VenueRejectedError, "ORDER_IMMEDIATELY_FILLABLE"),
    "OrderNotFillable": _r(VenueRejectedError, "ORDER_NOT_FILLABLE"),
    "DuplicateOrderId": _r(VenueRejectedError, "DUPLICATE_ORDER"),
    "ContractUnavailable": _r(VenueRejectedError, "CONTRACT_UNAVAILABLE"),
    "NotSupported": _r(OperationalError, "NOT_SUPPORTED"),
    "InvalidProxySettings": _r(ConfigError, "INVALID_PROXY_SETTINGS", field="proxy"),
    "ExchangeClosedByUser": _r(OperationalError, "CLIENT_CLOSED"),
    # -- OperationFailed: the request failed on the way -----------------------------------
    "OperationFailed": _r(TransientError, "VENUE_UNAVAILABLE", unknown=True),
    "NetworkError": _r(TransientError, "NETWORK_ERROR", unknown=True),
    # CDN pages (cloudflare, incapsula) arrive as DDoSProtection even for a 5xx: unknown.
    "DDoSProtection": _r(RateLimitedError, "RATE_LIMITED", unknown=True),
    # 429: the venue refused the request before processing it.
    "RateLimitExceeded": _r(RateLimitedError, "RATE_LIMITED"),
    "ExchangeNotAvailable": _r(TransientError, "VENUE_UNAVAILABLE", unknown=True),
    "OnMaintenance": _r(TransientError, "VENUE_MAINTENANCE", unknown=True),
    # A bad nonce is refused at authentication, before the order is looked at.
    "InvalidNonce": _r(TransientError, "INVALID_NONCE"),
    "ChecksumError": _r(TransientError, "CHECKSUM_ERROR"),
    "RequestTimeout": _r(TransientError, "VENUE_TIMEOUT", unknown=True),
    "BadResponse": _r(TransientError, "BAD_RESPONSE", unknown=True),
    "NullResponse": _r(TransientError, "BAD_RESPONSE", unknown=True),
    "CancelPending": _r(TransientError, "CANCEL_PENDING", unknown=True),
    "UnsubscribeError": _r(TransientError, "UNSUBSCRIBE_FAILED"),
}

#: What an exception from outside ccxt (a bug in a parser, a dropped socket) becomes.
_FOREIGN = ErrorRule(OperationalError, "CLIENT_ERROR", unknown_on_write=True)


def rule_for(error: BaseException) -> ErrorRule:
    """Return the rule of ``error``: its own class's, else its nearest mapped ancestor's."""
    for klass in type(error).__mro__:
        if klass.__module__ == CCXT_ERRORS_MODULE.__name__ and klass.__name__ in CCXT_ERRORS:
            return CCXT_ERRORS[klass.__name__]
    return _FOREIGN


def map_error(
    error: BaseException,
    *,
    venue: str,
    operation: Operation,
    redact: Redactor,
    client_order_id: str | None = None,
) -> tuple[RiskbusError, ErrorRule]:
    """Translate ``error`` (raised by ccxt during ``operation``) into the riskbus tree.

    The message names the venue, the operation, the reason code and the ccxt class, then
    the redacted ccxt text. The caller raises it ``from None`` or publishes its code: the
    original exception may quote secrets and is not chained.

    Returns:
        the riskbus error and the rule that produced it (``rule.code`` is the reason code).
    """
    rule = rule_for(error)
    detail = redact(error) or type(error).__name__
    message = f"{venue} {operation}: {rule.code} ({type(error).__name__}): {detail}"
    if operation in _WRITES and rule.unknown_on_write:
        return OutcomeUnknownError(message, client_order_id=client_order_id), rule
    klass = rule.error
    if issubclass(klass, VenueRejectedError):
        return klass(message, rule.code), rule
    if issubclass(klass, BadInputError):  # InvalidValueError, ConfigError: name the field
        return klass(message, field=rule.field), rule
    return klass(message), rule
