"""Rule 007 CooldownAfterLoss: a losing trade past a tier flattens and cools down."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from riskbus.core.clock import SECOND
from riskbus.model import RiskAction
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened
from riskbus.model.events.account import PositionEvent
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r007_cooldown_after_loss import (
    CooldownAfterLoss,
    CooldownAfterLossConfig,
    LossTier,
)
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell


def _rule(**config: Any) -> CooldownAfterLoss:
    return CooldownAfterLoss(CooldownAfterLossConfig.model_validate(config))


def _round_trip(account: Account, gross: Decimal, fee: str = "0") -> PositionEvent:
    """Open and close 1 MNQ (×2) for a gross ``trade_pnl`` of ``gross``; exit fee ``fee``."""
    account.trade("MNQ", buy, 1, 1000)
    closed = account.last("MNQ", sell, 1, D(1000) + gross / 2, fee=fee)
    assert isinstance(closed, PositionClosed) and closed.trade_pnl == gross
    return closed


def test_registered_by_name_and_code_and_listens_to_position_events() -> None:
    assert RULES["cooldown_after_loss"] is RULES["007"] is CooldownAfterLoss
    assert CooldownAfterLoss.events == (PositionOpened, PositionChanged, PositionClosed)


@pytest.mark.parametrize(
    ("gross", "fee", "net", "cooldown"),
    [
        ("-99.5", "0.49", "-99.99", None),
        ("-99.5", "0.50", "-100.00", 300),
        ("-99.5", "0.51", "-100.01", 300),
        ("-199.5", "0.49", "-199.99", 300),
        ("-199.5", "0.50", "-200.00", 900),
        ("-199.5", "0.51", "-200.01", 900),
        ("-299.5", "0.49", "-299.99", 900),
        ("-299.5", "0.50", "-300.00", 1800),
        ("-299.5", "0.51", "-300.01", 1800),
        ("-1000", "0", "-1000", 1800),
        ("100", "0.5", "99.5", None),
        ("0.5", "0.5", "0.0", None),
    ],
)
def test_default_tiers_just_under_at_and_just_over(
    gross: str, fee: str, net: str, cooldown: int | None
) -> None:
    account = Account()
    closed = _round_trip(account, D(gross), fee)
    verdict = _rule().check(account.ctx(closed))
    if cooldown is None:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "cooldown_after_loss"
    assert verdict.action is RiskAction.COOLDOWN
    assert verdict.flatten is True
    assert verdict.until_ts == account.now + cooldown * SECOND
    tier = {300: -100, 900: -200, 1800: -300}[cooldown]
    assert verdict.reason == (
        f"COOLDOWN_AFTER_LOSS: symbol=MNQ, loss={net}, tier={tier}, cooldown={cooldown}"
    )


def test_the_fee_alone_can_make_a_scratch_trade_a_loss() -> None:
    account = Account()
    closed = _round_trip(account, D(0), fee="1")
    rule = _rule(tiers=[{"loss": -1, "cooldown_seconds": 60}])
    verdict = rule.check(account.ctx(closed))
    assert verdict is not None
    assert verdict.reason == "COOLDOWN_AFTER_LOSS: symbol=MNQ, loss=-1, tier=-1, cooldown=60"


def test_opening_and_adding_fills_are_not_losses_even_with_a_fee() -> None:
    account = Account()
    rule = _rule(tiers=[{"loss": "-0.01", "cooldown_seconds": 60}])
    opened = account.last("MNQ", buy, 1, 1000, fee=5)
    assert isinstance(opened, PositionOpened)
    assert rule.check(account.ctx(opened)) is None
    added = account.last("MNQ", buy, 1, 900, fee=5)
    assert isinstance(added, PositionChanged) and added.trade_pnl == 0
    assert rule.check(account.ctx(added)) is None


def test_a_partial_close_at_a_loss_counts() -> None:
    account = Account()
    account.trade("NQ", buy, 2, 1000)
    reduced = account.last("NQ", sell, 1, 990)  # 1 × −10 × 20 = −200
    assert isinstance(reduced, PositionChanged)
    verdict = _rule().check(account.ctx(reduced))
    assert verdict is not None
    assert verdict.reason == "COOLDOWN_AFTER_LOSS: symbol=NQ, loss=-200, tier=-200, cooldown=900"
    assert verdict.symbol is None  # the cooldown and the flatten are account-wide


def test_a_flip_judges_the_closing_part_only() -> None:
    account = Account()
    account.trade("ES", buy, 1, 1000)
    closed, opened = account.trade("ES", sell, 2, 996)  # −200 on the long, then short 1
    assert isinstance(closed, PositionClosed) and isinstance(opened, PositionOpened)
    verdict = _rule().check(account.ctx(closed))
    assert verdict is not None and verdict.until_ts == account.now + 900 * SECOND
    assert _rule().check(account.ctx(opened)) is None


def test_the_longest_cooldown_of_the_matching_tiers_wins() -> None:
    account = Account()
    closed = _round_trip(account, D(-250))
    rule = _rule(
        tiers=[
            {"loss": -100, "cooldown_seconds": 900},
            {"loss": -200, "cooldown_seconds": 300},
            {"loss": -400, "cooldown_seconds": 3600},
        ]
    )
    verdict = rule.check(account.ctx(closed, now=account.now + 7))
    assert verdict is not None
    assert verdict.reason == "COOLDOWN_AFTER_LOSS: symbol=MNQ, loss=-250, tier=-100, cooldown=900"
    assert verdict.until_ts == account.now + 7 + 900 * SECOND


def test_defaults_the_original_yaml_spelling_and_describe() -> None:
    config = CooldownAfterLossConfig()
    assert [(t.loss, t.cooldown_seconds) for t in config.tiers] == [
        (D(-100), 300),
        (D(-200), 900),
        (D(-300), 1800),
    ]
    assert LossTier.model_validate({"loss": -100, "cooldown": "15m"}).cooldown_seconds == 900
    assert CooldownAfterLoss(config).describe() == (
        "after a losing trade: flatten and cool down (-100 → 300s, -200 → 900s, -300 → 1800s)"
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"loss_threshold": -100}, "loss_threshold", "Extra inputs are not permitted"),
        ({"tiers": "-100"}, "tiers", "valid tuple"),
        ({"tiers": [{"loss": -100, "cooldown_seconds": 60, "x": 1}]}, "tiers.0.x", "Extra"),
        ({"tiers": [{"loss": 100, "cooldown_seconds": 60}]}, "tiers.0.loss", "less than 0"),
        ({"tiers": [{"loss": 0, "cooldown_seconds": 60}]}, "tiers.0.loss", "less than 0"),
        ({"tiers": [{"loss": -1, "cooldown_seconds": 0}]}, "tiers.0.cooldown_seconds", "than 0"),
        ({"tiers": [{"loss": -1, "cooldown": "soon"}]}, "tiers.0.cooldown", "not a duration"),
        ({"tiers": [{"loss": -1}]}, "tiers.0.cooldown_seconds", "Field required"),
        ({"tiers": []}, "tiers", "at least one tier"),
        (
            {"tiers": [{"loss": -200, "cooldown": 900}, {"loss": -100, "cooldown": 300}]},
            "tiers",
            "from the smallest loss to the largest",
        ),
        (
            {"tiers": [{"loss": -100, "cooldown": 900}, {"loss": -100, "cooldown": 300}]},
            "tiers",
            "without repeats",
        ),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(CooldownAfterLossConfig, data)
    assert field in errors, errors
    assert message in errors[field]
