from __future__ import annotations

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model import (
    DuplicateFillError,
    Fill,
    MissingMarkPriceError,
    OrderSide,
    Portfolio,
    PositionSide,
    default_registry,
)
from riskbus.model.events import (
    Bar,
    PositionChanged,
    PositionClosed,
    PositionOpened,
    QuoteTick,
    TradeTick,
)
from tests.stubs import D, fill, order_filled, portfolio


def spot_fill(side: OrderSide, qty: str, price: str, n: int, fee: str = "0") -> Fill:
    return fill(
        fill_id=f"T-{n}",
        symbol="BTC/USDT",
        side=side,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        fee_currency="USDT",
        ts=n,
    )


def test_spot_buy_moves_quote_by_notional_and_fee_and_base_by_quantity() -> None:
    p = portfolio("USDT", USDT=10_000)
    p.apply_fill(spot_fill(OrderSide.BUY, "0.1", "50000.00", 1, fee="5.00"))
    assert p.balances == {"USDT": D("4995.00"), "BTC": D("0.1")}
    assert p.fees() == D("5.00") and p.fees("USD") == 0
    assert p.mark("BTC/USDT") == D("50000.00")
    assert p.equity() == D("9995.00")
    p.update_mark("BTC/USDT", D("51000"))
    assert p.equity() == D("10095.00")
    assert p.unrealized_pnl() == D("100.00") and p.realized_pnl() == 0


def test_spot_sell_realizes_pnl_and_returns_cash() -> None:
    p = portfolio("USDT", USDT=10_000)
    p.apply_fill(spot_fill(OrderSide.BUY, "0.1", "50000.00", 1))
    p.apply_fill(spot_fill(OrderSide.SELL, "0.1", "52000.00", 2, fee="5.20"))
    assert p.balance("USDT") == D("10194.80")
    assert p.balance("BTC") == 0
    assert p.realized_pnl() == D("200.00")
    assert p.equity() - 10_000 == p.realized_pnl() + p.unrealized_pnl() - p.fees()


def test_futures_move_cash_only_by_realized_pnl_and_fees() -> None:
    p = portfolio("USD")
    p.apply_fill(fill(fill_id="T-1", quantity=D(2), price=D("100.25"), fee=D("0.74")))
    assert p.balance("USD") == D("9999.26")
    assert p.balance("NDX") == 0
    p.update_mark("MNQ", "101.25")
    assert p.unrealized_pnl() == D("4.00")
    assert p.equity() == D("10003.26")
    p.apply_fill(
        fill(fill_id="T-2", side=OrderSide.SELL, quantity=D(2), price=D("101.00"), fee=D("0.74"))
    )
    assert p.realized_pnl() == D("3.00")
    assert p.balance("USD") == D("10000") + D("3.00") - D("1.48")
    assert p.open_positions() == ()


def test_apply_fill_returns_position_events_for_open_change_close_and_flip() -> None:
    p = portfolio("USD")
    (opened,) = p.apply_fill(fill(fill_id="T-1", quantity=D(2), price=D("100.00")))
    assert isinstance(opened, PositionOpened)
    assert (opened.side, opened.quantity, opened.avg_price, opened.fee) == (
        PositionSide.LONG,
        2,
        D("100.00"),
        D("0.37"),
    )
    assert (opened.ts, opened.currency, opened.fill_id) == (2, "USD", "T-1")

    (changed,) = p.apply_fill(
        fill(fill_id="T-2", side=OrderSide.SELL, quantity=D(1), price=D("101.00"), fee=D(0))
    )
    assert isinstance(changed, PositionChanged)
    assert (changed.quantity, changed.trade_pnl, changed.realized_pnl) == (1, D("2.00"), D("2.00"))
    assert changed.unrealized_pnl == 0  # still marked at the first fill's 100.00

    closed, reopened = p.apply_fill(
        fill(fill_id="T-3", side=OrderSide.SELL, quantity=D(3), price=D("99.00"), fee=D("1.11"))
    )
    assert isinstance(closed, PositionClosed) and isinstance(reopened, PositionOpened)
    assert (closed.side, closed.quantity, closed.trade_pnl) == (PositionSide.FLAT, 0, D("-2.00"))
    assert closed.realized_pnl == D("0.00")  # +2.00 then −2.00 over the position's life
    assert closed.fee == D("1.11") and reopened.fee == 0
    assert (reopened.side, reopened.quantity, reopened.avg_price) == (
        PositionSide.SHORT,
        -2,
        D("99.00"),
    )

    (final,) = p.apply_fill(fill(fill_id="T-4", quantity=D(2), price=D("98.00"), fee=D(0)))
    assert isinstance(final, PositionClosed)
    assert final.realized_pnl == final.trade_pnl == D("4.00")


