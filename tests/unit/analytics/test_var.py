from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from riskbus.analytics import (
    HORIZONS,
    VaRMethod,
    VaRResult,
    horizon_days,
    value_at_risk,
    var_report,
)

MU, SIGMA = 0.001, 0.02


def exact_moments(n: int = 1_000, seed: int = 1, mu: float = MU, sigma: float = SIGMA):
    """Returns whose sample mean is ``mu`` and sample std (ddof=1) is ``sigma``."""
    z = np.random.default_rng(seed).normal(size=n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mu + sigma * z


@pytest.mark.parametrize("confidence", [0.95, 0.99])
@pytest.mark.parametrize("days", [1, 7, 30])
def test_normal_var_and_cvar_are_the_closed_forms(confidence: float, days: int) -> None:
    result = value_at_risk(exact_moments(), method="normal", confidence=confidence, horizon=days)
    mu, sigma = MU * days, SIGMA * math.sqrt(days)
    z_alpha = stats.norm.ppf(1 - confidence)  # negative
    assert result.var == pytest.approx(-(mu + sigma * z_alpha), abs=1e-12)
    expected_cvar = sigma * stats.norm.pdf(z_alpha) / (1 - confidence) - mu
    assert result.cvar == pytest.approx(expected_cvar, abs=1e-12)
    assert result.cvar > result.var > 0
    assert (result.method, result.confidence, result.horizon_days) == (
        VaRMethod.NORMAL,
        confidence,
        days,
    )


def test_normal_var_figures_at_95_percent_one_day() -> None:
    result = value_at_risk(exact_moments(), method="normal", confidence=0.95)
    assert result.var == pytest.approx(0.02 * 1.6448536269514722 - 0.001, abs=1e-12)
    assert result.cvar == pytest.approx(0.02 * 2.0627128075074257 - 0.001, abs=1e-12)


@pytest.mark.parametrize(
    ("df", "confidence", "days"), [(5.0, 0.99, 1), (3.5, 0.95, 7), (30, 0.99, 30)]
)
def test_student_t_var_and_cvar_are_the_closed_forms(
    df: float, confidence: float, days: int
) -> None:
    result = value_at_risk(
        exact_moments(), method="student_t", confidence=confidence, horizon=days, df=df
    )
    scale = SIGMA * math.sqrt((df - 2) / df) * math.sqrt(days)
    q = stats.t.ppf(confidence, df)
    assert result.var == pytest.approx(q * scale - MU * days, abs=1e-12)
    # CVaR checked against a numerical tail expectation, not the same closed form.
    tail_mean = stats.t.expect(lambda x: x, args=(df,), lb=q) / (1 - confidence)
    assert result.cvar == pytest.approx(scale * tail_mean - MU * days, rel=1e-6)
    assert result.df == df


def test_student_t_has_fatter_tails_than_normal_at_99_percent() -> None:
    data = exact_moments()
    normal = value_at_risk(data, method="normal", confidence=0.99)
    t = value_at_risk(data, method="student_t", confidence=0.99, df=4)
    assert t.var > normal.var and t.cvar > normal.cvar


def test_student_t_fits_df_from_fat_tailed_data() -> None:
    data = 0.02 * np.random.default_rng(3).standard_t(4, size=4_000)
    result = value_at_risk(data, method="student_t", confidence=0.99)
    assert result.df is not None and 3.0 <= result.df <= 6.0
    near_normal = value_at_risk(exact_moments(n=4_000), method="t")
    assert near_normal.df is not None and near_normal.df > 20


def test_fitted_df_is_clamped_to_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    cauchy = 0.01 * np.random.default_rng(4).standard_cauchy(size=2_000)
    assert value_at_risk(cauchy, method="student_t").df == 3.0
    from scipy import stats

    monkeypatch.setattr(stats.t, "fit", lambda data: (math.nan, 0.0, 1.0))
    assert value_at_risk(exact_moments(), method="student_t").df == 100.0


def test_student_t_df_of_constant_returns_is_the_upper_bound() -> None:
    result = value_at_risk([0.01] * 10, method="student_t")
    assert result.df == 100.0
    assert result.var == pytest.approx(-0.01) and result.cvar == pytest.approx(-0.01)


@pytest.mark.parametrize(
    ("confidence", "var", "cvar"), [(0.9, 0.041, 0.05), (0.8, 0.032, 0.045), (0.5, 0.005, 0.03)]
)
def test_historical_var_on_a_known_small_array(confidence: float, var: float, cvar: float) -> None:
    returns = [0.02, -0.05, 0.04, -0.01, 0.00, -0.03, 0.01, -0.04, 0.03, -0.02]
    result = value_at_risk(returns, method="historical", confidence=confidence)
    assert result.var == pytest.approx(var, abs=1e-12)
    assert result.cvar == pytest.approx(cvar, abs=1e-12)
    assert result.observations == 10


def test_historical_multi_day_uses_overlapping_compounded_returns() -> None:
    returns = [0.1, -0.1, 0.2, -0.5]  # 2-day returns: -0.01, 0.08, -0.40
    result = value_at_risk(returns, method="historical", confidence=0.5, horizon=2)
    assert result.var == pytest.approx(0.01, abs=1e-12)
    assert result.cvar == pytest.approx(0.205, abs=1e-12)
    scaled = value_at_risk(
        returns, method="historical", confidence=0.5, horizon=2, historical_scaling="sqrt"
    )
    assert scaled.var == pytest.approx(0.0, abs=1e-12)
    assert scaled.cvar == pytest.approx(0.3 * math.sqrt(2), abs=1e-12)


def test_monte_carlo_converges_to_parametric_normal_with_a_fixed_seed() -> None:
    data = exact_moments()
    for confidence in (0.95, 0.99):
        normal = value_at_risk(data, method="normal", confidence=confidence)
        mc = value_at_risk(data, method="monte_carlo", confidence=confidence, seed=7)
        # 100,000 paths: the standard error of the 99 % quantile is about 0.012 σ
        assert mc.var == pytest.approx(normal.var, abs=0.04 * SIGMA)
        assert mc.cvar == pytest.approx(normal.cvar, abs=0.05 * SIGMA)
        assert mc.simulations == 100_000 and mc.df is None


def test_monte_carlo_multi_day_compounds_close_to_sqrt_scaling() -> None:
    data = exact_moments()
    normal = value_at_risk(data, method="normal", horizon="1w")
    mc = value_at_risk(data, method="monte_carlo", horizon="1w", simulations=50_000, seed=1)
    assert mc.var == pytest.approx(normal.var, rel=0.05)


def test_monte_carlo_student_t_draws_match_parametric_t() -> None:
    data = exact_moments()
    t = value_at_risk(data, method="student_t", df=5, confidence=0.99)
    mc = value_at_risk(
        data, method="monte_carlo", df=5, confidence=0.99, monte_carlo_distribution="student_t"
    )
    assert mc.df == 5 and mc.var == pytest.approx(t.var, rel=0.03)


def test_monte_carlo_is_deterministic_per_seed() -> None:
    data = exact_moments()
    a = value_at_risk(data, method="monte_carlo", simulations=1_000, seed=42)
    b = value_at_risk(data, method="monte_carlo", simulations=1_000, seed=42)
    c = value_at_risk(data, method="monte_carlo", simulations=1_000, seed=43)
    assert a == b and a.var != c.var


def test_amounts_in_currency_when_a_portfolio_value_is_given() -> None:
    result = value_at_risk(exact_moments(), method="normal", portfolio_value=250_000)
    assert result.var_amount == pytest.approx(result.var * 250_000)
    assert result.cvar_amount == pytest.approx(result.cvar * 250_000)
    data = result.to_dict()
    assert data["method"] == "normal" and data["portfolio_value"] == 250_000.0
    bare = value_at_risk(exact_moments(), method="normal")
    assert bare.var_amount is None and bare.cvar_amount is None


def test_horizons_follow_the_crypto_calendar() -> None:
    assert dict(HORIZONS) == {"1d": 1, "1w": 7, "1m": 30}
    assert [horizon_days(h) for h in ("1d", "1W", "1m", "7", "10d", 3)] == [1, 7, 30, 7, 10, 3]


def test_var_report_covers_every_combination_in_order() -> None:
    results = var_report(exact_moments(), simulations=2_000)
    assert len(results) == 4 * 2 * 3
    assert all(isinstance(r, VaRResult) for r in results)
    assert [r.method for r in results[::6]] == list(VaRMethod)
    assert [(r.confidence, r.horizon_days) for r in results[:6]] == [
        (0.95, 1), (0.95, 7), (0.95, 30), (0.99, 1), (0.99, 7), (0.99, 30)
    ]  # fmt: skip
    t_results = [r for r in results if r.method is VaRMethod.STUDENT_T]
    assert len({r.df for r in t_results}) == 1  # fitted once


@pytest.mark.parametrize(
    ("alias", "method"),
    [
        ("parametric", VaRMethod.NORMAL),
        ("T", VaRMethod.STUDENT_T),
        ("mc", VaRMethod.MONTE_CARLO),
        (VaRMethod.HISTORICAL, VaRMethod.HISTORICAL),
    ],
)
def test_method_names_and_aliases(alias: str, method: VaRMethod) -> None:
    assert VaRMethod.parse(alias) is method
