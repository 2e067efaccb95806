"""The order path end to end, all real components, in virtual time:

decision -> DecisionExecutor -> SubmitOrder on the bus -> OrderGateway (risk gate) ->
SimulatedExchange (latency on the clock) -> OrderAccepted / OrderFilled -> portfolio.
"""

from __future__ import annotations

from decimal import Decimal

from riskbus.bot.decisions import Action, Decision, DecisionExecutor
from riskbus.core.bus import EventBus
from riskbus.core.clock import MILLISECOND, SECOND, Simulator
from riskbus.core.seeds import Seeds
from riskbus.core.serialization import to_json
from riskbus.exchange import SimulatedExchange, SimulatedExchangeConfig
from riskbus.market import generate
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.events.orders import OrderFilled
from riskbus.model.portfolio import Portfolio
from riskbus.risk.gate import OrderGateway


class OneOrderAtATime:
    """A toy pre-trade rule: deny a new order while another is in flight."""

    def __init__(self, bus: EventBus) -> None:
        self.in_flight: set[str] = set()
        bus.subscribe(OrderFilled, lambda e: self.in_flight.discard(e.client_order_id))

    def check(self, command: SubmitOrder) -> str | None:
        if self.in_flight:
            return f"ORDER_IN_FLIGHT: pending={len(self.in_flight)}"
        self.in_flight.add(command.client_order_id)
        return None


def build(seed: int) -> tuple[Simulator, EventBus, DecisionExecutor, Portfolio, list[bytes]]:
    sim = Simulator()
    bus = EventBus(sim.clock)
    log: list[bytes] = []
    bus.subscribe("*", lambda m: log.append(to_json(m)))
    registry = default_registry()
    path = generate("flash_crash", 60, seed, initial_price=50_000, spread_bps=10)
    exchange = SimulatedExchange(
        bus,
        sim.clock,
        Seeds(seed),
        registry,
        {"BTC/USDT": path},
        balances={"USDT": 100_000},
        config=SimulatedExchangeConfig(
            latency={"submit": 50 * MILLISECOND}, latency_jitter=20 * MILLISECOND, slippage_bps=2
        ),
    )
    exchange.attach(bus)
    gateway = OrderGateway(bus, sim.clock, exchange.submit, registry=registry).attach()
    gateway.gate = OneOrderAtATime(bus)
    book = Portfolio(registry, {"USDT": Decimal(100_000)}, currency="USDT")
    bus.subscribe(OrderFilled, book.on_order_filled)
    executor = DecisionExecutor(bus, sim.clock, registry, book, strategy="path")

    def cycle() -> None:
        exchange.advance()
        quote = exchange.quote("BTC/USDT")
        executor.execute(
            Decision(action=Action.BUY, symbol="BTC/USDT", target_notional=Decimal(5_000)),
            quote.price,
        )
        executor.execute(  # same instant: denied by the gate while the first is in flight
            Decision(action=Action.BUY, symbol="BTC/USDT", target_notional=Decimal(5_000)),
            quote.price,
        )

    sim.clock.set_timer("cycle", 60 * SECOND, cycle)
    sim.run_for(5 * 60 * SECOND + SECOND)  # let the last order (50 ms latency) arrive
    return sim, bus, executor, book, log


def test_orders_flow_through_gate_and_exchange_into_the_portfolio() -> None:
    _, _, executor, book, log = build(seed=3)
    stats = executor.stats
    assert stats.attempted == 10
    assert (stats.successful, stats.failed) == (5, 5)  # one fill and one denial per cycle
    position = book.position("BTC/USDT")
    assert position is not None and position.quantity > Decimal("0.49")
    assert book.balance("USDT") < Decimal(100_000 - 24_000)
    denials = [line for line in log if b'"type":"OrderDenied"' in line]
    assert len(denials) == 5 and b"ORDER_IN_FLIGHT: pending=1" in denials[0]


def test_the_whole_path_is_deterministic_per_seed() -> None:
    first = build(seed=3)[4]
    again = build(seed=3)[4]
    other = build(seed=4)[4]
    assert first == again
    assert first != other
