"""The scenario file: pydantic models accepting the original format unchanged, plus extensions.

The original framework's format (``name``, ``description``, ``setup.exchange``,
``setup.bot``, ``setup.recording``, ``setup.report``, ``chaos``, ``steps``) is read as is.
Extensions: ``seed``; ``tags``; ``invariants``; ``setup.risk`` (a risk config inline, or the
path of a risk YAML file, relative to the scenario file); ``setup.bot.strategy`` and
``setup.bot.params``; ``setup.exchange.data`` (a CSV/Parquet candle file replayed instead
of a generated scenario) and ``setup.exchange.instrument``; the chaos kinds beyond the
original five; the assertion kinds ``event_never``, ``event_within`` and ``max_drawdown``.

Every mapping forbids unknown keys. :func:`load_scenario` / :func:`parse_scenario` raise
:class:`ScenarioFileError` (a :class:`~riskbus.core.errors.ScenarioError`) listing every
problem as ``FILE:LINE KEY.PATH: message``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from riskbus.core.errors import ScenarioError
from riskbus.core.yamlconf import ConfigProblem, YamlInputError, line_of, problems_from, read_yaml
from riskbus.scenarios.schema_chaos import (
    CHAOS_KINDS,
    ChaosAction,
    DelayEvent,
    DropEvent,
    ExchangeOutage,
    InjectFailure,
    ModifyEvent,
    NetworkLatency,
    OrderAckLost,
    PartialFills,
    PriceGap,
    RateLimit,
    RejectOrders,
    Restart,
    StalePrice,
    StrictModel,
)

__all__ = [
    "CHAOS_KINDS",
    "AssertSpec",
    "AssertStep",
    "BotSetup",
    "ChaosAction",
    "CountBound",
    "DelayEvent",
    "DropEvent",
    "ExchangeOutage",
    "ExchangeSetup",
    "InjectFailure",
    "LoadedScenario",
    "ModifyEvent",
    "NetworkLatency",
    "OrderAckLost",
    "PartialFills",
    "PriceGap",
    "RateLimit",
    "RecordingSetup",
    "RejectOrders",
    "ReportSetup",
    "Restart",
    "Scenario",
    "ScenarioFileError",
    "Setup",
    "StalePrice",
    "Step",
    "WaitForCycles",
    "WaitForEvent",
    "WaitForTime",
    "load_scenario",
    "parse_scenario",
]


class _Model(BaseModel):
    model_config = StrictModel.model_config  # the same strict mappings as the chaos kinds


class ScenarioFileError(YamlInputError, ScenarioError):
    """A scenario file is invalid; ``str()`` gives one ``FILE:LINE KEY: message`` per problem."""


# -- setup ------------------------------------------------------------------------------


class ExchangeSetup(_Model):
    """The simulated venue and its market (original ``ExchangeSetup`` plus extensions)."""

    scenario: str = "sideways"
    initial_price: Decimal = Field(default=Decimal(50_000), gt=0)
    pair: str = "BTC/USDT"
    volatility_multiplier: float = Field(default=1.0, ge=0)
    spread_bps: float = Field(default=20.0, ge=0, lt=20_000)
    #: Extension: a CSV/Parquet OHLCV file (relative to the scenario file) replayed instead.
    data: str | None = None
    #: Extension: the traded instrument (default: ``pair``).
    instrument: str | None = None
    #: Extension: generator-specific parameters of the market scenario.
    params: dict[str, Any] = {}
    #: Extension: the venue's taker fee rate (default: the simulated venue's).
    taker_fee: Decimal | None = Field(default=None, ge=0, lt=1)

    @property
    def symbol(self) -> str:
        """The traded symbol: ``instrument`` when given, else ``pair``."""
        return self.instrument or self.pair


class BotSetup(_Model):
    """The bot (original ``BotSetup`` plus the strategy and its parameters)."""

    initial_capital: Decimal = Field(default=Decimal(10_000), gt=0)
    pool_count: int = Field(default=5, ge=1, le=1000)
    poll_interval: float = Field(default=60.0, gt=0)
    #: Extension: a built-in strategy name or ``package.module:Class``.
    strategy: str = "pool_ladder"
    #: Extension: the strategy's parameters.
    params: dict[str, Any] = {}
    #: Extension: the bot's own settings (``BotConfig`` fields: rsi_period, ...).
    config: dict[str, Any] = {}


class RecordingSetup(_Model):
    """Where the event recording goes (original ``RecordingSetup`` plus ``mode``)."""

    enabled: bool = False
    output: str = "recordings/{scenario_name}.jsonl"
    #: Extension: ``all`` (always write), ``once`` (write if missing, else compare),
    #: ``new`` (compare the common part, append new events), ``none`` (compare only).
    mode: Literal["once", "new", "none", "all"] = "all"


class ReportSetup(_Model):
    """The report (original ``ReportSetup``)."""

    format: Literal["json", "html", "markdown", "junit"] = "json"
    output: str | None = None
    include_events: bool = True
    include_statistics: bool = True


class Setup(_Model):
    """Everything the world is built from."""

    exchange: ExchangeSetup = ExchangeSetup()
    bot: BotSetup = BotSetup()
    recording: RecordingSetup = RecordingSetup()
    report: ReportSetup = ReportSetup()
    #: Extension: a risk config (mapping) or the path of a risk YAML file.
    risk: dict[str, Any] | str | None = None


# -- assertions -------------------------------------------------------------------------


class CountBound(_Model):
    """``min`` / ``max`` / ``exact`` bounds of a count."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    exact: int | None = Field(default=None, ge=0)


