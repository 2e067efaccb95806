"""Bad input to the analytics raises InvalidValueError naming the parameter and the value."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from riskbus.analytics import (
    annualized_volatility,
    equity_from_returns,
    herfindahl_index,
    horizon_days,
    max_drawdown,
    score_from_metrics,
    sharpe_ratio,
    stress_test,
    value_at_risk,
    var_report,
)
from riskbus.core.errors import BadInputError, InvalidValueError

GOOD = [0.01, -0.02, 0.015, -0.005, 0.0, 0.02]


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"returns": []}, "returns", "at least 2"),
        ({"returns": [0.01]}, "returns", "got 1"),
        ({"returns": [0.01, math.nan, 0.02]}, "returns", "index 1"),
        ({"returns": [0.01, math.inf]}, "returns", "finite"),
        ({"returns": [[0.01, 0.02]]}, "returns", "one-dimensional"),
        ({"returns": ["a", "b"]}, "returns", "numbers"),
        ({"confidence": 1.0}, "confidence", "got 1.0"),
        ({"confidence": 0.0}, "confidence", "between 0 and 1"),
        ({"confidence": -0.5}, "confidence", "-0.5"),
        ({"confidence": math.nan}, "confidence", "finite"),
        ({"confidence": True}, "confidence", "number"),
        ({"confidence": "0.95"}, "confidence", "number"),
        ({"method": "garch"}, "method", "'garch'"),
        ({"method": 3}, "method", "historical"),
        ({"horizon": 0}, "horizon", "positive"),
        ({"horizon": -7}, "horizon", "-7"),
        ({"horizon": "1y"}, "horizon", "1d, 1w, 1m"),
        ({"horizon": 1.5}, "horizon", "whole number"),
        ({"horizon": 6}, "returns", "at least 7"),  # overlapping windows need horizon + 1
        ({"portfolio_value": 0}, "portfolio_value", "positive"),
        ({"method": "student_t", "df": 2}, "df", "greater than 2"),
        ({"method": "monte_carlo", "simulations": 10}, "simulations", "at least 100"),
        ({"method": "monte_carlo", "seed": 1.5}, "seed", "integer"),
        ({"monte_carlo_distribution": "cauchy"}, "monte_carlo_distribution", "cauchy"),
        ({"historical_scaling": "linear"}, "historical_scaling", "linear"),
    ],
)
def test_value_at_risk_rejects_bad_input(kwargs: dict[str, Any], field: str, fragment: str) -> None:
    arguments: dict[str, Any] = {"returns": GOOD} | kwargs
    returns = arguments.pop("returns")
    with pytest.raises(InvalidValueError) as info:
        value_at_risk(returns, **arguments)
    assert info.value.field == field
    assert field in str(info.value) and fragment in str(info.value)
    assert isinstance(info.value, BadInputError)


@pytest.mark.parametrize("empty", ["methods", "confidences", "horizons"])
def test_var_report_rejects_empty_lists(empty: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        var_report(GOOD, **{empty: ()})
    assert info.value.field == empty


def test_horizon_days_rejects_bool() -> None:
    with pytest.raises(InvalidValueError, match="horizon"):
        horizon_days(True)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sharpe_ratio([0.01, 0.02], periods_per_year=0), "periods_per_year"),
        (lambda: sharpe_ratio([0.01, 0.02], risk_free=math.nan), "risk_free"),
        (lambda: annualized_volatility(np.array([0.01])), "returns"),
        (lambda: max_drawdown([100.0, 0.0, 50.0]), "equity"),
        (lambda: max_drawdown([100.0]), "equity"),
        (lambda: equity_from_returns([0.01], start=-1.0), "start"),
        (lambda: stress_test({}, "covid_2020"), "holdings"),
        (lambda: stress_test({"BTC": -5.0}, "covid_2020"), "holdings.BTC"),
        (lambda: stress_test({"BTC": 0.0}, "covid_2020"), "holdings"),
        (lambda: stress_test({"": 5.0}, "covid_2020"), "holdings"),
        (lambda: stress_test({"BTC": 5.0}, "martian_invasion"), "scenario"),
        (lambda: herfindahl_index({"BTC": math.inf}), "holdings.BTC"),
        (lambda: score_from_metrics(var=0.1, volatility=-1, max_drawdown=0.1), "volatility"),
        (lambda: score_from_metrics(var=0.1, volatility=1, max_drawdown=math.nan), "max_drawdown"),
    ],
)
def test_other_functions_name_the_bad_parameter(call: Any, field: str) -> None:
    with pytest.raises(InvalidValueError) as info:
        call()
    assert info.value.field == field
