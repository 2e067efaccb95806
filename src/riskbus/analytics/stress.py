"""Stress tests: apply a crisis's per-asset price shocks to holdings and report the loss.

The named scenarios are smartfolio's (``crisis_2008``, ``covid_2020``, ``china_ban``,
``tether_collapse``, ``fed_emergency`` with its per-asset shocks, probabilities and recovery
times; ``dotcom_2000``, which it names without shocks, is defined here) plus two crypto
crises of 2022 (``luna_collapse_2022``, ``ftx_collapse_2022``) with shocks close to the
observed peak-to-trough moves. ``covid_crash_2020`` and ``china_ban_2021`` are aliases.
A shock is a return (``-0.5`` = the price halves). Symbols are matched on their base asset
(``BTC/USDT``, ``btc-perp`` → ``BTC``); stablecoins get the scenario's
``stablecoin_shock`` (0 unless the scenario is about them), other unlisted assets its
``default_shock``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from riskbus.analytics._inputs import as_holdings, check_number
from riskbus.core.errors import InvalidValueError

__all__ = [
    "SCENARIOS",
    "SCENARIO_ALIASES",
    "STABLECOINS",
    "AssetImpact",
    "StressResult",
    "StressScenario",
    "base_asset",
    "get_scenario",
    "stress_test",
    "stress_test_all",
]

STABLECOINS: Final = frozenset(
    {"USDT", "USDC", "DAI", "BUSD", "TUSD", "FDUSD", "USDP", "PYUSD", "USDE", "USD", "EUR"}
)
_SEPARATORS = re.compile(r"[/\-:_ ]")


def base_asset(symbol: str) -> str:
    """Return the base asset of a symbol: ``"btc/usdt"`` → ``"BTC"``, ``"ETH-PERP"`` → ``"ETH"``."""
    return _SEPARATORS.split(symbol.strip().upper(), maxsplit=1)[0]


def _check_shock(name: str, shock: float) -> float:
    value = check_number(name, shock)
    if value < -1.0:
        raise InvalidValueError.for_value(name, shock, "a price cannot fall more than 100 %")
    return value


@dataclass(frozen=True, slots=True)
class StressScenario:
    """A crisis as price shocks per base asset.

    Attributes:
        name: identifier, e.g. ``covid_2020``.
        description: one line on what happens.
        shocks: base asset → return over the crisis (≥ −1).
        default_shock: the return of assets not listed (and not stablecoins).
        stablecoin_shock: the return of stablecoins not listed.
        probability: estimated chance of such a crisis within a year.
        recovery_days: estimated days for prices to recover.
    """

    name: str
    description: str
    shocks: Mapping[str, float]
    default_shock: float
    stablecoin_shock: float = 0.0
    probability: float = 0.05
    recovery_days: int = 90
    _normalized: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shocks = {base_asset(s): _check_shock(f"shocks.{s}", v) for s, v in self.shocks.items()}
        object.__setattr__(self, "shocks", MappingProxyType(dict(self.shocks)))
        object.__setattr__(self, "_normalized", MappingProxyType(shocks))
        _check_shock("default_shock", self.default_shock)
        _check_shock("stablecoin_shock", self.stablecoin_shock)
        if not 0.0 <= check_number("probability", self.probability) <= 1.0:
            raise InvalidValueError.for_value("probability", self.probability, "must be in [0, 1]")
        if isinstance(self.recovery_days, bool) or not isinstance(self.recovery_days, int):
            raise InvalidValueError.for_value("recovery_days", self.recovery_days, "must be an int")

    def shock_for(self, symbol: str) -> float:
        """Return the shock that applies to ``symbol``."""
        base = base_asset(symbol)
        if base in self._normalized:
            return self._normalized[base]
        return self.stablecoin_shock if base in STABLECOINS else self.default_shock


@dataclass(frozen=True, slots=True)
class AssetImpact:
    """What a scenario does to one holding (``pnl`` negative for a loss, in currency)."""

    symbol: str
    value: float
    shock: float
    pnl: float


@dataclass(frozen=True, slots=True)
class StressResult:
    """The outcome of one scenario on one portfolio.

    Attributes:
        scenario: the scenario's name.
        total_value: the portfolio value before the shock.
        pnl: the change in value (negative for a loss).
        loss: ``-pnl``: the loss in currency (negative if the scenario is a gain).
        loss_fraction: ``loss / total_value``.
        worst_asset: the holding losing the most currency (first one on ties).
        worst_asset_loss: its loss in currency.
        impacts: one entry per holding, in the holdings' order.
        probability: the scenario's estimated yearly probability.
        recovery_days: the scenario's estimated recovery time.
    """

    scenario: str
    total_value: float
    pnl: float
    loss: float
    loss_fraction: float
    worst_asset: str
    worst_asset_loss: float
    impacts: tuple[AssetImpact, ...]
    probability: float
    recovery_days: int

    @property
    def loss_pct(self) -> float:
        """The loss as a percentage of the portfolio value."""
        return 100.0 * self.loss_fraction

    def to_dict(self) -> dict[str, object]:
        """Return the result as JSON-ready builtins."""
        return {
            "scenario": self.scenario,
            "total_value": self.total_value,
            "pnl": self.pnl,
            "loss": self.loss,
            "loss_pct": self.loss_pct,
            "worst_asset": self.worst_asset,
            "worst_asset_loss": self.worst_asset_loss,
            "probability": self.probability,
            "recovery_days": self.recovery_days,
            "impacts": [
                {"symbol": i.symbol, "value": i.value, "shock": i.shock, "pnl": i.pnl}
                for i in self.impacts
            ],
        }


_MAJORS = ("BTC", "ETH", "SOL", "AVAX", "DOGE", "LINK", "ADA", "DOT")


def _scenario(  # noqa: PLR0917 - rows of a data table, read positionally
    name: str,
    description: str,
    majors: tuple[float, ...],
    default_shock: float,
    probability: float,
    recovery_days: int,
    *,
    extra: Mapping[str, float] | None = None,
    stablecoin_shock: float = 0.0,
) -> StressScenario:
    shocks = dict(zip(_MAJORS, majors, strict=True)) | dict(extra or {})
    return StressScenario(
        name=name,
        description=description,
        shocks=shocks,
        default_shock=default_shock,
        stablecoin_shock=stablecoin_shock,
        probability=probability,
        recovery_days=recovery_days,
    )


# Shocks of BTC, ETH, SOL, AVAX, DOGE, LINK, ADA, DOT, the default shock, the yearly
# probability and the recovery days. In the first five rows the per-asset shocks,
# probabilities and recovery days are smartfolio's; the default shocks (it has none) are ours.
# fmt: off
_BUILT_IN = (
    _scenario("crisis_2008", "A 2008-scale systemic crisis with crypto as a risk asset",
              (-0.85, -0.80, -0.90, -0.88, -0.95, -0.82, -0.85, -0.87), -0.88, 0.02, 180),
    _scenario("covid_2020", "March 2020 liquidity crunch (BTC halved in two days)",
              (-0.50, -0.55, -0.65, -0.62, -0.45, -0.58, -0.60, -0.65), -0.60, 0.05, 90),
    _scenario("china_ban", "A complete Chinese ban on crypto (the May 2021 crash)",
              (-0.35, -0.30, -0.25, -0.20, -0.40, -0.15, -0.25, -0.20), -0.30, 0.15, 120),
    _scenario("tether_collapse", "USDT loses its peg: a stablecoin and liquidity crisis",
              (-0.60, -0.55, -0.50, -0.45, -0.70, -0.40, -0.50, -0.45), -0.55, 0.08, 150,
              extra={"USDT": -0.50}, stablecoin_shock=-0.05),
    _scenario("fed_emergency", "An emergency 500 bp Fed hike cycle: risk-off",
              (-0.40, -0.45, -0.55, -0.50, -0.60, -0.35, -0.40, -0.45), -0.50, 0.10, 60),
    _scenario("dotcom_2000", "A dot-com style bubble deflation over many months",
              (-0.75, -0.85, -0.92, -0.92, -0.90, -0.88, -0.90, -0.90), -0.90, 0.03, 730),
    _scenario("luna_collapse_2022", "Terra/UST de-peg and LUNA collapse, May 2022",
              (-0.30, -0.35, -0.50, -0.55, -0.35, -0.45, -0.45, -0.45), -0.45, 0.05, 365,
              extra={"LUNA": -0.999, "UST": -0.90, "USDT": -0.05}),
    _scenario("ftx_collapse_2022", "FTX/Alameda bankruptcy, November 2022",
              (-0.25, -0.28, -0.60, -0.35, -0.35, -0.30, -0.30, -0.30), -0.35, 0.05, 120,
              extra={"FTT": -0.95, "SRM": -0.80}),
)
# fmt: on

#: The named scenarios, by name.
SCENARIOS: Final[Mapping[str, StressScenario]] = MappingProxyType({s.name: s for s in _BUILT_IN})

#: Other accepted names for built-in scenarios.
SCENARIO_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {"covid_crash_2020": "covid_2020", "china_ban_2021": "china_ban"}
)


def get_scenario(name: str) -> StressScenario:
    """Return the built-in scenario called ``name`` (or an alias of it).

    Raises:
        InvalidValueError: for an unknown name, listing the known ones.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    key = SCENARIO_ALIASES.get(key, key)
    if key not in SCENARIOS:
        known = ", ".join(sorted(SCENARIOS))
        raise InvalidValueError.for_value("scenario", name, f"must be one of {known}")
    return SCENARIOS[key]


