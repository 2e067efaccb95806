"""Composed paths: each segment starts where the last ended and keeps its own shape."""

from __future__ import annotations

import numpy as np
import pytest

from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.market import Segment, compose, generate, parse_segments

SPEC = [
    {"scenario": "sideways", "steps": 30},
    {"scenario": "flash_crash", "steps": 50, "params": {"depth": 0.25}},
    {"scenario": "bull_run", "steps": 40},
]


def test_segments_chain_from_the_previous_last_price() -> None:
    path = compose(SPEC, seed=3, initial_price=1_000)
    assert len(path) == 1 + 30 + 50 + 40
    assert path.prices[0] == 1_000
    assert path.name == "sideways+flash_crash+bull_run"
    crash_base = path.prices[30]  # the flash crash segment's step 0
    crash = path.prices[30 + 20 : 30 + 30] / crash_base
    assert np.all(np.abs(crash / 0.75 - 1) <= 0.01 + 1e-12)
    assert abs(path.prices[80] / crash_base - 1) <= 0.002 + 1e-12
    rally = path.prices[80:] / path.prices[80]
    assert 1.06 < rally[-1] < 1.11  # 1.002**40 = 1.083


def test_composition_is_deterministic_and_segments_draw_independent_noise() -> None:
    a = compose(SPEC, seed=3).prices
    assert np.array_equal(a, compose(SPEC, seed=3).prices)
    assert not np.array_equal(a, compose(SPEC, seed=4).prices)
    longer = compose([{**SPEC[0], "steps": 35}, *SPEC[1:]], seed=3).prices
    # the crash segment's own moves are unchanged by the longer first segment
    assert np.allclose(longer[36:86] / longer[35], a[31:81] / a[30], rtol=1e-12)


def test_a_single_segment_equals_its_scenario_from_the_segment_seed() -> None:
    from riskbus.core.seeds import Seeds

    path = compose([Segment("gbm", 10)], seed=5)
    alone = generate("gbm", 11, Seeds(5).child("segment:0").root)
    assert np.array_equal(path.prices, alone.prices)


def test_per_segment_multiplier_and_irregular_offsets_carry_over() -> None:
    path = compose(
        [
            {"scenario": "bull_run", "steps": 5, "params": {"volatility_multiplier": 0}},
            {"scenario": "irregular_candles", "steps": 20},
        ],
        seed=1,
        initial_price=100,
        step=60,
    )
    assert path.prices[:6] == pytest.approx(100 * 1.002 ** np.arange(6))
    assert path.offsets is not None
    assert np.flatnonzero(path.offsets).tolist() == [10, 20]  # segment steps 5 and 15
    assert compose([Segment("gbm", 3)], seed=1).offsets is None


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ([], "segments"),
        ("sideways", "segments"),
        ([3], "segments[0]"),
        ([{"scenario": "gbm"}], "segments[0].steps"),
        ([{"steps": 3}], "segments[0].scenario"),
        ([{"scenario": "gbm", "steps": 3, "extra": 1}], "segments[0].extra"),
        ([{"scenario": "gbm", "steps": 3, "params": [1]}], "segments[0].params"),
        (
            [{"scenario": "gbm", "steps": 3, "params": {"initial_price": 5}}],
            "segments[0].params.initial_price",
        ),
        (
            [{"scenario": "gbm", "steps": 3}, {"scenario": "moon", "steps": 3}],
            "segments[1].scenario",
        ),
        ([{"scenario": "gbm", "steps": 0}], "segments[0].steps"),
        ([{"scenario": "gbm", "steps": True}], "segments[0].steps"),
        ([{"scenario": "gbm", "steps": 3, "params": {"drift": "x"}}], "segments[0].params.drift"),
        (
            [{"scenario": "volatile", "steps": 3, "params": {"volatility_multiplier": 1e6}}],
            "segments[0].params.volatility_multiplier",
        ),
    ],
)
def test_bad_specs_name_the_segment_and_key(spec: object, field: str) -> None:
    with pytest.raises(BadInputError) as info:
        compose(spec, seed=1, source="scenario.yaml")  # type: ignore[arg-type]
    assert info.value.field == field
    assert str(info.value).startswith(f"scenario.yaml {field}: ")


def test_path_wide_parameters_are_checked_once_and_not_prefixed() -> None:
    with pytest.raises(InvalidValueError) as info:
        compose(SPEC, seed=1, initial_price=0)
    assert info.value.field == "initial_price"
    with pytest.raises(BadInputError) as error:
        compose(SPEC, seed=1, spread_bps=-3)
    assert error.value.field == "spread_bps"
    with pytest.raises(InvalidValueError) as bad_seed:
        compose(SPEC, seed="1")  # type: ignore[arg-type]
    assert bad_seed.value.field == "seed"


def test_parse_segments_keeps_segment_objects() -> None:
    segments = parse_segments([Segment("gbm", 2, {"drift": 0.1}), {"scenario": "gbm", "steps": 1}])
    assert segments == [Segment("gbm", 2, {"drift": 0.1}), Segment("gbm", 1, {})]
