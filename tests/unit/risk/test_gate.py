from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.core.bus import EventBus
from riskbus.core.clock import Simulator
from riskbus.core.messages import Message
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import SubmitOrder
from riskbus.model.enums import OrderSide, OrderType
from riskbus.model.events.orders import OrderDenied, OrderSubmitted
from riskbus.risk.gate import OrderGateway, PassThroughRiskGate


def order(**overrides: object) -> SubmitOrder:
    fields: dict[str, object] = {
        "ts": 0,
        "client_order_id": "c-1",
        "symbol": "BTC/USDT",
        "side": OrderSide.BUY,
        "quantity": Decimal("0.5"),
        "strategy": "test",
    }
    fields.update(overrides)
    return SubmitOrder(**fields)  # type: ignore[arg-type]


class World:
    def __init__(self, *, registry: bool = True) -> None:
        self.sim = Simulator()
        self.bus = EventBus(self.sim.clock)
        self.sent: list[SubmitOrder] = []
        self.events: list[Message] = []
        self.bus.subscribe("*", self.events.append)
        self.gateway = OrderGateway(
            self.bus,
            self.sim.clock,
            self.sent.append,
            registry=default_registry() if registry else None,
        ).attach()

    def of(self, kind: type[Message]) -> list[Message]:
        return [e for e in self.events if isinstance(e, kind)]


def test_pass_through_forwards_and_publishes_submitted_with_the_clock_time() -> None:
    world = World()
    world.sim.run_for(5)
    world.bus.send(order())
    assert [c.client_order_id for c in world.sent] == ["c-1"]
    submitted = world.of(OrderSubmitted)
    assert len(submitted) == 1 and submitted[0].ts == world.sim.now()
    assert world.of(OrderDenied) == []
    assert (world.gateway.forwarded, world.gateway.denied) == (1, 0)
    assert PassThroughRiskGate().check(order()) is None


class DenyBig:
    def check(self, command: SubmitOrder) -> str | None:
        if command.quantity > 1:
            return f"MAX_ORDER_SIZE: quantity={command.quantity}, limit=1"
        return None


def test_installed_gate_denies_with_reason_and_nothing_reaches_the_venue() -> None:
    world = World()
    world.gateway.gate = DenyBig()
    world.bus.send(order(client_order_id="small", quantity=Decimal("1")))
    world.bus.send(order(client_order_id="big", quantity=Decimal("2")))
    assert [c.client_order_id for c in world.sent] == ["small"]
    denied = world.of(OrderDenied)
    assert len(denied) == 1
    assert denied[0].client_order_id == "big"
    assert denied[0].reason == "MAX_ORDER_SIZE: quantity=2, limit=1"
    assert denied[0].code == "MAX_ORDER_SIZE"
    assert denied[0].strategy == "test"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"symbol": "NOPE"}, "INVALID_ORDER: field=symbol, value=NOPE"),
        ({"quantity": Decimal("-1")}, "INVALID_ORDER: field=quantity, value=-1"),
        ({"quantity": Decimal("0")}, "INVALID_ORDER: field=quantity, value=0"),
        ({"quantity": Decimal("NaN")}, "INVALID_ORDER: field=quantity, value=NaN"),
        ({"quantity": Decimal("Infinity")}, "INVALID_ORDER: field=quantity, value=Infinity"),
        ({"quantity": Decimal("0.000001")}, "INVALID_ORDER: field=quantity, value=0.000001"),
        (
            {"order_type": OrderType.LIMIT, "price": Decimal("100.001")},
            "INVALID_ORDER: field=price, value=100.001",
        ),
        ({"order_type": OrderType.LIMIT}, "INVALID_ORDER: field=price, value=None"),
        ({"order_type": OrderType.STOP}, "INVALID_ORDER: field=stop_price, value=None"),
        (
            {"order_type": OrderType.STOP, "stop_price": Decimal("-5")},
            "INVALID_ORDER: field=price, value=-5",
        ),
    ],
)
def test_malformed_orders_are_denied_naming_field_and_value(
    overrides: dict[str, object], reason: str
) -> None:
    world = World()
    world.bus.send(order(**overrides))
    assert world.sent == []
    denied = world.of(OrderDenied)
    assert [d.reason for d in denied] == [reason]


def test_valid_limit_and_stop_limit_orders_pass() -> None:
    world = World()
    world.bus.send(order(order_type=OrderType.LIMIT, price=Decimal("50000.01")))
    world.bus.send(
        order(
            client_order_id="c-2",
            order_type=OrderType.STOP_LIMIT,
            price=Decimal("49000"),
            stop_price=Decimal("49100"),
        )
    )
    assert [c.client_order_id for c in world.sent] == ["c-1", "c-2"]


def test_without_a_registry_only_the_gate_decides() -> None:
    world = World(registry=False)
    world.bus.send(order(symbol="ANYTHING", quantity=Decimal("-3")))
    assert len(world.sent) == 1


def test_the_gateway_appears_in_the_bus_topology() -> None:
    world = World()
    world.bus.send(order())
    topology = world.bus.topology()
    assert ("OrderGateway", "SubmitOrder") in topology.handles
    assert ("OrderGateway", "OrderSubmitted") in topology.publishes
