"""One monitoring cycle as a strategy sees it: ``ctx.cycle`` in ``on_cycle``.

Built by the :class:`~riskbus.bot.runner.BotRunner` for each cycle whose price arrived; its
:meth:`Cycle.buy` and :meth:`Cycle.sell` publish ``BuyConditionMet``/``SellConditionMet``
and send the pool's order through the runner.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from riskbus.bot.decisions import Action, Decision
from riskbus.bot.pools import PoolState
from riskbus.model.events.bot import BuyConditionMet, IndicatorValue, SellConditionMet
from riskbus.model.events.market import MarketPriceFetched

if TYPE_CHECKING:
    from riskbus.bot.runner import BotRunner

__all__ = ["Cycle"]


class Cycle:
    """One cycle as a strategy sees it in ``on_cycle`` (``ctx.cycle``).

    Attributes:
        number: the cycle number (1, 2, ...; continued after a restart).
        cycle_id: the id carried by the cycle's events.
        price: the fetched price event (``current_price``, buy and sell prices).
        available_capital: the pools' free cash.
        indicators: the RSI and MACD readings with their signals.
        busy_pools: the names of the pools with an order in flight.
        pools: the bot's pools (live objects: changes to targets are saved with
            :meth:`touch`).
    """

    __slots__ = (
        "_runner",
        "available_capital",
        "busy_pools",
        "cycle_id",
        "indicators",
        "number",
        "price",
    )

    def __init__(  # noqa: PLR0917 - built only by the runner
        self,
        runner: BotRunner,
        number: int,
        cycle_id: str,
        price: MarketPriceFetched,
        available_capital: Decimal,
        indicators: tuple[IndicatorValue, ...],
    ) -> None:
        self._runner = runner
        self.number = number
        self.cycle_id = cycle_id
        self.price = price
        self.available_capital = available_capital
        self.indicators = indicators
        #: Names of the pools with an order in flight (no new order for them).
        self.busy_pools: set[str] = runner._busy

    @property
    def pools(self) -> list[PoolState]:
        """The bot's pools, in order."""
        return self._runner.pools

    @property
    def current_price(self) -> Decimal:
        """The fetched price."""
        return self.price.current_price

    @property
    def step_size(self) -> Decimal:
        """The quantity step of the traded instrument."""
        return self._runner.instrument.step_size

    def signal(self, name: str) -> IndicatorValue | None:
        """Return the reading of indicator ``name`` (``RSI``, ``MACD``), if computed."""
        for reading in self.indicators:
            if reading.name == name:
                return reading
        return None

    def busy(self, pool: PoolState) -> bool:
        """Whether ``pool`` has an order in flight."""
        return pool.name in self._runner._busy

    def touch(self, pool: PoolState) -> None:
        """Mark ``pool`` changed (its targets), to be saved when the cycle completes."""
        self._runner._dirty.add(pool.name)

    def buy(self, pool: PoolState, quantity: Decimal, *, reason: str = "") -> bool:
        """Publish ``BuyConditionMet`` and send a market buy of ``quantity`` for ``pool``."""
        runner = self._runner
        runner.bus.publish(
            BuyConditionMet(
                ts=runner.clock.now(),
                cycle_id=self.cycle_id,
                indicators=self.indicators,
                current_price=self.price.current_price,
                pool=pool.name,
            )
        )
        decision = Decision(
            action=Action.BUY, symbol=runner.symbol, quantity=quantity, reason=reason
        )
        return runner._order(self, pool, decision, self.price.current_buy_price)

    def sell(self, pool: PoolState, quantity: Decimal | None = None, *, reason: str = "") -> bool:
        """Publish ``SellConditionMet`` and send a market sale of the pool's position."""
        runner = self._runner
        runner.bus.publish(
            SellConditionMet(
                ts=runner.clock.now(),
                cycle_id=self.cycle_id,
                indicators=self.indicators,
                current_price=self.price.current_price,
                pool=pool.name,
            )
        )
        amount = pool.quantity if quantity is None else min(quantity, pool.quantity)
        decision = Decision(
            action=Action.SELL, symbol=runner.symbol, quantity=amount, reason=reason
        )
        return runner._order(self, pool, decision, self.price.current_sell_price)
