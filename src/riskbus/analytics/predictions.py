"""Market predictions: an ensemble of four agents, each reading the same candle closes.

Every agent turns the closes into a **score** in [-1, 1] (negative: the price should fall),
then a **direction** (``up`` above ``flat_band``, ``down`` below ``-flat_band``, else
``flat``) and a **confidence** (``|score|`` for up or down; ``1 - |score|`` for flat):

=================  =============================================================  =========
agent              score                                                          weight
=================  =============================================================  =========
trend              least-squares slope of log closes over ``trend_window``,        0.30
                   times ``trend_window - 1`` (the fitted move), over
                   ``trend_scale``
momentum           rate of change over ``momentum_window`` candles over            0.25
                   ``momentum_scale``
mean_reversion     ``-z / reversion_scale``, ``z`` the last close's z-score        0.20
                   against the mean and population deviation of
                   ``reversion_window`` closes (0 when they are all equal)
volatility_regime  ``ratio`` = deviation of the last ``vol_short`` log returns     0.25
                   over that of the last ``vol_long``. Turbulent (``ratio >
                   turbulence_ratio``): risk-off, ``-min(1, ratio / (2 ·
                   turbulence_ratio))``. Calm: follow the drift, ``t / 2`` with
                   ``t`` the t-statistic of the short returns' sum (the sign of
                   the sum when they do not vary)
=================  =============================================================  =========

Scores are clipped to [-1, 1]. The ensemble score is ``S = Σ wᵢ·sᵢ`` (weights normalised to
sum to 1), its direction follows from ``S`` with the same band, ``probability_up`` is
``(1 + S) / 2``, and its **agreement** is the share of weight whose agent points the
ensemble's way. As in the original prediction API, the ensemble's **confidence is its
agreement**: a split vote is a low-confidence prediction, whatever its score.
The expected move over a horizon extrapolates the trend agent's fitted slope.

Everything here is pure: the same closes and config give the same prediction, float for
float. Bad input raises :class:`~riskbus.core.errors.InvalidValueError` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from riskbus.core.errors import InvalidValueError

__all__ = [
    "AGENTS",
    "DEFAULT_WEIGHTS",
    "AgentSignal",
    "Direction",
    "EnsemblePrediction",
    "PredictionConfig",
    "mean_reversion_agent",
    "momentum_agent",
    "predict",
    "trend_agent",
    "volatility_regime_agent",
]

Direction = Literal["up", "down", "flat"]
FloatArray = npt.NDArray[np.float64]

#: Deviations below this (relative to the level) are rounding noise: a geometric series'
#: log returns differ in their last bits, and their ratio would be meaningless.
_NOISE = 1e-12

#: The agents, in the order they are reported.
AGENTS: Final[tuple[str, ...]] = ("trend", "momentum", "mean_reversion", "volatility_regime")

#: The default weight of each agent (they sum to 1).
DEFAULT_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"trend": 0.30, "momentum": 0.25, "mean_reversion": 0.20, "volatility_regime": 0.25}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionConfig:
    """Windows (in candles), scales and weights of the ensemble (see the module docstring)."""

    trend_window: int = 20
    trend_scale: float = 0.10
    momentum_window: int = 10
    momentum_scale: float = 0.05
    reversion_window: int = 20
    reversion_scale: float = 2.0
    vol_short: int = 10
    vol_long: int = 40
    turbulence_ratio: float = 1.5
    flat_band: float = 0.10
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        for name in ("trend_window", "reversion_window", "vol_short"):
            _check_int(name, getattr(self, name), 2)
        _check_int("momentum_window", self.momentum_window, 1)
        _check_int("vol_long", self.vol_long, self.vol_short)
        for name in ("trend_scale", "momentum_scale", "reversion_scale", "turbulence_ratio"):
            _check_positive(name, getattr(self, name))
        band = self.flat_band
        if not (isinstance(band, int | float) and 0 <= band < 1):
            raise InvalidValueError.for_value("flat_band", band, "must be in [0, 1)")
        _normalise(self.weights)

    @property
    def min_candles(self) -> int:
        """The fewest closes every agent needs."""
        return max(
            self.trend_window,
            self.momentum_window + 1,
            self.reversion_window,
            self.vol_long + 1,
        )


@dataclass(frozen=True, slots=True)
class AgentSignal:
    """What one agent says: its score, direction, confidence and the numbers behind it."""

    agent: str
    score: float
    direction: Direction
    confidence: float
    details: Mapping[str, float | str]


@dataclass(frozen=True, slots=True)
class EnsemblePrediction:
    """The combined prediction (see the module docstring for every field's meaning)."""

    direction: Direction
    confidence: float
    agreement: float
    score: float
    probability_up: float
    last_close: float
    expected_move_pct: float
    target_price: float
    horizon_candles: float
    candles_used: int
    weights: Mapping[str, float]
    agents: tuple[AgentSignal, ...]


def predict(
    closes: Sequence[float] | FloatArray,
    *,
    horizon_candles: float = 1.0,
    config: PredictionConfig | None = None,
) -> EnsemblePrediction:
    """Run the four agents over ``closes`` (oldest first) and combine them.

    Args:
        closes: candle closes, oldest first; at least ``config.min_candles``.
        horizon_candles: how many candles ahead the expected move is projected (> 0).
        config: windows, scales and weights (default :class:`PredictionConfig`).

    Raises:
        InvalidValueError: too few closes, a close that is not positive and finite, a bad
            horizon or config.
    """
    cfg = config if config is not None else PredictionConfig()
    prices = _as_closes(closes, cfg.min_candles)
    if not (isinstance(horizon_candles, int | float) and 0 < horizon_candles < math.inf):
        raise InvalidValueError.for_value(
            "horizon_candles", horizon_candles, "must be positive and finite"
        )
    weights = _normalise(cfg.weights)
    band = cfg.flat_band
    signals = (
        trend_agent(prices, cfg.trend_window, cfg.trend_scale, band),
        momentum_agent(prices, cfg.momentum_window, cfg.momentum_scale, band),
        mean_reversion_agent(prices, cfg.reversion_window, cfg.reversion_scale, band),
        volatility_regime_agent(prices, cfg.vol_short, cfg.vol_long, cfg.turbulence_ratio, band),
    )
    score = _clip(sum(weights[s.agent] * s.score for s in signals))
    direction = _direction(score, band)
    agreement = sum(weights[s.agent] for s in signals if s.direction == direction)
    slope = float(signals[0].details["slope_per_candle"])
    last = float(prices[-1])
    growth = math.exp(slope * horizon_candles)
    return EnsemblePrediction(
        direction=direction,
        confidence=agreement,
        agreement=agreement,
        score=score,
        probability_up=(1.0 + score) / 2.0,
        last_close=last,
        expected_move_pct=(growth - 1.0) * 100.0,
        target_price=last * growth,
        horizon_candles=float(horizon_candles),
        candles_used=len(prices),
        weights=MappingProxyType(weights),
        agents=signals,
    )


def trend_agent(closes: FloatArray, window: int, scale: float, band: float) -> AgentSignal:
    """Score the fitted log-price move over the last ``window`` closes against ``scale``."""
    y = np.log(closes[-window:])
    x = np.arange(window, dtype=np.float64)
    x -= x.mean()
    slope = float(np.dot(x, y - y.mean()) / np.dot(x, x))
    move = slope * (window - 1)
    return _signal("trend", move / scale, band, slope_per_candle=slope, fitted_move=move)


def momentum_agent(closes: FloatArray, window: int, scale: float, band: float) -> AgentSignal:
    """Score the rate of change over ``window`` candles against ``scale``."""
    roc = float(closes[-1] / closes[-1 - window] - 1.0)
    return _signal("momentum", roc / scale, band, rate_of_change=roc)


def mean_reversion_agent(closes: FloatArray, window: int, scale: float, band: float) -> AgentSignal:
    """Score ``-z / scale``: far above the mean, expect a fall; far below, a rise."""
    recent = closes[-window:]
    mean = float(recent.mean())
    deviation = float(recent.std())
    z = float((closes[-1] - mean) / deviation) if deviation > _NOISE * mean else 0.0
    return _signal("mean_reversion", -z / scale, band, z_score=z, mean=mean)


def volatility_regime_agent(
    closes: FloatArray, short: int, long: int, turbulence: float, band: float
) -> AgentSignal:
    """Risk-off in a turbulent regime; in a calm one, follow the short drift."""
    returns = np.diff(np.log(closes))
    recent = returns[-short:]
    short_vol = float(recent.std())
    long_vol = float(returns[-long:].std())
    short_vol = short_vol if short_vol > _NOISE else 0.0
    ratio = short_vol / long_vol if long_vol > _NOISE else 1.0
    drift = float(recent.sum())
    if ratio > turbulence:
        raw = -min(1.0, ratio / (2.0 * turbulence))
        regime = "turbulent"
    else:
        regime = "calm"
        if short_vol > 0:
            raw = drift / (short_vol * math.sqrt(short)) / 2.0
        else:
            raw = math.copysign(1.0, drift) if drift else 0.0
    return _signal("volatility_regime", raw, band, ratio=ratio, drift=drift, regime=regime)


# -- helpers ---------------------------------------------------------------------------


def _signal(agent: str, raw: float, band: float, **details: float | str) -> AgentSignal:
    score = _clip(raw)
    direction = _direction(score, band)
    confidence = 1.0 - abs(score) if direction == "flat" else abs(score)
    return AgentSignal(agent, score, direction, confidence, MappingProxyType(details))


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, float(value)))


