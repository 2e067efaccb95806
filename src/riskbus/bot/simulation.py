"""A bot in a simulated world: the whole order path in virtual time, no I/O.

:class:`BotSimulation` wires a :class:`~riskbus.bot.runner.BotRunner` to a
:class:`~riskbus.exchange.SimulatedExchange`, the order gateway and an account tracker on
one :class:`~riskbus.core.clock.Simulator` (it is also importable from
:mod:`riskbus.bot.runner`, where it used to live).
"""

from __future__ import annotations

from decimal import Decimal

from riskbus.bot.pools import PoolRepository
from riskbus.bot.runner import BotConfig, BotReport, BotRunner
from riskbus.bot.strategy import Strategy
from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Message
from riskbus.core.seeds import Seeds
from riskbus.exchange.account import AccountTracker
from riskbus.exchange.config import SimulatedExchangeConfig
from riskbus.exchange.simulated import SimulatedExchange
from riskbus.market.path import PricePath
from riskbus.model.catalogue import InstrumentRegistry, default_registry

__all__ = ["BotSimulation"]


class BotSimulation:
    """A bot wired to a simulated venue in virtual time: the whole order path, no I/O.

    ``Simulator`` → cycle timer → :class:`BotRunner` → ``FetchPrice`` →
    :class:`~riskbus.exchange.SimulatedExchange` → ... → ``SubmitOrder`` →
    :class:`~riskbus.risk.gate.OrderGateway` → the venue → ``OrderFilled`` →
    :class:`~riskbus.exchange.account.AccountTracker` and the runner. The venue's price path
    advances one step per cycle, so cycle ``n`` trades at step ``n`` of ``market``. The
    venue's account starts with ``initial_capital`` of the quote currency.

    Args:
        strategy: the strategy instance.
        market: the price path.
        seed: the root seed of the venue's random streams.
        config: the bot's set-up.
        repository: the pools' store (a resumed bot continues at its last cycle's step).
        exchange_config: the venue's costs and latency (default: the venue's defaults
            without candle history; the runner computes its indicators from the prices).
        record: keep every message of the bus in :attr:`messages`.
    """

    def __init__(
        self,
        strategy: Strategy,
        market: PricePath,
        *,
        seed: int = 0,
        config: BotConfig | None = None,
        repository: PoolRepository | None = None,
        exchange_config: SimulatedExchangeConfig | None = None,
        registry: InstrumentRegistry | None = None,
        record: bool = False,
    ) -> None:
        from riskbus.risk.gate import OrderGateway  # the order path, wired for simulation

        config = config or BotConfig()
        self.simulator = Simulator()
        clock = self.simulator.clock
        self.bus = bus = EventBus(clock)
        self.messages: list[Message] = []
        if record:
            bus.subscribe("*", self.messages.append, component="Recorder")
        registry = registry if registry is not None else default_registry()
        quote = registry.get(config.symbol).quote
        self.exchange = SimulatedExchange(
            bus,
            clock,
            Seeds(seed),
            registry,
            {config.symbol: market},
            balances={quote: config.initial_capital},
            config=exchange_config or SimulatedExchangeConfig(candles_history=0),
            currency=quote,
        )
        self.exchange.attach(bus)
        self.gateway = OrderGateway(bus, clock, self.exchange.submit, registry=registry).attach()
        self.account = AccountTracker(
            bus, clock, registry, {quote: config.initial_capital}, currency=quote
        ).attach()
        self.runner = BotRunner(
            bus,
            clock,
            strategy,
            registry,
            config=config,
            repository=repository,
            portfolio=self.account.portfolio,
            before_cycle=self.exchange.advance,
        ).attach()
        resumed = self.runner.cycle
        if resumed:  # a resumed bot continues where it stopped, with what its pools hold
            self.exchange.step = resumed
            instrument = registry.get(config.symbol)
            capital = sum((p.capital for p in self.runner.pools), Decimal(0))
            held = sum((p.quantity for p in self.runner.pools), Decimal(0))
            for account in (self.exchange.account, self.account.portfolio):
                account.set_balance(instrument.quote, capital)
                account.set_balance(instrument.base, held)
            last = min(resumed, len(market) - 1)
            self.runner.warm_up(
                float(market.price_at(k, instrument.tick_size)) for k in range(1, last + 1)
            )

    def run(self, cycles: int) -> BotReport:
        """Run ``cycles`` cycles (fewer if the bot stops), stop the bot, return its report."""
        runner = self.runner
        runner.start()
        target = runner.report.cycles + cycles
        interval = runner.interval
        simulator = self.simulator
        simulator.run_until(
            lambda: not runner.running or runner.report.cycles >= target,
            timeout=cycles * interval + interval // 2,
        )
        runner.stop(runner.report.stopped or "done")
        return runner.report
