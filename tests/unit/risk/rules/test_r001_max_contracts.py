"""Rule 001 MaxContracts: net/gross count over the account, reduce or flatten, pre-trade."""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.model import RiskAction
from riskbus.model.events import PositionChanged, PositionClosed, PositionOpened
from riskbus.risk.rules import RULES
from riskbus.risk.rules.r001_max_contracts import MaxContracts, MaxContractsConfig
from tests.stubs import D
from tests.unit.risk.rules._ctx import Account, buy, config_error, sell


def _rule(**config: Any) -> MaxContracts:
    return MaxContracts(MaxContractsConfig.model_validate({"limit": 5, **config}))


def test_registered_by_name_and_code_and_listens_to_position_events() -> None:
    assert RULES["max_contracts"] is RULES["001"] is MaxContracts
    assert MaxContracts.events == (PositionOpened, PositionChanged, PositionClosed)


@pytest.mark.parametrize(("quantity", "breached"), [(4, False), (5, False), (6, True)])
@pytest.mark.parametrize("side", [buy, sell])
def test_net_limit_under_at_and_over(quantity: int, breached: bool, side: Any) -> None:
    account = Account()
    event = account.last("MNQ", side, quantity, 100)
    verdict = _rule().check(account.ctx(event))
    if not breached:
        assert verdict is None
        return
    assert verdict is not None
    assert verdict.rule == "max_contracts"
    assert verdict.action is RiskAction.REDUCE_TO_LIMIT
    assert verdict.reason == "MAX_CONTRACTS: net=6, limit=5"
    assert verdict.symbol == "MNQ"
    assert verdict.target_quantity == D(5)
    assert verdict.until_ts is None and not verdict.flatten


def test_net_count_offsets_long_and_short_across_symbols() -> None:
    account = Account()
    account.trade("NQ", buy, 4, 100)
    event = account.last("MNQ", sell, 3, 100)  # net 1, gross 7
    assert _rule().check(account.ctx(event)) is None
    verdict = _rule(count_type="gross").check(account.ctx(event))
    assert verdict is not None
    assert verdict.reason == "MAX_CONTRACTS: gross=7, limit=5"
    # MNQ (|−3|) gives up the 2 extra contracts: gross 4 + 1 = 5.
    assert (verdict.symbol, verdict.target_quantity) == ("MNQ", D(1))


@pytest.mark.parametrize(("mnq", "breached"), [(1, False), (2, False), (3, True)])
def test_gross_limit_under_at_and_over(mnq: int, breached: bool) -> None:
    account = Account()
    account.trade("ES", sell, 3, 100)
    event = account.last("MNQ", buy, mnq, 100)
    verdict = _rule(count_type="gross").check(account.ctx(event))
    assert (verdict is not None) is breached
    if verdict is not None:
        assert verdict.reason == "MAX_CONTRACTS: gross=6, limit=5"
        assert (verdict.symbol, verdict.target_quantity) == ("MNQ", D(2))


def test_net_short_excess_reduces_the_short() -> None:
    account = Account()
    account.trade("NQ", buy, 1, 100)
    event = account.last("ES", sell, 7, 100)  # net −6
    verdict = _rule().check(account.ctx(event))
    assert verdict is not None
    assert verdict.reason == "MAX_CONTRACTS: net=6, limit=5"
    assert (verdict.action, verdict.symbol, verdict.target_quantity) == (
        RiskAction.REDUCE_TO_LIMIT,
        "ES",
        D(6),
    )


def test_flattens_when_the_event_symbol_cannot_restore_the_limit() -> None:
    account = Account()
    account.trade("NQ", buy, 6, 100)
    account.trade("MNQ", sell, 2, 100)  # net 4
    closed = account.last("MNQ", buy, 2, 100)  # MNQ flat: net 6, nothing to trim in MNQ
    assert isinstance(closed, PositionClosed)
    verdict = _rule().check(account.ctx(closed))
    assert verdict is not None
    assert verdict.action is RiskAction.FLATTEN_ALL
    assert verdict.symbol is None and verdict.target_quantity is None
    # The event's symbol is too small for the excess (the limit was lowered): flatten too.
    event = account.last("ES", buy, 1, 100)  # net 7: 2 too many, ES holds 1
    verdict = _rule().check(account.ctx(event))
    assert verdict is not None and verdict.action is RiskAction.FLATTEN_ALL


@pytest.mark.parametrize("config", [{"reduce_to_limit": False}, {"close_all": True}])
def test_flatten_mode(config: dict[str, Any]) -> None:
    account = Account()
    event = account.last("MNQ", buy, 6, 100)
    verdict = _rule(**config).check(account.ctx(event))
    assert verdict is not None
    assert verdict.action is RiskAction.FLATTEN_ALL
    assert verdict.reason == "MAX_CONTRACTS: net=6, limit=5"
    assert verdict.symbol is None
    assert _rule(**config).check(account.ctx(account.last("MNQ", sell, 1, 100))) is None


@pytest.mark.parametrize(
    ("holding", "side", "quantity", "denied"),
    [
        (4, buy, 1, False),  # to the limit
        (4, buy, 2, True),  # just over
        (4, sell, 9, False),  # to −5
        (4, sell, 10, True),  # to −6
        (4, sell, 3, False),  # reduces
        (7, sell, 1, False),  # over the limit already, but reducing
        (7, buy, 1, True),  # over and growing
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
        assert verdict.reason == f"MAX_CONTRACTS: net={after}, limit=5, symbol=MNQ"
        assert verdict.symbol == "MNQ"


def test_pre_trade_gross_counts_the_hedge() -> None:
    account = Account()
    account.trade("NQ", buy, 3, 100)
    order = account.order("MNQ", sell, 3)
    assert _rule().pre_trade(account.ctx(order), order) is None  # net 0
    verdict = _rule(count_type="gross").pre_trade(account.ctx(order), order)
    assert verdict is not None
    assert verdict.reason == "MAX_CONTRACTS: gross=6, limit=5, symbol=MNQ"


def test_pre_trade_ignores_malformed_quantities() -> None:
    account = Account()
    order = account.order("MNQ", buy, 0)
    assert _rule(limit=0).pre_trade(account.ctx(order), order) is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"limit": 5, "max": 3}, "max", "Extra inputs are not permitted"),
        ({"limit": "lots"}, "limit", "valid decimal"),
        ({"limit": -1}, "limit", "greater than or equal to 0"),
        ({}, "limit", "Field required"),
        ({"limit": 5, "count_type": "both"}, "count_type", "'net' or 'gross'"),
        ({"limit": 5, "close_all": True, "reduce_to_limit": True}, "", "only one of close_all"),
    ],
)
def test_config_errors(data: dict[str, Any], field: str, message: str) -> None:
    errors = config_error(MaxContractsConfig, data)
    assert field in errors
    assert message in errors[field]


def test_config_defaults_and_describe() -> None:
    config = MaxContractsConfig(limit=D(5))
    assert (config.count_type, config.reduce_to_limit, config.close_all) == ("net", True, False)
    assert config.enabled and config.admin_unlock
    assert (
        MaxContracts(config).describe() == "at most 5 contracts (net); over it: reduce to the limit"
    )
    assert "flatten all" in _rule(count_type="gross", close_all=True).describe()
    assert "(gross)" in repr(_rule(count_type="gross"))
