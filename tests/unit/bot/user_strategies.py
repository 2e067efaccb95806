"""User strategies for the loader and host tests (loaded by 'package.module:Class')."""

from __future__ import annotations

from riskbus.bot.decisions import Action, Decision
from riskbus.bot.strategy import Strategy, StrategyContext
from riskbus.model.events.market import Bar


class FailsInCycleFive(Strategy):
    name = "fails_in_5"

    def __init__(self, params: dict[str, object] | None = None) -> None:
        super().__init__(params)
        self.cycles: list[int] = []
        self.stopped = False

    def on_cycle(self, ctx: StrategyContext, cycle: int) -> None:
        if cycle == 5:
            raise ZeroDivisionError("division by zero in user code")
        self.cycles.append(cycle)

    def on_stop(self, ctx: StrategyContext) -> None:
        self.stopped = True


class BuysOnEveryBar(Strategy):
    def on_bar(self, ctx: StrategyContext, bar: Bar) -> None:
        ctx.execute(
            Decision(action=Action.BUY, symbol=bar.symbol, quantity=self.params["qty"]), bar.close
        )


NOT_A_STRATEGY = 42
