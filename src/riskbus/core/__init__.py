"""The runtime core: message bus, clocks and simulator, seeded randomness, ids, errors, JSON.

Nothing here imports any other riskbus layer. Every component above receives a
:class:`~riskbus.core.bus.EventBus`, a :class:`~riskbus.core.clock.Clock` and, in the
simulated path, a :class:`~riskbus.core.seeds.Seeds`; it never reads the wall clock or an
unseeded random generator itself.
"""

from __future__ import annotations

from riskbus.core.bus import EventBus, Interceptor, Subscription, Topology
from riskbus.core.clock import (
    DAY,
    HOUR,
    MILLISECOND,
    MINUTE,
    SECOND,
    Clock,
    LiveClock,
    Simulator,
    TimerHandle,
    VirtualClock,
    seconds,
)
from riskbus.core.errors import (
    AuthenticationError,
    BadInputError,
    ConfigError,
    HandlerWiringError,
    InvalidValueError,
    OperationalError,
    OutcomeUnknownError,
    RateLimitedError,
    RiskbusError,
    ScenarioError,
    StrategyError,
    TransientError,
)
from riskbus.core.ids import IdGenerator, derive_id
from riskbus.core.messages import Command, Event, HandlerFailed, Message, message_type
from riskbus.core.seeds import Seeds

__all__ = [
    "DAY",
    "HOUR",
    "MILLISECOND",
    "MINUTE",
    "SECOND",
    "AuthenticationError",
    "BadInputError",
    "Clock",
    "Command",
    "ConfigError",
    "Event",
    "EventBus",
    "HandlerFailed",
    "HandlerWiringError",
    "IdGenerator",
    "Interceptor",
    "InvalidValueError",
    "LiveClock",
    "Message",
    "OperationalError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RiskbusError",
    "ScenarioError",
    "Seeds",
    "Simulator",
    "StrategyError",
    "Subscription",
    "TimerHandle",
    "Topology",
    "TransientError",
    "VirtualClock",
    "derive_id",
    "message_type",
    "seconds",
]
