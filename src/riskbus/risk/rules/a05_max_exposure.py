"""Rule A05 — MaxExposure: cap the position notional per symbol and the account leverage.

From GPT-Trader's pre-trade exposure and leverage limits (``max_exposure``, per-symbol
notional caps, ``max_leverage``). For each order (pre-trade only) the position the order
would leave is valued at the order's price (its limit price, else its stop price, else the
symbol's mark):

* ``|resulting quantity| · price · multiplier`` above ``max_exposure[symbol]`` (or
  ``max_exposure["default"]``) → ``deny`` (``MAX_EXPOSURE``);
* the notional of every open position (at their marks, this symbol at its resulting size)
  divided by the account equity above ``max_leverage`` → ``deny`` (``MAX_LEVERAGE``).

Orders that only reduce a position (the opposite side, no larger than it; or marked
``reduce_only``) always pass. An order with no price known at all, or an account whose
equity cannot be valued or is not positive, is denied (``EXPOSURE_UNPRICED``): the rule
fails closed. Limits are in the instrument's quote currency; the leverage sums notionals
of every quote currency as if they were the account currency (USD ≈ USDT).

Config::

    max_exposure:
      max_exposure:
        default: 50000      # any symbol without its own cap
        BTC/USDT: 20000
      max_leverage: 3       # total notional / equity
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import Annotated, ClassVar

from pydantic import Field, field_validator, model_validator

from riskbus.core.errors import RiskbusError
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import RiskAction
from riskbus.model.portfolio import Portfolio
from riskbus.model.reasons import format_reason
from riskbus.risk.rules.base import Rule, RuleConfig, RuleContext, Verdict, register_rule

__all__ = ["MaxExposure", "MaxExposureConfig", "order_price", "reduces_position"]

PositiveAmount = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
_CENT = Decimal("0.0001")


def _plain(number: Decimal) -> str:
    """``number`` rounded up to 4 places, without trailing zeros (``3.0000`` → ``3``)."""
    text = format(number.quantize(_CENT, rounding=ROUND_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def reduces_position(portfolio: Portfolio, order: SubmitOrder) -> bool:
    """Whether ``order`` only reduces the open position in its symbol (never flips it)."""
    position = portfolio.position(order.symbol)
    if position is None or not position.quantity or order.quantity <= 0:
        return False
    held = position.quantity
    delta = order.side.sign * order.quantity
    return (delta > 0) != (held > 0) and abs(delta) <= abs(held)


def order_price(portfolio: Portfolio, order: SubmitOrder) -> Decimal | None:
    """The price to value ``order`` at: its limit price, its stop price, else the mark."""
    for price in (order.price, order.stop_price, portfolio.mark(order.symbol)):
        if price is not None and price.is_finite() and price > 0:
            return price
    return None


class MaxExposureConfig(RuleConfig):
    """Settings of rule A05.

    Attributes:
        max_exposure: position notional caps by symbol; the key ``default`` applies to
            every other symbol (quote currency, > 0).
        max_leverage: the largest total notional / equity (> 0).
    """

    max_exposure: dict[str, PositiveAmount] = Field(default_factory=dict)
    max_leverage: PositiveAmount | None = None

    @field_validator("max_exposure")
    @classmethod
    def _symbols(cls, caps: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(not key.strip() for key in caps):
            raise ValueError("symbols must not be empty (use 'default' for every symbol)")
        return caps

    @model_validator(mode="after")
    def _some_limit(self) -> MaxExposureConfig:
        if not self.max_exposure and self.max_leverage is None:
            raise ValueError("set max_exposure (per symbol or default) or max_leverage")
        return self


@register_rule
class MaxExposure(Rule[MaxExposureConfig]):
    """Rule A05: an order past the symbol's notional cap or the leverage cap → deny."""

    code: ClassVar[str] = "A05"
    name: ClassVar[str] = "max_exposure"
    config_type: ClassVar[type[RuleConfig]] = MaxExposureConfig
    uses_alarms: ClassVar[bool] = False

    def describe(self) -> str:
        parts = [f"{sym} ≤ {cap}" for sym, cap in sorted(self.config.max_exposure.items())]
        if self.config.max_leverage is not None:
            parts.append(f"leverage ≤ {self.config.max_leverage}")
        return "deny orders that would exceed: " + ", ".join(parts)

    def check(self, ctx: RuleContext) -> Verdict | None:
        return None

    def limit_for(self, symbol: str) -> Decimal | None:
        """The notional cap of ``symbol`` (its own, else ``default``, else none)."""
        caps = self.config.max_exposure
        return caps.get(symbol, caps.get("default"))

    def pre_trade(self, ctx: RuleContext, order: SubmitOrder) -> Verdict | None:
        portfolio = ctx.portfolio
        if order.reduce_only or reduces_position(portfolio, order):
            return None
        instrument = ctx.registry.find(order.symbol)
        if instrument is None:
            return None  # unknown symbols are refused by the order validation
        price = order_price(portfolio, order)
        if price is None:
            return self._deny("EXPOSURE_UNPRICED", symbol=order.symbol, price="unknown")
        position = portfolio.position(order.symbol)
        held = position.quantity if position is not None else Decimal(0)
        resulting = held + order.side.sign * abs(order.quantity)
        exposure = abs(resulting) * price * instrument.multiplier
        cap = self.limit_for(order.symbol)
        if cap is not None and exposure > cap:
            return self._deny(
                "MAX_EXPOSURE",
                symbol=order.symbol,
                exposure=exposure,
                limit=cap,
                quantity=resulting,
            )
        if self.config.max_leverage is None:
            return None
        return self._leverage(ctx, order.symbol, exposure)

    def _leverage(self, ctx: RuleContext, symbol: str, exposure: Decimal) -> Verdict | None:
        max_leverage = self.config.max_leverage
        assert max_leverage is not None
        portfolio = ctx.portfolio
        total = exposure + sum(
            (p.notional() for p in portfolio.open_positions() if p.symbol != symbol),
            Decimal(0),
        )
        try:
            equity = portfolio.equity()
        except RiskbusError:
            return self._deny("EXPOSURE_UNPRICED", symbol=symbol, equity="unknown")
        if equity <= 0:
            return self._deny("EXPOSURE_UNPRICED", symbol=symbol, equity=equity)
        leverage = total / equity
        if leverage <= max_leverage:
            return None
        return self._deny(
            "MAX_LEVERAGE",
            symbol=symbol,
            leverage=_plain(leverage),
            max_leverage=max_leverage,
            exposure=total,
            equity=equity,
        )

    def _deny(self, code: str, *, symbol: str, **values: object) -> Verdict:
        return Verdict(
            rule=self.name,
            action=RiskAction.DENY,
            reason=format_reason(code, symbol=symbol, **values),
            symbol=symbol,
        )
