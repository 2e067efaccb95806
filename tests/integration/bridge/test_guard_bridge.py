"""One guard watching a bot in another process through the Redis Streams bridge.

The "bot" is a trading stack on its own bus (here: a guard service whose drill trades a
daily loss of −550 on MNQ); a :class:`StreamPublisher` forwards its fills, positions and
prices. The watching guard, started with ``bridge_url``, consumes them in the ``guard``
group: its P&L tracker sees the loss and its daily-loss rule locks the account — persisted in
the watching guard's own store. Both sides run in virtual time on the real local Redis.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from riskbus.bridge import StreamPublisher
from riskbus.core.clock import SECOND, Simulator
from riskbus.core.messages import Message
from riskbus.model.enums import TradingState
from riskbus.model.events.risk import LockoutStarted
from riskbus.risk.config import load_config
from riskbus.risk.drill import BreachDrill, drill_market, plan_breach
from riskbus.risk.service import BRIDGED, GuardOptions, GuardService
from riskbus.risk.smoke import SMOKE_START
from riskbus.store import Store, open_store

CONFIG = """\
account: {id: paper, currency: USD, timezone: America/Chicago}
schedule: {daily_reset: "17:00"}
rules:
  daily_realized_loss: {limit: -500}
  max_contracts: {limit: 10}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "risk.yaml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    bot, watcher = (open_store(f"sqlite:///{tmp_path / name}") for name in ("b.db", "w.db"))
    yield bot, watcher
    bot.close()
    watcher.close()


def test_a_guard_locks_on_the_loss_of_a_bot_it_watches_through_redis(
    config_file: Path, stores: tuple[Store, Store], redis_url: str, prefix: str
) -> None:
    plan = plan_breach(load_config(config_file), load_config(config_file).registry(), "MNQ")
    bot_sim, watch_sim = Simulator(SMOKE_START), Simulator(SMOKE_START)
    bot_events: list[Message] = []
    watch_events: list[Message] = []
    bot = GuardService(
        GuardOptions(config=config_file, symbols=("MNQ",), dry_run=True, tick_interval=SECOND),
        clock=bot_sim.clock,
        store=stores[0],
        market={plan.symbol: drill_market(plan)},
        on_event=bot_events.append,
    )
    watcher = GuardService(
        GuardOptions(
            config=config_file,
            symbols=("MNQ",),
            dry_run=True,
            tick_interval=None,
            bridge_url=redis_url,
            bridge_prefix=prefix,
        ),
        clock=watch_sim.clock,
        store=stores[1],
        on_event=watch_events.append,
    )
    publisher = StreamPublisher(bot.bus, redis_url, prefix=prefix, event_types=BRIDGED)
    try:
        bot.open().start()
        watcher.open().start()
        assert watcher.bridge is not None
        publisher.start(background=False)
        BreachDrill(bot, plan).run()
        bot_sim.run_until(bot_sim.now())
        publisher.flush()

        applied = watcher.bridge.poll()
        watch_sim.run_until(watch_sim.now())

        assert applied > 0
        assert watcher.bridge.poll() == 0  # acknowledged: nothing is delivered twice
        locks = [e for e in watch_events if isinstance(e, LockoutStarted)]
        assert [lock.rule for lock in locks] == ["daily_realized_loss"]
        assert locks[0].reason == "DAILY_LOSS_LIMIT: realized=-550.00, limit=-500"
        assert watcher.manager.state is TradingState.HALTED
        stored = stores[1].lockouts.active(watch_sim.now())
        assert [(row.rule, row.reason) for row in stored] == [
            ("daily_realized_loss", "DAILY_LOSS_LIMIT: realized=-550.00, limit=-500")
        ]
    finally:
        publisher.stop()
        watcher.stop()
        bot.stop()


def test_without_a_bridge_url_the_guard_has_no_bridge(
    config_file: Path, stores: tuple[Store, Store]
) -> None:
    service = GuardService(
        GuardOptions(config=config_file, symbols=("MNQ",), dry_run=True, tick_interval=None),
        clock=Simulator(SMOKE_START).clock,
        store=stores[0],
    )
    service.open().start()
    try:
        assert service.bridge is None
    finally:
        service.stop()


@pytest.mark.parametrize(
    ("url", "code", "text"),
    [
        ("http://x", 2, "invalid Redis URL 'http://x'"),
        ("redis://127.0.0.1:1/0", 3, "Redis at redis://127.0.0.1:1/0 is unavailable"),
    ],
)
def test_guard_with_a_bad_bridge_url_exits_naming_it(
    config_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    url: str,
    code: int,
    text: str,
) -> None:
    from riskbus.cli import main as cli

    argv = ["guard", "--config", str(config_file), "--dry-run", "--duration", "1"]
    argv += ["--database", f"sqlite:///{tmp_path / 'g.db'}", "--bridge", url]
    assert cli.main(argv) == code
    assert text in capsys.readouterr().err
