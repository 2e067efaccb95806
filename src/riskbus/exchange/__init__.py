"""Exchange clients: the contract every venue follows and the simulated venue.

An :class:`ExchangeClient` executes the order, cancel and query commands and answers only
with events on the bus. :class:`SimulatedExchange` is the deterministic venue of simulation
and tests: it matches market, limit, stop and stop-limit orders (GTC, IOC, FOK) against
price paths with fees, spread, seeded slippage, partial fills by volume share, a
queue-ahead model and latency through the clock, books fills in a
:class:`~riskbus.model.portfolio.Portfolio`, and has fault hooks (:class:`Faults`) for
rejections, outages, lost acknowledgements, stale prices, price gaps and rate limits.
:func:`ccxt_local` returns a ccxt client pointed at the Binance-compatible exchange server
(:mod:`riskbus.exchange.server`, ``riskbus exchange serve``).
"""

from __future__ import annotations

from riskbus.exchange.base import ExchangeClient
from riskbus.exchange.book import SimOrder
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.faults import Faults
from riskbus.exchange.local import ccxt_local
from riskbus.exchange.matching import Quote
from riskbus.exchange.simulated import SimulatedExchange

__all__ = [
    "ExchangeClient",
    "Faults",
    "Quote",
    "SimOrder",
    "SimulatedExchange",
    "SimulatedExchangeConfig",
    "ccxt_local",
]
