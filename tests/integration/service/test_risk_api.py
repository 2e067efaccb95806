"""The risk API over a hosted guard fed by a simulated venue on the service's bus, and over
a store a separate guard writes (PostgreSQL). Admin calls: 401 / 403 / 200, each audited."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from riskbus.core.seeds import Seeds
from riskbus.exchange import SimulatedExchange, SimulatedExchangeConfig
from riskbus.market.path import PricePath
from riskbus.model import OrderSide, SubmitOrder, default_registry
from riskbus.service.app import create_app
from riskbus.service.settings import Settings
from riskbus.store import LockoutKind, LockoutRecord, LockoutScope, open_store
from tests.integration.service.conftest import ADMIN_TOKEN, TestClient

POSTGRES_URL = os.environ.get(
    "RISKBUS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

CONFIG = """\
account: {id: svc-test, currency: USDT, timezone: UTC}
rules:
  daily_realized_loss: {limit: -100, admin_unlock: %s}
"""


class Venue:
    """A simulated BTC/USDT venue attached to the service's live bus (a venue adapter)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        assert client.portal is not None  # the client runs inside its ``with`` block
        self.portal = client.portal
        self.desk = client.app.state.services.desk  # type: ignore[attr-defined]
        self.orders = 0
        path = PricePath(np.array([50_000.0, 49_800.0, 49_800.0, 49_800.0]), spread_bps=0.0)

        def build() -> SimulatedExchange:
            exchange = SimulatedExchange(
                self.desk.bus,
                self.desk.clock,
                Seeds(1),
                default_registry(),
                {"BTC/USDT": path},
                balances={"USDT": 1_000_000},
                config=SimulatedExchangeConfig(maker_fee=Decimal(0), taker_fee=Decimal(0)),
                currency="USDT",
            )
            self.desk.attach_venue(exchange)
            return exchange

        self.exchange = self.portal.call(build)

    def order(self, side: OrderSide) -> None:
        self.orders += 1

        def send() -> None:
            self.desk.bus.send(
                SubmitOrder(
                    ts=self.desk.clock.now(),
                    client_order_id=f"t-{self.orders}",
                    symbol="BTC/USDT",
                    side=side,
                    quantity=Decimal(1),
                    strategy="test",
                )
            )

        self.portal.call(send)

    def lose(self) -> None:
        """Buy 1 BTC at 50,000 and sell it at 49,800: a realized loss of 200."""
        self.order(OrderSide.BUY)
        self.portal.call(self.exchange.advance)
        self.order(OrderSide.SELL)