def test_first_fill_marks_an_unmarked_symbol_and_later_fills_do_not() -> None:
    p = portfolio("USD")
    p.apply_fill(fill(fill_id="T-1", price=D("100.00")))
    p.apply_fill(fill(fill_id="T-2", price=D("105.00")))
    assert p.mark("MNQ") == D("100.00")
    position = p.position("MNQ")
    assert position is not None and position.mark == D("100.00")
    assert p.unrealized_pnl() == D("-10.00")


def test_existing_mark_is_given_to_a_new_position() -> None:
    p = portfolio("USD")
    p.update_mark("MNQ", "110")
    p.apply_fill(fill(fill_id="T-1", price=D("100.00")))
    assert p.unrealized_pnl() == D("20.00")


def test_market_data_handlers_update_marks() -> None:
    p = portfolio("USDT", USDT=1)
    p.on_bar(
        Bar(
            ts=60,
            symbol="BTC/USDT",
            interval=60,
            open=D(1),
            high=D(3),
            low=D(1),
            close=D(2),
            volume=D(5),
        )
    )
    assert p.mark("BTC/USDT") == 2
    p.on_quote_tick(
        QuoteTick(ts=61, symbol="BTC/USDT", bid=D(10), ask=D(12), bid_size=D(1), ask_size=D(1))
    )
    assert p.mark("BTC/USDT") == 11
    p.on_trade_tick(TradeTick(ts=62, symbol="ETH/USDT", price=D("3000.5"), size=D(1)))
    assert p.mark("ETH/USDT") == D("3000.5")


def test_update_mark_refuses_unknown_symbols_and_bad_prices() -> None:
    p = portfolio()
    with pytest.raises(InvalidValueError, match="symbol: unknown instrument"):
        p.update_mark("NOPE", "1")
    with pytest.raises(InvalidValueError, match=r"price: must be positive \(got '-1'\)"):
        p.update_mark("MNQ", "-1")


def test_on_order_filled_books_the_event() -> None:
    p = portfolio("USD")
    (event,) = p.on_order_filled(order_filled())
    assert event.quantity == 1 and p.has_fill("T-1")
    assert p.balance("USD") == D("9999.63")


def test_duplicate_and_unknown_fills_change_nothing() -> None:
    p = portfolio("USD")
    p.apply_fill(fill())
    before = p.balances
    with pytest.raises(DuplicateFillError):
        p.apply_fill(fill())
    with pytest.raises(InvalidValueError, match="symbol: unknown instrument"):
        p.apply_fill(fill(fill_id="T-2", symbol="XYZ"))
    assert p.balances == before
    assert set(p.positions) == {"MNQ"}


def test_equity_needs_a_mark_for_every_held_asset() -> None:
    p = portfolio("USDT", USDT=100, ETH=2)
    with pytest.raises(MissingMarkPriceError, match="no mark price to value ETH in USDT"):
        p.equity()
    p.update_mark("ETH/USDT", "3000")
    assert p.equity() == D(6100)
    p.deposit("DOGE", 5)
    with pytest.raises(MissingMarkPriceError) as info:
        p.equity()
    assert (info.value.asset, info.value.currency) == ("DOGE", "USDT")


def test_equity_refuses_derivatives_quoted_in_another_currency() -> None:
    p = Portfolio(default_registry(), {"USDT": D(100)}, currency="USDT")
    p.apply_fill(fill(fee=D(0)))
    with pytest.raises(MissingMarkPriceError, match="value USD in USDT"):
        p.equity()
    with pytest.raises(MissingMarkPriceError, match="value USDT in USD"):
        p.equity("USD")
    p.set_balance("USDT", 0)
    assert p.equity("USD") == 0


