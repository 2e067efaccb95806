"""Connect to Redis for the bridge: validate the URL, ping, and map redis-py errors.

Errors name the URL with any password replaced by ``***``:

* :class:`BridgeConfigError` — the URL is malformed (not ``redis://``, ``rediss://`` or
  ``unix://``, bad port or database). It is bad input (the CLI exits 2) and an
  operational error (the bridge cannot run), so callers may catch either.
* :class:`BridgeUnavailableError` — Redis cannot be reached or fails mid-way: a
  :class:`~riskbus.core.errors.TransientError`, retry with backoff.

:func:`bridge_from_env` reads ``RISKBUS_REDIS_URL`` (and ``RISKBUS_REDIS_PREFIX``): unset means
the bus stays in-process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from riskbus.core.errors import ConfigError, OperationalError, TransientError

if TYPE_CHECKING:
    from riskbus.bridge.envelope import EventTypes
    from riskbus.bridge.redis_streams import StreamConsumer, StreamPublisher
    from riskbus.core.bus import EventBus

__all__ = [
    "DEFAULT_PREFIX",
    "URL_VARIABLE",
    "BridgeConfig",
    "BridgeConfigError",
    "BridgeUnavailableError",
    "bridge_from_env",
    "connect",
    "redact",
    "validate_url",
]

URL_VARIABLE = "RISKBUS_REDIS_URL"
PREFIX_VARIABLE = "RISKBUS_REDIS_PREFIX"
DEFAULT_PREFIX = "riskbus"
_SCHEMES = ("redis", "rediss", "unix")


class BridgeConfigError(ConfigError, OperationalError):
    """The Redis URL (or another bridge setting) is not acceptable."""


class BridgeUnavailableError(TransientError):
    """Redis could not be reached or failed during an operation; retry later."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


def redact(url: str) -> str:
    """Return ``url`` with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def validate_url(url: str, *, field: str = "url") -> str:
    """Check that ``url`` is a Redis URL redis-py accepts; return it unchanged.

    Raises:
        BridgeConfigError: the scheme, port or database is wrong; the message names the URL.
    """
    if not isinstance(url, str) or not url.strip():
        raise BridgeConfigError("the Redis URL is empty", field=field)
    shown = redact(url)
    try:
        parts = urlsplit(url)
        scheme = parts.scheme
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError as e:
        raise BridgeConfigError(f"invalid Redis URL {shown!r}: {e}", field=field) from e
    if scheme not in _SCHEMES:
        raise BridgeConfigError(
            f"invalid Redis URL {shown!r}: the scheme must be one of "
            f"{', '.join(s + '://' for s in _SCHEMES)}",
            field=field,
        )
    database = parts.path.strip("/")
    if scheme != "unix" and database and not database.isdigit():
        raise BridgeConfigError(
            f"invalid Redis URL {shown!r}: the database must be a number, got {database!r}",
            field=field,
        )
    try:
        redis.connection.parse_url(url)  # type: ignore[no-untyped-call]
    except ValueError as e:
        raise BridgeConfigError(f"invalid Redis URL {shown!r}: {e}", field=field) from e
    return url


def connect(
    url: str, *, field: str = "url", timeout: float = 5.0, retry: bool = True
) -> redis.Redis:
    """Open a client on ``url`` and ping it.

    ``retry=False`` turns off redis-py's own retries: a transaction whose reply was lost
    must not be sent again blindly (it may have run), the caller settles it.

    Raises:
        BridgeConfigError: the URL is malformed.
        BridgeUnavailableError: Redis does not answer (refused, timeout, auth, ...).
    """
    validate_url(url, field=field)
    options: dict[str, Any] = {}
    if not retry:
        options["retry"] = Retry(NoBackoff(), 0)
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout + 5.0, **options
    )
    try:
        client.ping()
    except redis.RedisError as e:
        client.close()
        raise unavailable(url, e) from e
    return client


def unavailable(url: str, error: BaseException) -> BridgeUnavailableError:
    """Build the error for a redis-py failure ``error`` talking to ``url``."""
    shown = redact(url)
    kind = type(error).__name__
    return BridgeUnavailableError(f"Redis at {shown} is unavailable ({kind}: {error})", shown)


@dataclass(frozen=True)
class BridgeConfig:
    """Where the bridge connects: the Redis URL and the key prefix of its streams."""

    url: str
    prefix: str = DEFAULT_PREFIX

    def publisher(self, bus: EventBus, event_types: EventTypes = None) -> StreamPublisher:
        """Build (not start) a publisher of ``event_types`` from ``bus``."""
        from riskbus.bridge.redis_streams import StreamPublisher

        return StreamPublisher(bus, self.url, prefix=self.prefix, event_types=event_types)

    def consumer(
        self,
        bus: EventBus,
        *,
        group: str = "guard",
        consumer: str = "guard-1",
        event_types: EventTypes = None,
    ) -> StreamConsumer:
        """Build (not start) a consumer that republishes on ``bus``."""
        from riskbus.bridge.redis_streams import StreamConsumer

        return StreamConsumer(
            bus,
            self.url,
            prefix=self.prefix,
            group=group,
            consumer=consumer,
            event_types=event_types,
        )


def bridge_from_env(environ: Mapping[str, str] | None = None) -> BridgeConfig | None:
    """Read ``RISKBUS_REDIS_URL`` (and ``RISKBUS_REDIS_PREFIX``) from the environment.

    Returns:
        The validated config, or None when the variable is unset or empty (the bus then
        stays in-process).

    Raises:
        BridgeConfigError: the URL or the prefix is malformed; names the variable.
    """
    env = os.environ if environ is None else environ
    url = env.get(URL_VARIABLE, "").strip()
    if not url:
        return None
    validate_url(url, field=URL_VARIABLE)
    prefix = env.get(PREFIX_VARIABLE, "").strip() or DEFAULT_PREFIX
    check_name(prefix, PREFIX_VARIABLE)
    return BridgeConfig(url=url, prefix=prefix)


def check_name(value: str, field: str) -> str:
    """Check a key part (prefix, topic, group, consumer): non-empty, no spaces or colons."""
    if not value or any(c.isspace() for c in value) or ":" in value:
        raise BridgeConfigError(
            f"must be a non-empty name without spaces or ':' (got {value!r})", field=field
        )
    return value
