"""The pool ladder's prediction filter: a prediction's direction and confidence gate entries."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from riskbus.bot.runner import BotConfig, BotSimulation
from riskbus.bot.strategies.pool_ladder import PoolLadder, PoolLadderConfig, PredictionFilter
from riskbus.market import PricePath
from riskbus.model.events.bot import PositionPurchased, PositionSold
from tests.stubs import D


def purchases_and_sales(prediction: dict[str, object] | None, *prices: float) -> tuple[int, int]:
    params: dict[str, object] = {"entry_signal": "always", "max_entries": 2}
    if prediction is not None:
        params["prediction_filter"] = prediction
    market = PricePath(np.array(prices, dtype=np.float64), spread_bps=0.0)
    sim = BotSimulation(
        PoolLadder(params=params),
        market,
        config=BotConfig(pool_count=2, initial_capital=D(4000)),
        record=True,
    )
    sim.run(len(prices) - 1)
    bought = sum(isinstance(m, PositionPurchased) for m in sim.messages)
    sold = sum(isinstance(m, PositionSold) for m in sim.messages)
    return bought, sold


@pytest.mark.parametrize(
    ("prediction", "entries"),
    [
        (None, 2),  # no filter: both pools enter
        ({"direction": "up", "confidence": 0.80}, 2),
        ({"direction": "up", "confidence": 0.70}, 2),  # at the threshold
        ({"direction": "up", "confidence": 0.69}, 0),  # just under it
        ({"direction": "down", "confidence": 0.95}, 0),
        ({"direction": "flat", "confidence": 0.95}, 0),
        ({"direction": "flat", "confidence": 0.95, "allow": ["up", "flat"]}, 2),
        ({"direction": "up", "confidence": 0.55, "min_confidence": 0.5}, 2),
    ],
)
def test_entries_follow_the_prediction(prediction: dict[str, object] | None, entries: int) -> None:
    assert purchases_and_sales(prediction, 100, 100, 100, 100) == (entries, 0)


def test_a_newer_blocking_prediction_stops_entries_but_not_take_profit() -> None:
    allowed = PredictionFilter(direction="up", confidence=0.8)
    blocked = PredictionFilter(direction="down", confidence=0.9)
    assert allowed.allows_entry() and not blocked.allows_entry()
    strategy = PoolLadder(PoolLadderConfig(entry_signal="always", prediction_filter=allowed))
    market = PricePath(np.array([100.0, 100.0, 100.0, 110.0, 110.0]), spread_bps=0.0)
    sim = BotSimulation(strategy, market, config=BotConfig(pool_count=2), record=True)
    runner = sim.runner
    advance = runner.before_cycle  # the simulation moves the market one step per cycle
    assert advance is not None
    # a fresher prediction arrives after cycle 1; the gate lifts again after cycle 3
    updates = {1: blocked, 3: None}

    def before_cycle() -> None:
        advance()
        if runner.cycle in updates:
            strategy.update_prediction(updates[runner.cycle])

    runner.before_cycle = before_cycle
    sim.run(4)
    bought = [(m.pool, m.cycle_id) for m in sim.messages if isinstance(m, PositionPurchased)]
    sold = [(m.pool, m.cycle_id) for m in sim.messages if isinstance(m, PositionSold)]
    # cycle 1 enters pool-1; cycles 2-3 open nothing; cycle 3 sells pool-1 at 110 (its
    # target is 102.05); in cycle 4 the gate is lifted and pool-1 enters again
    assert bought == [("pool-1", "1"), ("pool-1", "4")]
    assert sold == [("pool-1", "3")]


@pytest.mark.parametrize(
    "bad",
    [
        {"direction": "sideways", "confidence": 0.9},
        {"direction": "up", "confidence": 1.5},
        {"direction": "up"},
        {"direction": "up", "confidence": 0.9, "allow": []},
        {"direction": "up", "confidence": 0.9, "score": 0.3},
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="prediction_filter"):
        PoolLadderConfig.model_validate({"prediction_filter": bad})