def stress_test(holdings: Mapping[str, float], scenario: str | StressScenario) -> StressResult:
    """Apply ``scenario`` to ``holdings`` (``{symbol: value in currency}``, values ≥ 0).

    Raises:
        InvalidValueError: empty holdings, a bad value, or an unknown scenario.
    """
    clean = as_holdings(holdings)
    chosen = scenario if isinstance(scenario, StressScenario) else get_scenario(scenario)
    impacts = []
    for symbol, value in clean.items():
        shock = chosen.shock_for(symbol)
        impacts.append(AssetImpact(symbol, value, shock, value * shock))
    total = math.fsum(clean.values())
    pnl = math.fsum(i.pnl for i in impacts)
    worst = min(impacts, key=lambda i: i.pnl)
    return StressResult(
        scenario=chosen.name,
        total_value=total,
        pnl=pnl,
        loss=-pnl,
        loss_fraction=-pnl / total,
        worst_asset=worst.symbol,
        worst_asset_loss=-worst.pnl,
        impacts=tuple(impacts),
        probability=chosen.probability,
        recovery_days=chosen.recovery_days,
    )


def stress_test_all(
    holdings: Mapping[str, float],
    scenarios: Iterable[str | StressScenario] | None = None,
) -> list[StressResult]:
    """Run several scenarios (all built-in ones by default), worst loss first."""
    chosen = list(SCENARIOS.values()) if scenarios is None else list(scenarios)
    results = [stress_test(holdings, s) for s in chosen]
    return sorted(results, key=lambda r: r.loss, reverse=True)
