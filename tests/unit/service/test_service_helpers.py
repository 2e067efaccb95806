"""Pure helpers of the service: log levels, the latency histogram, the package's names."""

from __future__ import annotations

import pytest

import riskbus.service
from riskbus.service.desk import Histogram
from riskbus.service.runs import events_recorded, level_of


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("✓ step 1: wait_for_cycles: 50", "SUCCESS"),
        ("    ✗ event_count.PositionPurchased.min: got 2", "ERROR"),
        ("Traceback (most recent call last):", "ERROR"),
        ("running 'x' with seed 42", "INFO"),
    ],
)
def test_runner_lines_get_their_level(line: str, level: str) -> None:
    assert level_of(line) == level


def test_histogram_counts_cumulatively() -> None:
    hist = Histogram()
    for value in (5e-6, 3e-5, 3e-5, 2.0):
        hist.observe(value)
    assert hist.count == 4
    assert hist.total == pytest.approx(2.000065)
    assert dict(zip(hist.buckets, hist.counts, strict=True))[1e-5] == 1
    assert dict(zip(hist.buckets, hist.counts, strict=True))[5e-5] == 3
    assert hist.counts[-1] == 3  # 2 s is above the last bound: only in +Inf (count)


def test_events_recorded_prefers_the_delivered_count() -> None:
    assert events_recorded({"chaos": {"total_events": 12}, "timeline": [1, 2]}) == 12
    assert events_recorded({"timeline": [1, 2, 3]}) == 3
    assert events_recorded({}) == 0


def test_the_package_exports_its_names_lazily() -> None:
    assert riskbus.service.Settings().port == 5558
    assert callable(riskbus.service.create_app)
    assert riskbus.service.ApiError(418, "TEAPOT", "short and stout").status == 418
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        riskbus.service.nope  # noqa: B018
