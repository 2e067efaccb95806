"""The command catalogue: what one component asks another to do.

Commands are frozen, keyword-only :class:`riskbus.core.messages.Command` structs, sent with
``bus.send`` to the one component registered for the type:

* trading — ``SubmitOrder``, ``CancelOrder``, ``CancelAllOrders`` (risk engine, then the
  execution router, then the exchange client);
* queries — ``FetchPrice``, ``FetchBalances``, ``FetchOpenOrders``, ``FetchPositions``
  (exchange client; answered by events carrying the same ``request_id`` / ``cycle_id``);
* enforcement — ``ClosePosition``, ``ReducePosition``, ``FlattenAll``, ``KillSwitch`` (the
  execution engine turns them into ``SubmitOrder(enforcement=True, reduce_only=True)``);
* state — ``SetTradingState`` (risk engine), ``ReloadRiskConfig`` (the config reloader).

Commands are plain data: they are not validated when built, so chaos can corrupt them and
the risk engine must deny them. :meth:`riskbus.model.orders.Order.from_command` validates.
"""

from __future__ import annotations

from decimal import Decimal

from riskbus.core.messages import Command
from riskbus.model.enums import OrderSide, OrderType, TimeInForce, TradingState
from riskbus.model.events.orders import OrderSubmitted

__all__ = [
    "CancelAllOrders",
    "CancelOrder",
    "ClosePosition",
    "FetchBalances",
    "FetchFills",
    "FetchOpenOrders",
    "FetchOrder",
    "FetchPositions",
    "FetchPrice",
    "FlattenAll",
    "KillSwitch",
    "ReducePosition",
    "ReloadRiskConfig",
    "SetTradingState",
    "SubmitOrder",
]


class SubmitOrder(Command, frozen=True, kw_only=True):
    """Place an order.

    Attributes:
        client_order_id: our id, derived deterministically (``riskbus.core.ids.derive_id``)
            so a resubmission after a restart is recognised.
        symbol: the instrument.
        side: buy or sell.
        quantity: the order quantity (> 0, on the instrument's step).
        order_type: market, limit, stop or stop-limit.
        price: the limit price (limit and stop-limit only).
        stop_price: the trigger price (stop and stop-limit only).
        time_in_force: GTC, IOC or FOK.
        reduce_only: the order may only reduce an existing position.
        strategy: who sent it (a strategy name, ``"risk"``, ``"rebalance"``, ...).
        enforcement: a risk-enforcement order: bypasses entry checks, never adds exposure.
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    order_type: OrderType = OrderType.MARKET
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    strategy: str = ""
    enforcement: bool = False

    def submitted(self, ts: int) -> OrderSubmitted:
        """Return the ``OrderSubmitted`` event announcing that this order was sent at ``ts``."""
        return OrderSubmitted(
            ts=ts,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            quantity=self.quantity,
            price=self.price,
            stop_price=self.stop_price,
            time_in_force=self.time_in_force,
            reduce_only=self.reduce_only,
            strategy=self.strategy,
            enforcement=self.enforcement,
        )


class CancelOrder(Command, frozen=True, kw_only=True):
    """Cancel one order."""

    client_order_id: str
    symbol: str
    venue_order_id: str | None = None
    reason: str = ""


class CancelAllOrders(Command, frozen=True, kw_only=True):
    """Cancel every open order, of ``symbol`` only when one is given."""

    symbol: str | None = None
    reason: str = ""


class FetchPrice(Command, frozen=True, kw_only=True):
    """Fetch the price of ``symbol`` (and ``candle_count`` recent candles) for a cycle.

    Answered by ``MarketPriceFetched`` or ``MarketPriceFetchFailed`` with the same
    ``cycle_id``.
    """

    symbol: str
    cycle_id: str = ""
    candle_count: int = 0


class FetchBalances(Command, frozen=True, kw_only=True):
    """Fetch the account balances; answered by ``BalancesFetched``."""

    request_id: str = ""


class FetchOpenOrders(Command, frozen=True, kw_only=True):
    """Fetch open orders (of ``symbol`` or all); answered by ``OpenOrdersReport``."""

    symbol: str | None = None
    request_id: str = ""


class FetchOrder(Command, frozen=True, kw_only=True):
    """Ask the venue for one order's state; answered by ``OrderStatusReported``.

    Used after a restart for orders a previous process sent: their events went to it.
    """

    client_order_id: str
    symbol: str
    request_id: str = ""


class FetchFills(Command, frozen=True, kw_only=True):
    """Report the account's fills on ``symbol`` that the client has not reported yet.

    Each becomes one ``OrderFilled`` (fills of resting orders since they were placed, and
    of orders placed elsewhere: another program, the venue's own screen), then
    ``FillsFetched`` says how many. A venue that reports every fill as it happens (the
    simulated one) answers ``FillsFetched`` with 0. The first ask for a symbol takes the
    venue's fills so far as known (they are the account's starting state).
    """

    symbol: str
    request_id: str = ""


class FetchPositions(Command, frozen=True, kw_only=True):
    """Fetch open positions; answered by ``PositionsReport``."""

    request_id: str = ""


class ClosePosition(Command, frozen=True, kw_only=True):
    """Close the whole position in ``symbol`` at market (an enforcement)."""

    symbol: str
    reason: str = ""
    rule: str = ""


class ReducePosition(Command, frozen=True, kw_only=True):
    """Reduce the position in ``symbol`` to ``target_quantity`` (absolute size, ≥ 0)."""

    symbol: str
    target_quantity: Decimal
    reason: str = ""
    rule: str = ""


class FlattenAll(Command, frozen=True, kw_only=True):
    """Close every position (and cancel every open order when ``cancel_orders``)."""

    reason: str = ""
    rule: str = ""
    cancel_orders: bool = True


class SetTradingState(Command, frozen=True, kw_only=True):
    """Move the risk engine to ``state`` (``ACTIVE``, ``REDUCING`` or ``HALTED``)."""

    state: TradingState
    reason: str = ""


class KillSwitch(Command, frozen=True, kw_only=True):
    """Stop trading now: ``HALTED``, cancel all orders and, when ``flatten``, close all."""

    reason: str
    flatten: bool = True
    source: str = ""


class ReloadRiskConfig(Command, frozen=True, kw_only=True):
    """Re-read the risk config file now; a valid file is applied, an invalid one refused."""

    requested_by: str = ""
    reason: str = ""
