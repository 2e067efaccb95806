"""The ten original scenarios keep their documented shapes; all scenarios are seeded."""

from __future__ import annotations

import numpy as np
import pytest

from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.market import ORIGINAL_SCENARIOS, generate, get_scenario, scenario_names

P0 = 50_000.0
ALL = scenario_names()
SEEDS = range(8)


def ratio(name: str, steps: int, seed: int, **kw: object) -> np.ndarray:
    return generate(name, steps, seed, **kw).prices / P0  # type: ignore[arg-type]


def test_the_ten_original_scenarios_and_the_stochastic_ones_are_registered() -> None:
    assert set(ORIGINAL_SCENARIOS) == {
        "bull_run",
        "bear_crash",
        "sideways",
        "flash_crash",
        "volatile",
        "pump_and_dump",
        "dead_cat_bounce",
        "accumulation",
        "distribution",
        "irregular_candles",
    }
    assert set(ALL) == set(ORIGINAL_SCENARIOS) | {"gbm", "jump_diffusion", "regime_switch"}
    assert sorted(ALL) == ALL


@pytest.mark.parametrize("name", ALL)
def test_step_zero_is_the_initial_price_and_n_steps_give_n_prices(name: str) -> None:
    path = generate(name, 120, 3, initial_price=123.5)
    assert path.prices.dtype == np.float64
    assert path.prices.shape == (120,)
    assert path.prices[0] == 123.5
    assert np.all(path.prices > 0)
    assert generate(name, 1, 3).prices.tolist() == [50_000.0]


@pytest.mark.parametrize("name", ALL)
def test_same_seed_gives_identical_prices_and_another_seed_other_noise(name: str) -> None:
    a, b, c = (generate(name, 200, s).prices for s in (11, 11, 12))
    assert np.array_equal(a, b)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("seed", SEEDS)
def test_bull_run_gains_about_twenty_percent_per_hundred_steps(seed: int) -> None:
    r = ratio("bull_run", 101, seed)
    assert 1.17 < r[100] < 1.27  # 1.002**100 = 1.221


@pytest.mark.parametrize("seed", SEEDS)
def test_bear_crash_loses_thirty_percent_by_step_50_then_goes_flat(seed: int) -> None:
    r = ratio("bear_crash", 101, seed)
    assert 0.65 < r[50] < 0.76  # 0.993**50 = 0.704
    assert abs(r[100] / r[50] - 1) < 0.03


@pytest.mark.parametrize("seed", SEEDS)
def test_sideways_follows_a_two_percent_sine_around_the_start(seed: int) -> None:
    r = ratio("sideways", 200, seed)
    c = np.arange(200)
    assert np.all(np.abs(r / (1 + 0.02 * np.sin(c / 10)) - 1) <= 0.001 + 1e-12)
    assert r[16] > 1.018 and r[47] < 0.982  # sin(1.6) ≈ 1, sin(4.7) ≈ -1


@pytest.mark.parametrize("seed", SEEDS)
def test_flash_crash_drops_fifteen_percent_at_step_20_and_is_back_by_step_50(seed: int) -> None:
    r = ratio("flash_crash", 60, seed)
    assert np.all(np.abs(r[:20] - 1) <= 0.002 + 1e-12)
    assert np.all(np.abs(r[20:30] / 0.85 - 1) <= 0.01 + 1e-12)
    level = 0.85 + 0.15 * (np.arange(30, 50) - 30) / 20
    assert np.all(np.abs(r[30:50] / level - 1) <= 0.005 + 1e-12)
    assert np.all(np.abs(r[50:] - 1) <= 0.002 + 1e-12)
    assert 20 <= int(np.argmin(r)) <= 30


