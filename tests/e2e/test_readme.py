"""The README's Python examples run as written (in order, in one namespace)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_python_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # files the examples write stay out of the checkout
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # ... but they read the examples
    blocks = python_blocks()
    assert len(blocks) >= 2
    module = types.ModuleType("readme_examples")  # msgspec resolves annotations via the module
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    ticks = [line for line in printed if re.fullmatch(r"\d{19} \d+", line)]
    assert len(ticks) == 10 + 60  # one line per virtual minute: 10, then an hour
    assert "2 0.50" in printed  # MNQ multiplier and tick value
    assert "INVALID_ORDER: field=quantity, value=-1" in printed
    assert "0.02000" in printed  # the dry-run order quantity, on the 0.00001 step
    assert "STALE_PRICE: symbol=BTC/USDT, age_s=None, max_s=120" in printed
    assert "-250.50" in printed  # the store's daily P&L after a reopen
    assert "paper HINT_MATCHED: hint=paper, venue=paper" in printed  # the exchange registry
    risk = [  # the futures config guarding NQ: a denial, the daily-loss lockout, no unlock
        "denied MAX_CONTRACTS_PER_INSTRUMENT: symbol=NQ, size=2, limit=1",
        "locked DAILY_LOSS_LIMIT: realized=-500.00, limit=-500",
        "HALTED 0",
        "denied TRADING_HALTED: state=HALTED, rule=daily_realized_loss, until=reset",
        "ADMIN_UNLOCK_REFUSED: lockout=1, reason=not_allowed",
    ]
    assert [line for line in printed if line in risk] == risk
    assert "True [1, 2, 3, 4, 5, 6, 7, 8]" in printed  # riskbus smoke: all 8 checkpoints
    lost_ack = ["503: outcome unknown", "the order exists: closed 0.01"]
    lost_ack += ["resubmission refused: True"]  # the exchange server: placed exactly once
    assert [line for line in printed if line in lost_ack] == lost_ack
    assert "up confidence=0.80 target=129.63" in printed  # the prediction ensemble
    assert "applied 3 then 0" in printed and "True 3 guard 0 0" in printed  # the bridge
    plan = ["SELL BTC 0.10000000 -6400.00", "SELL ETH 0.77419354 -2400.00"]
    plan += ["BUY SOL 35.17241379 5100.00", "strict False False", "moderate True False"]
    plan += ["permissive True True", "plan_complete rb-1", "3 0 100% 6.95"]
    assert [line for line in printed if line in plan] == plan  # sells first; levels differ
    assert "[20, 21, 22, 23, 24, 26] [33, 33, 34, 34, 34] 10064.98" in printed  # the bot
    chain = next(line for line in printed if line.startswith("BotMonitoringCycleStarted"))
    assert chain.split(" -> ")[-2:] == ["PositionPurchased", "BotMonitoringCycleCompleted"]
    fills = [line for line in printed if line.startswith("filled ")]
    assert fills == ["filled 0.1 at 50030.09"]  # seeded: the same price every run
    path_line, var, stress_loss = printed[-3:]
    min_step, bottom = path_line.split()
    assert 20 <= int(min_step) <= 29  # the flash crash bottoms inside its window
    assert 40_000 < float(bottom) < 45_000  # about -15 % from 50,000
    assert 0 < float(var) < 1 and 0 < float(stress_loss) < 100
    events = namespace["events"]
    assert isinstance(events, list) and len(events) == 60  # an hour of ticks, read back typed
