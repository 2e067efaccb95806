"""`riskbus bot run`, driven like a user: simulated runs, user strategies, resume, live wiring."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from riskbus.cli.main import main
from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock
from riskbus.model.catalogue import default_registry
from riskbus.model.commands import FetchPrice, SubmitOrder
from riskbus.model.events.market import MarketPriceFetched

FLASH = ["bot", "run", "--strategy", "pool_ladder", "--market", "flash_crash"]
FLASH += ["--cycles", "60", "--seed", "1", "--json"]
USER = "tests.unit.bot.user_strategies:FailsInCycleFive"
KEYS = {
    "cycles",
    "purchases",
    "sales",
    "initial_capital",
    "final_capital",
    "pnl",
    "max_drawdown_pct",
    "purchases_by_cycle",
    "sales_by_cycle",
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def payload_of(out: str) -> dict[str, Any]:
    assert out.count("\n") == 1  # exactly one JSON object on one line
    payload = json.loads(out)
    assert isinstance(payload, dict)
    return payload


def test_flash_crash_buys_in_the_crash_and_never_sells_in_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, *FLASH)
    assert code == 0, err
    payload = payload_of(out)
    assert set(payload) >= KEYS
    assert payload["cycles"] == 60
    assert [c for c in payload["purchases_by_cycle"] if 20 <= c <= 30] != []
    assert [c for c in payload["sales_by_cycle"] if 20 <= c <= 30] == []
    assert payload["purchases"] == len(payload["purchases_by_cycle"]) == 6
    assert payload["sales"] == len(payload["sales_by_cycle"]) == 5
    assert payload["initial_capital"] == "10000.00"
    pnl = Decimal(payload["pnl"])
    assert pnl == Decimal(payload["final_capital"]) - Decimal("10000.00")
    assert 0 < payload["max_drawdown_pct"] < 15


def test_bull_run_over_100_cycles_ends_with_a_profit(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "bot", "run", "--market", "bull_run", "--cycles", "100", "--json")
    assert code == 0, err
    payload = payload_of(out)
    assert payload["cycles"] == 100
    assert Decimal(payload["pnl"]) > 0
    assert payload["sales"] >= 1


def test_same_seed_gives_identical_json_and_another_seed_differs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outputs = {run(capsys, *FLASH)[1] for _ in range(3)}
    assert len(outputs) == 1
    other = run(capsys, *FLASH[:-3], "--seed", "2", "--json")[1]
    assert other != outputs.pop()


def test_a_user_strategy_failing_in_cycle_5_continues_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "bot", "run", "--strategy", USER, "--cycles", "10", "--json")
    assert code == 0
    payload = payload_of(out)
    assert (payload["cycles"], payload["strategy_errors"]) == (10, 1)
    assert payload["strategy_error_cycles"] == [5]
    assert "cycle 5" in payload["errors"][0] and "ZeroDivisionError" in payload["errors"][0]


def test_a_user_strategy_failing_in_cycle_5_stops_the_run_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["bot", "run", "--strategy", USER, "--cycles", "10", "--on-error", "stop"]
    code, out, err = run(capsys, *args, "--json")
    assert code == 1
    payload = payload_of(out)
    assert (payload["cycles"], payload["stopped"]) == (5, "strategy failed")
    assert payload["strategy_error_cycles"] == [5]
    code, out, err = run(capsys, *args)
    assert code == 1
    assert "strategy error" in err and "in cycle 5" in err


def test_the_summary_table_names_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *FLASH[:-1])
    assert code == 0, err
    for label in ("cycles", "purchases", "sales", "final capital", "pnl", "max drawdown"):
        assert label in out
    assert "10064.98" in out


def test_bad_input_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "bot", "run", "--market", "moon", "--cycles", "5")
    assert code == 2 and "unknown scenario 'moon'" in err
    code, _, err = run(capsys, "bot", "run", "--strategy", "nope", "--cycles", "5")
    assert code == 2 and "unknown strategy 'nope'" in err
    code, _, err = run(capsys, "bot", "run", "--param", "max_entriez=3", "--cycles", "5")
    assert code == 2 and "max_entriez" in err
    code, _, err = run(capsys, "bot", "run", "--on-error", "explode", "--cycles", "5")
    assert code == 2 and "--on-error" in err


def test_state_resumes_the_ladder_across_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path / 'bot.db'}"
    base = ["bot", "run", "--market", "flash_crash", "--seed", "1", "--json", "--state", state]
    first = payload_of(run(capsys, *base, "--cycles", "30")[1])
    second = payload_of(run(capsys, *base, "--cycles", "30")[1])
    assert first["purchases_by_cycle"] == [20, 21, 22, 23, 24, 26]
    assert second["purchases_by_cycle"] == []
    assert second["sales_by_cycle"] == [33, 33, 34, 34, 34]  # cycles 31-60, resumed
    whole = payload_of(run(capsys, *FLASH)[1])
    assert second["final_capital"] == whole["final_capital"]


def test_the_console_script_runs_the_flash_crash(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("riskbus")
    result = subprocess.run(
        [str(exe), *FLASH], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["purchases_by_cycle"] == [20, 21, 22, 23, 24, 26]


class FakeVenue:
    """Stands in for the ccxt client: answers FetchPrice from a task on the live loop."""

    instances: ClassVar[list[FakeVenue]] = []

    def __init__(self, bus: EventBus, clock: LiveClock, config: Any) -> None:
        self.bus, self.clock, self.config = bus, clock, config
        self.venue = config.venue
        self.registry = default_registry()
        self.submitted: list[SubmitOrder] = []
        self.closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        FakeVenue.instances.append(self)

    async def connect(self) -> None:
        return None

    def attach(self, bus: EventBus) -> None:
        bus.register(FetchPrice, self.fetch_price)

    def submit(self, command: SubmitOrder) -> None:
        self.submitted.append(command)

    def fetch_price(self, command: FetchPrice) -> None:
        async def answer() -> None:
            await asyncio.sleep(0.001)
            price = Decimal("100") if command.symbol == "ETH/USDT" else Decimal("50000")
            self.bus.publish(
                MarketPriceFetched(
                    ts=self.clock.now(),
                    cycle_id=command.cycle_id,
                    pair=command.symbol,
                    current_price=price,
                    current_buy_price=price,
                    current_sell_price=price,
                )
            )

        task = self.clock.loop.create_task(answer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self.closed = True


def test_live_mode_runs_the_same_cycle_on_the_venue_client(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import riskbus.exchange.ccxt_client as ccxt_client

    monkeypatch.setattr(ccxt_client, "CcxtClient", FakeVenue)
    FakeVenue.instances.clear()
    args = ["bot", "run", "--exchange", "binance", "--symbols", "BTC/USDT,ETH/USDT"]
    args += ["--dry-run", "--poll-interval", "0.05", "--cycles", "3", "--json"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    payload = payload_of(out)
    assert sorted(payload) == ["BTC/USDT", "ETH/USDT"]
    assert [payload[p]["cycles"] for p in ("BTC/USDT", "ETH/USDT")] == [3, 3]
    (venue,) = FakeVenue.instances
    assert venue.config.venue == "binance" and venue.closed
    assert venue.submitted == []  # dry run


def test_live_mode_refuses_an_unknown_venue(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "bot", "run", "--exchange", "binancee", "--dry-run")
    assert code == 2
    assert "binancee" in err


def test_a_bar_driven_strategy_is_refused_by_the_cycle_runner(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["bot", "run", "--strategy", "ma_cross", "--cycles", "5"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--strategy: ma_cross is bar-driven (on_bar/on_tick)" in err
    assert "riskbus.bot.feed.BarFeed" in err