def test_flash_crash_parameters_move_and_size_the_crash() -> None:
    r = ratio("flash_crash", 40, 1, crash_at=5, duration=3, recovery=4, depth=0.4)
    assert np.all(np.abs(r[5:8] / 0.6 - 1) <= 0.01 + 1e-12)
    assert abs(r[11] / 0.9 - 1) <= 0.005 + 1e-12  # bottom at 8, 3/4 recovered: 0.6 + 0.4*3/4
    assert np.all(np.abs(r[12:] - 1) <= 0.002 + 1e-12)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("depth", 1.5, "between 0 and 1"),
        ("crash_at", 0, ">= 1"),
        ("duration", -1, ">= 0"),
        ("recovery", -2, ">= 0"),
        ("crash_at", 2.5, "integer"),
        ("depth", "deep", "number"),
        ("depth", float("nan"), "finite"),
    ],
)
def test_bad_flash_crash_parameters_name_the_parameter(key: str, value: object, problem: str):
    with pytest.raises(InvalidValueError, match=problem) as info:
        generate("flash_crash", 60, 1, **{key: value})  # type: ignore[arg-type]
    assert info.value.field == key


@pytest.mark.parametrize("seed", SEEDS)
def test_pump_and_dump_rises_thirty_percent_to_step_20_then_dumps(seed: int) -> None:
    r = ratio("pump_and_dump", 80, seed)
    assert 1.26 < r[20] < 1.33  # 1.013**20 = 1.295
    assert int(np.argmax(r)) == 20
    assert 0.64 < r[35] / r[20] < 0.69  # 0.973**15 = 0.663
    assert abs(r[79] / r[35] - 1) < 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_dead_cat_bounce_falls_bounces_and_falls_again(seed: int) -> None:
    r = ratio("dead_cat_bounce", 60, seed)
    assert 0.80 < r[15] < 0.84  # 0.987**15 = 0.822
    assert 1.06 < r[25] / r[15] < 1.11  # 1.008**10 = 1.083
    assert 0.83 < r[45] / r[25] < 0.87  # 0.992**20 = 0.851 (the documented -15 %)
    assert int(np.argmin(r[:26])) == 15


@pytest.mark.parametrize("seed", SEEDS)
def test_accumulation_ranges_then_breaks_out(seed: int) -> None:
    r = ratio("accumulation", 101, seed)
    assert np.all(np.abs(r[1:51] - 1) <= 0.01 + 1e-12)
    assert 1.13 < r[100] / r[50] < 1.19  # 1.003**50 = 1.162


@pytest.mark.parametrize("seed", SEEDS)
def test_distribution_ranges_then_breaks_down(seed: int) -> None:
    r = ratio("distribution", 101, seed)
    assert np.all(np.abs(r[1:51] - 1) <= 0.01 + 1e-12)
    assert 0.84 < r[100] / r[50] < 0.88  # 0.997**50 = 0.861


def test_accumulation_shorter_than_its_range_is_only_the_range() -> None:
    r = ratio("accumulation", 30, 2)
    assert len(r) == 30 and np.all(np.abs(r - 1) <= 0.01 + 1e-12)


def test_volatile_moves_up_to_five_percent_a_step() -> None:
    r = ratio("volatile", 2000, 4)
    moves = r[1:] / r[:-1] - 1
    assert np.all(np.abs(moves) <= 0.05) and np.abs(moves).max() > 0.049
    assert abs(moves.std() - 0.05 / np.sqrt(3)) < 0.002


def test_irregular_candles_shift_every_tenth_candle_by_half_a_step() -> None:
    path = generate("irregular_candles", 40, 5)
    ts = path.timestamps() - path.start
    late = [k for k in range(40) if ts[k] != k * 60_000_000_000]
    assert late == [5, 15, 25, 35]
    assert ts[5] - ts[4] == 90_000_000_000 and ts[6] - ts[5] == 30_000_000_000


# --- volatility_multiplier scales the variance of the noise, not the price level ---


def _noise_std(name: str, multiplier: float, seed: int = 9) -> float:
    shape = generate(name, 400, seed, volatility_multiplier=0.0).prices
    noisy = generate(name, 400, seed, volatility_multiplier=multiplier).prices
    return float(np.diff(np.log(noisy / shape)).std())


@pytest.mark.parametrize("name", ALL)
def test_multiplier_scales_noise_std_by_its_square_root(name: str) -> None:
    base = _noise_std(name, 1.0)
    assert base > 0
    assert _noise_std(name, 4.0) / base == pytest.approx(2.0, rel=0.03)
    assert _noise_std(name, 9.0) / base == pytest.approx(3.0, rel=0.05)


