"""The risk-rule contract: configs, the context a rule sees, verdicts, and the registry.

A rule is one class with a typed config (a pydantic model that forbids unknown keys), a
``code`` (``"003"``), a ``name`` (``"daily_realized_loss"``), the event types it listens to,
and two checks:

* :meth:`Rule.check` — post-event: called by the engine for each event of a type in
  :attr:`Rule.events` (and for the rule's own :class:`RuleTimerFired` alarms); returns a
  :class:`Verdict` when the rule is breached, else ``None``;
* :meth:`Rule.pre_trade` — pre-trade: called for each ``SubmitOrder`` that is not an
  enforcement order; returns a ``deny`` verdict to refuse it, else ``None``.

Rules are synchronous and pure apart from their own small state (peaks, pending grace
alarms, trailing stops); that state is exposed by :meth:`Rule.state` and given back by
:meth:`Rule.restore` so the engine can persist it. Everything a rule needs from the rest of
the system comes through :class:`RuleContext`: the clock, the account (positions, marks,
equity), the P&L tracker (:class:`PnLView`), the instruments and a way to set alarms.

The engine combines verdicts. When several rules fire on one event the strongest action
wins (:data:`ACTION_STRENGTH`, ties broken by rule code), and weaker verdicts that the
strongest one already covers are not applied again (a ``close_position`` under a
``flatten_all``, for instance).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from pydantic import BaseModel, ConfigDict

from riskbus.core.errors import InvalidValueError
from riskbus.core.messages import Message
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction, TradingState
from riskbus.model.events.market import Bar, QuoteTick, TradeTick
from riskbus.model.portfolio import Portfolio
from riskbus.model.positions import Position

__all__ = [
    "ACTION_STRENGTH",
    "RULES",
    "PnLView",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "Verdict",
    "event_price",
    "register_rule",
    "rule_class",
]

#: How strong each action is, strongest first. When several rules fire on one event the
#: engine applies the strongest verdict first; ties go to the lower rule code.
ACTION_STRENGTH: tuple[RiskAction, ...] = (
    RiskAction.LOCKOUT,
    RiskAction.FLATTEN_ALL,
    RiskAction.COOLDOWN,
    RiskAction.CANCEL_ALL_ORDERS,
    RiskAction.CLOSE_POSITION,
    RiskAction.REDUCE_TO_LIMIT,
    RiskAction.DENY,
    RiskAction.MOVE_STOP,
    RiskAction.ALERT,
)


class RuleConfig(BaseModel):
    """Settings every rule has; each rule subclasses this with its own typed fields.

    Attributes:
        enabled: a disabled rule is loaded but never checked.
        admin_unlock: whether an admin may clear this rule's lockouts by hand. Rules whose
            lockouts must run their course (daily realized loss) default to ``False``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    admin_unlock: bool = True


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """A breach: which rule, what to do, why, and until when.

    Attributes:
        rule: the rule's name.
        action: what the rule asks for (see :data:`ACTION_STRENGTH`).
        reason: ``CODE: key=value, ...``.
        symbol: the symbol concerned (``None``: the whole account).
        until_ts: for ``lockout``/``cooldown``: when it ends (ns on the clock).
        until_reset: for ``lockout``: it ends at the next daily/weekly reset.
        until_condition: for ``lockout``: it ends when the rule's :meth:`Rule.releases`
            says so (AuthLossGuard waits for the venue's ``can_trade``).
        flatten: also close every position (hard lockouts, cooldown after loss).
        cancel_orders: also cancel every open order.
        target_quantity: for ``reduce_to_limit``: the absolute size to keep.
        stop_price: for ``move_stop``: the new stop price.
    """

    rule: str
    action: RiskAction
    reason: str
    symbol: str | None = None
    until_ts: int | None = None
    until_reset: bool = False
    until_condition: bool = False
    flatten: bool = False
    cancel_orders: bool = False
    target_quantity: Decimal | None = None
    stop_price: Decimal | None = None

    @property
    def strength(self) -> int:
        """Lower is stronger: the index of :attr:`action` in :data:`ACTION_STRENGTH`."""
        return ACTION_STRENGTH.index(self.action)


class PnLView(Protocol):
    """What rules read from the P&L tracker (account currency, current trading day)."""

    def daily_realized(self, symbol: str | None = None) -> Decimal:
        """Realized P&L net of fees today, for one symbol or the whole account."""
        ...

    def trade_count(self, since_ts: int | None = None) -> int:
        """Fills booked today, or since ``since_ts`` (ns) when given."""
        ...

    def session_start(self) -> int:
        """When the current trading day/session started (ns): the last reset."""
        ...