def test_deposit_withdraw_and_set_balance() -> None:
    p = portfolio("USD", USD=100)
    assert p.deposit("USD", "50") == D(150)
    assert p.withdraw("USD", 20) == D(130)
    with pytest.raises(InvalidValueError, match=r"amount: exceeds the USD balance 130"):
        p.withdraw("USD", 131)
    with pytest.raises(InvalidValueError, match=r"amount: must be positive"):
        p.deposit("USD", 0)
    p.set_balance("USD", "7.5")
    assert p.balance("USD") == D("7.5") and p.balance("EUR") == 0


def test_opening_balances_are_checked() -> None:
    with pytest.raises(InvalidValueError, match=r"balances.USD: must be a finite number"):
        Portfolio(default_registry(), {"USD": D("NaN")})


def test_snapshot_values_the_account() -> None:
    p = portfolio("USD")
    p.apply_fill(fill(quantity=D(2), price=D("100.00"), fee=D("0.74")))
    p.update_mark("MNQ", "101")
    snap = p.snapshot(ts=99)
    assert (snap.ts, snap.currency) == (99, "USD")
    assert snap.equity == D("10003.26")
    assert (snap.realized_pnl, snap.unrealized_pnl, snap.fees) == (0, D("4.00"), D("0.74"))
    assert [(b.currency, b.total, b.locked) for b in snap.balances] == [("USD", D("9999.26"), 0)]


def test_positions_accessors() -> None:
    p = portfolio("USD")
    p.apply_fill(fill(fill_id="T-1", symbol="ES", price=D("5000.00")))
    p.apply_fill(fill(fill_id="T-2"))
    assert [x.symbol for x in p.open_positions()] == ["ES", "MNQ"]
    assert p.position("NQ") is None
    positions = p.positions
    positions.clear()
    assert len(p.positions) == 2


def test_reservations_lower_free_but_not_the_balance() -> None:
    p = portfolio("USDT", USDT=1_000)
    assert p.reserve("USDT", D("250.5")) == D("250.5")
    p.reserve("USDT", 100)
    assert (p.balance("USDT"), p.reserved("USDT"), p.free("USDT")) == (
        1_000,
        D("350.5"),
        D("649.5"),
    )
    assert p.release("USDT", D("250.5")) == 100
    assert p.reservations == {"USDT": 100}
    p.release("USDT", 100)
    assert p.reservations == {}
    assert p.free("USDT") == p.balance("USDT") == 1_000


def test_release_refuses_more_than_is_locked_and_reserve_refuses_negatives() -> None:
    p = portfolio("USDT", USDT=1_000)
    p.reserve("USDT", 10)
    with pytest.raises(InvalidValueError):
        p.release("USDT", 11)
    with pytest.raises(InvalidValueError):
        p.reserve("USDT", -1)
    assert p.reserved("USDT") == 10


def test_snapshot_and_balance_rows_report_free_as_total_less_locked() -> None:
    p = portfolio("USDT", USDT=1_000)
    p.reserve("USDT", 400)
    (row,) = p.balance_rows()
    assert (row.currency, row.total, row.free, row.locked) == ("USDT", 1_000, 600, 400)
    assert p.snapshot(ts=1).balances == (row,)


def test_record_fill_refuses_a_duplicate_fill_id() -> None:
    p = portfolio("USDT", USDT=10_000)
    event = order_filled(symbol="BTC/USDT", fee_currency="USDT")
    p.record_fill(event)
    with pytest.raises(DuplicateFillError):
        p.record_fill(event)
    assert p.position("BTC/USDT") is not None


def test_funds_are_the_live_balances_and_locks() -> None:
    p = portfolio("USD")
    balances, locks = p.funds()
    assert dict(balances) == {"USD": D(10_000)} and dict(locks) == {}
    p.reserve("USD", D(250))
    p.deposit("BTC", D(2))
    assert balances["USD"] - locks["USD"] == p.free("USD") == D(9_750)
    assert balances["BTC"] == D(2)
    p.release("USD", D(250))
    assert "USD" not in locks  # nothing locked: no entry, as free() assumes
