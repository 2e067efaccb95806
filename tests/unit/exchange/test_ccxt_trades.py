"""FillLedger: the account's trade history becomes OrderFilled events, each quantity once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from riskbus.exchange._ccxt_trades import FillLedger
from riskbus.model import OrderSide, SubmitOrder, default_registry
from riskbus.model.enums import LiquiditySide, OrderType
from riskbus.model.events.orders import OrderFilled

D = Decimal
BTC = default_registry().get("BTC/USDT")


def trade(
    trade_id: object, order: str, amount: str, price: str = "50000", stamp: int = 1_000, **kw: Any
) -> dict[str, Any]:
    return {
        "id": trade_id,
        "order": order,
        "timestamp": stamp,
        "side": kw.get("side", "buy"),
        "amount": float(amount),
        "price": float(price),
        "fee": {"cost": kw.get("fee", 0.5), "currency": "USDT"},
        "takerOrMaker": kw.get("maker", "taker"),
    }


def read(ledger: FillLedger, *trades: dict[str, Any]) -> list[OrderFilled]:
    fills, _ = ledger.read("BTC/USDT", trades, BTC, ts=7, venue="binance")
    return fills


def test_the_first_read_is_a_baseline_and_later_trades_of_other_programs_are_new() -> None:
    ledger = FillLedger()
    fills, baseline = ledger.read("BTC/USDT", [trade(1, "90", "0.5")], BTC, ts=7, venue="binance")
    assert (fills, baseline) == ([], True)  # the account's starting state
    assert ledger.since("BTC/USDT") == 1_000
    new = read(ledger, trade(1, "90", "0.5"), trade(2, "91", "0.25", side="sell", maker="maker"))
    assert len(new) == 1
    fill = new[0]
    assert (fill.client_order_id, fill.venue_order_id, fill.fill_id) == ("binance-91", "91", "2")
    assert (fill.side, fill.last_qty, fill.last_price) == (OrderSide.SELL, D("0.25"), D(50_000))
    assert (fill.cum_qty, fill.leaves_qty) == (D("0.25"), D(0))  # size unknown: nothing left
    assert (fill.fee, fill.fee_currency, fill.liquidity) == (D("0.5"), "USDT", LiquiditySide.MAKER)
    assert fill.ts == 7
    assert read(ledger, trade(2, "91", "0.25", side="sell")) == []  # the same trade again


def test_an_own_resting_order_reports_only_what_its_answer_did_not() -> None:
    ledger = FillLedger()
    read(ledger)  # baseline: nothing yet
    command = SubmitOrder(
        ts=0,
        client_order_id="rb-1",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        quantity=D("1.00000"),
        order_type=OrderType.LIMIT,
        price=D(50_000),
        strategy="ladder",
    )
    answered = OrderFilled(
        ts=0,
        client_order_id="rb-1",
        symbol="BTC/USDT",
        side=OrderSide.BUY,
        fill_id="55-0.30000",  # made up from the order: the answer listed no trades
        last_qty=D("0.3"),
        last_price=D(50_000),
        cum_qty=D("0.3"),
        leaves_qty=D("0.7"),
        fee=D(0),
        fee_currency="USDT",
    )
    ledger.placed(command, "55", [answered])
    first = trade(10, "55", "0.2", fee=0.4, stamp=2_000)
    second = trade(11, "55", "0.2", fee=0.4, stamp=3_000)
    new = read(ledger, first, second)
    assert [f.last_qty for f in new] == [D("0.1")]  # 0.4 traded, 0.3 reported: 0.1 is new
    fill = new[0]
    assert fill.fee == D("0.2")  # that part's share of the trade's fee
    assert (fill.client_order_id, fill.strategy, fill.fill_id) == ("rb-1", "ladder", "11")
    assert (fill.cum_qty, fill.leaves_qty) == (D("0.4"), D("0.6"))
    third = trade(12, "55", "0.6", stamp=3_000)
    assert [(f.last_qty, f.leaves_qty) for f in read(ledger, second, third)] == [(D("0.6"), 0)]
    assert ledger.since("BTC/USDT") == 3_000


def test_trades_without_ids_are_told_apart_by_what_they_are() -> None:
    ledger = FillLedger()
    read(ledger)
    a, b = trade(None, "70", "0.1", stamp=5), trade(None, "70", "0.1", stamp=6)
    assert [f.fill_id for f in read(ledger, a, b)] == [
        "70-5-buy-0.1-50000.0",
        "70-6-buy-0.1-50000.0",
    ]
    assert read(ledger, b) == []  # the next read starts at b's time: b comes again


def test_zero_trades_and_unknown_orders_of_placed_commands_without_ids_are_skipped() -> None:
    ledger = FillLedger()
    read(ledger)
    command = SubmitOrder(
        ts=0, client_order_id="x", symbol="BTC/USDT", side=OrderSide.BUY, quantity=D(1)
    )
    ledger.placed(command, None, [])  # no venue id: nothing to match later
    assert read(ledger, trade(1, "1", "0")) == []
    assert [f.client_order_id for f in read(ledger, trade(2, "1", "0.1"))] == ["binance-1"]


def test_only_trades_the_next_read_can_return_are_remembered() -> None:
    ledger = FillLedger()
    read(ledger)
    read(ledger, trade(1, "1", "0.1", stamp=1_000), trade(2, "2", "0.1", stamp=2_000))
    read(ledger, trade(2, "2", "0.1", stamp=2_000), trade(3, "3", "0.1", stamp=2_000))
    assert ledger.since("BTC/USDT") == 2_000
    assert sorted(ledger._counted["BTC/USDT"]) == ["2", "3"]  # trade 1 is before the start
    assert read(ledger, trade(3, "3", "0.1", stamp=2_000)) == []  # still known
    untimed = trade(None, "4", "0.1", stamp=0) | {"timestamp": None}
    assert len(read(ledger, untimed)) == 1
    assert read(ledger, untimed) == []  # kept: it has no time to be forgotten by
    assert ledger.since("BTC/USDT") == 2_000
