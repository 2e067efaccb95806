"""A Binance-compatible HTTP server over the simulated exchange, with faults, for ccxt.

``riskbus exchange serve --market flash_crash --seed 1`` serves the subset of Binance's
spot REST API that ccxt's ``binance`` class uses (``ping``, ``time``, ``exchangeInfo``,
tickers, ``klines``, ``depth``, ``account``, orders, ``openOrders``, ``allOrders``,
``myTrades``) over :class:`~riskbus.exchange.simulated.SimulatedExchange` and seeded price
paths. It checks HMAC-SHA256 signatures and ``recvWindow``, counts request weights, and
answers errors as Binance does. Faults (:mod:`~riskbus.exchange.server.chaos`) come from a
YAML file or the ``/_chaos`` control route. :func:`riskbus.exchange.ccxt_local` returns a
ccxt client pointed at it with the test credentials :data:`TEST_API_KEY` /
:data:`TEST_SECRET`.
"""

from __future__ import annotations

from riskbus.exchange.server.auth import TEST_API_KEY, TEST_SECRET
from riskbus.exchange.server.chaos import ChaosConfig, load_faults, parse_faults
from riskbus.exchange.server.errors import BinanceError
from riskbus.exchange.server.server import ExchangeServer, ServerThread
from riskbus.exchange.server.venue import Venue, VenueConfig

__all__ = [
    "TEST_API_KEY",
    "TEST_SECRET",
    "BinanceError",
    "ChaosConfig",
    "ExchangeServer",
    "ServerThread",
    "Venue",
    "VenueConfig",
    "load_faults",
    "parse_faults",
]
