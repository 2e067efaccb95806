"""Every fault of the exchange server gives its documented ccxt exception."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from riskbus.core.yamlconf import YamlInputError
from riskbus.exchange.server import load_faults, parse_faults
from tests.integration.exchange_server._support import arm, client, control, serve

ORDER = {"method": "POST", "path": "/api/v3/order"}

#: fault → (the ccxt class the binance client raises, whether the order was placed).
FAULTS: list[tuple[str, dict[str, Any], type[Exception], int]] = [
    ("latency past the timeout", {"kind": "latency", "ms": 1500}, ccxt.RequestTimeout, 0),
    (
        "lognormal latency past the timeout",
        {"kind": "latency", "distribution": "lognormal", "median_ms": 3000, "sigma": 0.1},
        ccxt.RequestTimeout,
        0,
    ),
    ("5xx, order placed", {"kind": "server_error", "status": 503}, ccxt.ExchangeNotAvailable, 1),
    ("500, order placed", {"kind": "server_error", "status": 500}, ccxt.ExchangeNotAvailable, 1),
    ("504 -1007, order placed", {"kind": "server_error", "status": 504}, ccxt.RequestTimeout, 1),
    (
        "5xx before processing",
        {"kind": "server_error", "status": 502, "process": False},
        ccxt.ExchangeNotAvailable,
        0,
    ),
    ("429", {"kind": "rate_limit"}, ccxt.DDoSProtection, 0),
    ("hang", {"kind": "hang", "seconds": 5}, ccxt.RequestTimeout, 0),
    ("hang after placing", {"kind": "hang", "seconds": 5, "process": True}, ccxt.RequestTimeout, 1),
    ("connection reset", {"kind": "reset"}, ccxt.ExchangeNotAvailable, 0),
    ("reset after placing", {"kind": "reset", "process": True}, ccxt.ExchangeNotAvailable, 1),
    ("malformed body", {"kind": "malformed"}, ccxt.ExchangeError, 1),
    ("clock skew ahead", {"kind": "clock_skew", "ms": 15_000}, ccxt.InvalidNonce, 0),
    ("clock skew behind", {"kind": "clock_skew", "ms": -3_000}, ccxt.InvalidNonce, 0),
    ("insufficient funds", {"kind": "insufficient_funds"}, ccxt.InsufficientFunds, 0),
    ("outage", {"kind": "outage"}, ccxt.ExchangeNotAvailable, 0),
]


async def _place(server: Any, fault: dict[str, Any]) -> tuple[BaseException | None, int, Any]:
    async with client(server, timeout=1000) as exchange:
        arm(server, {**fault, "match": fault.get("match", ORDER)})
        described = server.state.chaos.describe()
        try:
            await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
        except Exception as error:
            return error, server.venue.order_count(), described
        return None, server.venue.order_count(), described


@pytest.mark.parametrize(
    ("fault", "expected", "placed"),
    [pytest.param(f, e, p, id=name) for name, f, e, p in FAULTS],
)
def test_each_fault_raises_its_labelled_ccxt_exception(
    fault: dict[str, Any], expected: type[Exception], placed: int
) -> None:
    async def scenario() -> tuple[BaseException | None, int, Any]:
        async with serve() as server:
            return await _place(server, fault)

    error, orders, described = asyncio.run(scenario())
    assert type(error) is expected, repr(error)
    assert described["faults"][0]["ccxt_exception"] == expected.__name__
    assert orders == placed  # "placed" faults leave the order on the venue: outcome unknown


def test_latency_under_the_timeout_only_delays() -> None:
    async def scenario() -> tuple[str, Any]:
        async with serve() as server:
            async with client(server, timeout=5000) as exchange:
                arm(
                    server,
                    {"kind": "latency", "distribution": "uniform", "low_ms": 10, "high_ms": 30},
                )
                order = await exchange.create_order("BTC/USDT", "market", "buy", 0.01)
            return order["status"], server.state.chaos.describe()

    status, described = asyncio.run(scenario())
    assert status == "closed"
    assert described["faults"][0]["fired"] >= 1
    assert described["faults"][0]["ccxt_exception"] == "RequestTimeout"  # only past the timeout


def test_fail_the_first_n_then_succeed() -> None:
    async def scenario() -> list[str]:
        async with serve() as server, client(server) as exchange:
            arm(server, {"kind": "outage", "first": 2, "match": {"path": "/api/v3/ticker"}})
            outcomes = []
            for _ in range(4):
                try:
                    await exchange.fetch_ticker("BTC/USDT")
                    outcomes.append("ok")
                except ccxt.ExchangeNotAvailable:
                    outcomes.append("down")
            return outcomes

    assert asyncio.run(scenario()) == ["down", "down", "ok", "ok"]


def test_every_kth_request_fails() -> None:
    async def scenario() -> list[str]:
        async with serve() as server, client(server) as exchange:
            arm(server, {"kind": "server_error", "every": 3, "match": {"method": "GET"}})
            outcomes = []
            for _ in range(7):
                try:
                    await exchange.fetch_time()
                    outcomes.append("ok")
                except ccxt.ExchangeNotAvailable:
                    outcomes.append("5xx")
            return outcomes

    assert asyncio.run(scenario()) == ["ok", "ok", "5xx", "ok", "ok", "5xx", "ok"]


def test_an_outage_window_follows_market_time() -> None:
    async def scenario() -> list[str]:
        async with serve() as server, client(server) as exchange:
            arm(server, {"kind": "outage", "window": {"start": 120, "end": 300}})
            outcomes = []
            for _ in range(6):  # market minutes 0..5: down during minutes 2, 3 and 4
                try:
                    await exchange.fetch_ticker("BTC/USDT")
                    outcomes.append("ok")
                except ccxt.ExchangeNotAvailable:
                    outcomes.append("down")
                await control(server, "POST", "/_chaos/step", {"seconds": 60})
            return outcomes

    assert asyncio.run(scenario()) == ["ok", "ok", "down", "down", "down", "ok"]


def test_rate_limit_escalates_from_429_with_retry_after_to_a_418_ban() -> None:
    async def scenario() -> tuple[list[tuple[str, str]], Any]:
        async with serve() as server, client(server) as exchange:
            arm(
                server,
                {
                    "kind": "rate_limit",
                    "retry_after": 2,
                    "ban_after": 2,
                    "ban_seconds": 300,
                    "first": 3,
                },
            )
            seen = []
            for _ in range(4):
                try:
                    await exchange.fetch_time()
                    seen.append(("ok", ""))
                except ccxt.DDoSProtection as error:
                    status = " 418 " if " 418 " in str(error) else " 429 "
                    seen.append((status.strip(), exchange.last_response_headers["Retry-After"]))
            _, state = await control(server, "GET", "/_chaos")
            await control(server, "DELETE", "/_chaos")
            await exchange.fetch_time()  # the ban is lifted
            return seen, state

    seen, state = asyncio.run(scenario())
    assert seen[:2] == [("429", "2"), ("429", "2")]
    assert seen[2] == ("418", "300")
    assert seen[3] == ("418", "300")  # still banned after the fault stopped firing
    assert state["banned_until_ms"] > 0


def test_clock_skew_moves_the_server_time_and_unsigned_calls_still_work() -> None:
    async def scenario() -> tuple[int, int, BaseException | None]:
        async with serve() as server, client(server) as exchange:
            before = await exchange.fetch_time()
            arm(server, {"kind": "clock_skew", "ms": 60_000})
            skewed = await exchange.fetch_time()
            try:
                await exchange.fetch_balance()
            except Exception as error:
                return before, skewed, error
            return before, skewed, None

    before, skewed, error = asyncio.run(scenario())
    assert 55_000 < skewed - before < 65_000
    assert isinstance(error, ccxt.InvalidNonce)


def test_probability_faults_are_reproducible_from_the_seed() -> None:
    async def pattern(seed: int) -> list[bool]:
        async with serve() as server, client(server) as exchange:
            arm(server, {"kind": "outage", "probability": 0.5}, seed=seed)
            fired = []
            for _ in range(16):
                try:
                    await exchange.fetch_time()
                    fired.append(False)
                except ccxt.ExchangeNotAvailable:
                    fired.append(True)
            return fired

    async def scenario() -> tuple[list[bool], list[bool], list[bool]]:
        return await pattern(7), await pattern(7), await pattern(8)

    first, again, other = asyncio.run(scenario())
    assert first == again
    assert 0 < sum(first) < 16
    assert first != other


def test_the_control_route_arms_lists_and_clears_faults() -> None:
    async def scenario() -> tuple[Any, ...]:
        async with serve() as server:
            bad = await control(
                server, "POST", "/_chaos", {"faults": [{"kind": "hang", "seconds": -1}]}
            )
            good = await control(
                server,
                "POST",
                "/_chaos",
                {"seed": 3, "faults": [{"kind": "outage", "first": 1}, {"kind": "malformed"}]},
            )
            added = await control(
                server, "POST", "/_chaos", {"replace": False, "faults": [{"kind": "reset"}]}
            )
            cleared = await control(server, "DELETE", "/_chaos")
            bad_step = await control(server, "POST", "/_chaos/step", {"steps": -2})
            advanced = await control(server, "POST", "/_control/advance", {"steps": 3})
            return bad, good, added, cleared, bad_step, advanced

    bad, good, added, cleared, bad_step, advanced = asyncio.run(scenario())
    assert bad[0] == 400 and "faults.0.hang.seconds" in bad[1]["error"]
    assert good[0] == 200
    assert [(f["kind"], f["ccxt_exception"]) for f in good[1]["faults"]] == [
        ("outage", "ExchangeNotAvailable"),
        ("malformed", "ExchangeError"),
    ]
    assert len(added[1]["faults"]) == 3
    assert cleared[1]["faults"] == []
    assert bad_step[0] == 400 and "steps" in bad_step[1]["error"]
    assert advanced[1]["market_step"] == 3


def test_a_fault_file_loads_and_a_bad_one_names_the_file_field_and_line(tmp_path: Path) -> None:
    good = tmp_path / "faults.yaml"
    good.write_text(
        "seed: 4\nfaults:\n"
        "  - kind: server_error\n    status: 504\n    match: {method: POST, path: /api/v3/order}\n"
        "    first: 1\n"
        "  - kind: latency\n    distribution: lognormal\n    median_ms: 40\n    sigma: 0.3\n"
    )
    config = load_faults(good)
    assert config.seed == 4 and [f.kind for f in config.faults] == ["server_error", "latency"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("faults:\n  - kind: latency\n    distribution: gaussian\n")
    with pytest.raises(YamlInputError) as caught:
        load_faults(bad)
    message = str(caught.value)
    assert f"{bad}:2 faults.0.latency.distribution" in message  # the fault's line
    with pytest.raises(YamlInputError, match=r"window.*end"):
        parse_faults({"faults": [{"kind": "outage", "window": {"start": 5, "end": 1}}]})


def test_the_example_fault_file_loads_with_its_labels() -> None:
    root = Path(__file__).resolve().parents[3]
    config = load_faults(root / "examples" / "exchange_faults.yaml")
    labels = [(f.kind, f.ccxt_exception) for f in config.faults]
    assert labels == [
        ("server_error", "ExchangeNotAvailable"),
        ("latency", "RequestTimeout"),
        ("rate_limit", "DDoSProtection"),
        ("outage", "ExchangeNotAvailable"),
    ]
