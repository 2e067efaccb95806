"""The exchange registry: dry run → simulator, a connected registered hint → that venue."""

from __future__ import annotations

import logging

import pytest

from riskbus.core.clock import Simulator
from riskbus.core.errors import InvalidValueError
from riskbus.exchange.base import ExchangeClient
from riskbus.exchange.registry import SIMULATOR, ExchangeRegistry
from riskbus.model.commands import (
    CancelAllOrders,
    CancelOrder,
    FetchBalances,
    FetchFills,
    FetchOpenOrders,
    FetchOrder,
    FetchPositions,
    FetchPrice,
    SubmitOrder,
)


class StubClient(ExchangeClient):
    """A client that only records what it is asked (no venue behind it)."""

    def __init__(self, venue: str, connected: bool = True) -> None:
        self.venue = venue
        self.connected = connected
        self.submitted: list[SubmitOrder] = []

    def submit(self, command: SubmitOrder) -> None:
        self.submitted.append(command)

    def cancel_order(self, command: CancelOrder) -> None: ...
    def cancel_all_orders(self, command: CancelAllOrders) -> None: ...
    def fetch_price(self, command: FetchPrice) -> None: ...
    def fetch_balances(self, command: FetchBalances) -> None: ...
    def fetch_open_orders(self, command: FetchOpenOrders) -> None: ...
    def fetch_order(self, command: FetchOrder) -> None: ...
    def fetch_positions(self, command: FetchPositions) -> None: ...
    def fetch_fills(self, command: FetchFills) -> None: ...


class Plain(StubClient):
    """A client without a ``connected`` attribute (like the simulated exchange)."""

    def __init__(self, venue: str) -> None:
        super().__init__(venue)
        del self.connected


@pytest.fixture
def sim() -> StubClient:
    return StubClient("simulated")


@pytest.fixture
def registry(sim: StubClient) -> ExchangeRegistry:
    registry = ExchangeRegistry(sim, clock=Simulator(start=1_000).clock)
    registry.register(StubClient("binance"))
    registry.register(StubClient("coinbase", connected=False))
    return registry


def test_dry_run_always_selects_the_simulator(registry: ExchangeRegistry, sim: StubClient) -> None:
    selection = registry.select(dry_run=True, hint="binance")
    assert (selection.venue, selection.client, selection.reason) == (
        SIMULATOR,
        sim,
        "DRY_RUN: hint=binance",
    )
    assert (selection.code, selection.is_simulated, selection.ts) == ("DRY_RUN", True, 1_000)
    assert registry.select(dry_run=True).reason == "DRY_RUN"


def test_a_registered_connected_hint_selects_that_client(registry: ExchangeRegistry) -> None:
    selection = registry.select(dry_run=False, hint="Binance")
    assert selection.venue == "binance"
    assert selection.client is registry.get("binance")
    assert selection.reason == "HINT_MATCHED: hint=binance, venue=binance"
    assert (selection.hint, selection.dry_run, selection.is_simulated) == ("Binance", False, False)


@pytest.mark.parametrize(
    ("hint", "reason"),
    [
        ("coinbase", "VENUE_NOT_CONNECTED: hint=coinbase, fallback=simulator"),
        ("kraken", "VENUE_NOT_REGISTERED: hint=kraken, fallback=simulator"),
        (None, "NO_PLATFORM_HINT"),
        ("", "NO_PLATFORM_HINT"),
        ("simulator", "HINT_MATCHED: hint=simulator, venue=simulator"),
    ],
)
def test_anything_else_falls_back_to_the_simulator_with_its_reason(
    registry: ExchangeRegistry, sim: StubClient, hint: str | None, reason: str
) -> None:
    selection = registry.select(dry_run=False, hint=hint)
    assert (selection.venue, selection.client, selection.reason) == (SIMULATOR, sim, reason)


def test_an_alias_reaches_its_venue(registry: ExchangeRegistry) -> None:
    assert registry.select(dry_run=False, hint="cex_generic").venue == "binance"
    assert registry.resolve("simulated") == SIMULATOR


def test_a_client_without_a_connected_flag_counts_as_connected(sim: StubClient) -> None:
    registry = ExchangeRegistry(sim)
    registry.register(Plain("kraken"))
    assert registry.select(dry_run=False, hint="kraken").reason.startswith("HINT_MATCHED")


def test_every_choice_is_kept_in_order_and_logged(
    registry: ExchangeRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="riskbus.exchange.registry")
    registry.select(dry_run=True, hint="binance")
    registry.select(dry_run=False, hint="binance")
    registry.select(dry_run=False, hint="kraken")
    assert [(s.venue, s.code) for s in registry.history] == [
        ("simulator", "DRY_RUN"),
        ("binance", "HINT_MATCHED"),
        ("simulator", "VENUE_NOT_REGISTERED"),
    ]
    records = [r for r in caplog.records if r.name == "riskbus.exchange.registry"]
    assert [(r.venue, r.dry_run, r.hint) for r in records] == [  # type: ignore[attr-defined]
        ("simulator", True, "binance"),
        ("binance", False, "binance"),
        ("simulator", False, "kraken"),
    ]
    assert records[1].reason == "HINT_MATCHED: hint=binance, venue=binance"  # type: ignore[attr-defined]


def test_history_is_bounded(sim: StubClient) -> None:
    registry = ExchangeRegistry(sim, history_size=2)
    for _ in range(3):
        registry.select(dry_run=True)
    assert len(registry.history) == 2


def test_an_unknown_venue_id_names_the_id_and_close_valid_ids(registry: ExchangeRegistry) -> None:
    with pytest.raises(InvalidValueError) as caught:
        registry.select(dry_run=True, hint="binanse")
    error = caught.value
    assert (error.field, error.value) == ("venue", "binanse")
    message = str(error)
    assert message.startswith(
        "venue: unknown venue id 'binanse': not a ccxt exchange id and not registered; "
        "did you mean binance, binanceus, "
    )
    suggested = message.partition("did you mean ")[2].rstrip("?").split(", ")
    assert {"binance", "binanceus", "binanceusdm", "binancecoinm"} <= set(suggested)
    assert len(suggested) <= 5
    assert registry.history == []  # a refused hint is not a choice


def test_an_unknown_id_without_close_matches_still_names_the_id(registry: ExchangeRegistry) -> None:
    with pytest.raises(InvalidValueError, match=r"^venue: unknown venue id 'zzqqxx': not a ccxt"):
        registry.get("zzqqxx")


def test_a_custom_registered_name_is_valid_even_if_ccxt_does_not_know_it(
    sim: StubClient,
) -> None:
    registry = ExchangeRegistry(sim)
    venue = StubClient("my-desk")
    assert registry.register(venue) == "my-desk"
    assert registry.select(dry_run=False, hint="my-desk").client is venue
    assert registry.names == ("my-desk",)
    assert registry.unregister("my-desk") is venue
    with pytest.raises(InvalidValueError, match="unknown venue id 'my-desk'"):
        registry.get("my-desk")


def test_registration_refuses_duplicates_and_reserved_names(registry: ExchangeRegistry) -> None:
    with pytest.raises(InvalidValueError, match="already registered"):
        registry.register(StubClient("binance"))
    with pytest.raises(InvalidValueError, match="not a name a client can take"):
        registry.register(StubClient("simulator"))
    with pytest.raises(InvalidValueError, match="known venue but not registered"):
        registry.get("kraken")
    assert registry.get("simulator") is registry.simulator
    assert registry.names == ("binance", "coinbase")
