"""The chaos kinds of a scenario file (``chaos:``): one strict model per kind.

The original framework's five (``delay_event``, ``inject_failure``, ``drop_event``,
``modify_event``, ``network_latency``) and riskbus's venue faults (``exchange_outage``,
``reject_orders``, ``order_ack_lost``, ``partial_fills``, ``rate_limit``, ``stale_price``,
``price_gap``) and ``restart``. Each may start at a cycle or after an event, with a
probability and for a number of cycles; :data:`ChaosAction` picks the model by ``type``.
The rest of the file's schema is in :mod:`riskbus.scenarios.schema`, which re-exports these.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CHAOS_KINDS",
    "ChaosAction",
    "DelayEvent",
    "DropEvent",
    "ExchangeOutage",
    "InjectFailure",
    "ModifyEvent",
    "NetworkLatency",
    "OrderAckLost",
    "PartialFills",
    "PriceGap",
    "RateLimit",
    "RejectOrders",
    "Restart",
    "StalePrice",
    "StrictModel",
]


class StrictModel(BaseModel):
    """A scenario mapping: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Chaos(StrictModel):
    at_cycle: int | None = Field(default=None, ge=1)
    after_event: str | None = None
    probability: float = Field(default=1.0, ge=0, le=1)
    duration_cycles: int | None = Field(default=None, ge=1)

    def event_names(self) -> list[str]:
        """The event names this action refers to (validated against the catalogue)."""
        names = [self.after_event] if self.after_event else []
        event = getattr(self, "event", None)
        if isinstance(event, str):
            names.append(event)
        return names


class DelayEvent(_Chaos):
    """Deliver ``event`` ``delay_ms`` later (virtual time)."""

    type: Literal["delay_event"]
    event: str
    delay_ms: int = Field(ge=0)


class InjectFailure(_Chaos):
    """Make the operation fail: ``MarketPriceFetchFailed`` fails the price fetch at the
    venue; ``OrderRejected`` rejects the next order placement; any other failure event is
    published after the original event (the original's behaviour)."""

    type: Literal["inject_failure"]
    event: str = "MarketPriceFetchFailed"
    error_message: str = "Simulated failure"


class DropEvent(_Chaos):
    """Drop ``event`` (with ``probability``)."""

    type: Literal["drop_event"]
    event: str


class ModifyEvent(_Chaos):
    """Replace ``field`` of ``event`` with ``value``."""

    type: Literal["modify_event"]
    event: str
    field: str
    value: Any


class NetworkLatency(_Chaos):
    """Delay every event by a seeded ``min_delay_ms``..``max_delay_ms`` for a window."""

    type: Literal["network_latency"]
    min_delay_ms: int = Field(default=100, ge=0)
    max_delay_ms: int = Field(default=1000, ge=0)
    duration_cycles: int | None = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> NetworkLatency:
        if self.max_delay_ms < self.min_delay_ms:
            raise ValueError("max_delay_ms must be >= min_delay_ms")
        return self


class ExchangeOutage(_Chaos):
    """The venue refuses every call (``VENUE_UNAVAILABLE``) for ``duration_cycles``."""

    type: Literal["exchange_outage"]
    duration_cycles: int | None = Field(default=3, ge=1)


class RejectOrders(_Chaos):
    """The venue rejects the next ``count`` orders (``REJECTED_BY_VENUE``)."""

    type: Literal["reject_orders"]
    count: int = Field(default=1, ge=1)


class OrderAckLost(_Chaos):
    """The next ``count`` orders are placed but their acknowledgement is lost."""

    type: Literal["order_ack_lost"]
    count: int = Field(default=1, ge=1)


class PartialFills(_Chaos):
    """At most ``max_quantity`` (base units) fills per market step for ``duration_cycles``."""

    type: Literal["partial_fills"]
    max_quantity: Decimal = Field(default=Decimal("0.002"), gt=0)
    duration_cycles: int | None = Field(default=5, ge=1)


class RateLimit(_Chaos):
    """At most ``calls`` venue calls per ``window_seconds`` for ``duration_cycles``."""

    type: Literal["rate_limit"]
    calls: int = Field(default=1, ge=1)
    window_seconds: float = Field(default=3600.0, gt=0)
    duration_cycles: int | None = Field(default=3, ge=1)


class StalePrice(_Chaos):
    """The venue's price freezes for ``duration_cycles``."""

    type: Literal["stale_price"]
    duration_cycles: int | None = Field(default=5, ge=1)


class PriceGap(_Chaos):
    """Every later price jumps by ``percent`` % (negative: a gap down)."""

    type: Literal["price_gap"]
    percent: Decimal = Field(default=Decimal(-10), gt=-100)


class Restart(_Chaos):
    """The bot and the risk manager stop and start again from the store."""

    type: Literal["restart"]
    downtime_cycles: int = Field(default=0, ge=0)


ChaosAction = Annotated[
    DelayEvent
    | InjectFailure
    | DropEvent
    | ModifyEvent
    | NetworkLatency
    | ExchangeOutage
    | RejectOrders
    | OrderAckLost
    | PartialFills
    | RateLimit
    | StalePrice
    | PriceGap
    | Restart,
    Field(discriminator="type"),
]

CHAOS_KINDS = (
    "delay_event",
    "inject_failure",
    "drop_event",
    "modify_event",
    "network_latency",
    "exchange_outage",
    "reject_orders",
    "order_ack_lost",
    "partial_fills",
    "rate_limit",
    "stale_price",
    "price_gap",
    "restart",
)
