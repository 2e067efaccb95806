"""Rule 008 NoStopLossGrace: a position without a closing-side stop after the grace period
is closed; a stop cancels the alarm."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.core.clock import SECOND
from riskbus.model import OrderSide, OrderType, RiskAction
from riskbus.model.events import OrderSubmitted, RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r008_no_stop_loss_grace import NoStopLossGrace, NoStopLossGraceConfig
from tests.stubs import D
from tests.unit.risk.rules._ctx import T0, Account, Alarms, buy, config_error, sell


def _rule(**config: Any) -> NoStopLossGrace:
    return NoStopLossGrace(NoStopLossGraceConfig.model_validate(config))


def _order(
    symbol: str = "MNQ",
    side: OrderSide = sell,
    order_type: OrderType = OrderType.STOP,
    stop_price: str | None = "90",
) -> OrderSubmitted:
    return OrderSubmitted(
        ts=T0,
        client_order_id="S-1",
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=D(1),
        price=D("89") if order_type is OrderType.STOP_LIMIT else None,
        stop_price=None if stop_price is None else D(stop_price),
    )


def _timer(symbol: str = "MNQ") -> RuleTimerFired:
    return RuleTimerFired(ts=T0 + 10 * SECOND, rule="no_stop_loss_grace", key=symbol)


def _opened(account: Account, alarms: Alarms, rule: NoStopLossGrace, side: OrderSide = buy) -> None:
    opened = account.last("MNQ", side, 1, 100)
    assert rule.check(account.ctx(opened, **alarms.kwargs())) is None


def test_registered_and_listens_to_positions_orders_and_timers() -> None:
    assert RULES["no_stop_loss_grace"] is RULES["008"] is NoStopLossGrace
    assert RuleTimerFired in NoStopLossGrace.events
    assert OrderSubmitted in NoStopLossGrace.events


@pytest.mark.parametrize("grace", [1, 10, 300])
def test_position_opened_sets_an_alarm_at_now_plus_grace(grace: int) -> None:
    account, alarms, rule = Account(), Alarms(), _rule(grace_period_seconds=grace)
    _opened(account, alarms, rule)
    assert alarms.set == [("MNQ", T0 + grace * SECOND)]
    assert rule.pending == {"MNQ": T0 + grace * SECOND}


def test_timer_with_the_position_still_unprotected_closes_it() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    verdict = rule.check(account.ctx(_timer(), now=T0 + 10 * SECOND, **alarms.kwargs()))
    assert verdict is not None
    assert verdict.action is RiskAction.CLOSE_POSITION
    assert verdict.symbol == "MNQ"
    assert verdict.rule == "no_stop_loss_grace"
    assert parse_reason(verdict.reason) == (
        "NO_STOP_LOSS",
        {"symbol": "MNQ", "quantity": "1", "grace_seconds": "10"},
    )
    assert rule.pending == {}


@pytest.mark.parametrize(
    ("position_side", "stop_side", "order_type"),
    [
        (buy, sell, OrderType.STOP),
        (buy, sell, OrderType.STOP_LIMIT),
        (sell, buy, OrderType.STOP),
        (sell, buy, OrderType.STOP_LIMIT),
    ],
)
def test_closing_side_stop_cancels_the_alarm(
    position_side: OrderSide, stop_side: OrderSide, order_type: OrderType
) -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule, position_side)
    order = _order(side=stop_side, order_type=order_type)
    assert rule.check(account.ctx(order, **alarms.kwargs())) is None
    assert alarms.canceled == ["MNQ"]
    assert alarms.pending == {}
    assert rule.protected == {"MNQ"}
    # A late timer (already queued) does nothing for a protected position.
    assert rule.check(account.ctx(_timer(), **alarms.kwargs())) is None


@pytest.mark.parametrize(
    "order",
    [
        _order(side=buy),  # the opening side: not a stop-loss for a long
        _order(order_type=OrderType.LIMIT, stop_price=None),  # a take-profit, not a stop
        _order(order_type=OrderType.MARKET, stop_price=None),
        _order(symbol="ES"),  # another symbol
        _order(stop_price=None),  # a stop without a stop price
    ],
    ids=["opening-side", "limit", "market", "other-symbol", "no-stop-price"],
)
def test_orders_that_are_not_a_stop_for_the_position_keep_the_alarm(
    order: OrderSubmitted,
) -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    assert rule.check(account.ctx(order, **alarms.kwargs())) is None
    assert alarms.canceled == []
    verdict = rule.check(account.ctx(_timer(), **alarms.kwargs()))
    assert verdict is not None
    assert verdict.action is RiskAction.CLOSE_POSITION


def test_stop_without_a_position_is_ignored() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    assert rule.check(account.ctx(_order(), **alarms.kwargs())) is None
    assert alarms.canceled == [] and rule.protected == set()


def test_position_closed_cancels_the_alarm_and_the_timer_does_nothing() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    closed = account.last("MNQ", sell, 1, 101)
    assert rule.check(account.ctx(closed, **alarms.kwargs())) is None
    assert alarms.canceled == ["MNQ"]
    assert rule.check(account.ctx(_timer(), **alarms.kwargs())) is None


def test_flip_restarts_the_grace_period_for_the_new_side() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    rule.check(account.ctx(_order(), **alarms.kwargs()))  # the long is protected
    account.now = T0 + 5 * SECOND
    for event in account.trade("MNQ", sell, 2, 99):  # close 1, open 1 short
        rule.check(account.ctx(event, **alarms.kwargs()))
    assert alarms.pending == {"MNQ": T0 + 15 * SECOND}
    assert rule.protected == set()
    verdict = rule.check(account.ctx(_timer(), now=T0 + 15 * SECOND, **alarms.kwargs()))
    assert verdict is not None and verdict.symbol == "MNQ"


def test_timer_for_a_position_closed_elsewhere_does_nothing() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    account.trade("MNQ", sell, 1, 100)  # closed, but the rule did not see the event
    assert rule.check(account.ctx(_timer(), **alarms.kwargs())) is None


def test_timer_of_another_rule_or_key_is_ignored() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    other = RuleTimerFired(ts=T0, rule="other_rule", key="MNQ")
    assert rule.check(account.ctx(other)) is None
    assert rule.check(account.ctx(_timer("ES"))) is None
    assert rule.pending == {"MNQ": T0 + 10 * SECOND}


def test_state_round_trip_and_start_sets_the_pending_alarms_again() -> None:
    account, alarms, rule = Account(), Alarms(), _rule()
    _opened(account, alarms, rule)
    account.trade("ES", buy, 1, 5000)
    rule.protected.add("ES")
    saved = rule.state()
    assert saved == {"pending": {"MNQ": T0 + 10 * SECOND}, "protected": ["ES"]}
    fresh, again = _rule(), Alarms()
    fresh.restore(saved)
    assert fresh.start(account.ctx(_timer(), now=T0 + 3 * SECOND, **again.kwargs())) is None
    assert again.set == [("MNQ", T0 + 10 * SECOND)]
    # Restarted after the deadline: the alarm fires at once.
    late = Alarms()
    fresh.start(account.ctx(_timer(), now=T0 + 60 * SECOND, **late.kwargs()))
    assert late.set == [("MNQ", T0 + 60 * SECOND)]
    assert fresh.protected == {"ES"}


def test_duration_strings_are_accepted() -> None:
    assert (
        NoStopLossGraceConfig.model_validate({"grace_period_seconds": "5m"}).grace_period_seconds
        == 300
    )
    assert "10s" in _rule().describe()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"grace_period_seconds": -5}, "grace_period_seconds"),
        ({"grace_period_seconds": 0}, "grace_period_seconds"),
        ({"grace_period_seconds": "soon"}, "grace_period_seconds"),
        ({"grace": 10}, "grace"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(NoStopLossGraceConfig, data)
