"""The options, summary and venue of a guard service (see :mod:`riskbus.risk.service`).

:class:`GuardOptions` says what to run; :class:`GuardSummary` is what a run did. The venue is
the simulated exchange over one seeded market path per symbol (:func:`simulated_venue`,
opening at :func:`reference_price`, no fees) or a ccxt venue by id (:func:`ccxt_venue`, API
keys from the environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Clock, LiveClock
from riskbus.core.errors import InvalidValueError
from riskbus.core.seeds import Seeds
from riskbus.exchange.base import ExchangeClient
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market import PricePath, generate
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.enums import TradingState
from riskbus.risk.config import RiskConfig

__all__ = [
    "GuardOptions",
    "GuardSummary",
    "ccxt_venue",
    "default_symbols",
    "reference_price",
    "simulated_venue",
]

_ZERO = Decimal(0)
#: Steps of a generated market path (the last price holds after them).
_STEPS = 10_000

#: Opening prices of the simulated market, by symbol or base currency (else 100).
_PRICES: dict[str, int] = {
    "MNQ": 20_000,
    "NQ": 20_000,
    "MES": 5_000,
    "ES": 5_000,
    "MYM": 40_000,
    "YM": 40_000,
    "BTC": 60_000,
    "ETH": 3_000,
    "SOL": 150,
}


def reference_price(symbol: str) -> Decimal:
    """The opening price of ``symbol`` in the simulated market (100 when not listed)."""
    base = symbol.partition("/")[0]
    return Decimal(_PRICES.get(symbol, _PRICES.get(base, 100)))


def default_symbols(config: RiskConfig, registry: InstrumentRegistry) -> tuple[str, ...]:
    """The symbols watched when none are given: the file's instruments, then the built-in
    ones, quoted in the account currency (at most three)."""
    currency = config.account.currency
    own = [symbol for symbol in config.instruments if registry.get(symbol).quote == currency]
    built_in = [i.symbol for i in registry if i.quote == currency and i.symbol not in own]
    return tuple((own + built_in)[:3])


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardOptions:
    """How to run the guard.

    Attributes:
        config: the risk config file.
        exchange: a ccxt venue id; ``None`` runs against the simulated exchange.
        symbols: the symbols to watch (default: the configured instruments quoted in the
            account currency, at most three).
        dry_run: run against the simulated exchange even when ``exchange`` is given.
        database: the store URL (default ``$RISKBUS_DATABASE_URL``, then ``riskbus.db``).
        poll_interval: ns between polls of the config file and of the admin requests
            (``None``: no file watch, commands only).
        tick_interval: ns between two market-data ticks (``None``: no feed).
        fills_interval: on a live venue, ns between two reads of the account's new fills
            (``FetchFills``: a heavier call than a price); ``None``: at every tick.
        sandbox: use the ccxt venue's test environment.
        api_base_url: send the ccxt venue's requests to this host instead.
        seed: the seed of the simulated market.
        market: the market scenario of the simulated venue.
        balance: the simulated account's opening balance, in the account currency.
        bridge_url: a Redis URL: also watch the events that bots in other processes publish
            through the Redis Streams bridge (``None``: only this process's bus).
        bridge_prefix: the bridge's key prefix.
        bridge_consumer: this guard's name in the bridge's ``guard`` consumer group (stable
            across restarts, so a restarted guard resumes its pending entries).
    """

    config: Path
    exchange: str | None = None
    symbols: tuple[str, ...] = ()
    dry_run: bool = False
    database: str | None = None
    poll_interval: int | None = 2 * SECOND
    tick_interval: int | None = SECOND
    fills_interval: int | None = None
    sandbox: bool = False
    api_base_url: str | None = None
    seed: int = 7
    market: str = "sideways"
    balance: Decimal = Decimal(1_000_000)
    bridge_url: str | None = None
    bridge_prefix: str = "riskbus"
    bridge_consumer: str = "guard-1"

    @property
    def simulated(self) -> bool:
        """Whether the guard runs against the simulated exchange."""
        return self.dry_run or self.exchange is None


@dataclass(slots=True)
class GuardSummary:
    """What a guard run did (printed at the end)."""

    venue: str
    account: str
    state: TradingState
    seconds: float
    events: int
    evaluated: int
    violations: int
    enforcements: int
    lockouts: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return {
            "venue": self.venue,
            "account": self.account,
            "state": str(self.state),
            "seconds": round(self.seconds, 3),
            "events": self.events,
            "evaluated": self.evaluated,
            "violations": self.violations,
            "enforcements": self.enforcements,
            "lockouts": self.lockouts,
            "checkpoints": self.checkpoints,
        }


def simulated_venue(
    options: GuardOptions,
    config: RiskConfig,
    *,
    bus: EventBus,
    clock: Clock,
    registry: InstrumentRegistry,
    symbols: tuple[str, ...],
    market: Mapping[str, PricePath],
) -> SimulatedExchange:
    """The simulated exchange: ``market`` paths, else the seeded ``options.market`` path."""
    paths = {
        symbol: market.get(symbol)
        or generate(
            options.market,
            _STEPS,
            options.seed + index,
            initial_price=reference_price(symbol),
            spread_bps=0.0,
        )
        for index, symbol in enumerate(symbols)
    }
    return SimulatedExchange(
        bus,
        clock,
        Seeds(options.seed),
        registry,
        paths,
        balances={config.account.currency: options.balance},
        config=SimulatedExchangeConfig(maker_fee=_ZERO, taker_fee=_ZERO),
        currency=config.account.currency,
    )


def ccxt_venue(
    options: GuardOptions, bus: EventBus, clock: Clock, environ: Mapping[str, str] | None
) -> ExchangeClient:
    """The ccxt venue ``options.exchange`` (API keys from ``environ``, never logged).

    Raises:
        InvalidValueError: the venue id is unknown, or the clock is not a ``LiveClock``.
    """
    from riskbus.exchange.ccxt_client import CcxtClient, CcxtConfig

    assert options.exchange is not None
    if not isinstance(clock, LiveClock):
        raise InvalidValueError.for_value("clock", clock, "a ccxt venue needs a LiveClock")
    config = CcxtConfig(
        venue=options.exchange, sandbox=options.sandbox, api_base_url=options.api_base_url
    )
    return CcxtClient(bus, clock, config, environ=environ)