class ValueBound(_Model):
    """``min`` / ``max`` bounds of the final capital.

    ``measure``: ``available`` (the original: the last ``CapitalRefreshed.available_capital``,
    free cash) or ``equity`` (extension: cash plus the open positions at the bid, now).
    """

    min: Decimal | None = None
    max: Decimal | None = None
    measure: Literal["available", "equity"] = "available"


class PanicWindow(_Model):
    """The crash window: no ``PositionSold`` in cycles ``crash_start_cycle..crash_end_cycle``."""

    crash_start_cycle: int = Field(default=20, ge=0)
    crash_end_cycle: int = Field(default=30, ge=0)


class EventWithin(_Model):
    """After each ``after`` event, ``event`` must occur within ``cycles`` cycles."""

    after: str
    event: str
    cycles: int = Field(ge=0)


class Drawdown(_Model):
    """The bot's equity drawdown from its peak stays at or below ``max_pct`` percent."""

    max_pct: Decimal = Field(ge=0)


class CustomCheck(_Model):
    """A callable ``package.module:function(events) -> (passed, message)``."""

    function: str
    name: str | None = None


def _as_list(value: object) -> object:
    if value is None or isinstance(value, list):
        return value
    return [value]


class AssertSpec(_Model):
    """The assertions of one ``assert`` step (any subset of the kinds)."""

    event_count: dict[str, CountBound] | None = None
    event_sequence: list[str] | None = None
    no_panic_sell: PanicWindow | None = None
    final_capital: ValueBound | None = None
    position_count: CountBound | None = None
    custom: list[CustomCheck] | None = None
    event_never: list[str] | None = None
    event_within: list[EventWithin] | None = None
    max_drawdown: Drawdown | None = None

    @field_validator("no_panic_sell", mode="before")
    @classmethod
    def _panic_flag(cls, value: object) -> object:
        if value is True:
            return {}
        if value is False:
            return None
        return value

    @field_validator("custom", mode="before")
    @classmethod
    def _custom(cls, value: object) -> object:
        items = _as_list(value)
        if isinstance(items, list):
            return [{"function": item} if isinstance(item, str) else item for item in items]
        return items

    @field_validator("event_never", "event_within", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return _as_list(value)

    @field_validator("max_drawdown", mode="before")
    @classmethod
    def _drawdown(cls, value: object) -> object:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return {"max_pct": value}
        return value

    def event_names(self) -> list[str]:
        """Every event name the assertions refer to."""
        names = list(self.event_count or {})
        names += self.event_sequence or []
        names += self.event_never or []
        for within in self.event_within or []:
            names += [within.after, within.event]
        return names


# -- steps ------------------------------------------------------------------------------


class WaitForCycles(_Model):
    """Run ``wait_for_cycles`` more bot cycles."""

    wait_for_cycles: int = Field(ge=0)


class WaitForEvent(_Model):
    """Run until ``wait_for_event`` occurs, at most ``timeout_seconds`` of virtual time."""

    wait_for_event: str
    timeout_seconds: float = Field(default=300.0, gt=0)


class WaitForTime(_Model):
    """Run ``wait_for_time`` seconds of virtual time."""

    wait_for_time: float = Field(ge=0)


class AssertStep(_Model):
    """Check assertions now (a checkpoint)."""

    assert_: AssertSpec = Field(alias="assert")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Step = WaitForCycles | WaitForEvent | WaitForTime | AssertStep

_STEP_KEYS: dict[str, type[BaseModel]] = {
    "wait_for_cycles": WaitForCycles,
    "wait_for_event": WaitForEvent,
    "wait_for_time": WaitForTime,
    "assert": AssertStep,
}


def _step(value: object) -> object:
    if isinstance(value, BaseModel):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"a step is a mapping with one of {', '.join(_STEP_KEYS)}")
    kinds = [key for key in value if key in _STEP_KEYS]
    if len(kinds) != 1:
        found = ", ".join(map(str, value)) or "nothing"
        raise ValueError(f"a step needs exactly one of {', '.join(_STEP_KEYS)} (found {found})")
    return _STEP_KEYS[kinds[0]].model_validate(dict(value))


