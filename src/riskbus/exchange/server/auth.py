"""Signed requests as Binance checks them: the API key, the HMAC-SHA256 signature, recvWindow.

A ``SIGNED`` endpoint needs the ``X-MBX-APIKEY`` header, a ``timestamp`` parameter and a
``signature``: the hex HMAC-SHA256, keyed with the secret, of the query string followed by
the request body (without the ``signature`` parameter itself). The request is accepted
when ``timestamp < server_time + 1000`` and ``server_time - timestamp <= recvWindow``
(default 5000 ms, at most 60000). Refusals:

* no key header: ``-2014`` (``API-key format invalid.``), HTTP 401;
* an unknown key: ``-2015`` (``Invalid API-key, IP, or permissions for action.``), 401;
* a wrong signature: ``-1022`` (``Signature for this request is not valid.``), 400;
* a timestamp outside the window: ``-1021``, 400.

The server starts with one documented test account, :data:`TEST_API_KEY` /
:data:`TEST_SECRET`, which :func:`riskbus.exchange.ccxt_local` fills in by default.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from riskbus.exchange.server.errors import BinanceError, bad_param, missing_param

__all__ = [
    "MAX_RECV_WINDOW",
    "TEST_API_KEY",
    "TEST_SECRET",
    "check_signed",
    "sign",
    "split_signature",
]

#: The API key of the server's test account (not a secret: it only opens the local server).
TEST_API_KEY = "riskbus-test-api-key"
#: The secret of the server's test account.
TEST_SECRET = "riskbus-test-secret"

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


def sign(payload: str, secret: str) -> str:
    """Return the hex HMAC-SHA256 of ``payload`` keyed with ``secret``."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def split_signature(raw: str) -> tuple[str, str | None]:
    """Return ``raw`` (an urlencoded string) without its ``signature`` parameter, and it."""
    if "signature=" not in raw:
        return raw, None
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&"):
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def check_signed(
    *,
    api_key: str | None,
    query: str,
    body: str,
    params: Mapping[str, str],
    accounts: Mapping[str, str],
    server_ms: int,
) -> str:
    """Check a signed request; return its API key.

    Args:
        api_key: the ``X-MBX-APIKEY`` header (None when absent).
        query: the raw query string.
        body: the raw urlencoded body.
        params: the merged parameters.
        accounts: API key → secret.
        server_ms: the server's time in ms (clock skew applied).

    Raises:
        BinanceError: -2014, -2015, -1022, -1021, -1102 or -1100 as described above.
    """
    if not api_key:
        raise BinanceError(-2014, "API-key format invalid.", status=401)
    secret = accounts.get(api_key)
    if secret is None:
        raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)
    stripped_query, query_signature = split_signature(query)
    stripped_body, body_signature = split_signature(body)
    signature = query_signature or body_signature
    if not signature:
        raise missing_param("signature")
    timestamp = _integer(params, "timestamp", required=True)
    window = _integer(params, "recvWindow", required=False)
    window = DEFAULT_RECV_WINDOW if window is None else window
    if not 0 < window <= MAX_RECV_WINDOW:
        raise BinanceError(-1131, f"recvWindow must be less than {MAX_RECV_WINDOW}.")
    expected = sign(stripped_query + stripped_body, secret)
    if not hmac.compare_digest(expected, signature.lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    assert timestamp is not None
    if not (timestamp < server_ms + 1000 and server_ms - timestamp <= window):
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
    return api_key


def _integer(params: Mapping[str, str], name: str, *, required: bool) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        if required:
            raise missing_param(name)
        return None
    try:
        return int(text)
    except ValueError:
        raise bad_param(name, "^[0-9]{1,20}$") from None
