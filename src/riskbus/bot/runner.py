"""The monitoring-cycle bot runner: the original pool bot's cycle, driven by the clock.

One cycle, every ``poll_interval`` of clock time (a timer on the injected :class:`Clock`, so
the same code runs on a :class:`~riskbus.core.clock.VirtualClock` and on a ``LiveClock``)::

    BotMonitoringCycleStarted(cycle_number)      → FetchPrice(symbol, cycle_id)
    MarketPriceFetched                          → CapitalRefreshed(available_capital)
                                                → OpenedPositionsQueried(positions)
                                                → IndicatorsCalculated(RSI, MACD)
                                                → DecisionContextReady
                                                → strategy.on_cycle: BuyConditionMet /
                                                  SellConditionMet → SubmitOrder
    OrderFilled (order complete)                → PositionPurchased / PositionSold
    no order of the cycle pending any more      → BotMonitoringCycleCompleted(duration_ms)

``MarketPriceFetchFailed`` skips the decisions: the cycle completes at once and the bot
keeps running. The runner never waits: each step is a handler of the event that enables
it. A cycle whose orders are still pending when the next timer fires is completed then
(late fills are still booked to their pool). In simulation ``before_cycle`` advances the
venue's price path one step, so cycle ``n`` sees step ``n`` of the market scenario.

Strategies act in ``on_cycle`` through ``ctx.cycle`` (a :class:`~riskbus.bot.cycle.Cycle`):
``buy(pool, quantity)`` and ``sell(pool)`` publish the condition event and send the order
through the :class:`~riskbus.bot.decisions.DecisionExecutor`. What a strategy raises is reported as
``StrategyFailed`` with the cycle number; with ``on_error="stop"`` the bot then stops.
Pools and the last completed cycle are written through a ``PoolRepository``, so a new
runner over the same repository resumes the ladder and the cycle count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from riskbus.bot.config import BotConfig, BotReport
from riskbus.bot.cycle import Cycle
from riskbus.bot.decisions import Action, Decision, DecisionExecutor
from riskbus.bot.pools import PoolRepository, PoolState, split_capital
from riskbus.bot.strategy import Strategy, StrategyContext, StrategyHost
from riskbus.core.bus import EventBus
from riskbus.core.clock import MILLISECOND, Clock, seconds
from riskbus.indicators import MACD, RSI
from riskbus.model.catalogue import InstrumentRegistry
from riskbus.model.commands import FetchPrice
from riskbus.model.enums import OrderSide
from riskbus.model.events.bot import (
    BotMonitoringCycleCompleted,
    BotMonitoringCycleStarted,
    CapitalRefreshed,
    DecisionContextReady,
    IndicatorsCalculated,
    IndicatorValue,
    OpenedPositionsQueried,
    PoolPosition,
    PositionPurchased,
    PositionSold,
)
from riskbus.model.events.market import MarketPriceFetched, MarketPriceFetchFailed
from riskbus.model.events.orders import OrderCanceled, OrderDenied, OrderFilled, OrderRejected
from riskbus.model.portfolio import Portfolio
from riskbus.store.pools import InMemoryPoolRepository

__all__ = ["STOPPED_BY_ERROR", "BotConfig", "BotReport", "BotRunner", "BotSimulation", "Cycle"]

if TYPE_CHECKING:  # at run time, see __getattr__ at the end (no import cycle)
    from riskbus.bot.simulation import BotSimulation

log = logging.getLogger("riskbus.bot.runner")

_ZERO = Decimal(0)
#: ``BotReport.stopped`` when the strategy failed with ``on_error="stop"``.
STOPPED_BY_ERROR = "strategy failed"
_RSI_COLD = IndicatorValue(name="RSI", value=None)
_MACD_COLD = IndicatorValue(name="MACD", value=None)


@dataclass(slots=True)
class _Order:
    pool: PoolState
    side: OrderSide
    cycle: int
    cycle_id: str
    quantity: Decimal = _ZERO
    notional: Decimal = _ZERO
    profit: Decimal = _ZERO


class BotRunner:
    """Runs a strategy in monitoring cycles on a clock; see the module docstring.

    Args:
        bus: the bus (a venue executes ``FetchPrice``; ``SubmitOrder`` goes to the gateway).
        clock: where the cycle timer runs.
        strategy: the strategy.
        registry: the instruments (for order sizing).
        config: the bot's set-up.
        repository: where pools and the cycle count are kept (default: in memory).
        portfolio: the client-side account, for the decision executor (default: empty).
        before_cycle: called before each cycle starts (simulation: advance the market).
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        strategy: Strategy,
        registry: InstrumentRegistry,
        *,
        config: BotConfig | None = None,
        repository: PoolRepository | None = None,
        portfolio: Portfolio | None = None,
        before_cycle: Callable[[], None] | None = None,
    ) -> None:
        self.config = config = config or BotConfig()
        self.bus = bus
        self.clock = clock
        self.symbol = config.symbol
        self.name = config.name
        self.registry = registry
        self.repository = repository if repository is not None else InMemoryPoolRepository()
        self.before_cycle = before_cycle
        self.executor = DecisionExecutor(
            bus,
            clock,
            registry,
            portfolio if portfolio is not None else Portfolio(registry),
            strategy=config.name,
            dry_run=config.dry_run,
        )
        self.strategy = strategy
        self.ctx = StrategyContext(bus=bus, clock=clock, executor=self.executor)
        self.host = StrategyHost(strategy, self.ctx, on_error=config.on_error)
        self.instrument = registry.get(config.symbol)
        self.interval = seconds(config.poll_interval)
        self.timer_name = f"bot:{config.name}:cycle"
        self.rsi = RSI(config.rsi_period)
        self.macd = MACD(config.macd_fast, config.macd_slow, config.macd_signal)
        self._oversold = config.rsi_oversold
        self._overbought = config.rsi_overbought
        self.pools: list[PoolState] = []
        self.report = BotReport(initial_capital=config.initial_capital)
        self.cycle = 0
        self.running = False
        self._started_at = 0
        self._cycle_id = ""
        self._awaiting_price = False
        self._active = False
        self._orders: dict[str, _Order] = {}
        self._busy: set[str] = set()
        self._dirty: set[str] = set()
        self._cycle_orders = 0
        self._closes = 0
        self._pools_changed = True
        self._capital = _ZERO
        self._held = _ZERO
        self._drawdown_floor = _ZERO  # equity below this is a new maximum drawdown
        self._positions: tuple[PoolPosition, ...] = ()
        self._attached = False

    # -- lifecycle ---------------------------------------------------------------------

    def attach(self) -> BotRunner:
        """Subscribe to prices and order outcomes; load or create the pools."""
        if self._attached:
            return self
        self._attached = True
        bus = self.bus
        bus.subscribe(MarketPriceFetched, self._on_price, component="BotRunner")
        bus.subscribe(MarketPriceFetchFailed, self._on_price_failed, component="BotRunner")
        bus.subscribe(OrderFilled, self._on_filled, component="BotRunner")
        for outcome in (OrderRejected, OrderDenied, OrderCanceled):
            bus.subscribe(outcome, self._on_order_ended, component="BotRunner")
        self.host.attach()
        self._load()
        return self

    def _load(self) -> None:
        records = self.repository.pools(self.name)
        if records:
            self.pools = [PoolState.from_record(r) for r in records]
        else:
            self.pools = split_capital(
                self.config.initial_capital, self.config.pool_count, self.symbol
            )
            for pool in self.pools:
                self.repository.save(pool.to_record(self.name))
        self.cycle = self.repository.last_cycle(self.name)
        self._pools_changed = True
        self._refresh_books()
        self.report.final_capital = self._capital

    def start(self) -> None:
        """Attach if needed, call ``on_start`` and set the cycle timer."""
        self.attach()
        if self.running:
            return
        self.running = True
        self.host.start()
        self.clock.set_timer(self.timer_name, self.interval, self.run_cycle)

    def stop(self, reason: str = "stopped") -> None:
        """Cancel the timer, complete the current cycle and call ``on_stop``."""
        if not self.running:
            return
        self.running = False
        self.report.stopped = reason
        self.clock.cancel(self.timer_name)
        if self._active:
            self._complete()
        self.host.stop()

    # -- the cycle ---------------------------------------------------------------------

    def run_cycle(self) -> None:
        """Start the next cycle (the timer's callback): publish the start, fetch the price."""
        if self._active:
            self._complete()  # the previous cycle's orders are still pending
        if self.before_cycle is not None:
            self.before_cycle()
        self.cycle = number = self.cycle + 1
        self._cycle_id = cycle_id = str(number)
        self._started_at = now = self.clock.now()
        self._active = True
        self._awaiting_price = True
        self._cycle_orders = 0
        bus = self.bus
        bus.publish(BotMonitoringCycleStarted(ts=now, cycle_number=number))
        bus.send(FetchPrice(ts=now, symbol=self.symbol, cycle_id=cycle_id))

    def _on_price_failed(self, event: MarketPriceFetchFailed) -> None:
        if (
            not self._awaiting_price
            or event.cycle_id != self._cycle_id
            or event.pair != self.symbol
        ):
            return
        self._awaiting_price = False
        self.report.failed_fetches += 1
        log.warning("cycle %s: price fetch failed: %s", event.cycle_id, event.error_message)
        self._complete()

    def _on_price(self, event: MarketPriceFetched) -> None:
        # another bot's answer (same cycle number, other pair) or a late one: not ours
        if (
            not self._awaiting_price
            or event.cycle_id != self._cycle_id
            or event.pair != self.symbol
        ):
            return
        self._awaiting_price = False
        ts = self.clock.now()
        cycle_id = self._cycle_id
        price = event.current_price
        if self._pools_changed:
            self._refresh_books()
        if not self._closes and len(event.candles) > 1:  # live: warm up from the history
            self.warm_up(float(c.close) for c in event.candles[:-1])
        capital = self._capital
        positions = self._positions
        held = self._held
        equity = capital + held * event.current_sell_price if held else capital
        report = self.report
        report.final_capital = equity
        if equity > report.peak_capital:
            report.peak_capital = equity
            self._drawdown_floor = equity * (1 - report.max_drawdown)
        elif equity < self._drawdown_floor:  # a deeper drawdown than any before
            report.max_drawdown = (report.peak_capital - equity) / report.peak_capital
            self._drawdown_floor = equity
        indicators = self._indicators(float(price))
        publish = self.bus.publish
        publish(CapitalRefreshed(ts=ts, available_capital=capital, cycle_id=cycle_id))
        publish(OpenedPositionsQueried(ts=ts, positions=positions, cycle_id=cycle_id))
        publish(
            IndicatorsCalculated(
                ts=ts,
                cycle_id=cycle_id,
                indicators=indicators,
                current_price=price,
                candles_count=self._closes,
            )
        )
        publish(
            DecisionContextReady(
                ts=ts,
                cycle_id=cycle_id,
                current_price=price,
                available_capital=capital,
                positions=positions,
                indicators=indicators,
            )
        )
        ctx = self.ctx
        number = self.cycle
        ctx.cycle = Cycle(self, number, cycle_id, event, capital, indicators)
        try:
            self.host.call("on_cycle", number, cycle=number)
        finally:
            ctx.cycle = None
        if not self._cycle_orders:
            self._complete()

    def warm_up(self, closes: Iterable[float]) -> None:
        """Feed past closes to the indicators (after a restart), oldest first."""
        for close in closes:
            self.rsi.update(close)
            self.macd.update(close)
            self._closes += 1

    def _indicators(self, close: float) -> tuple[IndicatorValue, IndicatorValue]:
        """Update the RSI and MACD with ``close``; return their readings and signals.

        RSI: buy below ``rsi_oversold``, sell above ``rsi_overbought``. MACD: buy when its
        line crosses above the signal line, sell when it crosses below (strictly, as
        :func:`riskbus.indicators.macd_signal`).
        """
        rsi = self.rsi
        macd = self.macd
        rsi.update(close)
        macd.update(close)
        self._closes += 1
        value = rsi.value
        if value is None:
            rsi_reading = _RSI_COLD
        else:
            rsi_reading = IndicatorValue(
                name="RSI",
                value=value,
                buy_signal=value < self._oversold,
                sell_signal=value > self._overbought,
            )
        line, signal = macd.macd, macd.signal
        before, signal_before = macd.previous_macd, macd.previous_signal
        if line is None or signal is None:
            macd_reading = _MACD_COLD
        elif before is None or signal_before is None:
            macd_reading = IndicatorValue(name="MACD", value=line)
        else:
            macd_reading = IndicatorValue(
                name="MACD",
                value=line,
                buy_signal=before < signal_before and line > signal,
                sell_signal=before > signal_before and line < signal,
            )
        return rsi_reading, macd_reading

    def _order(self, cycle: Cycle, pool: PoolState, decision: Decision, mark: Decimal) -> bool:
        if pool.name in self._busy or decision.quantity is None or decision.quantity <= 0:
            return False
        command = self.executor.execute(decision, mark)
        if command is None or self.executor.dry_run:
            return False
        side = OrderSide.BUY if decision.action is Action.BUY else OrderSide.SELL
        self._orders[command.client_order_id] = _Order(pool, side, cycle.number, cycle.cycle_id)
        self._busy.add(pool.name)
        self._cycle_orders += 1
        return True

    def _complete(self) -> None:
        self._active = False
        self._awaiting_price = False
        now = self.clock.now()
        number = self.cycle
        report = self.report
        report.cycles += 1
        errors = self.host.errors
        if len(errors) != report.strategy_errors:
            report.strategy_errors = len(errors)
            report.errors = [str(e) for e in errors]
            report.error_cycles = [e.cycle for e in errors]
        self._save_dirty()
        self.repository.save_cycle(self.name, number, now)
        self.bus.publish(
            BotMonitoringCycleCompleted(
                ts=now, cycle_number=number, duration_ms=(now - self._started_at) // MILLISECOND
            )
        )
        if self.running and (
            self.host.stopped
            or (self.config.max_cycles is not None and self.report.cycles >= self.config.max_cycles)
        ):
            self.stop(STOPPED_BY_ERROR if self.host.stopped else "max_cycles")

    # -- orders ------------------------------------------------------------------------

    def _on_filled(self, event: OrderFilled) -> None:
        order = self._orders.get(event.client_order_id)
        if order is None:
            return
        pool = order.pool
        quantity, price, fee = event.last_qty, event.last_price, event.fee
        if fee and event.fee_currency == self.instrument.base:
            quantity -= fee  # fee taken from the asset bought
            fee = _ZERO
        order.quantity += quantity
        order.notional += quantity * price
        if order.side is OrderSide.BUY:
            pool.book_buy(quantity, price, fee)
        else:
            order.profit += pool.book_sell(quantity, price, fee)
        self._pools_changed = True
        if event.leaves_qty <= 0:
            self._finish(event.client_order_id, order)

    def _on_order_ended(self, event: OrderRejected | OrderDenied | OrderCanceled) -> None:
        order = self._orders.get(event.client_order_id)
        if order is None:
            return
        reason = getattr(event, "reason", "")
        log.warning(
            "order %s of %s ended unfilled: %s", event.client_order_id, order.pool.name, reason
        )
        self._finish(event.client_order_id, order)

    def _finish(self, client_order_id: str, order: _Order) -> None:
        del self._orders[client_order_id]
        pool = order.pool
        self._busy.discard(pool.name)
        if order.quantity > 0:
            ts = self.clock.now()
            price = order.notional / order.quantity
            if order.side is OrderSide.BUY:
                pool.entries += 1
                pool.purchases += 1
                pool.last_purchase_price = price
                if pool.opened_cycle is None:
                    pool.opened_cycle = order.cycle
                bought = PositionPurchased(
                    ts=ts,
                    pool=pool.name,
                    pair=pool.pair,
                    purchase_price=price,
                    quantity=order.quantity,
                    cycle_id=order.cycle_id,
                )
                self.host.call("on_position", pool, bought, cycle=order.cycle)
                self.report.purchases_by_cycle.append(order.cycle)
                event: PositionPurchased | PositionSold = bought
            else:
                pool.sales += 1
                sold = PositionSold(
                    ts=ts,
                    pool=pool.name,
                    pair=pool.pair,
                    sale_price=price,
                    quantity=order.quantity,
                    profit=order.profit,
                    cycle_id=order.cycle_id,
                )
                self.host.call("on_position", pool, sold, cycle=order.cycle)
                self.report.sales_by_cycle.append(order.cycle)
                event = sold
            self._pools_changed = True
            self.repository.save(pool.to_record(self.name))
            self._dirty.discard(pool.name)
            self.bus.publish(event)
        if order.cycle == self.cycle and self._active:
            self._cycle_orders -= 1
            if self._cycle_orders <= 0 and not self._awaiting_price:
                self._complete()

    # -- books -------------------------------------------------------------------------

    def _save_dirty(self) -> None:
        if not self._dirty:
            return
        for pool in self.pools:
            if pool.name in self._dirty:
                self.repository.save(pool.to_record(self.name))
        self._dirty.clear()
        self._pools_changed = True

    def _refresh_books(self) -> None:
        pools = self.pools
        self._capital = sum((p.capital for p in pools), _ZERO)
        self._held = sum((p.quantity for p in pools), _ZERO)
        self._positions = tuple(p.position() for p in pools if p.quantity > 0)
        self._pools_changed = False

    def equity(self, mark: Decimal) -> Decimal:
        """The pools' cash plus their holdings valued at ``mark``."""
        if self._pools_changed:
            self._refresh_books()
        return self._capital + self._held * mark


def __getattr__(name: str) -> Any:
    """``BotSimulation`` moved to :mod:`riskbus.bot.simulation`; still importable from here."""
    if name == "BotSimulation":
        from riskbus.bot.simulation import BotSimulation

        return BotSimulation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
