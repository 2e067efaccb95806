from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from riskbus.core.errors import (
    BadInputError,
    ConfigError,
    InvalidValueError,
    OutcomeUnknownError,
    RateLimitedError,
    RiskbusError,
    ScenarioError,
    StrategyError,
    TransientError,
)
from riskbus.core.messages import Event, HandlerFailed, message_type, message_types
from riskbus.core.serialization import (
    JsonlReader,
    JsonlWriter,
    from_json,
    read_jsonl,
    to_builtins,
    to_json,
    write_jsonl,
)


class PriceSeen(Event, frozen=True, kw_only=True):
    symbol: str
    price: Decimal
    levels: tuple[Decimal, ...] = ()


def test_error_tree_and_messages_name_file_field_and_line() -> None:
    assert issubclass(RateLimitedError, TransientError)
    assert issubclass(ScenarioError, BadInputError) and issubclass(ConfigError, RiskbusError)
    err = ScenarioError("unknown key", source="a.yaml", field="setup.bot.pols", line=7)
    assert str(err) == "a.yaml:7 setup.bot.pols: unknown key"
    assert str(ConfigError("bad", field="limits.daily")) == "limits.daily: bad"
    assert str(ConfigError("bad", source="r.yaml")) == "r.yaml: bad"
    assert str(ConfigError("bad")) == "bad"
    value_error = InvalidValueError.for_value("quantity", Decimal("-1"), "must be positive")
    assert isinstance(value_error, ValueError)
    assert str(value_error) == "quantity: must be positive (got -1)"
    assert value_error.value == Decimal("-1")
    assert RateLimitedError("slow", retry_after=2.0).retry_after == 2.0
    assert OutcomeUnknownError("t/o", client_order_id="c1").client_order_id == "c1"
    strategy_error = StrategyError("boom", strategy="s", cycle=5)
    assert (strategy_error.strategy, strategy_error.cycle) == ("s", 5)


def test_message_registry_and_unique_names() -> None:
    assert message_type("PriceSeen") is PriceSeen
    assert "HandlerFailed" in message_types()
    with pytest.raises(KeyError, match="did you mean PriceSeen"):
        message_type("PriceSen")
    with pytest.raises(TypeError, match="already used"):
        type("PriceSeen", (Event,), {"__annotations__": {"other": "int"}})


def test_json_round_trip_keeps_decimals_exact() -> None:
    event = PriceSeen(ts=7, symbol="BTC/USDT", price=Decimal("0.10"), levels=(Decimal("1E+3"),))
    data = to_json(event)
    assert data.startswith(b'{"type":"PriceSeen"')
    assert b'"price":"0.10"' in data
    back = from_json(data)
    assert back == event and isinstance(back, PriceSeen)
    assert str(back.price) == "0.10"
    assert to_builtins(event)["price"] == "0.10"
    assert event.name == "PriceSeen"


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"{not json", "malformed"),
        (b'{"type":"Nope","ts":1}', "invalid message"),
        (b'{"type":"PriceSeen","ts":1,"symbol":"X"}', "invalid message"),
    ],
)
def test_from_json_rejects_bad_input(payload: bytes, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        from_json(payload)


def test_jsonl_writer_reader_and_atomic_write(tmp_path: Path) -> None:
    events = [PriceSeen(ts=i, symbol="S", price=Decimal(i) / 3) for i in range(5)] + [
        HandlerFailed(ts=9, handler="h", message_name="m", error_type="E", error="x")
    ]
    path = tmp_path / "sub" / "rec.jsonl"
    with JsonlWriter(path, fsync=True) as writer:
        writer.write_all(events)
        assert writer.count == 6
    assert read_jsonl(path) == events
    target = tmp_path / "atomic.jsonl"
    assert write_jsonl(target, events) == 6
    assert list(JsonlReader(target)) == events
    assert not (tmp_path / ".atomic.jsonl.tmp").exists()


def test_jsonl_reader_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = to_json(PriceSeen(ts=1, symbol="S", price=Decimal(1))).decode()
    path.write_text(f"{good}\n\n{{oops\n")
    with pytest.raises(BadInputError) as info:
        read_jsonl(path)
    assert info.value.line == 3 and str(path) in str(info.value)


def test_failed_atomic_write_leaves_previous_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "keep.jsonl"
    target.write_text("previous\n")

    def broken() -> list[PriceSeen]:
        raise RuntimeError("generator failed")

    def messages():  # type: ignore[no-untyped-def]
        yield PriceSeen(ts=1, symbol="S", price=Decimal(1))
        broken()

    with pytest.raises(RuntimeError):
        write_jsonl(target, messages())
    assert target.read_text() == "previous\n"
