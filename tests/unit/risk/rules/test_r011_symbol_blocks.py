"""Rule 011 SymbolBlocks: a position in a blocked symbol locks that symbol for good; orders
in it are denied."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import RuleTimerFired
from riskbus.model.reasons import parse_reason
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r011_symbol_blocks import SymbolBlocks, SymbolBlocksConfig
from tests.unit.risk.rules._ctx import T0, Account, Alarms, buy, config_error, sell


def _rule(*blocked: str) -> SymbolBlocks:
    return SymbolBlocks(SymbolBlocksConfig.model_validate({"blocked_symbols": list(blocked)}))


def test_registered() -> None:
    assert RULES["symbol_blocks"] is RULES["011"] is SymbolBlocks


@pytest.mark.parametrize(
    ("patterns", "symbol", "blocked"),
    [
        (["ES"], "ES", True),
        (["ES"], "MES", False),  # exact, not a substring
        (["es"], "ES", True),  # case does not matter
        (["M?Q"], "MNQ", True),
        (["M?Q"], "NQ", False),
        (["*/USDT"], "ETH/USDT", True),
        (["BTC"], "BTC/USDT", True),  # the base asset
        (["BTC"], "BTC/USDT:USDT", True),
        (["BTC*"], "ETH/USDT", False),
        (["RTY", "BTC"], "MNQ", False),
    ],
)
def test_pre_trade_denies_blocked_symbols(patterns: list[str], symbol: str, blocked: bool) -> None:
    account = Account()
    rule = _rule(*patterns)
    verdict = rule.pre_trade(account.ctx(account.quote("MNQ", 1, 2)), account.order(symbol, buy, 1))
    if not blocked:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.action is RiskAction.DENY
    code, values = parse_reason(verdict.reason)
    assert (code, values["symbol"]) == ("SYMBOL_BLOCKED", symbol)


def test_position_in_a_blocked_symbol_locks_that_symbol_permanently() -> None:
    account = Account()
    opened = account.last("ES", buy, 1, 5000)
    verdict = _rule("ES").check(account.ctx(opened))
    assert verdict is not None
    assert verdict.action is RiskAction.LOCKOUT
    assert verdict.symbol == "ES"
    assert (verdict.until_ts, verdict.until_reset, verdict.until_condition) == (None, False, False)
    assert (verdict.flatten, verdict.cancel_orders) == (False, False)
    assert parse_reason(verdict.reason) == ("SYMBOL_BLOCKED", {"symbol": "ES", "pattern": "ES"})


def test_position_change_in_a_blocked_symbol_locks_and_a_close_does_not() -> None:
    account = Account()
    account.trade("ES", buy, 2, 5000)
    changed = account.last("ES", sell, 1, 5000)
    assert _rule("ES").check(account.ctx(changed)) is not None
    closed = account.last("ES", sell, 1, 5000)
    assert _rule("ES").check(account.ctx(closed)) is None


def test_position_in_another_symbol_is_fine() -> None:
    account = Account()
    assert _rule("ES").check(account.ctx(account.last("MNQ", buy, 1, 100))) is None


def test_reducing_order_in_a_blocked_symbol_passes() -> None:
    account = Account()
    account.trade("ES", buy, 2, 5000)
    ctx = account.ctx(account.quote("ES", 5000, 5001))
    rule = _rule("ES")
    assert rule.pre_trade(ctx, account.order("ES", sell, 2)) is None
    assert rule.pre_trade(ctx, account.order("ES", sell, 3)) is not None
    assert rule.pre_trade(ctx, account.order("ES", buy, 1)) is not None


def test_start_locks_each_blocked_open_position_one_per_call() -> None:
    account, alarms = Account(), Alarms()
    for symbol in ("ES", "MNQ", "NQ"):
        account.trade(symbol, buy, 1, 100)
    rule = _rule("ES", "NQ")
    start = RuleTimerFired(ts=T0, rule="", key="start")
    first = rule.start(account.ctx(start, **alarms.kwargs()))
    assert first is not None and first.symbol == "ES"
    assert alarms.set == [("start", T0)]
    timer = RuleTimerFired(ts=T0, rule="symbol_blocks", key="start")
    second = rule.check(account.ctx(timer, **alarms.kwargs()))
    assert second is not None and second.symbol == "NQ"
    assert len(alarms.set) == 1  # nothing left
    assert rule.check(account.ctx(timer, **alarms.kwargs())) is None


def test_start_without_blocked_positions_does_nothing() -> None:
    account = Account()
    account.trade("MNQ", buy, 1, 100)
    assert _rule("ES").start(account.ctx(RuleTimerFired(ts=T0, rule="", key="start"))) is None


def test_empty_list_blocks_nothing_and_patterns_are_normalised() -> None:
    assert SymbolBlocksConfig().blocked_symbols == ()
    config = SymbolBlocksConfig.model_validate({"blocked_symbols": [" rty ", "RTY", "btc*"]})
    assert config.blocked_symbols == ("RTY", "BTC*")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"blocked_symbols": ["ES", ""]}, "blocked_symbols"),
        ({"blocked_symbols": "ES"}, "blocked_symbols"),
        ({"blocked_symbols": [1]}, "blocked_symbols.0"),
        ({"symbols": ["ES"]}, "symbols"),
    ],
)
def test_config_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in config_error(SymbolBlocksConfig, data)
