from __future__ import annotations

import pytest

from riskbus.core.errors import InvalidValueError
from riskbus.model import Fill, OrderSide, Position, PositionSide, default_registry
from tests.stubs import D, fill

REGISTRY = default_registry()


def position(symbol: str = "MNQ") -> Position:
    return Position(REGISTRY.get(symbol))


def buy(qty: str | int, price: str, n: int = 1, fee: str = "0", symbol: str = "MNQ") -> Fill:
    return fill(
        fill_id=f"T-{n}",
        side=OrderSide.BUY,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        symbol=symbol,
        ts=n,
    )


def sell(qty: str | int, price: str, n: int = 1, fee: str = "0", symbol: str = "MNQ") -> Fill:
    return fill(
        fill_id=f"T-{n}",
        side=OrderSide.SELL,
        quantity=D(qty),
        price=D(price),
        fee=D(fee),
        symbol=symbol,
        ts=n,
    )


def test_new_position_is_flat_with_no_pnl() -> None:
    p = position()
    assert (p.quantity, p.side, p.is_open, p.avg_price) == (0, PositionSide.FLAT, False, 0)
    assert p.unrealized_pnl() == 0 and p.notional() == 0 and p.mark is None
    assert p.symbol == "MNQ"


def test_adding_on_the_same_side_averages_the_price() -> None:
    p = position()
    assert p.apply(buy(1, "100.00", 1)) == 0
    assert p.apply(buy(3, "101.00", 2)) == 0
    assert (p.quantity, p.side, p.avg_price) == (4, PositionSide.LONG, D("100.75"))
    assert p.cost_basis == D("403.00")
    assert p.trade_count == 2 and (p.ts_opened, p.ts_last) == (1, 2)


def test_partial_close_of_a_long_future_realizes_with_the_multiplier() -> None:
    p = position("MNQ")
    p.apply(buy(2, "100.25", 1))
    realized = p.apply(sell(1, "101.00", 2))
    assert realized == D("1.50")  # 1 contract · 0.75 points · $2
    assert (p.quantity, p.avg_price, p.realized_pnl) == (1, D("100.25"), D("1.50"))
    assert p.unrealized_pnl(D("99.25")) == D("-2.00")


def test_short_position_profits_when_price_falls() -> None:
    p = position("ES")
    p.apply(sell(2, "5000.00", 1, symbol="ES"))
    assert p.side is PositionSide.SHORT and p.avg_price == D(5000)
    assert p.unrealized_pnl(D("4990.00")) == D("1000.00")  # 2 · 10 points · $50
    assert p.apply(buy(2, "4995.00", 2, symbol="ES")) == D("500.00")
    assert not p.is_open and p.last_closed_pnl == D("500.00")


def test_flip_closes_then_opens_the_remainder_at_the_fill_price() -> None:
    p = position()
    p.apply(buy(2, "100.00", 1))
    realized = p.apply(sell(5, "110.00", 2))
    assert realized == D("40.00")  # 2 · 10 · $2 on the closed part only
    assert (p.quantity, p.avg_price, p.side) == (-3, D("110.00"), PositionSide.SHORT)
    assert p.last_closed_pnl == D("40.00")
    assert p.life_realized_pnl == 0
    assert p.ts_opened == 2


def test_spot_position_pnl_in_quote() -> None:
    p = position("BTC/USDT")
    p.apply(buy("0.5", "50000.00", 1, symbol="BTC/USDT"))
    assert p.apply(sell("0.2", "51000.00", 2, symbol="BTC/USDT")) == D("200.00")
    p.update_mark("52000")
    assert p.unrealized_pnl() == D("600.00")
    assert p.notional() == D("15600.00")


def test_a_third_of_the_basis_is_rounded_once_and_money_is_conserved() -> None:
    p = position("BTC/USDT")
    p.apply(buy("0.00001", "100.00", 1, symbol="BTC/USDT"))
    p.apply(buy("0.00002", "100.01", 2, symbol="BTC/USDT"))
    realized = p.apply(sell("0.00001", "100.02", 3, symbol="BTC/USDT"))
    # Released basis 0.0030002 / 3 = 0.00100006666… is rounded to 1e-12 once.
    assert realized == D("0.0010002") - D("0.001000066667") == D("0.000000133333")
    assert p.cost_basis == D("0.0030002") - D("0.001000066667")
    flows = -D("0.00001") * 100 - D("0.00002") * D("100.01") + D("0.00001") * D("100.02")
    mark = D("99.99")
    assert p.realized_pnl + p.unrealized_pnl(mark) == flows + p.quantity * mark


def test_fees_are_kept_per_currency_and_apart_from_pnl() -> None:
    p = position()
    p.apply(buy(1, "100.00", 1, fee="0.37"))
    p.apply(sell(1, "100.00", 2, fee="0.37"))
    assert p.fees == {"USD": D("0.74")}
    assert p.realized_pnl == 0


def test_mark_falls_back_to_the_last_fill_price() -> None:
    p = position()
    p.apply(buy(1, "100.00", 1))
    p.apply(buy(1, "102.00", 2))
    assert p.mark == D("102.00")
    assert p.unrealized_pnl() == D("4.00")
    p.update_mark("99")
    assert p.mark == 99 and p.unrealized_pnl() == D("-8.00")


def test_position_refuses_fills_of_another_symbol_and_bad_marks() -> None:
    p = position()
    with pytest.raises(InvalidValueError, match="fill does not belong to position MNQ"):
        p.apply(buy(1, "100", symbol="ES"))
    with pytest.raises(InvalidValueError, match=r"price: must be positive"):
        p.update_mark(D(0))
    with pytest.raises(InvalidValueError, match=r"mark: must be a finite number"):
        p.unrealized_pnl(D("NaN"))


def test_report_and_repr() -> None:
    p = position()
    p.apply(buy(2, "100.00"))
    report = p.to_report()
    assert (report.symbol, report.quantity, report.avg_price, report.unrealized_pnl) == (
        "MNQ",
        2,
        D(100),
        0,
    )
    assert repr(p) == "Position(MNQ 2 @ 100.00 realized=0)"
