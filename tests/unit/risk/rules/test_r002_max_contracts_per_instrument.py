"""Rule 002 MaxContractsPerInstrument: per-symbol limits, unknown symbols, pre-trade."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r002_max_contracts_per_instrument import (
    MaxContractsPerInstrument,
    MaxContractsPerInstrumentConfig,
)
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell


def _rule(**config: Any) -> MaxContractsPerInstrument:
    data = {"limits": {"MNQ": 2, "NQ": 3}, **config}
    return MaxContractsPerInstrument(MaxContractsPerInstrumentConfig.model_validate(data))


def test_registered_by_name_and_code_and_listens_to_position_events() -> None:
    assert RULES["max_contracts_per_instrument"] is RULES["002"] is MaxContractsPerInstrument
    assert MaxContractsPerInstrument.events == (PositionOpened, PositionChanged, PositionClosed)


@pytest.mark.parametrize(("quantity", "breached"), [(1, False), (2, False), (3, True)])
@pytest.mark.parametrize("side", [buy, sell])
def test_limit_under_at_and_over(quantity: int, breached: bool, side: Any) -> None:
    account = Account()
    event = account.last("MNQ", side, quantity, 100)
    verdict = _rule().check(account.ctx(event))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "max_contracts_per_instrument"
    assert verdict.action is RiskAction.REDUCE_TO_LIMIT
    assert verdict.reason == "MAX_CONTRACTS_PER_INSTRUMENT: symbol=MNQ, size=3, limit=2"
    assert (verdict.symbol, verdict.target_quantity) == ("MNQ", D(2))


def test_each_symbol_has_its_own_limit() -> None:
    account = Account()
    account.trade("MNQ", buy, 2, 100)
    event = account.last("NQ", buy, 3, 100)
    assert _rule().check(account.ctx(event)) is None
    verdict = _rule().check(account.ctx(account.last("NQ", buy, 1, 100)))
    assert verdict is not None
    assert (verdict.symbol, verdict.target_quantity) == ("NQ", D(3))


def test_close_all_enforcement_and_zero_limit_close_the_position() -> None:
    account = Account()
    event = account.last("MNQ", buy, 3, 100)
    verdict = _rule(enforcement="close_all").check(account.ctx(event))
    assert verdict is not None
    assert verdict.action is RiskAction.CLOSE_POSITION
    assert verdict.symbol == "MNQ" and verdict.target_quantity is None
    verdict = _rule(limits={"MNQ": 0}).check(account.ctx(event))
    assert verdict is not None and verdict.action is RiskAction.CLOSE_POSITION
    assert verdict.reason == "MAX_CONTRACTS_PER_INSTRUMENT: symbol=MNQ, size=3, limit=0"


def test_a_flat_position_is_never_breached() -> None:
    account = Account()
    account.trade("ES", buy, 1, 100)
    closed = account.last("ES", sell, 1, 100)
    assert isinstance(closed, PositionClosed)
    assert _rule().check(account.ctx(closed)) is None  # ES is blocked, but flat


def test_unknown_symbol_blocked_by_default() -> None:
    account = Account()
    event = account.last("ES", buy, 1, 100)
    verdict = _rule().check(account.ctx(event))
    assert verdict is not None
    assert verdict.action is RiskAction.CLOSE_POSITION
    assert verdict.reason == "INSTRUMENT_NOT_ALLOWED: symbol=ES, size=1"
    assert verdict.symbol == "ES"


@pytest.mark.parametrize("policy", ["allow", "allow_unlimited"])
def test_unknown_symbol_allowed_without_limit(policy: str) -> None:
    account = Account()
    event = account.last("ES", buy, 500, 100)
    assert _rule(unknown_symbol=policy).check(account.ctx(event)) is None
    order = account.order("ES", buy, 1000)
    assert _rule(unknown_symbol=policy).pre_trade(account.ctx(order), order) is None


@pytest.mark.parametrize(
    "config",
    [{"unknown_symbol": "allow_with_limit:3"}, {"default_limit": 3}],
    ids=["policy", "default"],
)
@pytest.mark.parametrize(("quantity", "breached"), [(2, False), (3, False), (4, True)])
def test_unknown_symbol_with_a_limit(config: dict[str, Any], quantity: int, breached: bool) -> None:
    account = Account()
    event = account.last("ES", sell, quantity, 100)
    verdict = _rule(**config).check(account.ctx(event))
    assert (verdict is not None) is breached
    if verdict is not None:
        assert verdict.reason == "MAX_CONTRACTS_PER_INSTRUMENT: symbol=ES, size=4, limit=3"
        assert (verdict.action, verdict.target_quantity) == (RiskAction.REDUCE_TO_LIMIT, D(3))


def test_fractional_policy_limit_and_original_yaml_key() -> None:
    config = MaxContractsPerInstrumentConfig.model_validate(
        {"instrument_limits": {"MNQ": 2}, "unknown_symbol": "allow_with_limit:0.5"}
    )
    assert config.limits == {"MNQ": D(2)}
    assert config.limit_for("BTC/USDT") == (False, D("0.5"))
    assert config.limit_for("MNQ") == (False, D(2))
    assert MaxContractsPerInstrumentConfig().limit_for("MNQ") == (True, D(0))


@pytest.mark.parametrize(
    ("holding", "side", "quantity", "denied"),
    [
        (1, buy, 1, False),  # to the limit
        (1, buy, 2, True),  # just over
        (1, sell, 3, False),  # flips to −2
        (1, sell, 4, True),  # flips to −3
        (3, sell, 1, False),  # over the limit already, but reducing
        (3, buy, 1, True),  # over and growing
    ],
)
def test_pre_trade(holding: int, side: Any, quantity: int, denied: bool) -> None:
    account = Account()
    account.trade("MNQ", buy, holding, 100)
    order = account.order("MNQ", side, quantity)
    verdict = _rule().pre_trade(account.ctx(order), order)
    assert (verdict is not None) is denied
    if verdict is not None:
        after = abs(holding + side.sign * quantity)
        assert verdict.action is RiskAction.DENY
        assert verdict.reason == f"MAX_CONTRACTS_PER_INSTRUMENT: symbol=MNQ, size={after}, limit=2"
        assert verdict.symbol == "MNQ"


def test_pre_trade_blocked_symbol() -> None:
    account = Account()
    order = account.order("ES", buy, 1)
    verdict = _rule().pre_trade(account.ctx(order), order)
    assert verdict is not None
    assert verdict.action is RiskAction.DENY
    assert verdict.reason == "INSTRUMENT_NOT_ALLOWED: symbol=ES, size=1"
    account.trade("ES", buy, 2, 100)  # held before the policy changed: closing is fine
    order = account.order("ES", sell, 2)
    assert _rule().pre_trade(account.ctx(order), order) is None
    order = account.order("MNQ", buy, 0)
    assert _rule().pre_trade(account.ctx(order), order) is None  # malformed: the gateway's


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"limits": {"MNQ": 2}, "limit": 3}, "limit", "Extra inputs are not permitted"),
        ({"limits": "MNQ"}, "limits", "valid dictionary"),
        ({"limits": {"MNQ": -1}}, "limits.MNQ", "greater than or equal to 0"),
        ({"default_limit": -2}, "default_limit", "greater than or equal to 0"),
        ({"enforcement": "flatten"}, "enforcement", "'reduce_to_limit' or 'close_all'"),
        ({"unknown_symbol": "allow_with_limit:x"}, "unknown_symbol", "not a policy"),
        ({"unknown_symbol": "deny"}, "unknown_symbol", "allow_with_limit:N"),
        ({"default_limit": 3, "unknown_symbol": "allow"}, "", "default_limit or unknown_symbol"),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(MaxContractsPerInstrumentConfig, data)
    assert field in errors
    assert message in errors[field]


def test_describe() -> None:
    assert _rule().describe() == (
        "per-symbol limits {MNQ=2, NQ=3}, unknown symbols: block; over it: reduce_to_limit"
    )
    assert "default 4" in _rule(default_limit=4, enforcement="close_all").describe()
    assert "close_all" in _rule(enforcement="close_all").describe()