# -- the scenario -----------------------------------------------------------------------


class Scenario(_Model):
    """A scenario file (see the module docstring)."""

    name: str
    description: str = ""
    seed: int | None = None
    tags: list[str] = []
    setup: Setup = Setup()
    chaos: list[ChaosAction] | None = None
    steps: list[Any] = Field(min_length=1)
    #: Extension: invariants checked on every event (default: all three).
    invariants: list[
        Literal["no_duplicate_orders", "capital_conserved", "risk_limits_respected"]
    ] = [
        "no_duplicate_orders",
        "capital_conserved",
        "risk_limits_respected",
    ]

    def typed_steps(self) -> list[Step]:
        """The steps as typed models (validated on load)."""
        return [_step(step) for step in self.steps]  # type: ignore[misc]

    def planned_cycles(self) -> int:
        """An upper bound of the cycles the steps can run (sizes the market path)."""
        poll = self.setup.bot.poll_interval
        total = 0
        for step in self.typed_steps():
            if isinstance(step, WaitForCycles):
                total += step.wait_for_cycles + 1
            elif isinstance(step, WaitForEvent):
                total += int(step.timeout_seconds / poll) + 2
            elif isinstance(step, WaitForTime):
                total += int(step.wait_for_time / poll) + 2
        for action in self.chaos or []:
            if isinstance(action, Restart):
                total += action.downtime_cycles + 1
        return total + 2


class LoadedScenario:
    """A validated scenario with where it came from: path, bytes' SHA-256, key lines."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        source: str,
        sha256: str,
        lines: dict[tuple[str, ...], int],
        base_dir: Path,
    ) -> None:
        self.scenario = scenario
        self.source = source
        self.sha256 = sha256
        self.lines = lines
        self.base_dir = base_dir
        self.steps = scenario.typed_steps()

    def line(self, *path: str) -> int | None:
        """The line of the key at ``path`` (or of its nearest parent)."""
        return line_of(tuple(path), self.lines)

    def resolve(self, relative: str) -> Path:
        """A path from the file, relative to the scenario's folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def _check_steps(data: Mapping[str, Any], lines: dict[tuple[str, ...], int]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    steps = data.get("steps")
    if not isinstance(steps, list):
        return problems
    for index, raw in enumerate(steps):
        prefix = ("steps", str(index))
        try:
            _step(raw)
        except ValidationError as e:
            model = _STEP_KEYS.get(
                next((k for k in raw if k in _STEP_KEYS), "assert")
                if isinstance(raw, Mapping)
                else "assert",
                AssertStep,
            )
            for problem in problems_from(e, prefix, model, lines):
                key = (problem.key or "").replace(".assert_.", ".assert.")
                problems.append(ConfigProblem(key, problem.line, problem.message))
        except ValueError as e:
            problems.append(ConfigProblem(".".join(prefix), line_of(prefix, lines), str(e)))
    return problems


