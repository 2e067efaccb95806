"""Builders for the exchange tests: a venue over fixed prices that records its events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Event
from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange, SimulatedExchangeConfig
from riskbus.market.path import PricePath
from riskbus.model import OrderSide, OrderType, SubmitOrder, default_registry
from riskbus.model.enums import TimeInForce


class Venue:
    """A simulated exchange on its own bus and simulator, with every event recorded."""

    def __init__(
        self,
        prices: dict[str, list[float]] | None = None,
        balances: dict[str, Any] | None = None,
        spread_bps: float = 0.0,
        seed: int = 7,
        **config: Any,
    ) -> None:
        self.sim = Simulator()
        self.bus = EventBus(self.sim.clock)
        self.events: list[Event] = []
        self.bus.subscribe(Event, self.events.append)
        market = {
            symbol: PricePath(np.array(series), spread_bps=spread_bps)
            for symbol, series in (prices or {"BTC/USDT": [100.0, 101.0, 99.0, 102.0]}).items()
        }
        self.exchange = SimulatedExchange(
            self.bus,
            self.sim.clock,
            Seeds(seed),
            default_registry(),
            market,
            balances={"USDT": 100_000} if balances is None else balances,
            config=SimulatedExchangeConfig(**config),
        )
        self.exchange.attach(self.bus)

    def of(self, kind: type[Event]) -> list[Any]:
        """Return the recorded events of type ``kind``."""
        return [event for event in self.events if isinstance(event, kind)]

    def submit(self, **overrides: Any) -> None:
        """Submit an order (default: buy 1 BTC/USDT at market, id ``o1``)."""
        self.exchange.submit(order(**overrides))


def order(**overrides: Any) -> SubmitOrder:
    """A ``SubmitOrder`` to buy 1 BTC/USDT at market, id ``o1``, with overrides."""
    fields: dict[str, Any] = {
        "ts": 0,
        "client_order_id": "o1",
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "quantity": Decimal(1),
        "order_type": OrderType.MARKET,
        "time_in_force": TimeInForce.GTC,
    }
    fields.update(overrides)
    return SubmitOrder(**fields)
