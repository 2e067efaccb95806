"""The prediction API: ``/api/v1/predictions`` (the original API, applied to markets).

``POST {pair, horizon_days}`` reads the pair's daily candles, runs the four-agent ensemble
of :mod:`riskbus.analytics.predictions` and stores the prediction. Candles come from
``RISKBUS_MARKET_DATA_DIR/<BASE>_<QUOTE>.csv`` (or ``.parquet``) when that file exists,
else from a seeded market path (``market``, default ``gbm``; seed ``seed``, default a
stable hash of the pair): the same request gives the same prediction.

Errors, as ``{detail, error_code}``: 400 ``INVALID_HORIZON`` for a horizon under 1 day or
beyond ``max_prediction_days``; 422 ``LOW_CONFIDENCE`` when the ensemble's confidence (its
agreement) is below ``min_confidence`` (nothing is stored then); 404
``PREDICTION_NOT_FOUND`` for an unknown id; 400 ``BAD_INPUT`` for an unknown market or an
unreadable candle file.
"""

from __future__ import annotations

import os
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from riskbus.analytics.predictions import EnsemblePrediction, predict
from riskbus.core.clock import DAY
from riskbus.market import generate, load_ohlcv, scenario_names
from riskbus.service.deps import ServicesDep, SettingsDep
from riskbus.service.errors import ApiError, error_responses
from riskbus.store import PredictionRecord, PredictionRepository

__all__ = [
    "DATA_DIR_ENV",
    "CandleSource",
    "PredictionIn",
    "PredictionOut",
    "PredictionService",
    "get_prediction_service",
    "router",
]

#: Where per-pair candle files are looked for.
DATA_DIR_ENV = "RISKBUS_MARKET_DATA_DIR"
#: Candles the agents read (the latest ones of a file).
LOOKBACK = 120
PAIR_PATTERN = r"^[A-Za-z0-9]{2,12}/[A-Za-z0-9]{2,12}$"

router = APIRouter(prefix="/api/v1/predictions", tags=["predictions"])


class PredictionIn(BaseModel):
    """A prediction request."""

    model_config = ConfigDict(extra="forbid")

    pair: str = Field(pattern=PAIR_PATTERN, examples=["BTC/USDT"], description="BASE/QUOTE")
    horizon_days: int = Field(examples=[7], description="days ahead, 1..max_prediction_days")
    market: str | None = Field(
        default=None,
        max_length=64,
        examples=["bull_run"],
        description="the seeded market path to read (default gbm) when no file is found",
    )
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, description="the path's seed")


class AgentOut(BaseModel):
    """One agent's call."""

    agent: str
    direction: Literal["up", "down", "flat"]
    score: float
    confidence: float
    weight: float
    details: dict[str, float | str]


class PredictionOut(BaseModel):
    """A stored prediction."""

    id: str
    pair: str
    horizon_days: int
    direction: Literal["up", "down", "flat"]
    confidence: float
    agreement: float
    consensus_reached: bool
    score: float
    probability_up: float
    last_close: float
    expected_move_pct: float
    target_price: float
    source: str
    candles_used: int
    created_at: str
    weights: dict[str, float]
    agents: list[AgentOut]


@dataclass(frozen=True, slots=True)
class Candles:
    """The closes the agents read, where they came from and their spacing (ns)."""

    closes: np.ndarray
    source: str
    step: int


class CandleSource:
    """Daily candles for a pair: a file of ``data_dir`` if there is one, else a seeded path.

    Args:
        data_dir: the folder of ``BASE_QUOTE.csv`` / ``.parquet`` files (None: none).
        lookback: how many of the latest candles to read.
    """

    def __init__(self, data_dir: Path | None = None, lookback: int = LOOKBACK) -> None:
        self.data_dir = data_dir
        self.lookback = lookback

    def file_for(self, pair: str) -> Path | None:
        """Return the candle file of ``pair``, if ``data_dir`` has one."""
        if self.data_dir is None:
            return None
        stem = pair.replace("/", "_").upper()
        for suffix in (".csv", ".parquet"):
            path = self.data_dir / f"{stem}{suffix}"
            if path.is_file():
                return path
        return None

    def candles(self, pair: str, market: str | None = None, seed: int | None = None) -> Candles:
        """Return the pair's latest closes (a file unless ``market`` is given).

        Raises:
            BadInputError: an unknown market, or a candle file that does not load.
        """
        path = None if market is not None else self.file_for(pair)
        if path is not None:
            data = load_ohlcv(path)
            return Candles(data.ohlcv.close[-self.lookback :], str(path), data.step)
        name = market or "gbm"
        path_seed = seed if seed is not None else zlib.crc32(pair.upper().encode())
        generated = generate(name, self.lookback, path_seed, initial_price=100.0, step=DAY)
        return Candles(generated.prices, f"market:{name} seed={path_seed}", DAY)