def _check_names(scenario: Scenario, lines: dict[tuple[str, ...], int]) -> list[ConfigProblem]:
    import riskbus.bot.strategy
    import riskbus.model.events
    import riskbus.model.events.faults  # noqa: F401
    from riskbus.core.messages import message_types

    known = message_types()
    problems: list[ConfigProblem] = []

    def check(name: str, path: tuple[str, ...]) -> None:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, list(known), n=2)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            problems.append(
                ConfigProblem(".".join(path), line_of(path, lines), f"unknown event {name!r}{hint}")
            )

    for index, action in enumerate(scenario.chaos or []):
        for name in action.event_names():
            check(name, ("chaos", str(index)))
    for index, step in enumerate(scenario.typed_steps()):
        if isinstance(step, WaitForEvent):
            check(step.wait_for_event, ("steps", str(index), "wait_for_event"))
        elif isinstance(step, AssertStep):
            spec = step.assert_
            here = ("steps", str(index), "assert")
            for name in spec.event_count or {}:
                check(name, (*here, "event_count", name))
            for kind in ("event_sequence", "event_never"):
                for position, name in enumerate(getattr(spec, kind) or []):
                    check(name, (*here, kind, str(position)))
            for position, within in enumerate(spec.event_within or []):
                check(within.after, (*here, "event_within", str(position)))
                check(within.event, (*here, "event_within", str(position)))
    return problems


def _untagged(problem: ConfigProblem, lines: dict[tuple[str, ...], int]) -> ConfigProblem:
    """Drop the chaos kind pydantic puts in the path (``chaos.0.delay_event.delay_ms``)."""
    parts = (problem.key or "").split(".")
    if len(parts) > 2 and parts[0] == "chaos" and parts[2] in CHAOS_KINDS:
        path = (*parts[:2], *parts[3:])
        return ConfigProblem(".".join(path), line_of(path, lines), problem.message)
    return problem


def parse_scenario(
    text: str, *, source: str = "<string>", base_dir: Path | None = None
) -> LoadedScenario:
    """Parse and validate a scenario from YAML ``text``.

    Raises:
        ScenarioFileError: every problem found, each with its key path and line.
    """
    data, lines = read_yaml(text, source, ScenarioFileError)
    if not isinstance(data, dict):
        raise ScenarioFileError(
            source, [ConfigProblem(None, lines[()], "a scenario is a mapping (name, setup, steps)")]
        )
    problems = _check_steps(data, lines)
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        problems.extend(
            _untagged(problem, lines) for problem in problems_from(e, (), Scenario, lines)
        )
    if scenario is not None and not problems:
        problems.extend(_check_names(scenario, lines))
    if problems or scenario is None:
        problems.sort(key=lambda problem: problem.line or 0)
        raise ScenarioFileError(source, problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedScenario(
        scenario, source=source, sha256=digest, lines=lines, base_dir=base_dir or Path.cwd()
    )


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read and validate the scenario file at ``path``.

    Raises:
        ScenarioFileError: the file cannot be read or is invalid (file, key path and line).
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ScenarioFileError(
            source, [ConfigProblem(None, None, f"cannot read: {reason}")]
        ) from e
    loaded = parse_scenario(text, source=source, base_dir=Path(path).resolve().parent)
    loaded.sha256 = hashlib.sha256(raw).hexdigest()
    return loaded
