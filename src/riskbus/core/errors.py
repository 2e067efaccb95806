"""The riskbus error tree, organised by what the caller should do.

::

    RiskbusError
    ├── TransientError          retry with backoff
    │   └── RateLimitedError    retry after ``retry_after`` seconds
    ├── OutcomeUnknownError     the operation may or may not have happened: reconcile first
    ├── VenueRejectedError      the venue refused the request (``code`` says why): don't
    │                           resend it unchanged
    ├── BadInputError           stop with a message naming the file, field and line
    │   ├── ConfigError
    │   ├── ScenarioError
    │   └── InvalidValueError   a domain value (quantity, price, symbol) is not acceptable
    ├── StrategyError           user strategy code failed
    └── OperationalError        halt and alert
        ├── AuthenticationError the venue refuses our credentials
        └── HandlerWiringError  a component is wired wrongly (a bug, not bad input)

Business outcomes (a denied order, a lockout) are events, never exceptions.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "AuthenticationError",
    "BadInputError",
    "ConfigError",
    "HandlerWiringError",
    "InvalidValueError",
    "OperationalError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RiskbusError",
    "ScenarioError",
    "StrategyError",
    "TransientError",
    "VenueRejectedError",
]


class RiskbusError(Exception):
    """Root of every error riskbus raises on purpose."""


class TransientError(RiskbusError):
    """A temporary fault (network, 5xx before sending, busy venue): retry with backoff."""


class RateLimitedError(TransientError):
    """The venue asks us to slow down; ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknownError(RiskbusError):
    """The request was sent but its outcome is unknown (timeout, 5xx after sending).

    The order may exist at the venue: reconcile it before retrying, never resubmit blindly.
    """

    def __init__(self, message: str, client_order_id: str | None = None) -> None:
        super().__init__(message)
        self.client_order_id = client_order_id


class VenueRejectedError(RiskbusError):
    """The venue received the request and refused it; nothing happened there.

    ``code`` is machine-readable (``INSUFFICIENT_BALANCE``, ``ORDER_NOT_FOUND``, ...) and is
    the code an ``OrderRejected`` / ``OrderCancelRejected`` event carries.
    """

    def __init__(self, message: str, code: str = "REJECTED_BY_VENUE") -> None:
        super().__init__(message)
        self.code = code


class BadInputError(RiskbusError):
    """Input from a user (file, flag, payload) is not acceptable.

    Args:
        message: what is wrong, in plain words.
        source: the file (or other origin) the input came from, if any.
        field: the dotted path of the offending field, if known.
        line: the 1-based line in ``source``, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.field = field
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.source:
            where = self.source + (f":{self.line}" if self.line is not None else "")
        if self.field:
            where = f"{where} {self.field}" if where else self.field
        return f"{where}: {self.message}" if where else self.message


class ConfigError(BadInputError):
    """A configuration file or setting is invalid."""


class ScenarioError(BadInputError):
    """A scenario file is invalid."""


class InvalidValueError(BadInputError, ValueError):
    """A domain value is invalid: names the field and the value.

    Example: ``InvalidValueError.for_value("quantity", Decimal("-1"), "must be positive")``.
    """

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        self.value = value
        super().__init__(message, field=field)

    @classmethod
    def for_value(cls, field: str, value: object, problem: str) -> InvalidValueError:
        """Build the error for ``field`` holding ``value`` that ``problem`` describes."""
        shown = value if isinstance(value, Decimal) else repr(value)  # 0.7, not Decimal('0.7')
        return cls(f"{problem} (got {shown})", field=field, value=value)


class StrategyError(RiskbusError):
    """User strategy code raised; the original exception is chained as ``__cause__``."""

    def __init__(self, message: str, *, strategy: str | None = None, cycle: int | None = None):
        super().__init__(message)
        self.strategy = strategy
        self.cycle = cycle


class OperationalError(RiskbusError):
    """The system cannot safely go on: halt trading and alert a human."""


class AuthenticationError(OperationalError):
    """The venue rejected our credentials or permissions."""


class HandlerWiringError(OperationalError):
    """Components are wired wrongly, e.g. a command with no registered handler."""