class PredictionService:
    """Makes, stores and lists predictions.

    Args:
        repository: where predictions are stored.
        min_confidence: below this confidence a prediction is refused (LOW_CONFIDENCE).
        max_days: the longest horizon accepted.
        source: where candles come from.
    """

    def __init__(
        self,
        repository: PredictionRepository,
        *,
        min_confidence: float = 0.70,
        max_days: int = 60,
        source: CandleSource | None = None,
    ) -> None:
        self.repository = repository
        self.min_confidence = min_confidence
        self.max_days = max_days
        self.source = source if source is not None else CandleSource()

    def create(self, request: PredictionIn) -> PredictionOut:
        """Predict, check the horizon and confidence, store and return the prediction."""
        if not 1 <= request.horizon_days <= self.max_days:
            raise ApiError(
                400,
                "INVALID_HORIZON",
                f"horizon_days must be between 1 and {self.max_days} (got {request.horizon_days})",
            )
        candles = self.source.candles(request.pair, request.market, request.seed)
        horizon = request.horizon_days * DAY / candles.step
        ensemble = predict(candles.closes, horizon_candles=horizon)
        if ensemble.confidence < self.min_confidence:
            raise ApiError(
                422,
                "LOW_CONFIDENCE",
                f"confidence {ensemble.confidence:.2f} is below min_confidence "
                f"{self.min_confidence:.2f} (the agents disagree: "
                f"{_votes(ensemble)})",
            )
        record = _record(request, ensemble, candles.source)
        self.repository.save(record)
        return self.to_out(record)

    def to_dict(self, record: PredictionRecord) -> dict[str, Any]:
        """Return a stored prediction as the JSON object :class:`PredictionOut` describes."""
        weights = record.weights
        created = datetime.fromtimestamp(record.created_at / 1e9, tz=UTC)
        return {
            "id": record.id,
            "pair": record.pair,
            "horizon_days": record.horizon_days,
            "direction": record.direction,
            "confidence": record.confidence,
            "agreement": record.agreement,
            "consensus_reached": record.agreement >= self.min_confidence,
            "score": record.score,
            "probability_up": record.probability_up,
            "last_close": record.last_close,
            "expected_move_pct": record.expected_move_pct,
            "target_price": record.target_price,
            "source": record.source,
            "candles_used": record.candles_used,
            "created_at": created.isoformat(timespec="milliseconds"),
            "weights": dict(weights),
            "agents": [
                {**agent, "weight": weights.get(str(agent["agent"]), 0.0)}
                for agent in record.agents
            ],
        }

    def to_out(self, record: PredictionRecord) -> PredictionOut:
        """Render a stored prediction."""
        return PredictionOut.model_validate(self.to_dict(record))


def _votes(ensemble: EnsemblePrediction) -> str:
    return ", ".join(f"{s.agent} {s.direction}" for s in ensemble.agents)


def _record(request: PredictionIn, ensemble: EnsemblePrediction, source: str) -> PredictionRecord:
    agents: tuple[dict[str, Any], ...] = tuple(
        {
            "agent": s.agent,
            "direction": s.direction,
            "score": s.score,
            "confidence": s.confidence,
            "details": dict(s.details),
        }
        for s in ensemble.agents
    )
    return PredictionRecord(
        id=f"pr_{uuid.uuid4().hex[:20]}",
        pair=request.pair.upper(),
        horizon_days=request.horizon_days,
        direction=ensemble.direction,
        confidence=ensemble.confidence,
        agreement=ensemble.agreement,
        score=ensemble.score,
        probability_up=ensemble.probability_up,
        last_close=ensemble.last_close,
        expected_move_pct=ensemble.expected_move_pct,
        target_price=ensemble.target_price,
        source=source,
        candles_used=ensemble.candles_used,
        created_at=time.time_ns(),  # the service's edge: wall time stamps the record
        weights=dict(ensemble.weights),
        agents=agents,
    )


def get_prediction_service(services: ServicesDep, settings: SettingsDep) -> PredictionService:
    """Return the running app's prediction service, built on first use over its store."""
    service = services.cache.get("predictions")
    if not isinstance(service, PredictionService):
        data_dir = os.environ.get(DATA_DIR_ENV)
        service = PredictionService(
            PredictionRepository(services.store),
            min_confidence=settings.min_confidence,
            max_days=settings.max_prediction_days,
            source=CandleSource(Path(data_dir) if data_dir else None),
        )
        services.cache["predictions"] = service
    return service


Service = Annotated[PredictionService, Depends(get_prediction_service)]


@router.post(
    "",
    response_model=PredictionOut,
    status_code=201,
    responses=error_responses(400, 422),
    summary="Predict a pair's direction over a horizon",
)
def create_prediction(body: PredictionIn, service: Service) -> PredictionOut:
    """Run the four agents over the pair's candles and store the ensemble's call."""
    return service.create(body)


@router.get("", response_model=list[PredictionOut], summary="List stored predictions")
def list_predictions(
    service: Service,
    pair: Annotated[str | None, Query(pattern=PAIR_PATTERN)] = None,
    direction: Literal["up", "down", "flat"] | None = None,
    min_confidence: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """Return the newest predictions matching every filter given."""
    records = service.repository.list(
        pair=pair.upper() if pair else None,
        direction=direction,
        min_confidence=min_confidence,
        limit=limit,
    )
    # stored rows are trusted: serialize them directly, skipping a per-row validation
    return JSONResponse([service.to_dict(record) for record in records])


@router.get("/markets", response_model=list[str], summary="The seeded markets a request may name")
def list_markets() -> list[str]:
    """Return the market path names ``market`` accepts."""
    return scenario_names()


@router.get(
    "/{prediction_id}",
    response_model=PredictionOut,
    responses=error_responses(404),
    summary="One stored prediction",
)
def get_prediction(prediction_id: str, service: Service) -> PredictionOut:
    """Return the prediction with this id."""
    record = service.repository.get(prediction_id)
    if record is None:
        raise ApiError(404, "PREDICTION_NOT_FOUND", f"no prediction {prediction_id!r}")
    return service.to_out(record)
