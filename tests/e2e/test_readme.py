"""The README's Python examples run as written (in order, in one namespace)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_python_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
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
    fills = [line for line in printed if line.startswith("filled ")]
    assert fills == ["filled 0.1 at 50030.09"]  # seeded: the same price every run
    path_line, var, stress_loss = printed[-3:]
    min_step, bottom = path_line.split()
    assert 20 <= int(min_step) <= 29  # the flash crash bottoms inside its window
    assert 40_000 < float(bottom) < 45_000  # about -15 % from 50,000
    assert 0 < float(var) < 1 and 0 < float(stress_loss) < 100
    events = namespace["events"]
    assert isinstance(events, list) and len(events) == 60  # an hour of ticks, read back typed
