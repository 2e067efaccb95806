"""The orders a previous engine left in flight: asked about at the venue until settled.

:meth:`ExecutionEngine.resume <riskbus.execution.engine.ExecutionEngine.resume>` does not
send again an order a dead process had sent (``executing``/``partial``): it asks the venue
for it (``FetchOrder``) and :class:`InFlightOrders` settles it from the answer
(``OrderStatusReported``) — filled, cancelled or rejected as the venue says; asked again
every ``retry_delay`` while it is open or not yet at the venue; sent again (a new client
order id) only when the venue still does not know it after ``retry_attempts`` asks, a
request older than that being taken as lost. It is the engine's own part (it finishes
orders and saves runs through it), kept in a module of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskbus.execution.plans import PlanOrderStatus
from riskbus.execution.runs import TERMINAL, OrderRun, PlanRun
from riskbus.model.commands import FetchOrder
from riskbus.model.enums import OrderStatus
from riskbus.model.events.account import OrderStatusReported

if TYPE_CHECKING:
    from riskbus.execution.engine import ExecutionEngine

__all__ = ["InFlightOrders"]


class InFlightOrders:
    """Settles, by asking the venue, the orders a previous engine sent (module docstring)."""

    def __init__(self, engine: ExecutionEngine) -> None:
        self._engine = engine
        #: how often the venue said it does not know an order a previous engine sent
        self._unseen: dict[str, int] = {}

    def ask(self, run: PlanRun, order_run: OrderRun) -> None:
        """Ask the venue for the state of an order a previous engine sent."""
        engine = self._engine
        if not engine.bus.has_handler(FetchOrder) or order_run.status in TERMINAL:
            return  # no venue to ask: its events (or the reconciler) must settle it
        engine.bus.send(
            FetchOrder(
                ts=engine.clock.now(),
                client_order_id=order_run.client_order_id,
                symbol=engine._market(run.plan, order_run.order),
            )
        )

    def on_status(self, event: OrderStatusReported) -> None:
        """Settle the order ``event`` reports on, if it is one being asked about."""
        engine = self._engine
        key = engine._by_client_id.get(event.client_order_id)
        if key is None:
            return
        run = engine.runs[key[0]]
        order_run = run.orders[key[1]]
        if order_run.status in TERMINAL or event.client_order_id != order_run.client_order_id:
            return
        report = event.report
        if report is None:
            # Not at the venue (yet): the request may still be on its way, so ask again
            # after the retry delay; only when it is still unknown after retry_attempts
            # asks is it taken as lost and sent again (under a new client order id).
            unseen = self._unseen[event.client_order_id] = (
                self._unseen.get(event.client_order_id, 0) + 1
            )
            if unseen <= engine.retry_attempts:
                self._ask_later(run, order_run)
                return
            run.in_flight.discard(order_run.order.order_id)
            order_run.status = PlanOrderStatus.QUEUED
            run.queue.appendleft(order_run.order.order_id)
            engine._save(run)
            engine._pump(run)
            return
        order_run.take_report(report)
        if report.status is OrderStatus.FILLED:
            engine._finish_filled(run, order_run)
        elif report.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
            if order_run.filled > 0 and not run.cancel_requested:
                engine._finish_filled(run, order_run)
            else:
                engine._finish_cancelled(run, order_run)
        elif report.status in (OrderStatus.REJECTED, OrderStatus.DENIED):
            engine._finish_failed(run, order_run, "REJECTED_BY_VENUE: found on resume")
        else:  # still working at the venue: ask again after the retry delay
            engine._save(run)
            self._ask_later(run, order_run)

    def _ask_later(self, run: PlanRun, order_run: OrderRun) -> None:
        engine = self._engine
        engine.clock.set_alarm(
            f"plan-status:{order_run.client_order_id}",
            engine.clock.now() + engine.retry_delay,
            lambda: self.ask(run, order_run),
        )
