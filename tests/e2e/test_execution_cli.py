"""`riskbus rebalance` and `riskbus liquidate` on the shipped examples, like a user."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from riskbus.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rebalance"
HOLDINGS = str(EXAMPLES / "holdings.yaml")
TARGETS = str(EXAMPLES / "targets.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_rebalance_json_sells_first_and_completes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "rebalance", "--holdings", HOLDINGS, "--targets", TARGETS, "--dry-run", "--json"
    )
    assert code == 0, err
    payload = json.loads(out)
    orders = payload["plan"]["orders"]
    assert [(o["symbol"], o["side"], o["usd"]) for o in orders] == [
        ("BTC", "SELL", "-6400.00"),
        ("ETH", "SELL", "-2400.00"),
        ("SOL", "BUY", "5100.00"),
    ]
    stats = payload["stats"]
    assert (stats["total_orders"], stats["completed"], stats["failed"]) == (3, 3, 0)
    assert stats["success_rate"] == 100.0
    assert Decimal(stats["fees"]) == Decimal(stats["volume_executed"]) * Decimal("0.0005")
    assert payload["venue_reason"] == "DRY_RUN: hint=binance"
    again = run(
        capsys, "rebalance", "--holdings", HOLDINGS, "--targets", TARGETS, "--dry-run", "--json"
    )[1]
    assert again == out  # deterministic


def test_rebalance_table_and_strict_level_failing_a_large_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    strict = tmp_path / "targets.yaml"
    strict.write_text(
        Path(TARGETS)
        .read_text()
        .replace("max_single_order_usd: 10000", "max_single_order_usd: 6000")
    )
    code, out, err = run(
        capsys, "rebalance", "--holdings", HOLDINGS, "--targets", str(strict), "--level", "strict"
    )
    assert code == 0, err
    assert "plan rebalance" in out and "SELL" in out
    assert "VENUE_NOT_REGISTERED: hint=binance, fallback=simulator" in out
    assert "failed rebalance-0001: SAFETY_CHECK_FAILED: level=strict, ORDER_AMOUNT_LIMIT" in out


def test_bad_targets_file_exits_2_naming_file_key_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "targets.yaml"
    bad.write_text("weights:\n  BTC: 0.5\n  ETH: 0.5\nmin_trade_usd: -3\nplatfrom: x\n")
    code, _, err = run(capsys, "rebalance", "--holdings", HOLDINGS, "--targets", str(bad))
    assert code == 2
    assert f"{bad}:4 min_trade_usd: Input should be greater than or equal to 0" in err
    assert f"{bad}:5 platfrom: unknown key 'platfrom'; did you mean 'platform'?" in err


def test_weights_not_summing_to_one_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "targets.yaml"
    bad.write_text("min_trade_usd: 10\nweights:\n  BTC: 0.5\n")
    code, _, err = run(capsys, "rebalance", "--holdings", HOLDINGS, "--targets", str(bad))
    assert code == 2
    assert f"{bad}:2 weights: must sum to 1 (got 0.5)" in err
    bad.write_text("weights:\n  BTC: -0.5\n  ETH: 1.5\n")
    code, _, err = run(capsys, "rebalance", "--holdings", HOLDINGS, "--targets", str(bad))
    assert code == 2
    assert f"{bad}:1 weights: BTC: must not be negative (got -0.5)" in err


def test_liquidate_fifo_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "liquidate",
        "--holdings",
        HOLDINGS,
        "--strategy",
        "fifo",
        "--symbol",
        "BTC",
        "--quantity",
        "0.2",
        "--max-notional",
        "5000",
        "--dry-run",
        "--json",
    )
    assert code == 0, err
    payload = json.loads(out)
    assert [(lot["lot"], lot["quantity"]) for lot in payload["lots"]] == [
        ("BTC-0", "0.10"),
        ("BTC-1", "0.10"),
    ]
    # (64,000 - 29,000) x 0.1 + (64,000 - 71,000) x 0.1
    assert Decimal(payload["realized_pnl"]) == Decimal(2800)
    assert [o["quantity"] for o in payload["plan"]["orders"]] == [
        "0.07812500",
        "0.07812500",
        "0.04375000",
    ]
    assert payload["stats"]["completed"] == 3


def test_liquidate_quantity_without_symbol_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "liquidate", "--holdings", HOLDINGS, "--quantity", "1")
    assert code == 2 and "--quantity" in err
