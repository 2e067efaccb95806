"""Risk events: rule breaches, enforcement, lockouts and cooldowns.

A rule that breaches publishes ``RuleViolated`` with its ``CODE: key=value`` reason and the
action it asks for; the enforcement that follows is announced by ``EnforcementTriggered``
before its commands are sent. ``until_ts`` values are nanoseconds on the injected clock;
``None`` means "until a reset or a condition", not a time.
"""

from __future__ import annotations

from riskbus.core.messages import Event
from riskbus.model.enums import RiskAction

__all__ = [
    "CooldownEnded",
    "CooldownStarted",
    "EnforcementTriggered",
    "LockoutEnded",
    "LockoutStarted",
    "RiskConfigRejected",
    "RiskConfigReloaded",
    "RuleTimerFired",
    "RuleViolated",
]


class RuleViolated(Event, frozen=True, kw_only=True):
    """Risk rule ``rule`` breached: ``reason`` says how, ``action`` what it asks for."""

    rule: str
    reason: str
    action: RiskAction
    symbol: str | None = None


class EnforcementTriggered(Event, frozen=True, kw_only=True):
    """Enforcement of ``action`` for ``rule`` starts; ``commands`` names what is sent."""

    rule: str
    action: RiskAction
    reason: str
    symbol: str | None = None
    commands: tuple[str, ...] = ()


class LockoutStarted(Event, frozen=True, kw_only=True):
    """Trading is locked (``HALTED``) by ``rule`` until ``until_ts`` or a reset."""

    rule: str
    reason: str
    until_ts: int | None = None
    symbol: str | None = None


class LockoutEnded(Event, frozen=True, kw_only=True):
    """The lockout of ``rule`` ended; ``reason`` is ``expired``, ``reset`` or ``admin``."""

    rule: str
    reason: str
    symbol: str | None = None


class CooldownStarted(Event, frozen=True, kw_only=True):
    """New entries are blocked by ``rule`` until ``until_ts``."""

    rule: str
    reason: str
    until_ts: int


class CooldownEnded(Event, frozen=True, kw_only=True):
    """The cooldown of ``rule`` ended."""

    rule: str
    reason: str = "expired"


class RuleTimerFired(Event, frozen=True, kw_only=True):
    """An alarm a rule set through its context (``ctx.set_alarm(key, at)``) went off.

    The risk engine delivers it to that rule only; ``key`` is the rule's own name for the
    alarm (for example the symbol whose stop-loss grace period ran out).
    """

    rule: str
    key: str


class RiskConfigReloaded(Event, frozen=True, kw_only=True):
    """The risk config in ``source`` was validated and applied without a restart.

    ``digest`` is the SHA-256 of the file's bytes, ``trigger`` is ``watch`` (the file
    changed), ``command`` (a ``ReloadRiskConfig``) or ``admin`` (``riskbus admin config
    reload``); ``rules`` names the enabled rules now in force.
    """

    source: str
    digest: str
    trigger: str
    rules: tuple[str, ...] = ()
    requested_by: str = ""


class RiskConfigRejected(Event, frozen=True, kw_only=True):
    """A new risk config was refused; the previous one stays in force.

    ``error`` lists every problem (``FILE:LINE KEY: message``, one per line); ``field``
    and ``line`` locate the first one.
    """

    source: str
    digest: str
    trigger: str
    error: str
    field: str | None = None
    line: int | None = None
    requested_by: str = ""