class RuleContext:
    """What a rule sees when it is checked.

    Args:
        now: the clock's time (ns since the epoch).
        event: the event (or the ``SubmitOrder``) being checked.
        portfolio: the account: positions, marks, balances, equity.
        pnl: the P&L tracker.
        registry: the instruments.
        state: the current trading state.
        set_alarm: ``(key, at_ns)`` — call this rule back with ``RuleTimerFired(key)`` at
            ``at_ns``; setting the same key again moves the alarm.
        cancel_alarm: ``(key)`` — drop an alarm set before (unknown keys are ignored).
        can_trade: what the venue last said about the account (AuthLossGuard).
        timezone: the account's time zone, for :meth:`local_time`.
        memo: remember :meth:`equity`, :meth:`daily_realized` and
            :meth:`event_unrealized` for the event (the engine's contexts, which it renews
            with :meth:`renew` for each event; nothing changes the account while the rules
            of one event run). ``False`` (the default): every call asks again.
    """

    __slots__ = (
        "_equity",
        "_position",
        "_realized",
        "_unrealized",
        "can_trade",
        "cancel_alarm",
        "event",
        "memo",
        "now",
        "pnl",
        "portfolio",
        "registry",
        "set_alarm",
        "state",
        "timezone",
    )

    def __init__(
        self,
        *,
        now: int,
        event: Message,
        portfolio: Portfolio,
        pnl: PnLView,
        registry: InstrumentRegistry,
        state: TradingState = TradingState.ACTIVE,
        set_alarm: Callable[[str, int], None] | None = None,
        cancel_alarm: Callable[[str], None] | None = None,
        can_trade: bool = True,
        timezone: str = "UTC",
        memo: bool = False,
    ) -> None:
        self.now = now
        self.event = event
        self.portfolio = portfolio
        self.pnl = pnl
        self.registry = registry
        self.state = state
        self.set_alarm: Callable[[str, int], None] = set_alarm or _no_alarm
        self.cancel_alarm: Callable[[str], None] = cancel_alarm or _no_cancel
        self.can_trade = can_trade
        self.timezone = timezone
        self.memo = memo
        self._equity: Decimal | None = None
        self._realized: Decimal | None = None
        self._unrealized: tuple[str, Decimal] | _Unset | None = _UNSET
        self._position: tuple[str, Position, Decimal] | _Unset | None = _UNSET

    def renew(self, now: int, event: Message, state: TradingState, can_trade: bool) -> None:
        """Make this context the one of a new ``event``: forget what was remembered."""
        self.now = now
        self.event = event
        self.state = state
        self.can_trade = can_trade
        self._equity = None
        self._realized = None
        self._unrealized = _UNSET
        self._position = _UNSET

    def forget(self) -> None:
        """Drop what was remembered for the event (the account may have changed)."""
        self._equity = None
        self._realized = None
        self._unrealized = _UNSET
        self._position = _UNSET

    def equity(self) -> Decimal:
        """``portfolio.equity()`` (remembered for the event when :attr:`memo`).

        Raises:
            RiskbusError: as :meth:`Portfolio.equity` (a failure is not remembered).
        """
        value = self._equity
        if value is None:
            value = self.portfolio.equity()
            if self.memo:
                self._equity = value
        return value

    def open_sizes(self) -> Mapping[str, Decimal]:
        """Signed quantity by symbol of the open positions (the portfolio's own index:
        read only; copy it to keep it)."""
        return self.portfolio.open_sizes()

    def daily_realized(self) -> Decimal:
        """``pnl.daily_realized()`` of the whole account (remembered when :attr:`memo`)."""
        value = self._realized
        if value is None:
            value = self.pnl.daily_realized()
            if self.memo:
                self._realized = value
        return value

    def event_unrealized(self) -> tuple[str, Decimal] | None:
        """``(symbol, unrealized P&L)`` of the open position the event is about, if any.

        The event's price (bar close, quote mid, trade price) marks it, else its mark.
        """
        found = self._unrealized
        if found is _UNSET:
            found = _event_unrealized(self)
            if self.memo:
                self._unrealized = found
        return found  # type: ignore[return-value]

    def event_position(self) -> tuple[str, Position, Decimal] | None:
        """``(symbol, position, signed quantity)`` of the open position the event is about.

        ``None`` when the event names no symbol or that symbol's position is flat or was
        never opened (remembered for the event when :attr:`memo`).
        """
        found = self._position
        if found is _UNSET:
            found = None
            symbol: str | None = getattr(self.event, "symbol", None)
            if symbol is not None:
                position = self.portfolio.position(symbol)
                if position is not None:
                    quantity = position.quantity
                    if quantity:  # open
                        found = (symbol, position, quantity)
            if self.memo:
                self._position = found
        return found  # type: ignore[return-value]

    def local_time(self, timezone: str | None = None) -> dt.datetime:
        """Return :attr:`now` as an aware datetime in ``timezone`` (default: the account's)."""
        zone = ZoneInfo(timezone or self.timezone)
        return dt.datetime.fromtimestamp(self.now / 1_000_000_000, tz=zone)


