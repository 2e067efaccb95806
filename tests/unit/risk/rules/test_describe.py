"""Every rule's one-line description, as ``riskbus admin rules list`` shows it.

The description is user-facing (the admin CLI and the dashboard print it), so each one is
pinned for the main shapes of its config: a change of wording or a dropped part fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from riskbus.risk.rules import RULES

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("012", {"breakeven_ticks": 8}, "stop to breakeven+0 ticks at +8 ticks (stops only tighten)"),
    (
        "012",
        {
            "breakeven_ticks": 8,
            "breakeven_offset_ticks": 1,
            "trail_activate_ticks": 12,
            "trail_distance_ticks": 4,
        },
        "stop to breakeven+1 ticks at +8 ticks; trail 4 ticks behind from +12 ticks"
        " (stops only tighten)",
    ),
    (
        "012",
        {"trail_activate_ticks": 12, "trail_distance_ticks": 4},
        "trail 4 ticks behind from +12 ticks (stops only tighten)",
    ),
    (
        "A01",
        {"max_drawdown": 1000},
        "equity 1000 or more below its peak (intraday): flatten, cancel orders,"
        " lock out until the next reset",
    ),
    (
        "A01",
        {"max_drawdown": 1000, "mode": "end_of_day", "lock": "permanent"},
        "equity 1000 or more below its peak (end_of_day): flatten, cancel orders,"
        " lock out for good",
    ),
    ("A03", {"max_notional": 1000}, "deny orders worth more than 1000"),
    (
        "A03",
        {"max_notional": 1000, "per_symbol": {"ES": 500, "BTC/USDT": 100}},
        "deny orders worth more than 1000, BTC/USDT ≤ 100, ES ≤ 500",
    ),
    (
        "010",
        {},
        "the venue says the account may not trade: flatten, cancel orders,"
        " lock out until it may trade again",
    ),
    (
        "011",
        {"blocked_symbols": ["ES", "NQ"]},
        "never trade ES, NQ: close a position in it and lock that symbol",
    ),
    (
        "009",
        {},
        "trade only in session 09:30-16:00 account time zone on Mon,Tue,Wed,Thu,Fri;"
        " at the session end: flatten, cancel orders, lock out until the next session",
    ),
    (
        "009",
        {"instruments": {"ES": {"start": "09:00", "end": "14:00"}}},
        "trade only in session 09:30-16:00 account time zone on Mon,Tue,Wed,Thu,Fri;"
        " ES 09:00-14:00 account time zone;"
        " at the session end: flatten, cancel orders, lock out until the next session",
    ),
]


@pytest.mark.parametrize(("code", "config", "text"), CASES)
def test_description(code: str, config: dict[str, Any], text: str) -> None:
    rule_type = RULES[code]
    assert rule_type(rule_type.config_type.model_validate(config)).describe() == text
