"""The order path between strategies and exchanges.

``strategy -> SubmitOrder -> OrderGateway -> (RiskGate) -> venue.submit``. The gateway is the
one executor of :class:`SubmitOrder` on the bus. For each order it:

1. checks the order against its instrument when it knows the instrument registry (known
   symbol, positive quantity on the step, price on the tick, a price where the type needs
   one) and denies a malformed order with ``INVALID_ORDER: field=..., value=...``;
2. asks the :class:`RiskGate`; a returned reason denies the order;
3. otherwise publishes ``OrderSubmitted`` and hands the command to the venue.

Denials are ``OrderDenied`` events, never exceptions. The default gate,
:class:`PassThroughRiskGate`, denies nothing; the risk engine is installed with
``gateway.gate = engine`` without rewiring anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from riskbus.core.bus import EventBus
from riskbus.core.clock import Clock
from riskbus.core.errors import InvalidValueError
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderType
from riskbus.model.events.orders import OrderDenied
from riskbus.model.reasons import format_reason

__all__ = ["OrderGateway", "PassThroughRiskGate", "RiskGate", "Venue"]

Venue = Callable[[SubmitOrder], None]

_NEEDS_PRICE = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_NEEDS_STOP = (OrderType.STOP, OrderType.STOP_LIMIT)


class RiskGate(Protocol):
    """Pre-trade check: return a denial reason (``CODE: key=value``) or None to allow."""

    def check(self, command: SubmitOrder) -> str | None:
        """Return why ``command`` must be denied, or None."""
        ...


class PassThroughRiskGate:
    """The default gate: allows every order."""

    def check(self, command: SubmitOrder) -> str | None:
        """Allow ``command``."""
        return None


class OrderGateway:
    """The executor of ``SubmitOrder``: validate, ask the gate, deny or forward.

    Args:
        bus: the bus to register on and publish to.
        clock: stamps the events it publishes.
        venue: where allowed orders go (an exchange client's ``submit``).
        gate: the pre-trade check (default: pass-through).
        registry: the instruments; when given, malformed orders are denied here.
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        venue: Venue,
        *,
        gate: RiskGate | None = None,
        registry: InstrumentRegistry | None = None,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.venue = venue
        self.gate: RiskGate = gate if gate is not None else PassThroughRiskGate()
        self.registry = registry
        self.forwarded = 0
        self.denied = 0

    def attach(self) -> OrderGateway:
        """Register as the executor of ``SubmitOrder``; return self."""
        self.bus.register(SubmitOrder, self.on_submit_order, component="OrderGateway")
        return self

    def on_submit_order(self, command: SubmitOrder) -> None:
        """Deny ``command`` with a reason, or publish ``OrderSubmitted`` and forward it."""
        reason = self._malformed(command) or self.gate.check(command)
        if reason is not None:
            self.denied += 1
            self.bus.publish(
                OrderDenied(
                    ts=self.clock.now(),
                    client_order_id=command.client_order_id,
                    symbol=command.symbol,
                    reason=reason,
                    strategy=command.strategy,
                )
            )
            return
        self.forwarded += 1
        self.bus.publish(command.submitted(self.clock.now()))
        self.venue(command)

    def _malformed(self, command: SubmitOrder) -> str | None:
        if self.registry is None:
            return None
        try:
            instrument = self.registry.get(command.symbol)
            instrument.validate_quantity(command.quantity)
            if command.order_type in _NEEDS_PRICE or command.price is not None:
                if command.price is None:
                    return format_reason("INVALID_ORDER", field="price", value=None)
                instrument.validate_price(command.price)
            if command.order_type in _NEEDS_STOP or command.stop_price is not None:
                if command.stop_price is None:
                    return format_reason("INVALID_ORDER", field="stop_price", value=None)
                instrument.validate_price(command.stop_price)
        except InvalidValueError as error:
            field = error.field or "order"
            return format_reason("INVALID_ORDER", field=field, value=error.value)
        return None
