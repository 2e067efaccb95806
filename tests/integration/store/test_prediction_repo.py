"""The prediction repository on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from riskbus.store import PredictionRecord, PredictionRepository, open_store


def record(n: int, pair: str, direction: str, confidence: float) -> PredictionRecord:
    return PredictionRecord(
        id=f"pr_{n:04d}",
        pair=pair,
        horizon_days=7,
        direction=direction,
        confidence=confidence,
        agreement=confidence,
        score=0.25 if direction == "up" else -0.25,
        probability_up=0.625 if direction == "up" else 0.375,
        last_close=100.0 + n,
        expected_move_pct=1.5,
        target_price=101.5 + n,
        source="market:gbm seed=7",
        candles_used=120,
        created_at=1_700_000_000_000_000_000 + n,
        weights={"trend": 0.3, "momentum": 0.25, "mean_reversion": 0.2, "volatility_regime": 0.25},
        agents=(
            {
                "agent": "trend",
                "direction": direction,
                "score": 0.5,
                "confidence": 0.5,
                "details": {"slope_per_candle": 0.001, "fitted_move": 0.019},
            },
        ),
    )


def test_predictions_round_trip_and_list_by_filter(store_url: str) -> None:
    with open_store(store_url) as store:
        repository = PredictionRepository(store)
        saved = [
            record(1, "BTC/USDT", "up", 0.80),
            record(2, "ETH/USDT", "down", 0.75),
            record(3, "BTC/USDT", "down", 0.95),
        ]
        for item in saved:
            repository.save(item)
        assert repository.get("pr_0002") == saved[1]
        assert repository.get("pr_9999") is None
        assert [p.id for p in repository.list()] == ["pr_0003", "pr_0002", "pr_0001"]
        assert [p.id for p in repository.list(pair="BTC/USDT")] == ["pr_0003", "pr_0001"]
        assert [p.id for p in repository.list(direction="down", min_confidence=0.8)] == ["pr_0003"]
        assert [p.id for p in repository.list(limit=1)] == ["pr_0003"]
        assert repository.list(min_confidence=0.96) == []


def test_an_id_is_stored_once(store_url: str) -> None:
    with open_store(store_url) as store:
        repository = PredictionRepository(store)
        repository.save(record(1, "BTC/USDT", "up", 0.8))
        with pytest.raises(IntegrityError):
            repository.save(record(1, "BTC/USDT", "up", 0.8))
        assert len(repository.list()) == 1
