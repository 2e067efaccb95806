"""The SQL pool repository on SQLite and PostgreSQL, and a bot resuming its ladder from it.

PostgreSQL runs in a private schema per test (as in ``tests/integration/store``); if the
server is unreachable these tests fail, they never skip.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect

from riskbus.bot.runner import BotSimulation
from riskbus.bot.strategies.pool_ladder import PoolLadder
from riskbus.market import generate
from riskbus.model.events.bot import BotMonitoringCycleStarted
from riskbus.store import PoolRecord, SqlPoolRepository, open_store


def pool(name: str, **fields: object) -> PoolRecord:
    values: dict[str, object] = {
        "bot": "b",
        "name": name,
        "pair": "BTC/USDT",
        "capital": Decimal("1999.123456789012345678"),
    }
    values.update(fields)
    return PoolRecord(**values)  # type: ignore[arg-type]


def test_pools_are_saved_replaced_and_read_back_exactly(store_url: str) -> None:
    with open_store(store_url) as store:
        assert {"bot_pools", "bot_runs"} <= set(inspect(store.engine).get_table_names())
        repo = SqlPoolRepository(store)
        assert repo.pools("b") == [] and repo.last_cycle("b") == 0
        for name in ("pool-10", "pool-2", "pool-1"):
            repo.save(pool(name))
        repo.save(pool("pool-1", bot="other"))
        opened = pool(
            "pool-2",
            capital=Decimal("0.000000000000000001"),
            quantity=Decimal("0.01234"),
            cost=Decimal("617.5"),
            entries=2,
            last_purchase_price=Decimal("49000.01"),
            expected_sale_price=Decimal("50500.12345678"),
            next_purchase_price=Decimal("48020.0098"),
            trailing=True,
            realized_pnl=Decimal("-12.5"),
            purchases=3,
            sales=1,
            opened_cycle=20,
        )
        repo.save(opened)
        repo.save_cycle("b", 41, ts=7)
        repo.save_cycle("b", 42, ts=8)
    with open_store(store_url) as again:
        repo = SqlPoolRepository(again)
        pools = repo.pools("b")
        assert [p.name for p in pools] == ["pool-1", "pool-2", "pool-10"]
        assert pools[1] == opened
        assert pools[0] == pool("pool-1")
        assert repo.last_cycle("b") == 42
        repo.clear("b")
        assert repo.pools("b") == [] and repo.last_cycle("b") == 0
        assert [p.bot for p in repo.pools("other")] == ["other"]


def test_a_restarted_bot_resumes_its_ladder_from_the_database(store_url: str) -> None:
    market = generate("flash_crash", 61, 1)
    with open_store(store_url) as store:
        first = BotSimulation(PoolLadder(), market, seed=1, repository=SqlPoolRepository(store))
        report = first.run(25)
    assert report.purchases_by_cycle == [20, 21, 22, 23, 24]
    with open_store(store_url) as store:
        repo = SqlPoolRepository(store)
        assert repo.last_cycle("bot") == 25
        assert [p.entries for p in repo.pools("bot")] == [1, 1, 1, 1, 1]
        second = BotSimulation(PoolLadder(), market, seed=1, repository=repo, record=True)
        resumed = second.run(35)
        final = repo.pools("bot")
    started = [m.cycle_number for m in second.messages if isinstance(m, BotMonitoringCycleStarted)]
    assert started == list(range(26, 61))
    assert resumed.purchases_by_cycle == [26]
    assert resumed.sales_by_cycle == [33, 33, 34, 34, 34]
    whole = BotSimulation(PoolLadder(), market, seed=1)
    whole.run(60)
    assert [p.to_record("bot") for p in whole.runner.pools] == final
