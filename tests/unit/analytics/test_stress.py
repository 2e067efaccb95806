from __future__ import annotations

import pytest

from riskbus.analytics import (
    SCENARIO_ALIASES,
    SCENARIOS,
    StressScenario,
    base_asset,
    get_scenario,
    stress_test,
    stress_test_all,
)
from riskbus.core.errors import InvalidValueError

HOLDINGS = {"BTC": 50_000.0, "ETH/USDT": 30_000.0, "USDC": 10_000.0, "PEPE": 10_000.0}


def test_stress_test_sums_per_asset_shocks() -> None:
    result = stress_test(HOLDINGS, "covid_2020")
    # BTC -50 %, ETH -55 %, USDC (stablecoin) 0, PEPE (unlisted) default -60 %
    assert [i.shock for i in result.impacts] == [-0.50, -0.55, 0.0, -0.60]
    assert [i.pnl for i in result.impacts] == pytest.approx([-25_000, -16_500, 0, -6_000])
    assert result.total_value == 100_000
    assert result.pnl == pytest.approx(-47_500)
    assert result.loss == pytest.approx(47_500)
    assert result.loss_fraction == pytest.approx(0.475)
    assert result.loss_pct == pytest.approx(47.5)
    assert (result.worst_asset, result.worst_asset_loss) == ("BTC", pytest.approx(25_000))
    assert (result.probability, result.recovery_days) == (0.05, 90)


def test_the_originals_scenarios_and_their_figures_are_kept() -> None:
    assert {"crisis_2008", "covid_2020", "china_ban", "tether_collapse", "fed_emergency",
            "dotcom_2000", "luna_collapse_2022", "ftx_collapse_2022"} == set(SCENARIOS)  # fmt: skip
    crisis = SCENARIOS["crisis_2008"]
    assert (crisis.shocks["BTC"], crisis.shocks["DOGE"], crisis.probability) == (-0.85, -0.95, 0.02)
    assert SCENARIOS["china_ban"].shocks["LINK"] == -0.15
    assert SCENARIOS["tether_collapse"].recovery_days == 150
    for scenario in SCENARIOS.values():
        assert -1.0 <= scenario.default_shock < 0.0
        assert all(-1.0 <= shock <= 0.0 for shock in scenario.shocks.values())
        assert 0.0 < scenario.probability < 1.0 and scenario.description


def test_aliases_and_case_resolve_to_the_same_scenario() -> None:
    assert SCENARIO_ALIASES["covid_crash_2020"] == "covid_2020"
    assert get_scenario("covid_crash_2020") is SCENARIOS["covid_2020"]
    assert get_scenario(" China_Ban_2021 ") is SCENARIOS["china_ban"]
    assert stress_test(HOLDINGS, "covid_crash_2020") == stress_test(HOLDINGS, "covid_2020")


def test_stablecoin_scenarios_hit_stablecoins() -> None:
    result = stress_test({"USDT": 1_000.0, "USDC": 1_000.0, "BTC": 1_000.0}, "tether_collapse")
    assert [i.pnl for i in result.impacts] == pytest.approx([-500.0, -50.0, -600.0])
    assert result.worst_asset == "BTC"
    luna = stress_test({"LUNA-USD": 100.0, "USDT": 100.0}, "luna_collapse_2022")
    assert luna.worst_asset == "LUNA-USD" and luna.loss == pytest.approx(99.9 + 5.0)


@pytest.mark.parametrize(
    ("symbol", "base"), [("BTC", "BTC"), ("btc/usdt", "BTC"), ("ETH-PERP", "ETH"),
                         ("sol:usdc", "SOL"), (" doge_usdt ", "DOGE")],
)  # fmt: skip
def test_symbols_match_on_their_base_asset(symbol: str, base: str) -> None:
    assert base_asset(symbol) == base


def test_custom_scenario_with_gains_and_a_default() -> None:
    scenario = StressScenario(
        "btc_etf_rally", "spot ETF approval", {"btc/usd": 0.2}, default_shock=-0.1
    )
    assert dict(scenario.shocks) == {"btc/usd": 0.2}
    result = stress_test({"BTC": 1_000.0, "XRP": 1_000.0}, scenario)
    assert result.pnl == pytest.approx(100.0) and result.loss == pytest.approx(-100.0)
    assert result.worst_asset == "XRP" and result.scenario == "btc_etf_rally"
    with pytest.raises(InvalidValueError) as info:
        StressScenario("bad", "", {"BTC": -1.5}, default_shock=0.0)
    assert info.value.field == "shocks.BTC"
    with pytest.raises(InvalidValueError, match="default_shock"):
        StressScenario("bad", "", {}, default_shock=float("nan"))
    with pytest.raises(InvalidValueError, match="probability"):
        StressScenario("bad", "", {}, default_shock=-0.1, probability=1.5)
    with pytest.raises(InvalidValueError, match="recovery_days"):
        StressScenario("bad", "", {}, default_shock=-0.1, recovery_days=1.5)  # type: ignore[arg-type]


def test_stress_test_all_orders_worst_first_and_serialises() -> None:
    results = stress_test_all(HOLDINGS)
    assert len(results) == len(SCENARIOS)
    losses = [r.loss for r in results]
    assert losses == sorted(losses, reverse=True)
    assert [r.scenario for r in results[:2]] == ["crisis_2008", "dotcom_2000"]
    chosen = stress_test_all(HOLDINGS, ["china_ban", "covid_2020"])
    assert [r.scenario for r in chosen] == ["covid_2020", "china_ban"]
    data = chosen[0].to_dict()
    assert data["loss_pct"] == pytest.approx(47.5) and len(data["impacts"]) == 4  # type: ignore[arg-type]
