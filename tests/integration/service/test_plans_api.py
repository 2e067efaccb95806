"""Rebalancing plans over HTTP, executed by the real engine on a simulated venue."""

from __future__ import annotations

from typing import Any

from tests.integration.service.conftest import TestClient, wait_for

HOLDINGS = {
    "BTC": {"quantity": "0.35", "price": "64000"},
    "ETH": {"quantity": "4", "price": "3100"},
    "SOL": {"quantity": "20", "price": "145"},
    "USDT": {"quantity": "2300", "price": "1"},
}
WEIGHTS = {"BTC": "0.40", "ETH": "0.25", "SOL": "0.20", "USDT": "0.15"}


def create(client: TestClient, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/plans", json={"holdings": HOLDINGS, "weights": WEIGHTS, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_plan_sells_first_then_buys_and_completes(client: TestClient) -> None:
    plan = create(client)
    assert plan["status"] == "created"
    assert plan["valid"] is True
    sides = [o["side"] for o in plan["orders"]]
    assert sides == sorted(sides, key=lambda side: side != "sell")  # sells first
    assert {o["symbol"] for o in plan["orders"]} == {"BTC", "ETH", "SOL"}
    assert all(o["status"] == "pending" for o in plan["orders"])
    started = client.post(f"/api/plans/{plan['plan_id']}/execute", json={"max_parallel": 2})
    assert started.status_code == 202
    assert started.json()["status"] == "running"

    def done() -> bool:
        return bool(client.get(f"/api/plans/{plan['plan_id']}").json()["status"] != "running")

    wait_for(done)
    final = client.get(f"/api/plans/{plan['plan_id']}").json()
    assert final["status"] == "completed"
    assert final["percent"] == 100.0
    stats = final["stats"]
    assert stats["completed"] == stats["total_orders"] == len(plan["orders"])
    assert stats["failed"] == 0
    assert float(stats["volume_executed"]) > 0.9 * float(stats["volume_planned"])
    assert {o["status"] for o in final["orders"]} == {"filled"}
    again = client.post(f"/api/plans/{plan['plan_id']}/execute")
    assert (again.status_code, again.json()["error_code"]) == (409, "PLAN_NOT_EXECUTABLE")
    listed = [p["plan_id"] for p in client.get("/api/plans").json()]
    assert listed == [plan["plan_id"]]
    assert 'riskbus_plans{status="completed"} 1' in client.get("/metrics").text


def test_cancel_stops_the_queued_orders(client: TestClient) -> None:
    plan = create(client)
    plan_id = plan["plan_id"]
    client.post(f"/api/plans/{plan_id}/execute", json={"max_parallel": 1})
    cancelled = client.post(f"/api/plans/{plan_id}/cancel")
    assert cancelled.status_code == 200
    wait_for(lambda: client.get(f"/api/plans/{plan_id}").json()["status"] != "running")
    final = client.get(f"/api/plans/{plan_id}").json()
    assert final["status"] == "cancelled"
    assert final["stats"]["cancelled"] >= len(plan["orders"]) - 1  # only one was in flight
    assert final["counts"].get("cancelled", 0) == final["stats"]["cancelled"]


def test_bad_plans_are_refused_with_the_field_named(client: TestClient) -> None:
    both = client.post(
        "/api/plans", json={"holdings": HOLDINGS, "weights": WEIGHTS, "amounts": {"BTC": 5}}
    )
    assert (both.status_code, both.json()["error_code"]) == (400, "BAD_INPUT")
    assert "targets" in both.json()["detail"]
    no_market = client.post(
        "/api/plans",
        json={"holdings": {"XYZ": {"quantity": 10, "price": 100}}, "amounts": {"XYZ": 0}},
    )
    assert no_market.status_code == 400
    assert "no XYZ/USDT market" in no_market.json()["detail"]
    negative = client.post(
        "/api/plans", json={"holdings": {"BTC": {"quantity": -1, "price": 1}}, "weights": {}}
    )
    assert negative.status_code == 422
    assert negative.json()["detail"].startswith("body.holdings.BTC.quantity:")
    for method, path in (("GET", "/api/plans/x"), ("POST", "/api/plans/x/cancel")):
        response = client.request(method, path)
        assert (response.status_code, response.json()["error_code"]) == (404, "PLAN_NOT_FOUND")
    missing = client.post("/api/plans/x/execute", json={})
    assert missing.json()["error_code"] == "PLAN_NOT_FOUND"
