"""The exchange client contract every venue implementation follows.

A client executes the query and cancel commands the bus routes to it, and takes
``SubmitOrder`` from the risk gate (``riskbus.risk.gate``) through :meth:`ExchangeClient.submit`.
It answers only with events on the bus: ``OrderAccepted``, ``OrderRejected`` (with a reason
code), ``OrderFilled`` (one per fill), ``OrderCanceled``, ``OrderStatusUnknown``,
``MarketPriceFetched``/``MarketPriceFetchFailed``, ``BalancesFetched``,
``OpenOrdersReport``, ``OrderStatusReported``, ``FillsFetched`` and ``PositionsReport``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from riskbus.core.bus import EventBus
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

__all__ = ["ExchangeClient"]


class ExchangeClient(ABC):
    """A venue seen through the bus.

    Attributes:
        venue: the venue's name, e.g. ``"simulated"`` or ``"binance"``.
    """

    venue: str

    def attach(self, bus: EventBus) -> None:
        """Register this client on ``bus`` as the executor of its commands.

        Raises:
            HandlerWiringError: another component already executes one of the commands.
        """
        component = f"exchange:{self.venue}"
        bus.register(CancelOrder, self.cancel_order, component=component)
        bus.register(CancelAllOrders, self.cancel_all_orders, component=component)
        bus.register(FetchPrice, self.fetch_price, component=component)
        bus.register(FetchBalances, self.fetch_balances, component=component)
        bus.register(FetchOpenOrders, self.fetch_open_orders, component=component)
        bus.register(FetchOrder, self.fetch_order, component=component)
        bus.register(FetchPositions, self.fetch_positions, component=component)
        bus.register(FetchFills, self.fetch_fills, component=component)

    @abstractmethod
    def submit(self, command: SubmitOrder) -> None:
        """Place the order; the outcome arrives as order events."""

    @abstractmethod
    def cancel_order(self, command: CancelOrder) -> None:
        """Cancel one order; answered by ``OrderCanceled`` or ``OrderCancelRejected``."""

    @abstractmethod
    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel every open order (of one symbol when given)."""

    @abstractmethod
    def fetch_price(self, command: FetchPrice) -> None:
        """Answer with ``MarketPriceFetched`` or ``MarketPriceFetchFailed``."""

    @abstractmethod
    def fetch_balances(self, command: FetchBalances) -> None:
        """Answer with ``BalancesFetched``."""

    @abstractmethod
    def fetch_open_orders(self, command: FetchOpenOrders) -> None:
        """Answer with ``OpenOrdersReport``."""

    @abstractmethod
    def fetch_order(self, command: FetchOrder) -> None:
        """Answer with ``OrderStatusReported`` (its ``report`` None if the venue never saw it)."""

    @abstractmethod
    def fetch_positions(self, command: FetchPositions) -> None:
        """Answer with ``PositionsReport``."""

    @abstractmethod
    def fetch_fills(self, command: FetchFills) -> None:
        """Publish the fills not reported yet (``OrderFilled`` each), then ``FillsFetched``."""