class _Unset:
    """Nothing remembered yet (``None`` is a value: no open position)."""

    __slots__ = ()


_UNSET = _Unset()


def _event_unrealized(ctx: RuleContext) -> tuple[str, Decimal] | None:
    found = ctx.event_position()
    if found is None:
        return None
    symbol, position, _ = found
    event = ctx.event
    kind = type(event)
    priced = _PRICED.get(kind)
    if priced is None:
        priced = _PRICED[kind] = isinstance(event, Bar | QuoteTick | TradeTick)
    price = event_price(event) if priced else None
    if price is None:
        return symbol, position.unrealized_pnl()
    return symbol, position.unrealized_pnl(price)


#: whether an event type carries a price (a bar, a quote or a trade print), by type
_PRICED: dict[type[Message], bool] = {}


def event_price(event: Message) -> Decimal | None:
    """The mark a price event carries (bar close, quote mid, trade price), else ``None``."""
    if isinstance(event, Bar):
        return event.close
    if isinstance(event, QuoteTick):
        return event.mid
    if isinstance(event, TradeTick):
        return event.price
    return None


def _no_alarm(key: str, at: int) -> None:
    return None


def _no_cancel(key: str) -> None:
    return None


C = TypeVar("C", bound=RuleConfig)


class Rule(ABC, Generic[C]):
    """One risk rule. Subclasses set the class attributes and implement :meth:`check`.

    Attributes:
        code: the original rule number (``"001"`` … ``"013"``) or ``"A01"``… for account
            rules.
        name: the config key, ``snake_case``.
        config_type: the rule's config model.
        events: the event types :meth:`check` is called for.
        uses_alarms: whether :meth:`check` may call ``ctx.set_alarm``/``ctx.cancel_alarm``
            for an event other than the rule's own ``RuleTimerFired`` (for which the engine
            always hands them). ``False`` lets the engine skip handing the rule its alarm
            functions on every event; set it only for a rule whose ``check`` never touches
            them otherwise.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    config_type: ClassVar[type[RuleConfig]]
    events: ClassVar[tuple[type[Message], ...]] = ()
    uses_alarms: ClassVar[bool] = True

    def __init__(self, config: C) -> None:
        self.config: C = config

    @property
    def enabled(self) -> bool:
        """Whether the rule is checked at all."""
        return self.config.enabled

    @abstractmethod
    def describe(self) -> str:
        """One line saying what the rule does with its current settings."""

    @abstractmethod
    def check(self, ctx: RuleContext) -> Verdict | None:
        """Post-event check: a verdict when the rule is breached, else ``None``."""

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        """Pre-trade check of a non-enforcement order: a ``deny`` verdict or ``None``."""
        return None

    def start(self, ctx: RuleContext) -> Verdict | None:
        """The engine started (or restarted after :meth:`restore`): set first alarms.

        A rule may return a verdict at once (a session rule started outside the session).
        """
        return None

    def releases(self, ctx: RuleContext) -> bool:
        """For ``until_condition`` lockouts: whether the condition to unlock now holds."""
        return False

    def on_reset(self, ctx: RuleContext) -> None:
        """The trading day was reset (daily/weekly reset): clear per-day state."""
        return None

    def state(self) -> dict[str, Any]:
        """The rule's own state, JSON-serializable, for persistence (default: none)."""
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned before a restart."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


#: Every rule class by name and by code.
RULES: dict[str, type[Rule[Any]]] = {}

R = TypeVar("R", bound=type[Rule[Any]])


def register_rule(cls: R) -> R:
    """Class decorator: make ``cls`` findable by its ``name`` and its ``code``."""
    for key in (cls.name, cls.code):
        existing = RULES.get(key)
        if existing is not None and existing is not cls:
            raise ValueError(f"rule {key!r} is registered twice: {existing} and {cls}")
        RULES[key] = cls
    return cls


def rule_class(key: str) -> type[Rule[Any]]:
    """Return the rule class named ``key`` (a name such as ``max_contracts`` or a code).

    Raises:
        InvalidValueError: no such rule; the message lists the valid names.
    """
    cls = RULES.get(key)
    if cls is None:
        names = ", ".join(sorted({c.name for c in RULES.values()}))
        raise InvalidValueError.for_value("rule", key, f"is not a rule; valid rules: {names}")
    return cls
