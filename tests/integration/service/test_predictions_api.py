"""The prediction API over a real SQLite store: create, refuse, store, list, fetch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from riskbus.analytics.predictions import predict
from riskbus.core.clock import DAY
from riskbus.market import generate
from riskbus.service.app import create_app
from riskbus.service.predictions import DATA_DIR_ENV, CandleSource
from riskbus.service.settings import Settings
from tests.live_server import serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    mp = pytest.MonkeyPatch()
    mp.delenv(DATA_DIR_ENV, raising=False)  # seeded paths only
    folder = tmp_path_factory.mktemp("predictions")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'p.db'}",
        recordings_dir=folder / "recordings",
        workers=1,
    )
    with serve(create_app(settings)) as url:
        yield url
    mp.undo()


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as http:
        yield http


def test_a_bull_run_is_a_confident_up_call_with_four_weighted_agents(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/predictions",
        json={"pair": "btc/usdt", "horizon_days": 7, "market": "bull_run", "seed": 1},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    expected = predict(
        generate("bull_run", 120, 1, initial_price=100.0, step=DAY).prices, horizon_candles=7
    )
    assert body["pair"] == "BTC/USDT"
    assert body["direction"] == expected.direction == "up"
    assert body["confidence"] == pytest.approx(expected.confidence) == 0.8
    assert body["agreement"] == body["confidence"]
    assert body["consensus_reached"] is True
    assert body["score"] == pytest.approx(expected.score)
    assert body["target_price"] == pytest.approx(expected.target_price)
    assert body["source"] == "market:bull_run seed=1"
    assert body["candles_used"] == 120
    assert [a["agent"] for a in body["agents"]] == [
        "trend",
        "momentum",
        "mean_reversion",
        "volatility_regime",
    ]
    assert [a["weight"] for a in body["agents"]] == [0.30, 0.25, 0.20, 0.25]
    assert sum(body["weights"].values()) == pytest.approx(1.0)
    assert body["id"].startswith("pr_")
    assert body["created_at"].endswith("+00:00")


def test_a_prediction_is_stored_and_fetched_by_id(client: httpx.Client) -> None:
    made = client.post(
        "/api/v1/predictions",
        json={"pair": "ETH/USDT", "horizon_days": 3, "market": "distribution", "seed": 2},
    ).json()
    fetched = client.get(f"/api/v1/predictions/{made['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == made
    assert made["direction"] == "down"


def test_an_unknown_id_is_404(client: httpx.Client) -> None:
    response = client.get("/api/v1/predictions/pr_nope")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "no prediction 'pr_nope'",
        "error_code": "PREDICTION_NOT_FOUND",
    }


@pytest.mark.parametrize("days", [0, 61, 10_000])
def test_a_horizon_outside_1_to_60_days_is_invalid(client: httpx.Client, days: int) -> None:
    response = client.post("/api/v1/predictions", json={"pair": "BTC/USDT", "horizon_days": days})
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_HORIZON"
    assert "between 1 and 60" in response.json()["detail"]


def test_the_longest_horizon_is_accepted(client: httpx.Client) -> None:
    response = client.post(
        "/api/v1/predictions",
        json={"pair": "BTC/USDT", "horizon_days": 60, "market": "bull_run", "seed": 1},
    )
    assert response.status_code == 201
    assert response.json()["horizon_days"] == 60


def test_a_split_vote_is_low_confidence_and_not_stored(client: httpx.Client) -> None:
    # flash_crash seed 1: trend, momentum and volatility flat, mean reversion down -> 0.20
    response = client.post(
        "/api/v1/predictions",
        json={"pair": "XRP/USDT", "horizon_days": 7, "market": "flash_crash", "seed": 1},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error_code"] == "LOW_CONFIDENCE"
    assert body["detail"].startswith("confidence 0.20 is below min_confidence 0.70")
    assert client.get("/api/v1/predictions", params={"pair": "XRP/USDT"}).json() == []


def test_the_list_filters_and_limits(client: httpx.Client) -> None:
    # pairs of their own: other tests of the module share the server's store
    requests = [
        ("LIST/ONE", "bull_run", 1),
        ("LIST/ONE", "distribution", 1),
        ("LIST/TWO", "bull_run", 2),
    ]
    made = [
        client.post(
            "/api/v1/predictions",
            json={"pair": pair, "horizon_days": 5, "market": market, "seed": seed},
        ).json()
        for pair, market, seed in requests
    ]
    ids = {p["id"] for p in made}
    everything = client.get("/api/v1/predictions", params={"limit": 1000}).json()
    mine = [p["id"] for p in everything if p["id"] in ids]
    assert mine == [p["id"] for p in reversed(made)]  # newest first
    one = client.get("/api/v1/predictions", params={"pair": "list/one"}).json()
    assert [p["id"] for p in one] == [made[1]["id"], made[0]["id"]]
    down = client.get("/api/v1/predictions", params={"pair": "LIST/ONE", "direction": "down"})
    assert [p["id"] for p in down.json()] == [made[1]["id"]]
    confident = client.get("/api/v1/predictions", params={"min_confidence": 0.81}).json()
    assert not ids & {p["id"] for p in confident}  # all three are 0.80
    newest = client.get("/api/v1/predictions", params={"limit": 1}).json()
    assert [p["id"] for p in newest] == [made[2]["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"direction": "sideways"}, "direction"),
        ({"min_confidence": 2}, "min_confidence"),
        ({"pair": "BTCUSDT"}, "pair"),
    ],
)
def test_bad_list_filters_are_422_naming_the_parameter(
    client: httpx.Client, params: dict[str, str | int], field: str
) -> None:
    response = client.get("/api/v1/predictions", params=params)
    assert response.status_code == 422
    assert response.json()["error_code"] == "VALIDATION_ERROR"
    assert f"query.{field}" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"pair": "BTC-USDT", "horizon_days": 7}, 422, "body.pair"),
        ({"pair": "BTC/USDT"}, 422, "body.horizon_days"),
        ({"pair": "BTC/USDT", "horizon_days": 7, "colour": 1}, 422, "body.colour"),
        ({"pair": "BTC/USDT", "horizon_days": 7, "market": "moon"}, 400, "unknown scenario"),
    ],
)
def test_bad_requests_name_the_field(
    client: httpx.Client, body: dict[str, object], status: int, fragment: str
) -> None:
    response = client.post("/api/v1/predictions", json=body)
    assert response.status_code == status
    assert fragment in response.json()["detail"]


def test_the_default_path_is_seeded_by_the_pair() -> None:
    source = CandleSource()
    first = source.candles("SOL/USDT")
    again = source.candles("sol/usdt")
    assert first.source == again.source
    assert np.array_equal(first.closes, again.closes)
    assert source.candles("ADA/USDT").source != first.source


def test_a_candle_file_of_the_data_dir_is_read(tmp_path: Path) -> None:
    rows = ["timestamp,open,high,low,close,volume"]
    for day in range(60):
        close = 100.0 * 1.01**day
        rows.append(f"{1_700_006_400 + day * 86_400},{close},{close},{close},{close},1")
    (tmp_path / "BTC_USDT.csv").write_text("\n".join(rows) + "\n")
    source = CandleSource(tmp_path, lookback=50)
    candles = source.candles("btc/usdt")
    assert candles.source == str(tmp_path / "BTC_USDT.csv")
    assert candles.step == DAY
    assert len(candles.closes) == 50
    assert candles.closes[-1] == pytest.approx(100.0 * 1.01**59)
    assert source.candles("btc/usdt", market="gbm").source.startswith("market:gbm")
    assert source.file_for("ETH/USDT") is None


def test_the_markets_a_request_may_name_are_listed(client: httpx.Client) -> None:
    markets = client.get("/api/v1/predictions/markets").json()
    assert {"bull_run", "gbm", "flash_crash", "regime_switch"} <= set(markets)
    assert markets == sorted(markets)
