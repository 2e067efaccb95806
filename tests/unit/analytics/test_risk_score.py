from __future__ import annotations

import numpy as np
import pytest

from riskbus.analytics import (
    SCORE_BANDS,
    annualized_volatility,
    herfindahl_index,
    max_drawdown_from_returns,
    risk_score,
    score_from_metrics,
    value_at_risk,
)


def test_weights_sum_to_one() -> None:
    assert sum(band.weight for band in SCORE_BANDS.values()) == pytest.approx(1.0)


def test_halfway_on_every_metric_scores_fifty() -> None:
    # penalties: (0.07-0.02)/0.10, (0.6-0.2)/0.8, (0.3-0.1)/0.4, (0.3-0.1)/0.4 = 0.5 each
    score = score_from_metrics(var=0.07, volatility=0.6, max_drawdown=0.3, concentration=0.3)
    assert score.score == pytest.approx(50.0)
    assert score.level == "moderate"
    assert [c.name for c in score.components] == ["var", "volatility", "drawdown", "concentration"]
    assert [c.penalty for c in score.components] == pytest.approx([0.5] * 4)
    assert [c.points_lost for c in score.components] == pytest.approx([15.0, 12.5, 12.5, 10.0])


def test_without_holdings_the_other_weights_are_rescaled() -> None:
    score = score_from_metrics(var=0.02, volatility=1.0, max_drawdown=0.1)
    # weights .30/.80, .25/.80, .25/.80; only volatility is penalised, fully
    assert score.component("volatility").weight == pytest.approx(0.3125)
    assert score.score == pytest.approx(100 - 31.25)
    assert len(score.components) == 3
    with pytest.raises(KeyError):
        score.component("concentration")


@pytest.mark.parametrize(
    ("var", "volatility", "drawdown", "concentration", "score", "level"),
    [
        (0.0, 0.1, 0.05, 0.05, 100.0, "low"),
        (0.5, 3.0, 0.9, 1.0, 0.0, "very_high"),
        (0.12, 0.2, 0.5, 0.1, 45.0, "high"),
        (0.045, 0.2, 0.1, 0.1, 92.5, "low"),
        (-0.01, 1.0, 0.5, 0.2, 45.0, "high"),
    ],
)
def test_penalties_are_clamped_ramps(
    var: float, volatility: float, drawdown: float, concentration: float, score: float, level: str
) -> None:
    result = score_from_metrics(
        var=var, volatility=volatility, max_drawdown=drawdown, concentration=concentration
    )
    assert result.score == pytest.approx(score)
    assert result.level == level


def test_levels_at_their_thresholds() -> None:
    # var penalty 0.8 with weight .3 and nothing else: score = 100 - 24
    low = score_from_metrics(var=0.10, volatility=0, max_drawdown=0, concentration=0)
    assert (low.score, low.level) == (pytest.approx(76.0), "low")
    ramp = [
        score_from_metrics(var=1, volatility=v, max_drawdown=d, concentration=c)
        for v, d, c in ((0.2, 0.1, 0.1), (0.52, 0.1, 0.1), (1.0, 0.1, 0.5), (1.0, 0.5, 0.5))
    ]
    assert [r.score for r in ramp] == pytest.approx([70.0, 60.0, 25.0, 0.0])
    assert [r.level for r in ramp] == ["moderate", "moderate", "high", "very_high"]


@pytest.mark.parametrize(
    ("holdings", "hhi"),
    [({"BTC": 100.0}, 1.0), ({"BTC": 50.0, "ETH": 50.0}, 0.5),
     ({"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0}, 0.25), ({"A": 3.0, "B": 1.0}, 0.625)],
)  # fmt: skip
def test_herfindahl_index(holdings: dict[str, float], hhi: float) -> None:
    assert herfindahl_index(holdings) == pytest.approx(hhi)


def test_risk_score_from_returns_uses_the_documented_metrics() -> None:
    returns = np.random.default_rng(2).normal(0.0005, 0.03, 365)
    holdings = {"BTC": 60_000.0, "ETH": 30_000.0, "SOL": 10_000.0}
    result = risk_score(returns, holdings)
    expected = score_from_metrics(
        var=value_at_risk(returns, confidence=0.95).var,
        volatility=annualized_volatility(returns),
        max_drawdown=max_drawdown_from_returns(returns).max_drawdown,
        concentration=herfindahl_index(holdings),
    )
    assert result == expected
    assert 0.0 <= result.score <= 100.0
    data = result.to_dict()
    assert data["level"] == result.level
    assert set(data["components"]) == {"var", "volatility", "drawdown", "concentration"}  # type: ignore[arg-type]
    calm = risk_score(np.random.default_rng(2).normal(0.0005, 0.002, 365))
    assert calm.score > result.score and calm.level == "low"
