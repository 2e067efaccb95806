"""Sweeps: seeds and parameter parsing, overrides validated by the schema, aggregation,
and the same results from one process, a process pool and Ray."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from riskbus.core.errors import BadInputError
from riskbus.scenarios.schema import load_scenario
from riskbus.scenarios.sweep import (
    apply_params,
    param_combos,
    parse_param,
    parse_seeds,
    reproduce_command,
    run_sweep,
)
from riskbus.scenarios.sweep_report import distribution, percentile, render

#: Buys one pool per cycle; an outage (half the seeds) keeps it to three buys. With two
#: pools it never buys more than two; with four it buys four unless the outage happens.
LADDER = """
name: ladder within limits
setup:
  exchange: {scenario: bull_run, initial_price: 50000.0}
  bot: {params: {entry_signal: always}}
chaos:
  - {type: exchange_outage, at_cycle: 2, duration_cycles: 3, probability: 0.5}
steps:
  - wait_for_cycles: 6
  - assert:
      event_count:
        PositionPurchased: {max: 3}
"""

CALM = """
name: calm
setup:
  exchange: {scenario: sideways, initial_price: 50000.0}
steps:
  - wait_for_cycles: 3
"""


@pytest.fixture
def ladder(write: Callable[[str, str], Path]) -> Path:
    return write(LADDER, "ladder.scenario.yaml")


# -- seeds and parameters ---------------------------------------------------------------


def test_seeds_accept_ranges_lists_and_both_in_order_without_repeats() -> None:
    assert parse_seeds("1..5") == [1, 2, 3, 4, 5]
    assert parse_seeds("1,2,5") == [1, 2, 5]
    assert parse_seeds("3..4, 9, 3") == [3, 4, 9]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "expected seeds such as 1..1000"),
        ("5..1", "empty range '5..1'"),
        ("1..", "expected seeds such as 1..1000"),
        ("-3", "seeds must be >= 0"),
        ("0..2000000", "more than 1000000 seeds"),
    ],
)
def test_bad_seeds_are_rejected_naming_the_option(text: str, message: str) -> None:
    with pytest.raises(BadInputError) as info:
        parse_seeds(text)
    assert info.value.field == "--seeds"
    assert message in str(info.value)


def test_a_param_axis_parses_yaml_scalars_and_drops_setup_prefix() -> None:
    axis = parse_param("setup.exchange.volatility_multiplier=0.5,2,high")
    assert axis.path == "exchange.volatility_multiplier"
    assert axis.values == (0.5, 2, "high")
    assert parse_param("bot.pool_count=3,5,8").text == "bot.pool_count=3,5,8"
    with pytest.raises(BadInputError, match="expected PATH=VALUE"):
        parse_param("bot.pool_count")


def test_combos_are_the_product_of_the_axes() -> None:
    axes = [parse_param("bot.pool_count=3,5"), parse_param("exchange.scenario=bull_run,crash")]
    assert param_combos(axes) == [
        (("bot.pool_count", 3), ("exchange.scenario", "bull_run")),
        (("bot.pool_count", 3), ("exchange.scenario", "crash")),
        (("bot.pool_count", 5), ("exchange.scenario", "bull_run")),
        (("bot.pool_count", 5), ("exchange.scenario", "crash")),
    ]
    assert param_combos([]) == [()]


def test_apply_params_sets_setup_values_and_keeps_the_rest(ladder: Path) -> None:
    loaded = load_scenario(ladder)
    changed = apply_params(loaded, (("bot.pool_count", 8), ("bot.params.entry_signal", "never")))
    assert changed.scenario.setup.bot.pool_count == 8
    assert changed.scenario.setup.bot.params == {"entry_signal": "never"}
    assert changed.scenario.setup.exchange.scenario == "bull_run"
    assert changed.scenario.chaos == loaded.scenario.chaos
    assert changed.source == loaded.source and changed.sha256 == loaded.sha256
    assert loaded.scenario.setup.bot.pool_count == 5  # the original is untouched


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ((("bot.pool_cnt", 3),), "unknown parameter 'bot.pool_cnt': setup.bot has no 'pool_cnt'"),
        ((("robot.pool_count", 3),), "unknown parameter 'robot.pool_count': setup has no 'robot'"),
        ((("bot.pool_count.x", 3),), "setup.bot.pool_count is a value, not a mapping"),
        ((("bot.pool_count", 0),), "parameter bot.pool_count=0 is invalid: setup.bot.pool_count"),
        ((("bot.pool_count", "many"),), "parameter bot.pool_count=many is invalid"),
    ],
)
def test_a_bad_param_names_the_parameter(
    ladder: Path, params: tuple[tuple[str, Any], ...], message: str
) -> None:
    with pytest.raises(BadInputError) as info:
        apply_params(load_scenario(ladder), params)
    assert info.value.field == "--param"
    assert message in str(info.value)


def test_a_param_unknown_to_the_strategy_fails_before_any_run(ladder: Path) -> None:
    with pytest.raises(BadInputError, match=r"exchange\.scenario"):
        run_sweep([ladder], [1], [parse_param("exchange.scenario=no_such_market")], workers=1)


def test_reproduce_commands_rerun_exactly_one_cell() -> None:
    assert reproduce_command("a b.yaml", 7) == "riskbus run 'a b.yaml' --seed 7"
    assert reproduce_command("s.yaml", 3, (("bot.pool_count", 5), ("x.y", True))) == (
        "riskbus sweep s.yaml --seeds 3 --param bot.pool_count=5 --param x.y=true"
    )


# -- aggregation ------------------------------------------------------------------------


def test_percentiles_and_histogram_of_known_values() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 5) == pytest.approx(1.2)
    dist = distribution([5, 1, None, 4, 2, 3], bins=4)
    assert dist["count"] == 5
    assert (dist["min"], dist["max"], dist["mean"]) == (1.0, 5.0, 3.0)
    assert dist["percentiles"] == {"p5": 1.2, "p25": 2.0, "p50": 3.0, "p75": 4.0, "p95": 4.8}
    assert dist["histogram"] == {"edges": [1.0, 2.0, 3.0, 4.0, 5.0], "counts": [1, 1, 1, 2]}
    assert distribution([7, 7])["histogram"] == {"edges": [7.0, 8.0], "counts": [2]}
    assert distribution([None])["count"] == 0


def test_a_small_matrix_aggregates_pass_rates_distributions_and_failures(
    ladder: Path, write: Callable[[str, str], Path]
) -> None:
    calm = write(CALM, "calm.scenario.yaml")
    sweep = run_sweep(
        [ladder, calm], parse_seeds("1..6"), [parse_param("bot.pool_count=2,4")], workers=1
    )
    summary = sweep["summary"]
    assert (summary["total"], summary["passed"], summary["failed"], summary["errors"]) == (
        24,
        22,
        2,
        0,
    )
    assert summary["pass_rate"] == round(22 / 24, 6)
    by_scenario = {row["scenario"]: (row["runs"], row["passed"]) for row in summary["by_scenario"]}
    assert by_scenario == {"ladder within limits": (12, 10), "calm": (12, 12)}
    by_value = {c["value"]: (c["runs"], c["passed"]) for c in summary["by_param"]["bot.pool_count"]}
    assert by_value == {2: (12, 12), 4: (12, 10)}
    # with four pools only the seeds without the outage fail (1 and 2)
    assert [(f["seed"], f["params"]) for f in sweep["failures"]] == [
        (1, {"bot.pool_count": 4}),
        (2, {"bot.pool_count": 4}),
    ]
    assert sweep["failures"][0]["failed"] == ["event_count.PositionPurchased.max"]
    assert sweep["failures"][0]["reproduce"] == (
        f"riskbus sweep {ladder} --seeds 1 --param bot.pool_count=4"
    )
    capitals = sorted(r["final_capital"] for r in sweep["runs"])
    dist = summary["final_capital"]
    assert dist["count"] == 24
    assert dist["min"] == round(capitals[0], 6) and dist["max"] == round(capitals[-1], 6)
    assert dist["percentiles"]["p50"] == round((capitals[11] + capitals[12]) / 2, 6)
    assert sum(dist["histogram"]["counts"]) == 24
    assert summary["max_drawdown_pct"]["count"] == 24
    # records in matrix order: file, then parameter value, then seed
    assert [(r["file"], r["params"]["bot.pool_count"], r["seed"]) for r in sweep["runs"][:7]] == [
        (str(ladder), 2, s) for s in range(1, 7)
    ] + [(str(ladder), 4, 1)]
    assert sweep["sweep"] == {
        "files": [str(ladder), str(calm)],
        "seeds": "1..6",
        "seed_count": 6,
        "params": {"bot.pool_count": [2, 4]},
        "runs": 24,
    }
    page = render(sweep)
    assert "Sweep: 22/24 passed (91.7 %)" in page
    assert "riskbus sweep" in page and "<svg" in page
    assert page.count("<rect class=bar") == len(dist["histogram"]["counts"]) + len(
        summary["max_drawdown_pct"]["histogram"]["counts"]
    )


def test_the_html_report_escapes_names(write: Callable[[str, str], Path]) -> None:
    path = write(CALM.replace("name: calm", "name: '<script>x</script>'"), "x.scenario.yaml")
    page = render(run_sweep([path], [1], workers=1))
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_bad_worker_count_and_empty_inputs_are_rejected(ladder: Path) -> None:
    with pytest.raises(BadInputError, match="--workers"):
        run_sweep([ladder], [1], workers=0)
    with pytest.raises(BadInputError, match="no scenario files"):
        run_sweep([], [1])
    with pytest.raises(BadInputError, match="given twice"):
        run_sweep([ladder, ladder], [1])


def _without_execution(sweep: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in sweep.items() if key != "execution"}


def test_one_process_a_process_pool_and_ray_give_identical_results(ladder: Path) -> None:
    seeds = parse_seeds("1..12")
    axes = [parse_param("bot.pool_count=2,4")]
    alone = run_sweep([ladder], seeds, axes, workers=1)
    pooled = run_sweep([ladder], seeds, axes, workers=2)
    on_ray = run_sweep([ladder], seeds, axes, workers=2, ray="auto")
    assert alone["execution"]["backend"] == "in-process"
    assert pooled["execution"]["backend"] == "process pool"
    assert on_ray["execution"]["backend"] == "ray"
    assert _without_execution(pooled) == _without_execution(alone)
    assert _without_execution(on_ray) == _without_execution(alone)
    assert alone["summary"]["failed"] > 0  # the comparison covers failures too


def test_without_fork_a_spawned_pool_gives_the_same_sweep(
    ladder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = parse_seeds("1..4")
    alone = run_sweep([ladder], seeds, workers=1)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    spawned = run_sweep([ladder], seeds, workers=2)
    assert spawned["execution"]["backend"] == "process pool"
    assert _without_execution(spawned) == _without_execution(alone)


@pytest.mark.parametrize(("jobs", "workers"), [(200, 2), (7, 3), (1, 2), (10_000, 8)])
def test_guided_batches_shrink_to_single_jobs_and_keep_every_job_once(
    jobs: int, workers: int
) -> None:
    from riskbus.scenarios.sweep import _guided_batches

    items = [f"job-{n}" for n in range(jobs)]
    batches = _guided_batches(items, workers)  # type: ignore[arg-type]
    assert [job for batch in batches for job in batch] == items  # in order, once each
    sizes = [len(batch) for batch in batches]
    assert sizes == sorted(sizes, reverse=True) and max(sizes) <= 50
    assert sizes[-1] == 1
    if jobs == 200:
        assert sizes[0] == 25  # a quarter of one worker's share of 200
