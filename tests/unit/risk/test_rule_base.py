"""The rule contract: registry, verdict strength, context helpers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model import RiskAction, TradingState, default_registry
from riskbus.model.events import RuleTimerFired
from riskbus.risk.rules.base import (
    ACTION_STRENGTH,
    RULES,
    Rule,
    RuleConfig,
    RuleContext,
    Verdict,
    register_rule,
    rule_class,
)
from tests.stubs import D, portfolio


class _Pnl:
    def daily_realized(self, symbol: str | None = None) -> Decimal:
        return D(0)

    def trade_count(self, since_ts: int | None = None) -> int:
        return 0

    def session_start(self) -> int:
        return 0


class _Config(RuleConfig):
    level: int = 1


class _Probe(Rule[_Config]):
    code: ClassVar[str] = "T99"
    name: ClassVar[str] = "probe_rule"
    config_type: ClassVar[type[RuleConfig]] = _Config

    def describe(self) -> str:
        return f"probe at level {self.config.level}"

    def check(self, ctx: RuleContext) -> Verdict | None:
        return None


def _ctx(now: int = 0) -> RuleContext:
    return RuleContext(
        now=now,
        event=RuleTimerFired(ts=now, rule="probe_rule", key="k"),
        portfolio=portfolio(),
        pnl=_Pnl(),
        registry=default_registry(),
        timezone="America/Chicago",
    )


def test_register_by_name_and_code_then_refuse_a_different_class_under_the_same_key() -> None:
    try:
        register_rule(_Probe)
        assert rule_class("probe_rule") is _Probe
        assert rule_class("T99") is _Probe
        register_rule(_Probe)  # the same class again is fine

        class _Other(_Probe):
            code: ClassVar[str] = "T98"

        with pytest.raises(ValueError, match="registered twice"):
            register_rule(_Other)
    finally:
        for key in ("probe_rule", "T99", "T98"):
            RULES.pop(key, None)


def test_unknown_rule_lists_the_valid_names() -> None:
    with pytest.raises(InvalidValueError) as caught:
        rule_class("no_such_rule")
    assert caught.value.field == "rule"
    assert "no_such_rule" in str(caught.value)
    assert "valid rules" in str(caught.value)


def test_strength_orders_lockout_first_and_alert_last() -> None:
    lock = Verdict(rule="a", action=RiskAction.LOCKOUT, reason="X")
    close = Verdict(rule="b", action=RiskAction.CLOSE_POSITION, reason="Y", symbol="MNQ")
    alert = Verdict(rule="c", action=RiskAction.ALERT, reason="Z")
    assert sorted([alert, close, lock], key=lambda v: v.strength) == [lock, close, alert]
    assert len(ACTION_STRENGTH) == len(set(ACTION_STRENGTH)) == len(RiskAction)


def test_context_defaults_and_local_time() -> None:
    # 2026-03-08 08:30 UTC is 02:30 CST... after the DST jump it is 03:30 CDT.
    at = int(dt.datetime(2026, 3, 8, 8, 30, tzinfo=dt.UTC).timestamp()) * 1_000_000_000
    ctx = _ctx(at)
    assert ctx.state is TradingState.ACTIVE
    assert ctx.can_trade is True
    assert ctx.local_time().strftime("%H:%M %Z") == "03:30 CDT"
    assert ctx.local_time("UTC").hour == 8
    ctx.set_alarm("k", 5)  # the defaults accept and ignore alarms
    ctx.cancel_alarm("k")


def test_rule_defaults() -> None:
    rule = _Probe(_Config(level=3))
    ctx = _ctx()
    assert rule.enabled is True
    assert rule.config.admin_unlock is True
    assert rule.pre_trade(ctx, None) is None  # type: ignore[arg-type]
    assert rule.start(ctx) is None
    assert rule.releases(ctx) is False
    assert rule.on_reset(ctx) is None
    assert rule.state() == {}
    rule.restore({"x": 1})
    assert repr(rule) == "_Probe(probe at level 3)"
    with pytest.raises(ValueError, match="extra"):
        _Config(level=1, bogus=2)  # type: ignore[call-arg]
