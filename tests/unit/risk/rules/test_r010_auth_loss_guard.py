"""Rule 010 AuthLossGuard: the venue's can_trade=false locks the account until it is true."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import AccountStatusChanged, RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r010_auth_loss_guard import AuthLossGuard, AuthLossGuardConfig
from tests.unit.risk.rules._ctx import T0, Account, config_error


def _rule() -> AuthLossGuard:
    return AuthLossGuard(AuthLossGuardConfig())


def _status(can_trade: bool, **kw: Any) -> AccountStatusChanged:
    return AccountStatusChanged(ts=T0, can_trade=can_trade, **kw)


def test_registered_and_listens_to_account_status() -> None:
    assert RULES["auth_loss_guard"] is RULES["010"] is AuthLossGuard
    assert AuthLossGuard.events == (AccountStatusChanged,)


def test_can_trade_false_locks_until_the_condition_flattens_and_cancels() -> None:
    account = Account()
    event = _status(False, account="ACC-1", reason="Daily loss limit, breached")
    verdict = _rule().check(account.ctx(event, can_trade=False))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.until_condition is True
    assert (verdict.until_ts, verdict.until_reset, verdict.symbol) == (None, False, None)
    assert verdict.flatten and verdict.cancel_orders
    code, values = parse_reason(verdict.reason)
    assert code == "ACCOUNT_CANNOT_TRADE"
    assert values == {
        "can_trade": "false",
        "account": "ACC-1",
        "venue_reason": "Daily loss limit; breached",
    }


def test_can_trade_true_is_no_breach() -> None:
    account = Account()
    assert _rule().check(account.ctx(_status(True), can_trade=True)) is None


@pytest.mark.parametrize("can_trade", [True, False])
def test_releases_follows_the_context_can_trade(can_trade: bool) -> None:
    account = Account()
    ctx = account.ctx(_status(can_trade), can_trade=can_trade)
    assert _rule().releases(ctx) is can_trade


def test_start_locks_when_the_venue_already_said_no() -> None:
    account = Account()
    start = RuleTimerFired(ts=T0, rule="", key="start")
    assert _rule().start(account.ctx(start, can_trade=True)) is None
    verdict = _rule().start(account.ctx(start, can_trade=False))
    assert verdict is not None and verdict.until_condition


def test_other_events_are_ignored() -> None:
    account = Account()
    assert _rule().check(account.ctx(account.quote("MNQ", 1, 2), can_trade=False)) is None


def test_config_has_only_the_common_fields() -> None:
    assert AuthLossGuardConfig.model_validate({"admin_unlock": False}).admin_unlock is False
    assert "check_interval" in config_error(AuthLossGuardConfig, {"check_interval": 30})
