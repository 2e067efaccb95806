"""The whole risk stack with every registered rule, over the simulated exchange.

The multi-symbol daily loss (MNQ −200, NQ −250, ES −100 against a −500 limit) locks the
account and flattens all three symbols with all 18 rules loaded, and the run logs the
original's 8 checkpoints as structured records.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from riskbus.model import TradingState
from riskbus.model.enums import RiskAction
from riskbus.model.events.orders import OrderSubmitted
from riskbus.model.events.risk import RuleViolated
from riskbus.risk.rules import RULES, Rule
from tests.unit.risk._stack import Stack

SETTINGS: dict[str, dict[str, Any]] = {
    "max_contracts": {"limit": 20},
    "max_contracts_per_instrument": {"default_limit": 5},
    "daily_realized_loss": {"limit": -500},
    "daily_unrealized_loss": {"limit": -5000},
    "max_unrealized_profit": {"target": 5000},
    "trade_frequency_limit": {"per_minute": 50},
    "cooldown_after_loss": {"enabled": False},
    "no_stop_loss_grace": {"enabled": False},
    "session_block_outside": {
        "start": "08:30",
        "end": "15:00",
        "timezone": "America/Chicago",
    },
    "symbol_blocks": {"blocked_symbols": ["RTY"]},
    "trade_management": {"breakeven_ticks": 1000},
    "daily_realized_profit": {"target": 1000},
    "trailing_drawdown": {"max_drawdown": 100_000},
    "daily_equity_loss": {"limit": -100_000},
    "max_order_notional": {"max_notional": 10_000_000},
    "order_rate": {"max_orders": 100},
    "max_exposure": {"max_leverage": 100},
}


def every_rule() -> list[Rule[Any]]:
    classes = {cls.name: cls for cls in RULES.values()}
    return [
        cls(cls.config_type.model_validate(SETTINGS.get(name, {})))
        for name, cls in sorted(classes.items())
    ]


def test_daily_loss_with_every_rule_loaded_and_the_8_checkpoints(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="riskbus.risk")
    stack = Stack(every_rule())
    assert stack.manager.state is TradingState.ACTIVE  # 14:00 CT: inside the session
    stack.mark()
    for symbol in ("MNQ", "NQ", "ES"):
        stack.buy(symbol, 2)
    stack.exchange.advance()
    stack.mark()
    for symbol in ("MNQ", "NQ", "ES"):
        stack.sell(symbol, 1)
    assert stack.manager.state is TradingState.HALTED
    daily = [e for e in stack.of(RuleViolated) if e.rule == "daily_realized_loss"]
    assert [e.action for e in daily] == [RiskAction.LOCKOUT]
    assert [stack.qty(s) for s in ("MNQ", "NQ", "ES")] == [Decimal(0)] * 3
    closes = [e for e in stack.of(OrderSubmitted) if e.enforcement]
    assert sorted(e.symbol for e in closes) == ["ES", "MNQ", "NQ"]  # one close each
    checkpoints = {getattr(r, "checkpoint", None) for r in caplog.records}
    assert {1, 2, 3, 4, 5, 6, 7, 8} <= checkpoints
    [loaded] = [r for r in caplog.records if getattr(r, "checkpoint", None) == 2]
    assert len(loaded.rules) == 16  # type: ignore[attr-defined]  # 18 minus 2 disabled
    [triggered] = [r for r in caplog.records if getattr(r, "checkpoint", None) == 8]
    assert (triggered.rule, triggered.action) == (  # type: ignore[attr-defined]
        "daily_realized_loss",
        "flatten_all",
    )
