"""The safety validator: checks, score, and three levels that really differ."""

from __future__ import annotations

import pytest

from riskbus.execution import SafetyLevel, SafetyLimits, SafetyValidator
from tests.stubs import D


def _checks(result: object) -> list[str]:
    return [issue.check for issue in result.issues]  # type: ignore[attr-defined]


def test_a_clean_order_passes_every_level_with_score_100() -> None:
    for level in SafetyLevel:
        result = SafetyValidator(level).validate("BTC/USDT", D(500), D("0.01"), D(50_000))
        assert result.passed and result.score == 100 and result.issues == ()


@pytest.mark.parametrize(
    ("usd", "fails"),
    [(D(999), False), (D(1000), False), (D("1000.01"), True), (D(0), True)],
)
def test_order_amount_limit_at_and_around_the_limit(usd: object, fails: bool) -> None:
    result = SafetyValidator(SafetyLevel.PERMISSIVE).validate("BTC", usd, D(1), None)  # type: ignore[arg-type]
    assert ("order_amount_limit" in _checks(result)) is fails
    assert result.passed is (not fails)


def test_daily_volume_accumulates_only_for_passed_orders_and_resets() -> None:
    validator = SafetyValidator(SafetyLevel.MODERATE)
    for _ in range(10):
        assert validator.validate("BTC", D(1000), D(1), None).passed
    over = validator.validate("BTC", D(1), D(1), None)
    assert not over.passed
    assert over.issues[0].reason == "DAILY_VOLUME_LIMIT: volume=10001, max=10000"
    assert validator.daily_volume == D(10_000)
    validator.reset_day()
    assert validator.validate("BTC", D(1), D(1), None).passed


def test_levels_differ_strict_warning_moderate_error_permissive_hard_only() -> None:
    # a warning only (not whitelisted): STRICT fails, MODERATE and PERMISSIVE pass
    warn = [SafetyValidator(level).validate("DOGE", D(10), D(1), None) for level in SafetyLevel]
    assert [r.passed for r in warn] == [False, True, True]
    assert warn[0].score == 90
    # a soft error (not a sandbox): STRICT and MODERATE fail, PERMISSIVE passes
    soft = [
        SafetyValidator(level, sandbox=False).validate("BTC", D(10), D(1), None)
        for level in SafetyLevel
    ]
    assert [r.passed for r in soft] == [False, False, True]
    assert soft[0].score == 70
    # a hard limit: every level fails
    hard = [SafetyValidator(level).validate("BTC", D(5000), D(1), None) for level in SafetyLevel]
    assert [r.passed for r in hard] == [False, False, False]


def test_production_guard_reads_the_given_environment_only() -> None:
    prod = SafetyValidator(SafetyLevel.PERMISSIVE, environment={"ENVIRONMENT": "Production"})
    result = prod.validate("BTC", D(10), D(1), None)
    assert not result.passed
    assert result.errors[0].reason == "PRODUCTION_GUARD: ENVIRONMENT=Production"
    allowed = SafetyValidator(
        SafetyLevel.PERMISSIVE,
        environment={"ENVIRONMENT": "production"},
        limits=SafetyLimits(allow_production=True),
    )
    assert allowed.validate("BTC", D(10), D(1), None).passed


@pytest.mark.parametrize(
    ("quantity", "warns"),
    [(D(1000), False), (D("1000.0001"), True), (D("0.000001"), False), (D("0.0000009"), True)],
)
def test_suspicious_quantity_bounds(quantity: object, warns: bool) -> None:
    result = SafetyValidator(SafetyLevel.STRICT).validate("BTC", D(10), quantity, None)  # type: ignore[arg-type]
    assert ("suspicious_quantity" in _checks(result)) is warns


@pytest.mark.parametrize(
    ("price", "warns"), [(D(55_000), False), (D(44_999), True), (D(45_000), False)]
)
def test_price_sanity_against_the_reference(price: object, warns: bool) -> None:
    validator = SafetyValidator(SafetyLevel.STRICT, reference_prices={"BTC": D(50_000)})
    result = validator.validate("BTC", D(10), D(1), price)  # type: ignore[arg-type]
    assert ("price_sanity" in _checks(result)) is warns


def test_score_floor_and_summary() -> None:
    validator = SafetyValidator(
        SafetyLevel.STRICT,
        sandbox=False,
        environment={"NODE_ENV": "prod"},
        reference_prices={"XRP": D(1)},
    )
    result = validator.validate("XRP", D(0), D(0), D(5))
    assert result.score == 0  # 3 errors and 3 warnings: 100 - 90 - 30, floored
    assert len(result.errors) == 3 and len(result.warnings) == 3
    ok = SafetyValidator().validate("BTC", D(10), D(1), None)
    assert ok.passed
    summary = validator.summary()
    assert summary == {
        "checked": 1,
        "passed": 0,
        "success_rate": 0.0,
        "average_score": 0.0,
        "is_safe": False,
        "daily_volume": "0",
    }
    assert SafetyValidator().summary()["is_safe"] is True