def _direction(score: float, band: float) -> Direction:
    if score > band:
        return "up"
    if score < -band:
        return "down"
    return "flat"


def _as_closes(closes: Sequence[float] | FloatArray, minimum: int) -> FloatArray:
    try:
        prices = np.asarray(closes, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InvalidValueError(f"must be numbers ({e})", field="closes") from e
    if prices.ndim != 1:
        raise InvalidValueError.for_value("closes", prices.shape, "must be one-dimensional")
    if len(prices) < minimum:
        raise InvalidValueError.for_value(
            "closes", len(prices), f"needs at least {minimum} candles"
        )
    bad = np.flatnonzero(~(np.isfinite(prices) & (prices > 0)))
    if bad.size:
        index = int(bad[0])
        raise InvalidValueError(
            f"must be positive and finite; found {prices[index]!r} at index {index}",
            field="closes",
        )
    return prices


def _normalise(weights: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(weights, Mapping) or set(weights) != set(AGENTS):
        keys = sorted(weights) if isinstance(weights, Mapping) else weights
        raise InvalidValueError.for_value("weights", keys, f"must name exactly {list(AGENTS)}")
    for agent, weight in weights.items():
        if not (isinstance(weight, int | float) and 0 <= weight < math.inf):
            raise InvalidValueError.for_value(
                f"weights.{agent}", weight, "must be a finite number >= 0"
            )
    total = float(sum(weights.values()))
    if total <= 0:
        raise InvalidValueError.for_value("weights", dict(weights), "must not all be 0")
    return {agent: float(weights[agent]) / total for agent in AGENTS}


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError.for_value(name, value, f"must be an integer >= {minimum}")


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError.for_value(name, value, "must be a number")
    if not 0 < value < math.inf:
        raise InvalidValueError.for_value(name, value, "must be positive and finite")
