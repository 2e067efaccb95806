"""``riskbus risk var`` driven in-process through ``riskbus.cli.main.main``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from riskbus.analytics import value_at_risk
from riskbus.cli import groups
from riskbus.cli.main import EXIT_BAD_INPUT, EXIT_OK, main
from riskbus.cli.risk import read_series

RETURNS = np.random.default_rng(5).normal(0.001, 0.03, 200)


@pytest.fixture
def returns_csv(tmp_path: Path) -> Path:
    path = tmp_path / "returns.csv"
    rows = "".join(f"2024-01-{i % 28 + 1:02d},{r!r}\n" for i, r in enumerate(RETURNS.tolist()))
    path.write_text("date,returns\n" + rows)
    return path


@pytest.fixture
def prices_csv(tmp_path: Path) -> Path:
    prices = 100.0 * np.cumprod(np.r_[1.0, 1.0 + RETURNS])
    path = tmp_path / "prices.csv"
    path.write_text("close\n" + "".join(f"{p!r}\n" for p in prices.tolist()))
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_risk_is_a_registered_group() -> None:
    assert "risk" in groups.GROUPS


def test_json_output_matches_the_library(
    returns_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["risk", "var", "--returns", str(returns_csv), "--method", "normal",
         "--confidence", "0.99", "--horizon", "1w", "--portfolio-value", "10000", "--json"],
        capsys,
    )  # fmt: skip
    assert code == EXIT_OK
    payload = json.loads(out)
    assert payload["column"] == "returns" and payload["observations"] == 200
    assert payload["input"] == "returns" and payload["file"] == str(returns_csv)
    [result] = payload["results"]
    expected = value_at_risk(RETURNS, method="normal", confidence=0.99, horizon=7)
    assert result["method"] == "normal" and result["horizon_days"] == 7
    assert result["var"] == pytest.approx(expected.var, rel=1e-12)
    assert result["cvar"] == pytest.approx(expected.cvar, rel=1e-12)
    assert result["var_amount"] == pytest.approx(expected.var * 10_000, rel=1e-12)


def test_table_lists_every_method_by_default(
    returns_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["risk", "var", "--returns", str(returns_csv)], capsys)
    assert code == EXIT_OK
    for method in ("historical", "normal", "student_t", "monte_carlo"):
        assert method in out
    historical = value_at_risk(RETURNS)
    assert f"{historical.var:.2%}" in out and "95.0%" in out and "1 d" in out


def test_table_shows_amounts_with_a_portfolio_value(
    returns_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["risk", "var", "--returns", str(returns_csv), "--method", "historical",
         "--portfolio-value", "1000000", "--horizon", "1m"], capsys
    )  # fmt: skip
    assert code == EXIT_OK
    expected = value_at_risk(RETURNS, horizon=30, portfolio_value=1_000_000)
    assert expected.var_amount is not None
    assert "VaR amount" in out and f"{expected.var_amount:,.2f}" in out and "30 d" in out


def test_prices_are_converted_to_returns(
    prices_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["risk", "var", "--returns", str(prices_csv), "--prices", "--method", "historical",
         "--json"], capsys
    )  # fmt: skip
    assert code == EXIT_OK
    payload = json.loads(out)
    assert payload["column"] == "close" and payload["input"] == "prices"
    expected = value_at_risk(RETURNS)
    assert payload["results"][0]["var"] == pytest.approx(expected.var, rel=1e-9)


def test_a_one_column_file_needs_no_column_name(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(" pnl \n0.01\n-0.02\n0.03\n")
    name, data = read_series(path)
    assert name == "pnl" and data.tolist() == [0.01, -0.02, 0.03]


def test_monte_carlo_seed_is_used(returns_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for seed in ("1", "1", "2"):
        code, out, _ = run(
            ["risk", "var", "--returns", str(returns_csv), "--method", "mc", "--seed", seed,
             "--json"], capsys
        )  # fmt: skip
        assert code == EXIT_OK
        outputs.append(json.loads(out)["results"][0]["var"])
    assert outputs[0] == outputs[1] != outputs[2]


@pytest.mark.parametrize(
    ("content", "extra", "fragments"),
    [
        (None, [], ["missing.csv", "cannot read"]),
        ("date,returns\n1,0.01\n", ["--column", "ret"], ["ret", "not found", "date, returns"]),
        ("date,pnl\n1,0.01\n2,0.02\n", [], ["returns", "column not found"]),
        ("returns\n0.01\nabc\n0.02\n", [], [":3 returns", "not a number: 'abc'"]),
        ("returns\n0.01\nnan\n", [], [":3 returns", "not a finite number"]),
        ("returns\n0.01\n", [], ["returns", "at least 2 observations (got 1)"]),
        ("", [], ["empty"]),
        ("close\n100\n0\n", ["--prices"], [":3 close", "prices must be positive"]),
        ("returns\n0.01\n0.02\n0.03\n", ["--confidence", "1.5"], ["--confidence", "1.5"]),
        ("returns\n0.01\n0.02\n0.03\n", ["--horizon", "0"], ["--horizon", "positive"]),
        ("returns\n0.01\n0.02\n0.03\n", ["--method", "garch"], ["--method", "'garch'", "or all"]),
        ("returns\n0.01\n0.02\n0.03\n", ["--portfolio-value", "-5"], ["--portfolio-value"]),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_file_and_column(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    extra: list[str],
    fragments: list[str],
) -> None:
    path = tmp_path / "missing.csv"
    if content is not None:
        path = tmp_path / "data.csv"
        path.write_text(content)
    code, out, err = run(["risk", "var", "--returns", str(path), *extra], capsys)
    assert code == EXIT_BAD_INPUT
    assert out == ""
    message = " ".join(err.split())  # rich may wrap long lines
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message
