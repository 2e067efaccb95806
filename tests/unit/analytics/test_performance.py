from __future__ import annotations

import math

import numpy as np
import pytest

from riskbus.analytics import (
    DEFAULT_PERIODS_PER_YEAR,
    Drawdown,
    annualized_return,
    annualized_volatility,
    calmar_ratio,
    equity_from_returns,
    max_drawdown,
    max_drawdown_from_returns,
    returns_from_equity,
    sharpe_ratio,
    sortino_ratio,
)

# A tiny series worked by hand, annualised with 4 periods a year.
R = [0.10, -0.05, 0.02, -0.03]
# mean 0.01; deviations .09 -.06 .01 -.04 -> squares sum .0134 -> sample std sqrt(.0134/3)
STD = math.sqrt(0.0134 / 3)
# equity 1, 1.1, 1.045, 1.0659, 1.033923; peak 1.1 at 1, trough at 4, never recovered
MDD = 1 - 1.033923 / 1.1


def test_sharpe_by_hand() -> None:
    assert sharpe_ratio(R, periods_per_year=4) == pytest.approx(0.01 / STD * 2, rel=1e-12)
    assert sharpe_ratio(R, periods_per_year=4) == pytest.approx(0.2992528, rel=1e-6)
    # a per-period risk-free rate comes off every return
    assert sharpe_ratio(R, risk_free=0.01, periods_per_year=4) == pytest.approx(0.0, abs=1e-12)


def test_sortino_uses_downside_deviation_over_all_periods() -> None:
    downside = math.sqrt((0.05**2 + 0.03**2) / 4)
    assert sortino_ratio(R, periods_per_year=4) == pytest.approx(0.01 / downside * 2, rel=1e-12)
    assert sortino_ratio(R, periods_per_year=4) == pytest.approx(0.6859943, rel=1e-6)
    # target 0.02: excess -> .08 -.07 0 -.05
    downside_t = math.sqrt((0.07**2 + 0.05**2) / 4)
    expected = (-0.01 / downside_t) * 2
    assert sortino_ratio(R, target=0.02, periods_per_year=4) == pytest.approx(expected)


def test_calmar_is_cagr_over_max_drawdown() -> None:
    cagr = 1.1 * 0.95 * 1.02 * 0.97 - 1  # four periods at four a year: one year
    assert annualized_return(R, periods_per_year=4) == pytest.approx(cagr, rel=1e-12)
    assert calmar_ratio(R, periods_per_year=4) == pytest.approx(cagr / MDD, rel=1e-12)
    assert calmar_ratio(R, periods_per_year=4) == pytest.approx(0.5647245, rel=1e-6)


def test_volatility_and_default_annualisation_is_365() -> None:
    assert DEFAULT_PERIODS_PER_YEAR == 365
    assert annualized_volatility(R) == pytest.approx(STD * math.sqrt(365), rel=1e-12)
    assert sharpe_ratio(R) == pytest.approx(0.01 / STD * math.sqrt(365), rel=1e-12)


def test_max_drawdown_from_returns_by_hand() -> None:
    dd = max_drawdown_from_returns(R)
    assert dd.max_drawdown == pytest.approx(MDD, rel=1e-12)
    assert (dd.peak_index, dd.trough_index, dd.recovery_index, dd.duration) == (1, 4, None, 3)
    assert not dd.recovered
    assert dd.peak_value == pytest.approx(1.1) and dd.trough_value == pytest.approx(1.033923)


@pytest.mark.parametrize(
    ("equity", "expected"),
    [
        ([100, 120, 90, 95, 130, 80, 85], Drawdown(1 - 80 / 130, 4, 5, None, 2, 130.0, 80.0)),
        ([100, 80, 90, 100, 110], Drawdown(0.2, 0, 1, 3, 3, 100.0, 80.0)),
        (
            [100, 100, 50, 50, 100],
            Drawdown(0.5, 1, 2, 4, 3, 100.0, 50.0),
        ),  # last peak, first trough
        ([1, 2, 3], Drawdown(0.0, 0, 0, 0, 0, 1.0, 1.0)),
    ],
)
def test_max_drawdown_of_equity_curves(equity: list[float], expected: Drawdown) -> None:
    dd = max_drawdown(equity)
    assert dd.max_drawdown == pytest.approx(expected.max_drawdown, rel=1e-12)
    assert dd == Drawdown(dd.max_drawdown, *[getattr(expected, f) for f in (
        "peak_index", "trough_index", "recovery_index", "duration", "peak_value", "trough_value"
    )])  # fmt: skip
    assert dd.to_dict()["peak_index"] == expected.peak_index


@pytest.mark.parametrize(
    ("returns", "peak", "trough", "duration"), [([0.5, -1.0, 0.2], 1, 2, 2), ([-1.2], 0, 1, 1)]
)
def test_a_total_loss_is_a_full_drawdown(
    returns: list[float], peak: int, trough: int, duration: int
) -> None:
    dd = max_drawdown_from_returns(returns)
    assert (dd.max_drawdown, dd.peak_index, dd.trough_index) == (1.0, peak, trough)
    assert dd.recovery_index is None and dd.duration == duration and dd.trough_value == 0.0
    assert annualized_return(returns, periods_per_year=365) == -1.0


def test_equity_and_returns_round_trip() -> None:
    returns = np.random.default_rng(0).normal(0.001, 0.02, 500)
    equity = equity_from_returns(returns, start=1_000.0)
    assert equity[0] == 1_000.0 and equity.size == 501
    np.testing.assert_allclose(returns_from_equity(equity), returns, rtol=0, atol=1e-12)
    assert max_drawdown(equity).max_drawdown == pytest.approx(
        max_drawdown_from_returns(returns).max_drawdown, rel=1e-12
    )


@pytest.mark.parametrize(
    ("returns", "expected"),
    [([0.1, 0.1, 0.1], math.inf), ([0.0, 0.0], 0.0), ([-0.01, -0.01, -0.01], -math.inf)],
)
def test_zero_risk_gives_signed_infinity(returns: list[float], expected: float) -> None:
    assert sharpe_ratio(returns) == expected


def test_no_downside_or_no_drawdown_gives_infinite_sortino_and_calmar() -> None:
    assert sortino_ratio([0.01, 0.02]) == math.inf
    assert calmar_ratio([0.01, 0.02], periods_per_year=365) == math.inf
