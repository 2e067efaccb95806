"""The safety validator: a per-order gate in front of a venue, at three strictness levels.

Each order goes through six checks (the original's, with the level semantics fixed):

========================  ========  ====  =====================================================
check                     severity  hard  fails when
========================  ========  ====  =====================================================
``order_amount_limit``    error     yes   ``usd`` > ``max_single_order_usd`` or ``usd`` ≤ 0
``daily_volume_limit``    error     yes   today's validated volume + ``usd`` > the daily limit
``production_guard``      error     yes   the environment says production and it is not allowed
``testnet_mode``          error     no    the venue is not a sandbox/testnet
``symbol_whitelist``      warning   no    the symbol is not on the whitelist
``suspicious_quantity``   warning   no    quantity > ``max_quantity`` or < ``min_quantity``
``price_sanity``          warning   no    price deviates from the reference by > ``max_deviation``
========================  ========  ====  =====================================================

The score starts at 100: −30 per error, −10 per warning (floored at 0). What fails:

* ``STRICT`` — any error **or warning**;
* ``MODERATE`` — any error;
* ``PERMISSIVE`` — only a **hard** limit (amount, daily volume, production guard).

(In the original, MODERATE and PERMISSIVE behaved the same; here they differ, and a test
shows an order that each level treats differently.) Orders that pass add to the day's
volume; :meth:`SafetyValidator.reset_day` starts a new day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum

import msgspec

from riskbus.model.money import ZERO

__all__ = ["SafetyIssue", "SafetyLevel", "SafetyLimits", "SafetyResult", "SafetyValidator"]

_PRODUCTION_VARS = ("RISKBUS_ENV", "ENVIRONMENT", "DEPLOYMENT_ENV", "NODE_ENV")
_ERROR_PENALTY = 30
_WARNING_PENALTY = 10


class SafetyLevel(StrEnum):
    """How much the validator lets through."""

    STRICT = "strict"
    MODERATE = "moderate"
    PERMISSIVE = "permissive"


class SafetyLimits(msgspec.Struct, frozen=True, kw_only=True):
    """The validator's limits (defaults are the original's)."""

    max_single_order_usd: Decimal = Decimal(1_000)
    max_daily_volume_usd: Decimal = Decimal(10_000)
    whitelist: frozenset[str] = frozenset(
        {
            "BTC",
            "ETH",
            "BNB",
            "ADA",
            "DOT",
            "BTC/USDT",
            "ETH/USDT",
            "BNB/USDT",
            "ADA/USDT",
            "DOT/USDT",
        }
    )
    max_quantity: Decimal = Decimal(1_000)
    min_quantity: Decimal = Decimal("0.000001")
    max_price_deviation: Decimal = Decimal("0.10")
    allow_production: bool = False


class SafetyIssue(msgspec.Struct, frozen=True, kw_only=True):
    """One failed check: its name, severity, whether it is a hard limit, and why."""

    check: str
    severity: str
    hard: bool
    reason: str


class SafetyResult(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one order."""

    passed: bool
    score: int
    level: SafetyLevel
    issues: tuple[SafetyIssue, ...] = ()

    @property
    def errors(self) -> tuple[SafetyIssue, ...]:
        """The issues of severity ``error``."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[SafetyIssue, ...]:
        """The issues of severity ``warning``."""
        return tuple(i for i in self.issues if i.severity == "warning")


class SafetyValidator:
    """Checks orders one by one and keeps the day's validated volume.

    Args:
        level: STRICT, MODERATE or PERMISSIVE.
        limits: the limits.
        sandbox: whether the venue is a sandbox/testnet.
        environment: the variables that tell production (default: none; pass
            ``os.environ`` at the edge, never read it here).
        reference_prices: the prices to check order prices against, per symbol.
    """

    def __init__(
        self,
        level: SafetyLevel = SafetyLevel.STRICT,
        *,
        limits: SafetyLimits | None = None,
        sandbox: bool = True,
        environment: Mapping[str, str] | None = None,
        reference_prices: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.level = SafetyLevel(level)
        self.limits = limits or SafetyLimits()
        self.sandbox = sandbox
        self.environment = dict(environment or {})
        self.reference_prices = dict(reference_prices or {})
        self.daily_volume = ZERO
        self.checked = 0
        self.passed = 0
        self._scores: list[int] = []

    def validate(
        self, symbol: str, usd: Decimal, quantity: Decimal, price: Decimal | None = None
    ) -> SafetyResult:
        """Check one order worth ``usd`` (absolute value is used) of ``quantity`` units."""
        value = abs(usd)
        issues = [*self._hard_checks(value), *self._soft_checks(symbol, quantity, price)]
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = len(issues) - errors
        score = max(0, 100 - _ERROR_PENALTY * errors - _WARNING_PENALTY * warnings)
        if self.level is SafetyLevel.STRICT:
            passed = not issues
        elif self.level is SafetyLevel.MODERATE:
            passed = errors == 0
        else:
            passed = not any(i.hard for i in issues)
        self.checked += 1
        self._scores.append(score)
        if passed:
            self.passed += 1
            self.daily_volume += value
        return SafetyResult(passed=passed, score=score, level=self.level, issues=tuple(issues))

    def validate_many(
        self, orders: Iterable[tuple[str, Decimal, Decimal, Decimal | None]]
    ) -> list[SafetyResult]:
        """Check ``(symbol, usd, quantity, price)`` orders in turn (volume accumulates)."""
        return [self.validate(*order) for order in orders]

    def reset_day(self) -> None:
        """Start a new day: the daily volume goes back to zero."""
        self.daily_volume = ZERO

    def summary(self) -> dict[str, object]:
        """Checked and passed counts, success rate, average score and ``is_safe``."""
        average = sum(self._scores) / len(self._scores) if self._scores else 100.0
        rate = 100.0 * self.passed / self.checked if self.checked else 100.0
        return {
            "checked": self.checked,
            "passed": self.passed,
            "success_rate": round(rate, 2),
            "average_score": round(average, 2),
            "is_safe": self.passed == self.checked and average >= 80,
            "daily_volume": str(self.daily_volume),
        }

    # -- checks ---------------------------------------------------------------------------

    def _hard_checks(self, value: Decimal) -> list[SafetyIssue]:
        issues: list[SafetyIssue] = []
        limit = self.limits.max_single_order_usd
        if value <= 0 or value > limit:
            issues.append(
                _error("order_amount_limit", f"ORDER_AMOUNT_LIMIT: usd={value}, max={limit}")
            )
        daily = self.limits.max_daily_volume_usd
        if self.daily_volume + value > daily:
            issues.append(
                _error(
                    "daily_volume_limit",
                    f"DAILY_VOLUME_LIMIT: volume={self.daily_volume + value}, max={daily}",
                )
            )
        production = self._production()
        if production and not self.limits.allow_production:
            issues.append(_error("production_guard", f"PRODUCTION_GUARD: {production}"))
        return issues

    def _soft_checks(
        self, symbol: str, quantity: Decimal, price: Decimal | None
    ) -> list[SafetyIssue]:
        issues: list[SafetyIssue] = []
        if not self.sandbox:
            issues.append(
                SafetyIssue(
                    check="testnet_mode",
                    severity="error",
                    hard=False,
                    reason="TESTNET_MODE: sandbox=false",
                )
            )
        if self.limits.whitelist and symbol not in self.limits.whitelist:
            issues.append(_warning("symbol_whitelist", f"SYMBOL_NOT_WHITELISTED: symbol={symbol}"))
        qty = abs(quantity)
        if qty > self.limits.max_quantity or qty < self.limits.min_quantity:
            issues.append(_warning("suspicious_quantity", f"SUSPICIOUS_QUANTITY: quantity={qty}"))
        reference = self.reference_prices.get(symbol)
        if price is not None and reference is not None and reference > 0:
            deviation = abs(price - reference) / reference
            if deviation > self.limits.max_price_deviation:
                issues.append(
                    _warning(
                        "price_sanity",
                        f"PRICE_SANITY: price={price}, reference={reference}, "
                        f"deviation={deviation:.4f}",
                    )
                )
        return issues

    def _production(self) -> str:
        for name in _PRODUCTION_VARS:
            if self.environment.get(name, "").strip().lower() in ("prod", "production"):
                return f"{name}={self.environment[name]}"
        return ""


def _error(check: str, reason: str) -> SafetyIssue:
    return SafetyIssue(check=check, severity="error", hard=True, reason=reason)


def _warning(check: str, reason: str) -> SafetyIssue:
    return SafetyIssue(check=check, severity="warning", hard=False, reason=reason)