@pytest.fixture
def guarded(
    tmp_path: Path, make_settings: Callable[..., Settings], request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    unlockable = getattr(request, "param", True)
    config = tmp_path / "risk.yaml"
    config.write_text(CONFIG % ("true" if unlockable else "false"))
    with TestClient(create_app(make_settings(risk_config=config))) as client:
        yield client


def audit(client: TestClient, action: str) -> list[dict[str, Any]]:
    return list(client.get(f"/api/risk/audit?action={action}").json())


def test_a_realized_loss_locks_the_account_and_every_read_endpoint_shows_it(
    guarded: TestClient,
) -> None:
    assert guarded.get("/api/risk/state").json()["state"] == "ACTIVE"
    venue = Venue(guarded)
    venue.lose()
    state = guarded.get("/api/risk/state").json()
    assert state == {
        "source": "guard",
        "account": "svc-test",
        "state": "HALTED",
        "account_locked": True,
        "active_lockouts": 1,
        "locked_symbols": [],
        "rules": ["daily_realized_loss"],
    }
    [lockout] = guarded.get("/api/risk/lockouts").json()
    assert (lockout["rule"], lockout["scope"], lockout["kind"]) == (
        "daily_realized_loss",
        "account",
        "hard",
    )
    assert lockout["reason"] == "DAILY_LOSS_LIMIT: realized=-200.00, limit=-100"
    pnl = guarded.get("/api/risk/pnl").json()
    assert (pnl["account"], pnl["realized"], pnl["trade_count"]) == ("svc-test", "-200.00", 2)
    violations = guarded.get("/api/risk/violations?page=1&size=10").json()
    assert violations["total"] == 1
    assert violations["items"][0]["action"] == "lockout"
    assert violations["items"][0]["rule"] == "daily_realized_loss"
    assert guarded.get("/api/risk/violations?page=2&size=10").json()["items"] == []
    venue_order_count = venue.orders
    venue.order(OrderSide.BUY)  # locked: the guard's pre-trade check denies it
    assert venue.orders == venue_order_count + 1
    metrics = guarded.get("/metrics").text
    assert "riskbus_order_denials_total 1" in metrics
    assert "riskbus_rule_violations_total 1" in metrics
    assert "riskbus_enforcement_latency_seconds_count 1" in metrics
    assert "riskbus_rule_evaluations_total 0" not in metrics


def test_unlock_needs_the_token_and_every_attempt_is_audited(guarded: TestClient) -> None:
    Venue(guarded).lose()
    missing = guarded.post("/api/risk/unlock", json={})
    assert missing.status_code == 401
    assert missing.json() == {
        "detail": "the admin token is required",
        "error_code": "ADMIN_TOKEN_MISSING",
    }
    wrong = guarded.post("/api/risk/unlock", json={}, headers={"X-Admin-Token": "nope"})
    assert (wrong.status_code, wrong.json()["error_code"]) == (403, "ADMIN_TOKEN_INVALID")
    bearer_wrong = guarded.post(
        "/api/risk/unlock", json={}, headers={"Authorization": "Bearer nope"}
    )
    assert bearer_wrong.status_code == 403
    assert guarded.get("/api/risk/state").json()["state"] == "HALTED"
    ok = guarded.post(
        "/api/risk/unlock", json={}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert ok.status_code == 200
    [lock_id] = ok.json()["cleared"]
    assert guarded.get("/api/risk/state").json()["state"] == "ACTIVE"
    outcomes = [e["outcome"] for e in audit(guarded, "admin_unlock")]
    assert outcomes == ["ok", "bad_token", "bad_token", "missing_token"]  # newest first
    assert audit(guarded, "admin_unlock")[0]["details"]["lockout"] == lock_id
    assert guarded.get("/api/risk/lockouts").json() == []
    ended = guarded.get("/api/risk/lockouts?all=true").json()
    assert ended[0]["cleared_by"] == "api:testclient"
    gone = guarded.post(
        "/api/risk/unlock", json={"lockout_id": lock_id}, headers={"X-Admin-Token": ADMIN_TOKEN}
    )
    assert (gone.status_code, gone.json()["error_code"]) == (409, "UNLOCK_REFUSED")
    assert audit(guarded, "admin_unlock")[0]["outcome"] == "unknown_lockout"


@pytest.mark.parametrize("guarded", [False], indirect=True)
def test_a_rule_without_admin_unlock_is_refused_and_audited(guarded: TestClient) -> None:
    Venue(guarded).lose()
    refused = guarded.post(
        "/api/risk/unlock",
        json={"rule": "daily_realized_loss"},
        headers={"X-Admin-Token": ADMIN_TOKEN},
    )
    assert (refused.status_code, refused.json()["error_code"]) == (409, "UNLOCK_REFUSED")
    assert audit(guarded, "admin_unlock")[0]["outcome"] == "not_allowed"
    assert guarded.get("/api/risk/state").json()["state"] == "HALTED"


def test_config_reload_applies_or_rejects_the_file_and_audits_both(
    guarded: TestClient, tmp_path: Path
) -> None:
    assert guarded.post("/api/risk/config/reload").status_code == 401
    config = tmp_path / "risk.yaml"
    config.write_text(CONFIG.replace("-100", "-50") % "true")
    headers = {"X-Admin-Token": ADMIN_TOKEN}
    applied = guarded.post("/api/risk/config/reload", json={"reason": "tighter"}, headers=headers)
    assert applied.status_code == 200
    assert applied.json()["outcome"] == "applied"
    config.write_text("rules:\n  daily_realized_loss: {limit: 5}\n")
    rejected = guarded.post("/api/risk/config/reload", headers=headers)
    assert (rejected.status_code, rejected.json()["error_code"]) == (400, "CONFIG_INVALID")
    assert "rules.daily_realized_loss.limit" in rejected.json()["detail"]
    entries = audit(guarded, "risk.config.reload")
    assert [e["outcome"] for e in entries] == ["rejected", "applied", "missing_token"]
    assert entries[1]["details"]["reason"] == "tighter"


def test_without_a_hosted_guard_the_store_is_read_and_unlocked_on_postgres(
    make_settings: Callable[..., Settings],
) -> None:
    store = open_store(POSTGRES_URL)
    now = 1_800_000_000 * 10**9
    record = store.lockouts.add(
        LockoutRecord(
            scope=LockoutScope.SYMBOL,
            target="ETH/USDT",
            rule="cooldown_after_loss",
            reason="COOLDOWN_AFTER_LOSS: loss=-300",
            kind=LockoutKind.HARD,
            started_at=now,
        )
    )
    assert record.id is not None
    settings = make_settings(database_url=POSTGRES_URL)
    try:
        with TestClient(create_app(settings)) as client:
            state = client.get("/api/risk/state").json()
            assert state["source"] == "store"
            assert "ETH/USDT" in state["locked_symbols"]
            ids = [row["id"] for row in client.get("/api/risk/lockouts").json()]
            assert record.id in ids
            body = {"lockout_id": record.id}
            wrong = client.post("/api/risk/unlock", json=body, headers={"X-Admin-Token": "x"})
            assert wrong.status_code == 403
            ok = client.post("/api/risk/unlock", json=body, headers={"X-Admin-Token": ADMIN_TOKEN})
            assert ok.json() == {"cleared": [record.id], "refused": []}
            entries = [
                e
                for e in client.get("/api/risk/audit?action=admin_unlock&limit=1000").json()
                if e["details"].get("lockout") == record.id
            ]
            assert [e["outcome"] for e in entries] == ["ok"]
            reload = client.post("/api/risk/config/reload", headers={"X-Admin-Token": ADMIN_TOKEN})
            assert reload.json()["outcome"] == "requested"
        assert record.id not in [r.id for r in store.lockouts.active(now)]
    finally:
        store.close()
