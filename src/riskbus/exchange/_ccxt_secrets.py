"""API credentials of a live venue, and the redaction that keeps them out of text.

Keys come from the environment (``RISKBUS_<VENUE>_API_KEY``, ``_SECRET``, ``_PASSWORD``,
``_UID``), never from files in the repository. They must never reach a log line, a
``repr``, an error message or an event: :class:`Credentials` hides its values in ``repr``
and ``str``; :class:`Redactor` scrubs a text of every secret value and of signature-like
query parameters (``signature=...``) before it leaves the ccxt boundary; and
:class:`RedactingLogger` applies it to every record ccxt itself logs (ccxt logs request
headers, API key included, at DEBUG level).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MASK", "Credentials", "RedactingLogger", "Redactor", "env_prefix"]

MASK = "***"

#: Query or form parameters whose values are secret or derived from a secret.
_SECRET_PARAMS = re.compile(
    r"(?i)\b(signature|sign|apikey|api_key|api-key|secret|password|passphrase|token|"
    r"x-mbx-apikey|cb-access-key|cb-access-sign|api-sign)(['\"]?\s*[=:]\s*['\"]?)"
    r"[^&\s'\",}]+"
)


def env_prefix(venue: str, prefix: str = "RISKBUS") -> str:
    """Return the environment variable prefix of ``venue``: ``RISKBUS_BINANCE_``."""
    return f"{prefix}_{re.sub(r'[^0-9A-Za-z]', '_', venue).upper()}_"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The API credentials of one venue; ``repr`` shows only which ones are set."""

    api_key: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    uid: str = field(default="", repr=False)

    @classmethod
    def from_env(
        cls, venue: str, environ: Mapping[str, str] | None = None, *, prefix: str = "RISKBUS"
    ) -> Credentials:
        """Read ``<PREFIX>_<VENUE>_API_KEY`` / ``_SECRET`` / ``_PASSWORD`` / ``_UID``."""
        env = os.environ if environ is None else environ
        head = env_prefix(venue, prefix)
        return cls(
            api_key=env.get(head + "API_KEY", ""),
            secret=env.get(head + "SECRET", ""),
            password=env.get(head + "PASSWORD", ""),
            uid=env.get(head + "UID", ""),
        )

    @property
    def present(self) -> bool:
        """Whether an API key is set (a venue may need more; ccxt says which)."""
        return bool(self.api_key)

    def values(self) -> tuple[str, ...]:
        """Return the non-empty secret values (for redaction)."""
        return tuple(v for v in (self.api_key, self.secret, self.password, self.uid) if v)

    def ccxt_config(self) -> dict[str, str]:
        """Return the ccxt constructor keys for the values that are set."""
        pairs = {
            "apiKey": self.api_key,
            "secret": self.secret,
            "password": self.password,
            "uid": self.uid,
        }
        return {key: value for key, value in pairs.items() if value}

    def __repr__(self) -> str:
        names = [name for name in ("api_key", "secret", "password", "uid") if getattr(self, name)]
        return f"Credentials(set={names})"

    __str__ = __repr__


class Redactor:
    """Replaces secret values and signature-like parameters in text by ``***``.

    Args:
        secrets: the exact values to hide (values shorter than 4 characters are ignored,
            so a one-letter "secret" cannot blank out a whole message).
        limit: the longest text returned; longer texts are cut and marked.
    """

    def __init__(self, secrets: Iterable[str] = (), *, limit: int = 600) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self.limit = limit

    def __call__(self, text: object) -> str:
        """Return ``str(text)`` with every secret hidden (and cut to ``limit``)."""
        out = str(text)
        for secret in self._secrets:
            out = out.replace(secret, MASK)
        out = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
        if len(out) > self.limit:
            out = out[: self.limit] + "...(cut)"
        return out

    def __repr__(self) -> str:
        return f"Redactor(secrets={len(self._secrets)})"


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger for ccxt's own messages that redacts each one before it is emitted.

    ccxt logs through ``exchange.logger`` (request headers included, at DEBUG); the client
    installs one of these there, so no handler ever sees an unredacted record. Tracebacks
    are reduced to their redacted one-line summary.
    """

    def __init__(self, logger: logging.Logger, redactor: Redactor) -> None:
        super().__init__(logger, {})
        self.redactor = redactor

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(str(part) for part in (msg, *args))
        exc_info = kwargs.pop("exc_info", None)
        if exc_info:
            error = _error_of(exc_info)
            if error is not None:
                text = f"{text} [{error!r}]"
        kwargs.pop("stack_info", None)
        self.logger.log(level, "%s", self.redactor(text), **kwargs)

    def __repr__(self) -> str:
        return f"RedactingLogger({self.logger.name!r})"


def _error_of(exc_info: object) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        error = exc_info[1]
        return error if isinstance(error, BaseException) else None
    return sys.exc_info()[1]
