"""Configuration of the simulated exchange: costs, fill model and latency."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from riskbus.core.errors import InvalidValueError

__all__ = ["COMMAND_KINDS", "SimulatedExchangeConfig"]

#: The command kinds latency is configured for.
COMMAND_KINDS = ("submit", "cancel", "fetch")


def _empty() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedExchangeConfig:
    """How the simulated venue charges, fills and delays.

    Attributes:
        venue: the venue name the client reports.
        maker_fee: fee rate of a resting (maker) fill, negative for a rebate.
        taker_fee: fee rate of an aggressive (taker) fill.
        slippage_bps: the most a taker fill is moved against the order, in bps; each
            fill draws a seeded share of it.
        volume_per_step: the market volume traded per price step (quantity units).
        max_volume_share: the share of ``volume_per_step`` the orders on one symbol may
            take together per step, oldest first; a larger order fills partially over
            several steps.
        limit_fill_probability: chance a crossed resting limit fills at that step.
        queue_ahead: quantity queued ahead of a new resting limit at its price; it is
            worked off by step volume before the order fills.
        margin_rate: initial margin rate for derivative orders (share of notional).
        latency: delay per command kind (``submit``, ``cancel``, ``fetch``) in ns.
        latency_jitter: the most a delay is lengthened by seeded jitter, in ns.
        candles_history: how many recent candles ``MarketPriceFetched`` carries when the
            ``FetchPrice`` does not ask for a number (0: none).
    """

    venue: str = "simulated"
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    slippage_bps: Decimal = Decimal(0)
    volume_per_step: Decimal = Decimal(1_000_000)
    max_volume_share: Decimal = Decimal("0.1")
    limit_fill_probability: float = 1.0
    queue_ahead: Decimal = Decimal(0)
    margin_rate: Decimal = Decimal("0.1")
    latency: Mapping[str, int] = field(default_factory=_empty)
    latency_jitter: int = 0
    candles_history: int = 50

    @property
    def max_fee(self) -> Decimal:
        """The highest fee rate an order may pay (never below 0): what funds checks assume."""
        return max(self.taker_fee, self.maker_fee, Decimal(0))

    def __post_init__(self) -> None:
        for name in ("slippage_bps", "queue_ahead"):
            if getattr(self, name) < 0:
                raise InvalidValueError.for_value(name, getattr(self, name), "must be >= 0")
        if self.volume_per_step <= 0:
            raise InvalidValueError.for_value(
                "volume_per_step", self.volume_per_step, "must be > 0"
            )
        if not 0 < self.max_volume_share <= 1:
            raise InvalidValueError.for_value(
                "max_volume_share", self.max_volume_share, "must be in (0, 1]"
            )
        if not 0.0 <= self.limit_fill_probability <= 1.0:
            raise InvalidValueError.for_value(
                "limit_fill_probability", self.limit_fill_probability, "must be in [0, 1]"
            )
        if not 0 <= self.margin_rate <= 1:
            raise InvalidValueError.for_value("margin_rate", self.margin_rate, "must be in [0, 1]")
        if not isinstance(self.latency, Mapping):
            raise InvalidValueError.for_value(
                "latency", self.latency, f"must map command kinds {list(COMMAND_KINDS)} to ns"
            )
        unknown = set(self.latency) - set(COMMAND_KINDS)
        if unknown:
            raise InvalidValueError.for_value("latency", sorted(unknown), "unknown command kind")
        if self.candles_history < 0:
            raise InvalidValueError.for_value(
                "candles_history", self.candles_history, "must be >= 0"
            )
        if any(delay < 0 for delay in self.latency.values()) or self.latency_jitter < 0:
            raise InvalidValueError.for_value("latency", dict(self.latency), "must be >= 0")
