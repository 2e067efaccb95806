"""Stored market predictions (table ``predictions`` of revision 0003).

The service writes each prediction it returns, committed before the response, and lists
them back with filters. Scores and prices are floats: predictions are analytics, never
accounting. The agents' details and the weights are kept as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from riskbus.store.engine import Store
from riskbus.store.schema import Base

__all__ = ["PredictionRecord", "PredictionRepository", "PredictionRow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionRecord:
    """One stored prediction.

    Attributes:
        id: unique id (``pr_...``).
        pair: the market, e.g. ``BTC/USDT``.
        horizon_days: how far ahead the prediction looks.
        direction: ``up``, ``down`` or ``flat``.
        confidence: the ensemble's confidence (its agreement), 0–1.
        agreement: the share of weight behind the direction, 0–1.
        score: the weighted score, -1..1.
        probability_up: ``(1 + score) / 2``.
        last_close: the last close the agents saw.
        expected_move_pct: the trend's projected move over the horizon, in percent.
        target_price: ``last_close`` moved by ``expected_move_pct``.
        source: where the candles came from (``scenario:gbm seed=7`` or a file).
        candles_used: how many candles the agents read.
        created_at: ns since the epoch.
        weights: agent → normalised weight.
        agents: one mapping per agent (agent, score, direction, confidence, details).
    """

    id: str
    pair: str
    horizon_days: int
    direction: str
    confidence: float
    agreement: float
    score: float
    probability_up: float
    last_close: float
    expected_move_pct: float
    target_price: float
    source: str
    candles_used: int
    created_at: int
    weights: Mapping[str, float] = field(default_factory=dict)
    agents: tuple[Mapping[str, Any], ...] = ()


class PredictionRow(Base):
    """One prediction; listed newest first, filtered by pair, direction and confidence."""

    __tablename__ = "predictions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pair: Mapped[str] = mapped_column(String(64), index=True)
    horizon_days: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    agreement: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    probability_up: Mapped[float] = mapped_column(Float)
    last_close: Mapped[float] = mapped_column(Float)
    expected_move_pct: Mapped[float] = mapped_column(Float)
    target_price: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(512))
    candles_used: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    agents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


_SCALARS = (
    "pair",
    "horizon_days",
    "direction",
    "confidence",
    "agreement",
    "score",
    "probability_up",
    "last_close",
    "expected_move_pct",
    "target_price",
    "source",
    "candles_used",
    "created_at",
)


_COLUMNS = (PredictionRow.id, *(getattr(PredictionRow, name) for name in _SCALARS))
_SELECT = select(*_COLUMNS, PredictionRow.weights, PredictionRow.agents)


def _record(row: Any) -> PredictionRecord:
    """Build a record from a row of :data:`_SELECT` (plain columns: no ORM objects)."""
    values = row._mapping
    return PredictionRecord(
        id=values["id"],
        weights=dict(values["weights"]),
        agents=tuple(values["agents"]),
        **{name: values[name] for name in _SCALARS},
    )


class PredictionRepository:
    """Predictions in the store's database; every write is committed before it returns.

    Args:
        store: an open store (its migrations create the table).
    """

    def __init__(self, store: Store) -> None:
        self._sessions: sessionmaker[Session] = sessionmaker(store.engine, expire_on_commit=False)

    def save(self, record: PredictionRecord) -> None:
        """Insert ``record`` (its id must be new)."""
        row = PredictionRow(
            id=record.id,
            weights=dict(record.weights),
            agents=[dict(agent) for agent in record.agents],
            **{name: getattr(record, name) for name in _SCALARS},
        )
        with self._sessions.begin() as session:
            session.add(row)

    def get(self, prediction_id: str) -> PredictionRecord | None:
        """Return the prediction with this id, or None."""
        with self._sessions() as session:
            row = session.execute(_SELECT.where(PredictionRow.id == prediction_id)).first()
            return None if row is None else _record(row)

    def list(
        self,
        *,
        pair: str | None = None,
        direction: str | None = None,
        min_confidence: float | None = None,
        limit: int = 100,
    ) -> list[PredictionRecord]:
        """Return up to ``limit`` predictions matching every given filter, newest first."""
        query = _SELECT
        if pair is not None:
            query = query.where(PredictionRow.pair == pair)
        if direction is not None:
            query = query.where(PredictionRow.direction == direction)
        if min_confidence is not None:
            query = query.where(PredictionRow.confidence >= min_confidence)
        query = query.order_by(PredictionRow.created_at.desc(), PredictionRow.id.desc())
        with self._sessions() as session:
            return [_record(row) for row in session.execute(query.limit(limit))]
