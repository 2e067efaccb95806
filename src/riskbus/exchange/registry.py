"""Which exchange client an order goes to, and why.

The rule is the original execution engine's ``_select_exchange``, with its reasons kept:

1. dry run → the simulator (``DRY_RUN``);
2. no platform hint → the simulator (``NO_PLATFORM_HINT``);
3. a hint naming a registered client that is connected → that client (``HINT_MATCHED``);
4. a hint naming a known venue that is not registered, or not connected → the simulator
   (``VENUE_NOT_REGISTERED`` / ``VENUE_NOT_CONNECTED``).

Hints are folded to lower case and read through aliases (``cex_generic`` → ``binance``).
A hint that is neither a ccxt exchange id, nor registered, nor an alias is refused with an
:class:`~riskbus.core.errors.InvalidValueError` naming the id and the closest valid ids:
a typo must never quietly route a live order to the simulator. Every choice is returned as
a :class:`Selection`, kept in :attr:`ExchangeRegistry.history` and logged with its fields
as ``extra`` (structured logging).
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from riskbus.core.clock import Clock
from riskbus.core.errors import InvalidValueError
from riskbus.exchange.base import ExchangeClient
from riskbus.model.reasons import format_reason

__all__ = ["DEFAULT_ALIASES", "SIMULATOR", "ExchangeRegistry", "Selection"]

log = logging.getLogger("riskbus.exchange.registry")

#: The name the simulator is selected under.
SIMULATOR = "simulator"

#: Platform hints of the original system that name a venue by another word.
DEFAULT_ALIASES: Mapping[str, str] = {
    "cex_generic": "binance",
    "coinbasepro": "coinbase",
    "simulated": SIMULATOR,
}


@dataclass(frozen=True, slots=True)
class Selection:
    """One routing decision.

    Attributes:
        venue: the chosen client's registry name (``"simulator"`` or e.g. ``"binance"``).
        client: the chosen client.
        reason: why, as ``CODE: key=value`` (``DRY_RUN: hint=binance``).
        hint: the platform hint as given (None when there was none).
        dry_run: whether the request was a dry run.
        ts: when the decision was made (clock ns; 0 without a clock).
    """

    venue: str
    client: ExchangeClient
    reason: str
    hint: str | None
    dry_run: bool
    ts: int = 0

    @property
    def code(self) -> str:
        """The reason code, e.g. ``"HINT_MATCHED"``."""
        return self.reason.partition(":")[0]

    @property
    def is_simulated(self) -> bool:
        """Whether the order goes to the simulator."""
        return self.venue == SIMULATOR


class ExchangeRegistry:
    """The exchange clients by name, and the choice between them.

    Args:
        simulator: the client used for dry runs and as the fallback.
        clock: stamps the selections (optional).
        aliases: extra hint aliases (merged over :data:`DEFAULT_ALIASES`).
        history_size: how many selections :attr:`history` keeps (oldest dropped first).
    """

    def __init__(
        self,
        simulator: ExchangeClient,
        *,
        clock: Clock | None = None,
        aliases: Mapping[str, str] | None = None,
        history_size: int = 1000,
    ) -> None:
        self.simulator = simulator
        self.clock = clock
        self.aliases = {**DEFAULT_ALIASES, **(aliases or {})}
        self._clients: dict[str, ExchangeClient] = {}
        self._history: deque[Selection] = deque(maxlen=history_size)

    # -- clients --------------------------------------------------------------------------

    def register(self, client: ExchangeClient, *, name: str | None = None) -> str:
        """Register ``client`` under ``name`` (default: its ``venue``); return the name.

        Raises:
            InvalidValueError: the name is empty, ``simulator``, or already taken.
        """
        key = (name or client.venue or "").strip().lower()
        if not key or key == SIMULATOR:
            raise InvalidValueError.for_value("venue", key, "is not a name a client can take")
        if key in self._clients:
            raise InvalidValueError.for_value("venue", key, "is already registered")
        self._clients[key] = client
        return key

    def unregister(self, name: str) -> ExchangeClient:
        """Remove and return the client called ``name``.

        Raises:
            InvalidValueError: no client is registered under that name.
        """
        key = self.resolve(name)
        if key not in self._clients:
            raise InvalidValueError.for_value("venue", name, "is not registered")
        return self._clients.pop(key)

    def get(self, name: str) -> ExchangeClient:
        """Return the client called ``name`` (``"simulator"`` gives the simulator).

        Raises:
            InvalidValueError: an unknown venue id (the message lists close ids), or a known
                venue with no client registered.
        """
        key = self.resolve(name)
        if key == SIMULATOR:
            return self.simulator
        if key not in self._clients:
            raise InvalidValueError.for_value("venue", name, "is a known venue but not registered")
        return self._clients[key]

    @property
    def names(self) -> tuple[str, ...]:
        """The registered client names, sorted (the simulator not included)."""
        return tuple(sorted(self._clients))

    def resolve(self, venue: str) -> str:
        """Return the canonical name of ``venue`` (folded, aliases applied).

        Raises:
            InvalidValueError: ``venue`` is not a ccxt id, not registered and not an alias.
        """
        key = str(venue).strip().lower()
        key = self.aliases.get(key, key)
        if key == SIMULATOR or key in self._clients or key in _ccxt_ids():
            return key
        from riskbus.exchange._ccxt_config import unknown_venue_error

        raise unknown_venue_error(str(venue), self._known())

    def _known(self) -> list[str]:
        return [*_ccxt_ids(), *self._clients, *self.aliases, SIMULATOR]

    # -- selection ------------------------------------------------------------------------

    @staticmethod
    def is_connected(client: ExchangeClient) -> bool:
        """Whether ``client`` can take orders now (clients without the notion always can)."""
        return bool(getattr(client, "connected", True))

    def select(self, *, dry_run: bool, hint: str | None = None) -> Selection:
        """Choose the client for an order; record and log the choice.

        The hint is checked even in a dry run, so a typo surfaces before going live.

        Raises:
            InvalidValueError: the hint is an unknown venue id (the message lists close ids).
        """
        key = self.resolve(hint) if hint else None
        venue, client = SIMULATOR, self.simulator
        if dry_run:
            reason = format_reason("DRY_RUN", hint=key) if key else "DRY_RUN"
        elif key is None:
            reason = "NO_PLATFORM_HINT"
        elif key == SIMULATOR:
            reason = format_reason("HINT_MATCHED", hint=key, venue=SIMULATOR)
        elif key not in self._clients:
            reason = format_reason("VENUE_NOT_REGISTERED", hint=key, fallback=SIMULATOR)
        elif not self.is_connected(self._clients[key]):
            reason = format_reason("VENUE_NOT_CONNECTED", hint=key, fallback=SIMULATOR)
        else:
            venue, client = key, self._clients[key]
            reason = format_reason("HINT_MATCHED", hint=key, venue=key)
        selection = Selection(
            venue=venue,
            client=client,
            reason=reason,
            hint=hint,
            dry_run=dry_run,
            ts=self.clock.now() if self.clock is not None else 0,
        )
        self._history.append(selection)
        log.info(
            "exchange selected: %s (%s)",
            venue,
            reason,
            extra={"venue": venue, "reason": reason, "hint": hint, "dry_run": dry_run},
        )
        return selection

    @property
    def history(self) -> list[Selection]:
        """The selections made so far, oldest first (at most ``history_size``)."""
        return list(self._history)


@functools.cache
def _ccxt_ids() -> frozenset[str]:
    # Importing ccxt takes over a second: only pay for it when a hint is not already known.
    from riskbus.exchange._ccxt_config import ccxt_venue_ids

    return frozenset(ccxt_venue_ids())
