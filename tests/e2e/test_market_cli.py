"""`riskbus market preview` and `list`, driven like a user: in process and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from riskbus.cli.main import main
from riskbus.market import generate

FLASH = ["market", "preview", "flash_crash", "--steps", "60", "--seed", "7", "--json"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def preview_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert out.count("\n") == 1  # exactly one JSON object on one line
    payload = json.loads(out)
    assert isinstance(payload, dict)
    return payload


def test_flash_crash_json_is_identical_every_run(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {run(capsys, *FLASH)[1] for _ in range(3)}
    assert len(outputs) == 1
    payload = json.loads(outputs.pop())
    assert set(payload) == {
        "scenario",
        "seed",
        "steps",
        "initial_price",
        "prices",
        "min",
        "max",
        "min_step",
        "total_return_pct",
        "volatility",
    }
    assert (payload["scenario"], payload["seed"], payload["steps"]) == ("flash_crash", 7, 60)
    assert payload["initial_price"] == 50_000.0
    assert len(payload["prices"]) == 60 and payload["prices"][0] == 50_000.0


def test_flash_crash_holds_minus_fifteen_percent_then_recovers_by_step_50(
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = preview_json(capsys, *FLASH)
    prices = payload["prices"]
    assert isinstance(prices, list)
    p0 = prices[0]
    for k in range(20, 30):
        assert prices[k] / p0 == pytest.approx(0.85, abs=0.0086)  # 0.85 ± 1 %
    for k in range(50, 60):
        assert prices[k] / p0 == pytest.approx(1.0, abs=0.0021)
    assert 20 <= payload["min_step"] <= 29  # type: ignore[operator]
    assert payload["min"] == min(prices)
    assert payload["max"] == max(prices)
    assert payload["total_return_pct"] == pytest.approx((prices[-1] / p0 - 1) * 100, abs=1e-6)


def test_another_seed_gives_other_noise_but_the_same_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seven = preview_json(capsys, *FLASH)["prices"]
    other = preview_json(capsys, *FLASH[:-3], "--seed", "8", "--json")["prices"]
    assert isinstance(seven, list) and isinstance(other, list)
    assert seven != other
    for a, b in zip(seven, other, strict=True):
        assert a / b == pytest.approx(1.0, abs=0.021)  # same level at every step, noise apart
    assert min(other[20:30]) / other[0] < 0.87 and abs(other[55] / other[0] - 1) < 0.003


def test_table_output_names_min_step_and_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "market", "preview", "bear_crash", "--steps", "80", "--seed", "1")
    assert code == 0
    for label in ("min step", "min", "max", "total return", "volatility", "bear_crash"):
        assert label in out
    stats = generate("bear_crash", 80, 1).stats()
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in out.splitlines()
        if line.count("│") == 3
    }
    assert rows["min step"] == str(stats.min_step)
    assert rows["total return"] == f"{stats.total_return_pct:+.2f} %"
    assert -32 < stats.total_return_pct < -25


def test_plot_writes_a_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "fc.png"
    code, out, _ = run(
        capsys, "market", "preview", "flash_crash", "--steps", "60", "--plot", str(png)
    )
    assert code == 0 and "plot written" in out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    json_png = tmp_path / "j.png"
    payload = preview_json(capsys, *FLASH, "--plot", str(json_png))
    assert json_png.stat().st_size > 1000 and payload["steps"] == 60


def test_plot_to_an_unwritable_place_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "market", "preview", "gbm", "--plot", str(tmp_path / "no/x.png"))
    assert code == 2 and "--plot" in err


def test_scenario_parameters_and_other_flags(capsys: pytest.CaptureFixture[str]) -> None:
    deep = preview_json(
        capsys,
        *FLASH,
        "--param",
        "depth=0.5",
        "--initial-price",
        "100",
        "--volatility-multiplier",
        "0",
        "--spread-bps",
        "10",
        "--step-seconds",
        "1",
    )
    prices = deep["prices"]
    assert isinstance(prices, list)
    assert prices[0] == 100 and prices[25] == 50.0
    regimes = preview_json(
        capsys,
        "market",
        "preview",
        "regime_switch",
        "--json",
        "--param",
        "transition=[[0.9,0.1],[0.1,0.9]]",
    )
    assert regimes["steps"] == 100


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["moon"], "unknown scenario 'moon'"),
        (["gbm", "--initial-price", "-5"], "initial_price"),
        (["gbm", "--initial-price", "0"], "initial_price"),
        (["gbm", "--steps", "0"], "steps"),
        (["gbm", "--volatility-multiplier", "-1"], "volatility_multiplier"),
        (["gbm", "--step-seconds", "0"], "--step-seconds"),
        (["gbm", "--param", "depth"], "--param"),
        (["gbm", "--param", "drift=abc"], "--param"),
        (["gbm", "--param", "seed=3"], "seed has a flag of its own"),
        (["gbm", "--param", "depth=0.2"], "depth"),
        (["gbm", "--steps", "many"], "--steps"),
    ],
)
def test_bad_input_exits_2_naming_the_parameter(
    capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    code, out, err = run(capsys, "market", "preview", *args)
    assert code == 2
    assert named in " ".join(err.split())
    assert out == ""


def test_list_names_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "market", "list")
    assert code == 0
    for name in ("flash_crash", "pump_and_dump", "irregular_candles", "regime_switch"):
        assert name in out


def test_the_installed_command_gives_the_same_json_as_in_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exe = Path(sys.executable).with_name("riskbus")
    results = [
        subprocess.run([str(exe), *FLASH], capture_output=True, text=True, timeout=60, check=False)
        for _ in range(2)
    ]
    assert [r.returncode for r in results] == [0, 0]
    assert results[0].stdout == results[1].stdout == run(capsys, *FLASH)[1]
    bad = subprocess.run(
        [str(exe), "market", "preview", "moon"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "unknown scenario" in bad.stderr
