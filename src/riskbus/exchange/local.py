"""``ccxt_local``: a ccxt client for the riskbus exchange server, as a user would set it up.

::

    import ccxt  # noqa: the helper builds the client
    from riskbus.exchange import ccxt_local

    exchange = ccxt_local(url="http://127.0.0.1:5557")          # ccxt.async_support.binance
    await exchange.load_markets()
    order = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
    await exchange.close()

Every section of ``exchange.urls['api']`` (``public``, ``private``, ``sapi``, ``fapi*``,
...) is pointed at ``url`` (scheme and host replaced, paths kept), so no request can leak
to the real venue. The options are those real users set for a spot-only bot:
``fetchMarkets: {types: [spot]}`` (no futures ``exchangeInfo``), ``fetchCurrencies: False``
(no ``/sapi/v1/capital/config/getall``), ``fetchMargins: False``, ``defaultType: spot``.
The server's test credentials are filled in unless ``api_key``/``secret`` are given; a
wrong secret is refused by the server with ``-1022`` and ccxt raises
``AuthenticationError``.
"""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from riskbus.core.errors import InvalidValueError

__all__ = ["DEFAULT_LOCAL_URL", "ccxt_local", "local_urls"]

#: Where ``riskbus exchange serve`` listens by default.
DEFAULT_LOCAL_URL = "http://127.0.0.1:5557"


def local_urls(urls: object, base: str) -> object:
    """Return ``urls`` (a URL or nested dict of them) with scheme and host from ``base``."""
    if isinstance(urls, dict):
        return {key: local_urls(value, base) for key, value in urls.items()}
    if isinstance(urls, str) and "://" in urls:
        target = urlsplit(base)
        parts = urlsplit(urls)
        path = target.path.rstrip("/") + parts.path
        return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))
    return urls


def ccxt_local(
    exchange_id: str = "binance",
    url: str = DEFAULT_LOCAL_URL,
    api_key: str | None = None,
    secret: str | None = None,
    asyncio: bool = True,
    **config: Any,
) -> Any:
    """Return a ccxt client (``ccxt.async_support`` unless ``asyncio=False``) for the server.

    Args:
        exchange_id: the ccxt class; the server speaks Binance, so ``binance``.
        url: the server's base URL.
        api_key: the API key (default: the server's test key).
        secret: the secret (default: the server's test secret).
        asyncio: return the ``ccxt.async_support`` client (else the synchronous one).
        **config: more ccxt settings (``timeout``, ``enableRateLimit``, ``options`` merged
            over the spot-only defaults, ...).

    Raises:
        InvalidValueError: ``exchange_id`` is not a ccxt exchange, or ``url`` is not an
            absolute http(s) URL.
    """
    from riskbus.exchange.server.auth import TEST_API_KEY, TEST_SECRET

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidValueError.for_value(
            "url", url, "must be an absolute URL like http://host:port"
        )
    module = importlib.import_module("ccxt.async_support" if asyncio else "ccxt")
    if exchange_id not in module.exchanges:
        raise InvalidValueError.for_value("exchange_id", exchange_id, "is not a ccxt exchange id")
    options: dict[str, Any] = {
        "defaultType": "spot",
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
        "warnOnFetchOpenOrdersWithoutSymbol": False,
        "adjustForTimeDifference": False,
    }
    options.update(config.pop("options", {}))
    settings: dict[str, Any] = {
        "apiKey": TEST_API_KEY if api_key is None else api_key,
        "secret": TEST_SECRET if secret is None else secret,
        "enableRateLimit": True,
        "options": options,
        **config,
    }
    exchange = getattr(module, exchange_id)(settings)
    exchange.urls["api"] = local_urls(exchange.urls["api"], url)
    for key in ("test", "demo"):
        if isinstance(exchange.urls.get(key), dict):
            exchange.urls[key] = local_urls(exchange.urls[key], url)
    exchange.has["fetchCurrencies"] = False
    return exchange
