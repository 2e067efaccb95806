"""Rule 010 — AuthLossGuard: lock out while the venue says the account may not trade.

Original (Risk Manager V34, hard lockout): on an account update with ``canTrade == false``
(TopstepX), close every position and lock the account; unlock automatically when the venue
says ``canTrade: true`` again (checked every 30 s there).

Here: ``AccountStatusChanged(can_trade=False)`` → ``lockout`` with ``until_condition``,
``flatten`` and ``cancel_orders``. The engine records ``can_trade`` from each
``AccountStatusChanged`` in :attr:`RuleContext.can_trade` before it checks the rules, and
lifts the lockout when :meth:`AuthLossGuard.releases` says so — that is, at the first
``AccountStatusChanged(can_trade=True)``. Started while the venue says the account may
not trade (``ctx.can_trade`` false) → the same lockout at once.

Config::

    auth_loss_guard:
      enabled: true
"""

from __future__ import annotations

from typing import ClassVar

from riskbus.core.messages import Message
from riskbus.model.enums import RiskAction
from riskbus.model.events.account import AccountStatusChanged
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["AuthLossGuard", "AuthLossGuardConfig"]


class AuthLossGuardConfig(RuleConfig):
    """Settings of rule 010 (only the common ``enabled`` / ``admin_unlock``)."""


def _text(value: str) -> str:
    """A venue's free text as a reason value (no ``,`` or ``=`` to break the format)."""
    return value.replace(",", ";").replace("=", ":").strip()


@register_rule
class AuthLossGuard(Rule[AuthLossGuardConfig]):
    """Rule 010: the venue says ``can_trade`` false → flatten, cancel, lock until it is true."""

    code: ClassVar[str] = "010"
    name: ClassVar[str] = "auth_loss_guard"
    config_type: ClassVar[type[RuleConfig]] = AuthLossGuardConfig
    uses_alarms: ClassVar[bool] = False
    events: ClassVar[tuple[type[Message], ...]] = (AccountStatusChanged,)

    def describe(self) -> str:
        return (
            "the venue says the account may not trade: flatten, cancel orders,"
            " lock out until it may trade again"
        )

    def check(self, ctx: RuleContext) -> Verdict | None:
        event = ctx.event
        if not isinstance(event, AccountStatusChanged) or event.can_trade:
            return None
        values: dict[str, object] = {"can_trade": "false"}
        if event.account:
            values["account"] = _text(event.account)
        if event.reason:
            values["venue_reason"] = _text(event.reason)
        return self._lockout(values)

    def start(self, ctx: RuleContext) -> Verdict | None:
        return None if ctx.can_trade else self._lockout({"can_trade": "false"})

    def releases(self, ctx: RuleContext) -> bool:
        return ctx.can_trade

    def _lockout(self, values: dict[str, object]) -> Verdict:
        return Verdict(
            rule=self.name,
            action=RiskAction.LOCKOUT,
            reason=format_reason("ACCOUNT_CANNOT_TRADE", **values),
            until_condition=True,
            flatten=True,
            cancel_orders=True,
        )