def test_multiplier_zero_gives_the_bare_shape() -> None:
    r = ratio("bull_run", 11, 1, volatility_multiplier=0.0)
    assert r == pytest.approx(1.002 ** np.arange(11), rel=1e-12)
    assert np.array_equal(
        generate("flash_crash", 60, 1, volatility_multiplier=0).prices,
        generate("flash_crash", 60, 2, volatility_multiplier=0).prices,
    )


@pytest.mark.parametrize("name", ["volatile", "bull_run", "flash_crash", "gbm"])
def test_multiplier_leaves_the_expected_level_unchanged(name: str) -> None:
    shape = generate(name, 51, 0, volatility_multiplier=0.0).prices[-1]
    finals = np.array(
        [generate(name, 51, s, volatility_multiplier=4.0).prices[-1] for s in range(400)]
    )
    assert finals.mean() / shape == pytest.approx(1.0, abs=0.08)  # the bug gave 4**50
    first_moves = np.array(
        [generate(name, 2, s, volatility_multiplier=9.0).prices[1] for s in range(2000)]
    )
    expected = generate(name, 2, 0, volatility_multiplier=0.0).prices[1]
    assert first_moves.mean() / expected == pytest.approx(1.0, abs=0.01)


def test_multiplier_too_large_for_the_noise_is_rejected() -> None:
    with pytest.raises(InvalidValueError, match="below 400") as info:
        generate("volatile", 10, 1, volatility_multiplier=400)
    assert info.value.field == "volatility_multiplier"
    generate("volatile", 10, 1, volatility_multiplier=399)
    generate("gbm", 10, 1, volatility_multiplier=10_000)  # lognormal: never reaches zero


# --- common parameters ---


def test_unknown_scenario_lists_the_valid_names() -> None:
    with pytest.raises(BadInputError, match="unknown scenario 'moon'") as info:
        generate("moon", 10, 1)
    for name in ALL:
        assert name in str(info.value)
    assert info.value.field == "scenario"
    with pytest.raises(BadInputError, match="unknown scenario"):
        get_scenario(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field", "problem"),
    [
        ({"initial_price": 0}, "initial_price", "greater than 0"),
        ({"initial_price": -5.0}, "initial_price", "greater than 0"),
        ({"initial_price": float("inf")}, "initial_price", "finite"),
        ({"initial_price": "100"}, "initial_price", "a number"),
        ({"initial_price": True}, "initial_price", "a number"),
        ({"steps": 0}, "steps", "at least 1"),
        ({"steps": 2.0}, "steps", "integer"),
        ({"seed": "7"}, "seed", "integer"),
        ({"volatility_multiplier": -1}, "volatility_multiplier", "at least 0"),
        ({"spread_bps": -1}, "spread_bps", "at least 0"),
        ({"spread_bps": 20_000}, "spread_bps", "below 20000"),
        ({"step": 0}, "step", "at least 1"),
        ({"start": 1.5}, "start", "integer"),
        ({"drift": 0.1}, "drift", "its parameters: crash_at, depth, duration, recovery"),
    ],
)
def test_bad_common_parameters_name_the_parameter(
    kwargs: dict[str, object], field: str, problem: str
) -> None:
    args: dict[str, object] = {"name": "flash_crash", "steps": 10, "seed": 1, **kwargs}
    with pytest.raises(InvalidValueError, match=problem) as info:
        generate(**args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert field in str(info.value)


def test_decimal_initial_price_is_accepted() -> None:
    from decimal import Decimal

    assert generate("sideways", 3, 1, initial_price=Decimal("101.25")).prices[0] == 101.25
    for bad in (Decimal("sNaN"), Decimal("NaN"), Decimal("-1")):
        with pytest.raises(InvalidValueError, match="initial_price"):
            generate("sideways", 3, 1, initial_price=bad)


def test_scenarios_without_parameters_say_so() -> None:
    with pytest.raises(InvalidValueError, match="its parameters: none"):
        generate("bull_run", 10, 1, depth=0.2)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "steps"), [("bull_run", 400_000), ("dead_cat_bounce", 100_000)])
def test_a_trend_compounding_out_of_the_float_range_names_steps(name: str, steps: int) -> None:
    with pytest.raises(InvalidValueError, match="out of the float range at step") as info:
        generate(name, steps, 1)
    assert info.value.field == "steps"
    generate(name, 80_000, 1)
