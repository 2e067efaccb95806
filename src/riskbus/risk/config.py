"""One YAML file for a guarded account: the account, its reset schedule, instruments, rules.

::

    account:
      id: topstep-50k            # free text, used in the store and the audit trail
      currency: USD              # the account currency (P&L and limits are in it)
      timezone: America/Chicago  # IANA name; the default for the schedule and sessions
    schedule:
      daily_reset: "17:00"       # HH:MM, local to schedule.timezone; ends the trading day
      timezone: America/Chicago  # optional, defaults to account.timezone
      days: [sunday, monday, tuesday, wednesday, thursday]  # when the daily reset runs
      weekly_reset: {day: sunday, time: "17:00"}   # optional; time defaults to daily_reset
      holidays: [2026-01-01, 2026-12-25]           # no trading on these local dates
    instruments:                 # optional, added to (or replacing) the built-in catalogue
      MYM: {kind: future, tick_size: 1, tick_value: 0.50}
    rules:                       # <rule name>: that rule's own settings
      daily_realized_loss: {limit: -500}
      max_contracts: {limit: 5, enabled: false}

Every section is optional but the file must not be empty. Every mapping forbids unknown keys.
Each entry under ``rules`` is validated by that rule's own ``config_type`` (see
:mod:`riskbus.risk.rules`); every rule config has ``enabled`` and ``admin_unlock``.

:func:`load_config` reads a file, :func:`parse_config` a string. Both either return a
complete, frozen :class:`RiskConfig` or raise :class:`RiskConfigError` listing every problem
with the file, the dotted key path and the line, e.g.
``futures.yaml:31 rules.daily_realized_loss.limit: Input should be less than 0 (got 500)``.
Nothing is applied from a file with any problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
import pkgutil
import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

import riskbus.risk.rules
from riskbus.core.yamlconf import (
    ConfigProblem,
    YamlInputError,
    line_of,
    problems_from,
    read_yaml,
)
from riskbus.model.catalogue import InstrumentRegistry, default_registry
from riskbus.model.enums import InstrumentKind
from riskbus.model.instruments import Instrument
from riskbus.risk.rules.base import RULES, Rule, RuleConfig
from riskbus.risk.schedule import ResetConfig

__all__ = [
    "AccountConfig",
    "ConfigProblem",
    "InstrumentConfig",
    "RiskConfig",
    "RiskConfigError",
    "ScheduleConfig",
    "Weekday",
    "WeeklyReset",
    "load_config",
    "parse_config",
    "rule_admin_unlock_default",
    "rule_names",
]


def _import_rule_modules() -> None:
    """Import every rule module, in case the package does not import them all itself."""
    for info in pkgutil.iter_modules(riskbus.risk.rules.__path__):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{riskbus.risk.rules.__name__}.{info.name}")


_import_rule_modules()


# -- value types ---------------------------------------------------------------------------

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _time_of_day(value: object) -> object:
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str) or not _HHMM.match(value.strip()):
        raise ValueError(f'must be a time of day "HH:MM" (got {value!r})')
    hour, minute = (int(part) for part in value.strip().split(":"))
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day: use 00:00 to 23:59")
    return dt.time(hour, minute)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as America/Chicago or UTC"
        ) from None
    return value


TimeOfDay = Annotated[dt.time, BeforeValidator(_time_of_day)]
TimeZone = Annotated[str, AfterValidator(_zone)]
Positive = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class Weekday(StrEnum):
    """A day of the week, as written in the file."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """Monday is 0, as in :meth:`datetime.date.weekday`."""
        return list(Weekday).index(self)


def _day(value: object) -> object:
    """``Mon``, ``monday``, ``SUN``… (any case, three letters or more) → the full name."""
    if isinstance(value, str) and len(value.strip()) >= 3:
        text = value.strip().lower()
        for day in Weekday:
            if day.value.startswith(text):
                return day
    return value


Day = Annotated[Weekday, BeforeValidator(_day)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- sections -----------------------------------------------------------------------------


class AccountConfig(_Section):
    """Who is guarded: ``id``, ``currency`` (limits are in it) and local ``timezone``."""

    id: str = Field(default="default", min_length=1)
    currency: str = Field(default="USD", pattern=r"^[A-Z0-9]{2,10}$")
    timezone: TimeZone = "UTC"


class WeeklyReset(_Section):
    """A weekly reset on ``day`` at ``time`` (default: the daily reset time)."""

    day: Day
    time: TimeOfDay | None = None


class ScheduleConfig(_Section):
    """When the trading day ends and which days are holidays.

    Attributes:
        daily_reset: local time the trading day rolls over (daily P&L, until-reset lockouts).
        timezone: zone of ``daily_reset``, ``weekly_reset`` and ``holidays``; ``None``
            means the account's (see :attr:`RiskConfig.timezone`).
        days: the weekdays on which the daily reset runs (default: every day).
        weekly_reset: an optional weekly reset as well.
        holidays: local dates on which no reset runs, sorted.
    """

    daily_reset: TimeOfDay = dt.time(17, 0)
    timezone: TimeZone | None = None
    days: tuple[Day, ...] = tuple(Weekday)
    weekly_reset: WeeklyReset | None = None
    holidays: tuple[dt.date, ...] = ()

    @field_validator("days")
    @classmethod
    def _some_day(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            raise ValueError("name at least one day, e.g. [monday, tuesday, ...]")
        return value

    @field_validator("holidays")
    @classmethod
    def _sorted(cls, value: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        return tuple(sorted(set(value)))


class InstrumentConfig(_Section):
    """An instrument defined in the file (its symbol is the key it is written under).

    Futures give their economics as ``tick_value`` (quote per tick per contract) or as
    ``multiplier``; ``base`` defaults to the symbol (spot: the part before ``/``) and
    ``quote`` to the account currency (spot: the part after ``/``).
    """

    kind: InstrumentKind
    tick_size: Positive
    tick_value: Positive | None = None
    multiplier: Positive | None = None
    step_size: Positive | None = None
    min_size: NonNegative | None = None
    min_notional: NonNegative = Decimal(0)
    base: str | None = None
    quote: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _economics(self) -> InstrumentConfig:
        if self.tick_value is not None and self.multiplier is not None:
            raise ValueError("give tick_value or multiplier, not both")
        if self.kind is InstrumentKind.SPOT and (self.tick_value or self.multiplier or 1) != 1:
            raise ValueError("a spot instrument has no tick_value or multiplier")
        if self.kind is InstrumentKind.FUTURE and self.tick_value is self.multiplier is None:
            raise ValueError("a future needs tick_value (per tick per contract) or multiplier")
        if (
            self.tick_value is not None
            and (self.tick_value / self.tick_size) * (self.tick_size) != self.tick_value
        ):
            raise ValueError(f"tick_value {self.tick_value} / tick_size is not exact")
        step = self.step_size or Decimal(1)
        if self.min_size is not None and self.min_size % step != 0:
            raise ValueError(f"min_size {self.min_size} is not a multiple of step_size {step}")
        return self

    def to_instrument(self, symbol: str, currency: str) -> Instrument:
        """Return the :class:`Instrument` called ``symbol`` (quoted in ``currency``)."""
        base, _, quote = symbol.partition("/")
        step = self.step_size or (Decimal(1) if self.kind.is_derivative else self.tick_size)
        multiplier = self.multiplier or Decimal(1)
        if self.tick_value is not None:
            multiplier = self.tick_value / self.tick_size
        return Instrument(
            symbol=symbol,
            kind=self.kind,
            base=self.base or base,
            quote=self.quote or quote.partition(":")[0] or currency,
            tick_size=self.tick_size,
            step_size=step,
            min_size=step if self.min_size is None else self.min_size,
            min_notional=self.min_notional,
            multiplier=multiplier,
            description=self.description,
        )


def _typed_rule(name: str, body: object) -> RuleConfig:
    cls = RULES.get(name)
    if cls is None:
        raise ValueError(_unknown_rule(name))
    if cls.name != name:
        raise ValueError(f"write the rule's name {cls.name!r}, not its code {name!r}")
    if isinstance(body, cls.config_type):
        return body
    return cls.config_type.model_validate({} if body is None else body)


class RiskConfig(_Section):
    """The whole risk configuration of one account (see the module docstring)."""

    account: AccountConfig = AccountConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    instruments: dict[str, InstrumentConfig] = {}
    rules: dict[str, SerializeAsAny[RuleConfig]] = {}

    @field_validator("rules", mode="before")
    @classmethod
    def _typed_rules(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            return value
        return {str(name): _typed_rule(str(name), body) for name, body in value.items()}

    @property
    def timezone(self) -> str:
        """The zone of the reset schedule (``schedule.timezone`` or the account's)."""
        return self.schedule.timezone or self.account.timezone

    def reset_config(self) -> ResetConfig:
        """The :class:`~riskbus.risk.schedule.ResetConfig` of this file's schedule."""
        weekly = self.schedule.weekly_reset
        return ResetConfig(
            daily_time=self.schedule.daily_reset,
            timezone=self.timezone,
            days=frozenset(day.number for day in self.schedule.days),
            weekly_day=None if weekly is None else weekly.day.number,
            weekly_time=None if weekly is None else weekly.time,
            holidays=frozenset(self.schedule.holidays),
        )

    def registry(self) -> InstrumentRegistry:
        """Return the built-in instruments plus (replaced by) those of the file."""
        registry = default_registry()
        for symbol, instrument in self.instruments.items():
            registry.add(instrument.to_instrument(symbol, self.account.currency), replace=True)
        return registry

    def build_rules(self) -> list[Rule[Any]]:
        """Instantiate every configured rule (enabled or not), ordered by rule code."""
        built = [RULES[name](config) for name, config in self.rules.items()]
        return sorted(built, key=lambda rule: rule.code)

    def enabled_rules(self) -> tuple[str, ...]:
        """The names of the configured rules that are enabled, sorted."""
        return tuple(sorted(name for name, config in self.rules.items() if config.enabled))

    def admin_unlock(self, rule: str) -> bool:
        """Whether an admin may clear lockouts of ``rule`` by hand.

        A configured rule says so in its config; an unconfigured one uses its config's
        default; an unknown rule is never unlockable by hand.
        """
        config = self.rules.get(rule)
        if config is not None:
            return config.admin_unlock
        return rule_admin_unlock_default(rule)

    def summary(self) -> str:
        """One line: account, reset, and how many rules and instruments."""
        enabled = len(self.enabled_rules())
        return (
            f"account {self.account.id} ({self.account.currency}, {self.account.timezone}); "
            f"daily reset {self.schedule.daily_reset:%H:%M} {self.timezone}; "
            f"rules: {len(self.rules)} configured, {enabled} enabled; "
            f"instruments added: {len(self.instruments)}"
        )


def rule_admin_unlock_default(rule: str) -> bool:
    """The default ``admin_unlock`` of a registered rule's config (``False`` if unknown)."""
    cls = RULES.get(rule)
    if cls is None:
        return False
    field = cls.config_type.model_fields.get("admin_unlock")
    return bool(field.default) if field is not None else True


def rule_names() -> list[str]:
    """The names of every registered rule, sorted."""
    return sorted({cls.name for cls in RULES.values()})


def _unknown_rule(name: str) -> str:
    names = rule_names()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown rule {name!r}; {hint}valid rules: {', '.join(names) or '(none registered)'}"


# -- errors -------------------------------------------------------------------------------


class RiskConfigError(YamlInputError):
    """A risk config file is invalid; :attr:`problems` lists every problem found.

    ``str()`` gives one line per problem: ``FILE:LINE KEY.PATH: message``.
    """


# -- loading ------------------------------------------------------------------------------


def _typed_rules(
    raw: Mapping[Any, Any], lines: dict[tuple[str, ...], int], problems: list[ConfigProblem]
) -> dict[str, RuleConfig]:
    typed: dict[str, RuleConfig] = {}
    for key, body in raw.items():
        name = str(key)
        path = ("rules", name)
        try:
            typed[name] = _typed_rule(name, body)
        except ValidationError as e:
            problems.extend(problems_from(e, path, RULES[name].config_type, lines))
        except ValueError as e:
            problems.append(ConfigProblem(".".join(path), line_of(path, lines), str(e)))
    return typed


def parse_config(text: str, *, source: str = "<string>") -> RiskConfig:
    """Parse and validate a risk config from YAML ``text``.

    Args:
        text: the YAML document.
        source: where it came from, for messages (usually the file name).

    Raises:
        RiskConfigError: every problem found, each with its key path and line.
    """
    data, lines = read_yaml(text, source, RiskConfigError)
    if not isinstance(data, dict):
        message = "the file must be a mapping of account, schedule, instruments and rules"
        raise RiskConfigError(source, [ConfigProblem(None, lines[()], message)])
    problems: list[ConfigProblem] = []
    raw_rules = data.get("rules")
    if isinstance(raw_rules, Mapping):
        data = {**data, "rules": _typed_rules(raw_rules, lines, problems)}
    try:
        config = RiskConfig.model_validate(data)
    except ValidationError as e:
        problems.extend(problems_from(e, (), RiskConfig, lines))
    if problems:
        problems.sort(key=lambda problem: problem.line or 0)
        raise RiskConfigError(source, problems)
    return config


def load_config(path: str | Path) -> RiskConfig:
    """Read and validate the risk config file at ``path``.

    Raises:
        RiskConfigError: the file cannot be read or is invalid (file, key path and line).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise RiskConfigError(source, [ConfigProblem(None, None, f"cannot read: {reason}")]) from e
    return parse_config(text, source=source)
