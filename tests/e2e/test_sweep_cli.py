"""`riskbus sweep | shrink` and `riskbus run --shrink`, driven like a user."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskbus.cli.main import main
from tests.unit.scenarios.test_shrink import RANDOM_CHAOS
from tests.unit.scenarios.test_sweep import CALM, LADDER


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ladder(tmp_path: Path) -> Path:
    path = tmp_path / "ladder.scenario.yaml"
    path.write_text(LADDER, encoding="utf-8")
    return path


@pytest.fixture
def random_chaos(tmp_path: Path) -> Path:
    path = tmp_path / "random.scenario.yaml"
    path.write_text(RANDOM_CHAOS, encoding="utf-8")
    return path


def test_sweep_runs_the_matrix_on_a_pool_and_writes_json_and_html(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ladder: Path
) -> None:
    output, report = tmp_path / "out" / "sweep.json", tmp_path / "out" / "sweep.html"
    code, out, err = run(
        capsys, "sweep", str(ladder), "--seeds", "1..6", "--param", "bot.pool_count=2,4",
        "--workers", "2", "--output", str(output), "--report", str(report),
    )  # fmt: skip
    assert code == 1
    assert out.startswith("10/12 runs passed (83.3 %), 2 failed, 0 errors — process pool, 2 ")
    assert "  bot.pool_count=4: 4/6 passed (66.7 %)" in out
    assert (
        f"  ✗ seed 1: event_count.PositionPurchased.max — riskbus sweep {ladder} --seeds 1 "
        "--param bot.pool_count=4"
    ) in out
    assert "12/12" in err and "10 passed" in err and "2 failed" in err  # the progress bar
    data = json.loads(output.read_text())
    assert [f["seed"] for f in data["failures"]] == [1, 2]
    assert data["summary"]["by_param"]["bot.pool_count"][1]["pass_rate"] == 0.666667
    assert "Sweep: 10/12 passed (83.3 %)" in report.read_text()
    # the reproduce command of a failing seed fails again, alone
    code, out, _ = run(capsys, "sweep", str(ladder), "--seeds", "1", "--param", "bot.pool_count=4")
    assert code == 1
    assert out.startswith("0/1 runs passed")


def test_a_passing_sweep_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    calm = tmp_path / "calm.scenario.yaml"
    calm.write_text(CALM, encoding="utf-8")
    code, out, _ = run(capsys, "sweep", str(calm), "--seeds", "1,2,5", "--workers", "1")
    assert code == 0
    assert out.startswith("3/3 runs passed (100.0 %), 0 failed, 0 errors — in-process, 1 ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "bot.pool_cnt=3"], "unknown parameter 'bot.pool_cnt'"),
        (["--param", "bot.pool_count=0"], "parameter bot.pool_count=0 is invalid"),
        (["--param", "bot.pool_count"], "expected PATH=VALUE"),
        (["--seeds", "1..x"], "--seeds"),
        (["--workers", "0"], "--workers: must be >= 1"),
    ],
)
def test_bad_sweep_input_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], ladder: Path, args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "sweep", str(ladder), *args)
    assert code == 2
    assert message in err
    if args[0] == "--param":
        assert "--param" in err


def test_run_then_shrink_writes_a_minimal_scenario_that_fails_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, random_chaos: Path
) -> None:
    results, minimal = tmp_path / "results.json", tmp_path / "minimal.scenario.yaml"
    code, _, _ = run(capsys, "run", str(random_chaos), "--seed", "1", "--output", str(results))
    assert code == 1
    code, out, _ = run(capsys, "shrink", str(results), "--output", str(minimal))
    assert code == 0
    assert "24 realized faults → 3 (inject_failure@1, inject_failure@2, inject_failure@3)" in out
    assert f"reproduce with: riskbus run {minimal}" in out
    code, out, _ = run(capsys, "run", str(minimal))
    assert code == 1
    assert "✗ event_count.MarketPriceFetchFailed.max: expected <= 2, found 3" in out
    text = minimal.read_text()
    calm = tmp_path / "calm.scenario.yaml"
    calm.write_text(text.split("chaos:")[0] + "steps:" + text.split("steps:")[1])
    code, out, _ = run(capsys, "run", str(calm))
    assert code == 0, out


def test_run_with_shrink_writes_the_minimal_file_next_to_the_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, random_chaos: Path
) -> None:
    output = tmp_path / "res" / "results.json"
    code, out, _ = run(
        capsys, "run", str(random_chaos), "--seed", "6", "--output", str(output), "--shrink"
    )
    assert code == 1
    written = tmp_path / "res" / "random-seed6.minimal.scenario.yaml"
    assert f"minimal scenario: {written}" in out
    code, _, _ = run(capsys, "run", str(written))
    assert code == 1


def test_sweep_with_shrink_links_the_minimal_files_in_the_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, random_chaos: Path
) -> None:
    output, report = tmp_path / "s" / "sweep.json", tmp_path / "s" / "sweep.html"
    code, out, _ = run(
        capsys, "sweep", str(random_chaos), "--seeds", "1..4", "--workers", "1",
        "--output", str(output), "--report", str(report), "--shrink",
    )  # fmt: skip
    assert code == 1
    written = tmp_path / "s" / "random-seed1.minimal.scenario.yaml"
    assert written.is_file()
    data = json.loads(output.read_text())
    assert data["shrunk"] == {f"riskbus run {random_chaos} --seed 1": str(written)}
    assert data["shrink"][0]["minimal_faults"] == 3
    assert f"minimal: <code>riskbus run {written}</code>" in report.read_text()
    # shrinking the sweep file takes its first failed run
    code, out, _ = run(capsys, "shrink", str(output), "--output", str(tmp_path / "m.yaml"))
    assert code == 0
    assert "seed 1: 24 realized faults → 3" in out


def test_shrink_rejects_results_without_a_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    passed = tmp_path / "passed.json"
    passed.write_text(json.dumps({"status": "passed", "seed": 1, "scenario": {"file": "x"}}))
    code, _, err = run(capsys, "shrink", str(passed))
    assert code == 2
    assert f"{passed}: no failed run to shrink" in err
    code, _, err = run(capsys, "shrink", str(tmp_path / "missing.json"))
    assert code == 2
    assert "cannot read" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    code, _, err = run(capsys, "shrink", str(broken))
    assert code == 2
    assert "not JSON" in err
