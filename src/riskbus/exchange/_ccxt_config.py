"""How the ccxt client reaches a venue: its config, venue ids, and the ccxt object itself."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ccxt.async_support as ccxt_async

from riskbus.core.errors import ConfigError, InvalidValueError
from riskbus.exchange._ccxt_secrets import Credentials, RedactingLogger, Redactor

__all__ = ["CcxtConfig", "build_exchange", "ccxt_venue_ids", "unknown_venue_error"]


def ccxt_venue_ids() -> tuple[str, ...]:
    """Return every exchange id ccxt knows (``binance``, ``coinbase``, ``kraken``, ...)."""
    return tuple(ccxt_async.exchanges)


def unknown_venue_error(venue: str, known: tuple[str, ...] | list[str]) -> InvalidValueError:
    """Return the error for a venue id that is neither a ccxt id nor registered.

    The message names the id and lists the closest valid ids.
    """
    close = difflib.get_close_matches(str(venue).lower(), sorted(set(known)), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return InvalidValueError(
        f"unknown venue id {venue!r}: not a ccxt exchange id and not registered{hint}",
        field="venue",
        value=venue,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CcxtConfig:
    """How to reach one ccxt venue.

    Attributes:
        venue: the ccxt exchange id, e.g. ``"binance"``.
        sandbox: use the venue's test environment (``set_sandbox_mode(True)``).
        api_base_url: send every REST section to this scheme and host instead (paths kept),
            e.g. ``"http://127.0.0.1:8080"`` for the riskbus exchange server.
        timeout_ms: ccxt's request timeout; a write that times out has an unknown outcome.
        rate_limit_ms: override ccxt's spacing between requests (the limiter stays on).
        candle_timeframe: the timeframe of the candles ``FetchPrice`` asks for.
        market_types: the market types to load where the venue supports choosing
            (Binance: ``("spot",)`` avoids the futures endpoints).
        options: extra ccxt ``options`` (merged over riskbus's defaults).
        close_grace_ms: how long ccxt waits for sockets to close on ``close()``.
        env_prefix: the prefix of the credential variables (``RISKBUS_BINANCE_API_KEY``).
    """

    venue: str
    sandbox: bool = False
    api_base_url: str | None = None
    timeout_ms: int = 10_000
    rate_limit_ms: int | None = None
    candle_timeframe: str = "1m"
    market_types: tuple[str, ...] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    close_grace_ms: int = 250
    env_prefix: str = "RISKBUS"

    def __post_init__(self) -> None:
        if self.venue not in ccxt_async.exchanges:
            raise unknown_venue_error(self.venue, ccxt_venue_ids())
        if self.timeout_ms <= 0:
            raise InvalidValueError.for_value("timeout_ms", self.timeout_ms, "must be > 0")
        if self.rate_limit_ms is not None and self.rate_limit_ms <= 0:
            raise InvalidValueError.for_value("rate_limit_ms", self.rate_limit_ms, "must be > 0")
        if self.close_grace_ms < 0:
            raise InvalidValueError.for_value("close_grace_ms", self.close_grace_ms, "must be >= 0")
        if self.api_base_url is not None and not urlsplit(self.api_base_url).netloc:
            raise InvalidValueError.for_value(
                "api_base_url", self.api_base_url, "must be an absolute URL like http://host:port"
            )


def _rebase(urls: object, base: str) -> object:
    """Return ``urls`` (a URL or a nested dict of them) with scheme and host from ``base``."""
    if isinstance(urls, dict):
        return {key: _rebase(value, base) for key, value in urls.items()}
    if isinstance(urls, str) and "://" in urls:
        target = urlsplit(base)
        parts = urlsplit(urls)
        return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))
    return urls


def build_exchange(config: CcxtConfig, credentials: Credentials, redact: Redactor) -> Any:
    """Return the ccxt exchange object for ``config`` (no I/O yet).

    Raises:
        ConfigError: ``sandbox`` is asked for and the venue has no test environment.
    """
    options: dict[str, Any] = {
        "fetchCurrencies": False,  # private on several venues; markets are enough
        "warnOnFetchOpenOrdersWithoutSymbol": False,
        "fetchMargins": False,  # Binance: margin pair lists; riskbus trades no margin
    }
    if config.market_types is not None:
        options["fetchMarkets"] = {"types": list(config.market_types)}
    options.update(config.options)
    settings: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": config.timeout_ms,
        "verbose": False,
        "options": options,
        "timeout_on_exit": config.close_grace_ms,
        **credentials.ccxt_config(),
    }
    if config.rate_limit_ms is not None:
        settings["rateLimit"] = config.rate_limit_ms
    exchange = getattr(ccxt_async, config.venue)(settings)
    exchange.logger = RedactingLogger(
        logging.getLogger(f"riskbus.exchange.ccxt.wire.{config.venue}"), redact
    )
    if config.sandbox:
        # ccxt raises NotSupported, or a TypeError when ``urls['test']`` is None.
        try:
            if not exchange.urls.get("test"):
                raise ccxt_async.NotSupported(config.venue)
            exchange.set_sandbox_mode(True)
        except (ccxt_async.NotSupported, TypeError):
            raise ConfigError(
                f"{config.venue} has no sandbox (test) environment", field="sandbox"
            ) from None
    if config.api_base_url is not None:
        exchange.urls["api"] = _rebase(exchange.urls["api"], config.api_base_url)
    return exchange
