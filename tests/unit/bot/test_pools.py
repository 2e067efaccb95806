"""Pools: bookkeeping of fills, the capital split, the in-memory repository and resuming."""

from __future__ import annotations

from decimal import Decimal

import pytest

from riskbus.bot.pools import InMemoryPoolRepository, PoolState, split_capital
from riskbus.bot.runner import BotConfig, BotSimulation
from riskbus.bot.strategies.pool_ladder import PoolLadder
from riskbus.market import generate
from riskbus.model.events.bot import BotMonitoringCycleStarted, PositionPurchased
from tests.stubs import D


def test_capital_is_split_exactly_with_the_remainder_in_the_last_pool() -> None:
    pools = split_capital(D(10_000), 3, "BTC/USDT")
    assert [(p.name, p.capital) for p in pools] == [
        ("pool-1", D("3333.33")),
        ("pool-2", D("3333.33")),
        ("pool-3", D("3333.34")),
    ]
    assert sum(p.capital for p in pools) == D(10_000)
    with pytest.raises(ValueError, match="at least 1"):
        split_capital(D(1), 0, "BTC/USDT")


def test_buys_and_a_partial_then_full_sale_are_booked_exactly() -> None:
    pool = PoolState(name="pool-1", pair="BTC/USDT", capital=D(1000))
    pool.book_buy(D("0.2"), D(100), D("0.01"))
    pool.book_buy(D("0.2"), D(90), D("0.009"))
    assert (pool.capital, pool.cost, pool.quantity) == (D("961.981"), D("38.019"), D("0.4"))
    assert pool.average_price == D("95.0475")
    profit = pool.book_sell(D("0.1"), D(110), D("0.0055"))
    assert profit == D("1.48975")  # 10.9945 proceeds - 9.50475 cost
    assert (pool.quantity, pool.cost) == (D("0.3"), D("28.51425"))
    pool.expected_sale_price = D(120)
    profit = pool.book_sell(D("0.3"), D(120), D("0.018"))
    assert profit == D("7.46775")
    assert pool.realized_pnl == D("8.95750")
    assert (pool.quantity, pool.cost, pool.expected_sale_price, pool.entries) == (0, 0, None, 0)
    assert pool.capital == D("1008.95750")
    assert not pool.is_open and pool.average_price is None


def test_a_pool_survives_the_round_trip_through_its_record() -> None:
    pool = PoolState(
        name="pool-7",
        pair="ETH/USDT",
        capital=D("1.5"),
        quantity=D("0.25"),
        cost=D("500.1"),
        entries=2,
        last_purchase_price=D(1900),
        expected_sale_price=D(2050),
        next_purchase_price=D(1862),
        trailing=True,
        realized_pnl=D("-3"),
        purchases=5,
        sales=2,
        opened_cycle=17,
    )
    record = pool.to_record("b")
    assert (record.bot, record.name) == ("b", "pool-7")
    assert PoolState.from_record(record) == pool


def test_in_memory_repository_keeps_copies_per_bot() -> None:
    repo = InMemoryPoolRepository()
    pools = split_capital(D(100), 12, "BTC/USDT")
    for p in reversed(pools):
        repo.save(p.to_record("a"))
    repo.save(pools[0].to_record("other"))
    assert [r.name for r in repo.pools("a")][:3] == ["pool-1", "pool-2", "pool-3"]
    assert [r.name for r in repo.pools("a")][-3:] == ["pool-10", "pool-11", "pool-12"]
    pools[0].capital = D(0)  # the working object changes; the saved record does not
    assert repo.pools("a")[0].capital == D("8.33")
    repo.save_cycle("a", 7, 1)
    assert (repo.last_cycle("a"), repo.last_cycle("new")) == (7, 0)
    repo.clear("a")
    assert repo.pools("a") == [] and repo.last_cycle("a") == 0
    assert len(repo.pools("other")) == 1


def test_a_new_runner_on_the_same_repository_resumes_pools_and_cycles() -> None:
    path = generate("flash_crash", 61, 1)
    repo = InMemoryPoolRepository()
    first = BotSimulation(PoolLadder(), path, seed=1, repository=repo)
    report = first.run(25)
    assert report.purchases_by_cycle == [20, 21, 22, 23, 24]
    saved = repo.pools("bot")
    assert [p.quantity > 0 for p in saved] == [True] * 5
    assert repo.last_cycle("bot") == 25

    second = BotSimulation(PoolLadder(), path, seed=1, repository=repo, record=True)
    assert [p.to_record("bot") for p in second.runner.pools] == saved
    resumed = second.run(35)
    started = [m.cycle_number for m in second.messages if isinstance(m, BotMonitoringCycleStarted)]
    assert started == list(range(26, 61))
    assert resumed.sales_by_cycle == [33, 33, 34, 34, 34]
    assert repo.last_cycle("bot") == 60

    # the same 60 cycles in one run end in the same pools
    whole = BotSimulation(PoolLadder(), path, seed=1)
    whole.run(60)
    assert [p.to_record("bot") for p in whole.runner.pools] == repo.pools("bot")


def test_resumed_pools_are_reported_as_open_positions() -> None:
    repo = InMemoryPoolRepository()
    path = generate("flash_crash", 61, 1)
    BotSimulation(PoolLadder(), path, seed=1, repository=repo).run(21)
    second = BotSimulation(
        PoolLadder(), path, seed=1, repository=repo, config=BotConfig(), record=True
    )
    second.run(1)
    bought = [m for m in second.messages if isinstance(m, PositionPurchased)]
    assert [b.pool for b in bought] == ["pool-3"]
    assert second.runner.pools[0].opened_cycle == 20
    assert second.runner.pools[1].opened_cycle == 21
    assert second.runner.pools[0].expected_sale_price is not None
    assert second.runner.pools[0].expected_sale_price > Decimal(0)
