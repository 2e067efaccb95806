"""`riskbus admin`: config validate/reload, lockouts list/clear, rules list/enable/disable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from riskbus.cli.admin import set_admin_key, set_rule_enabled
from riskbus.cli.main import main
from riskbus.core.errors import ConfigError
from riskbus.risk.config import parse_config
from riskbus.risk.reload import RELOAD_REQUEST_KEY
from riskbus.store import LockoutKind, LockoutRecord, LockoutScope, Store, open_store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "risk"
KEY = "correct horse battery"
HOUR = 3_600 * 10**9
FAR = 2**62  # a lockout still in force whenever the test runs


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())  # rich wraps long lines; unwrap them


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    store = open_store(url)
    yield url, store
    store.close()


def lock(store: Store, rule: str, *, admin_unlock: bool | None = None) -> int:
    record = store.lockouts.add(
        LockoutRecord(
            scope=LockoutScope.ACCOUNT,
            target="topstep-50k",
            rule=rule,
            reason=f"{rule.upper()}: test",
            kind=LockoutKind.HARD,
            started_at=HOUR,
            until=FAR,
        )
    )
    assert record.id is not None
    if admin_unlock is not None:  # as the guard's LockoutManager writes it
        meta = json.dumps({"mode": "reset", "admin_unlock": admin_unlock, "account": "a"})
        store.checkpoints.put(f"lockout-meta:{record.id}", meta, ts=HOUR)
    return record.id


def unlocks(store: Store) -> list[tuple[str, str | None]]:
    return [
        (e.outcome, e.details.get("rule"))
        for e in store.audit.entries()
        if e.action == "admin_unlock"
    ]


# -- config validate / reload ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["futures.yaml", "crypto.yaml"])
def test_validate_a_good_file_exits_0_with_a_summary(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, _ = run(capsys, "admin", "config", "validate", str(EXAMPLES / name))
    assert code == 0
    assert out.startswith(f"{EXAMPLES / name}: valid — account ")
    assert "daily reset" in out and "rules" in out


def test_validate_a_bad_file_exits_2_naming_file_key_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "futures.yaml").read_text().replace("limit: -500", "limit: 500")
    bad.write_text(text)
    line = text.splitlines().index("    limit: 500") + 1
    code, out, err = run(capsys, "admin", "config", "validate", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:{line} rules.daily_realized_loss.limit: Input should be less than 0" in err


def test_validate_reports_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schedule:\n  daily_reset: 25:00\nrules:\n  max_contractz: {limit: 5}\n")
    code, _, err = run(capsys, "admin", "config", "validate", str(bad))
    assert code == 2
    assert f"{bad}:2 schedule.daily_reset: '25:00' is not a time of day" in err
    assert f"{bad}:4 rules.max_contractz: unknown rule 'max_contractz'" in err


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "admin", "config", "validate", str(EXAMPLES / "futures.yaml"), "--json"
    )
    payload = json.loads(out)
    assert code == 0 and payload["valid"] is True
    assert "daily_realized_loss" in payload["enabled"] and payload["account"] == "topstep-50k"


def test_validate_in_a_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("account:\n  timezone: Mars/Olympus_Mons\n")
    done = subprocess.run(
        [sys.executable, "-m", "riskbus.cli.main", "admin", "config", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{bad}:2 account.timezone: unknown time zone 'Mars/Olympus_Mons'" in done.stderr


def test_reload_leaves_a_request_in_the_store_and_audits_it(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store]
) -> None:
    url, store = db
    code, out, _ = run(capsys, "admin", "config", "reload", "--database", url, "--reason", "x")
    assert code == 0 and "reload requested" in out
    request = json.loads(store.checkpoints.get(RELOAD_REQUEST_KEY) or "{}")
    assert request["id"] in out and request["reason"] == "x"
    [entry] = store.audit.entries()
    assert (entry.action, entry.outcome) == ("risk.config.reload", "requested")


def test_reload_wait_without_a_guard_gives_up_with_exit_3(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store]
) -> None:
    url, _ = db
    code, _, err = run(capsys, "admin", "config", "reload", "--database", url, "--wait", "0.3")
    assert code == 3 and "no answer" in err


# -- lockouts -------------------------------------------------------------------------------


def test_lockouts_list_shows_the_lockouts_in_force(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store]
) -> None:
    url, store = db
    code, out, _ = run(capsys, "admin", "lockouts", "list", "--database", url)
    assert code == 0 and "no lockouts in force" in out
    first = lock(store, "max_contracts")
    lock(store, "daily_realized_loss")
    code, out, _ = run(capsys, "admin", "lockouts", "list", "--database", url, "--json")
    rows = json.loads(out)
    assert [r["rule"] for r in rows] == ["max_contracts", "daily_realized_loss"]
    assert rows[0]["id"] == first and rows[0]["until"] == FAR
    code, out, _ = run(capsys, "admin", "lockouts", "list", "--database", url)
    assert code == 0 and "max_contracts" in out and "daily_realized_loss" in out


def test_clear_needs_the_admin_key_and_audits_the_refusal(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, store = db
    monkeypatch.delenv("RISKBUS_ADMIN_KEY", raising=False)
    lock(store, "max_contracts")
    code, _, err = run(capsys, "admin", "lockouts", "clear", "--database", url)
    assert code == 2 and "admin key missing" in err
    set_admin_key(store, KEY, ts=1)
    code, _, err = run(
        capsys, "admin", "lockouts", "clear", "--database", url, "--admin-key", "nope"
    )
    assert code == 2 and "admin key wrong" in err
    assert [o for o, _ in unlocks(store)] == ["bad_credential", "bad_credential"]
    assert len(store.lockouts.active(HOUR)) == 1


def test_clear_with_the_key_clears_audits_and_the_list_is_empty(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, store = db
    set_admin_key(store, KEY, ts=1)
    target = lock(store, "max_contracts")
    monkeypatch.setenv("RISKBUS_ADMIN_KEY", KEY)  # the key from the environment
    code, out, _ = run(
        capsys, "admin", "lockouts", "clear", "--database", url, "--rule", "max_contracts"
    )
    assert code == 0 and f"cleared lockout {target} (max_contracts" in out
    assert unlocks(store) == [("ok", "max_contracts")]
    [record] = store.lockouts.history()
    assert record.cleared_by is not None and record.cleared_by.startswith("admin:")
    _, out, _ = run(capsys, "admin", "lockouts", "list", "--database", url)
    assert "no lockouts in force" in out
    _, out, _ = run(capsys, "admin", "lockouts", "list", "--database", url, "--all")
    assert "max_contracts" in out


def test_clear_is_refused_for_rules_without_admin_unlock(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = db
    set_admin_key(store, KEY, ts=1)
    config = tmp_path / "risk.yaml"
    shutil.copy(EXAMPLES / "futures.yaml", config)
    loss = lock(store, "daily_realized_loss", admin_unlock=False)
    base = ["admin", "lockouts", "clear", "--database", url, "--admin-key", KEY]
    code, _, err = run(capsys, *base, "--rule", "daily_realized_loss", "--config", str(config))
    assert code == 2 and f"refused: lockout {loss} of rule daily_realized_loss" in err
    assert "admin_unlock is false for daily_realized_loss" in err
    assert [r.id for r in store.lockouts.active(HOUR)] == [loss]
    assert unlocks(store) == [("not_allowed", "daily_realized_loss")]

    # admin_unlock: false read from the config file, though the lockout itself allows it
    text = config.read_text().replace("    limit: 5\n", "    limit: 5\n    admin_unlock: false\n")
    config.write_text(text)
    capped = lock(store, "max_contracts", admin_unlock=True)
    code, _, _ = run(capsys, *base, "--rule", "max_contracts", "--config", str(config))
    assert code == 2 and capped in [r.id for r in store.lockouts.active(HOUR)]

    # a mix: what may be cleared is, the rest is refused, exit 1
    other = lock(store, "daily_unrealized_loss")
    code, out, err = run(capsys, *base, "--config", str(config))
    assert code == 1 and f"cleared lockout {other}" in out and "refused" in err
    assert sorted(r.id for r in store.lockouts.active(HOUR)) == [loss, capped]


def test_clear_without_a_config_uses_the_rule_s_default(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store]
) -> None:
    url, store = db
    set_admin_key(store, KEY, ts=1)
    lock(store, "daily_realized_loss")  # no meta: the rule's default admin_unlock is false
    code, _, _ = run(capsys, "admin", "lockouts", "clear", "--database", url, "--admin-key", KEY)
    assert code == 2 and len(store.lockouts.active(HOUR)) == 1


def test_key_set_needs_the_current_key_to_change_it(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = db
    monkeypatch.delenv("RISKBUS_ADMIN_KEY", raising=False)
    assert run(capsys, "admin", "key", "set", "--new-key", KEY, "--database", url)[0] == 0
    code, _, err = run(capsys, "admin", "key", "set", "--new-key", "another key", "--database", url)
    assert code == 2 and "give the current one" in err
    args = ["admin", "key", "set", "--new-key", "another key", "--admin-key", KEY]
    assert run(capsys, *args, "--database", url)[0] == 0
    assert (
        run(
            capsys,
            "admin",
            "key",
            "set",
            "--new-key",
            "short",
            "--admin-key",
            "another key",
            "--database",
            url,
        )[0]
        == 2
    )


# -- rules ----------------------------------------------------------------------------------


def test_rules_list_shows_code_name_enabled_and_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "admin", "rules", "list", "--config", str(EXAMPLES / "futures.yaml"), "--json"
    )
    rows = json.loads(out)
    assert code == 0
    by_name = {row["name"]: row for row in rows}
    loss = by_name["daily_realized_loss"]
    assert (loss["code"], loss["enabled"], loss["admin_unlock"]) == ("003", True, False)
    assert "-500" in loss["describe"]
    code, out, _ = run(capsys, "admin", "rules", "list", "--config", str(EXAMPLES / "futures.yaml"))
    assert code == 0 and "daily_realized_loss" in out


def test_disable_then_enable_round_trips_the_file_byte_for_byte(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "risk.yaml"
    original = (
        (EXAMPLES / "futures.yaml")
        .read_text()
        .replace("    limit: 5\n", "    enabled: true   # keep me\n    limit: 5\n")
    )
    config.write_text(original)
    config.chmod(0o640)
    code, out, _ = run(
        capsys, "admin", "rules", "disable", "max_contracts", "--config", str(config)
    )
    assert code == 0 and "max_contracts disabled" in out
    changed = config.read_text()
    diff = [
        (a, b) for a, b in zip(original.splitlines(), changed.splitlines(), strict=True) if a != b
    ]
    assert diff == [("    enabled: true   # keep me", "    enabled: false   # keep me")]
    assert (config.stat().st_mode & 0o777) == 0o640
    assert list(tmp_path.iterdir()) == [config]  # no temp file left behind
    _, out, _ = run(capsys, "admin", "rules", "list", "--config", str(config), "--json")
    assert {r["name"]: r["enabled"] for r in json.loads(out)}["max_contracts"] is False
    assert run(capsys, "admin", "rules", "enable", "max_contracts", "--config", str(config))[0] == 0
    assert config.read_text() == original
    code, out, _ = run(capsys, "admin", "rules", "enable", "max_contracts", "--config", str(config))
    assert code == 0 and "already enabled" in out


def test_disable_inserts_enabled_when_the_rule_has_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "risk.yaml"
    shutil.copy(EXAMPLES / "futures.yaml", config)
    before = config.read_text()
    assert (
        run(capsys, "admin", "rules", "disable", "daily_realized_loss", "--config", str(config))[0]
        == 0
    )
    after = config.read_text()
    assert "  daily_realized_loss:\n    enabled: false\n    limit: -500\n" in after
    assert after.count("\n") == before.count("\n") + 1
    assert "# 003 — realized loss of the day" in after  # comments kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "rules:\n  max_contracts: {limit: 5}\n",
            "rules:\n  max_contracts: {enabled: false, limit: 5}\n",
        ),
        (
            "rules:\n  max_contracts: {limit: 5, enabled: true} # hi\n",
            "rules:\n  max_contracts: {limit: 5, enabled: false} # hi\n",
        ),
        (
            "rules:\n  daily_realized_loss: {limit: -5}\n  max_contracts: {limit: 1}\n",
            "rules:\n  daily_realized_loss: {limit: -5}\n"
            "  max_contracts: {enabled: false, limit: 1}\n",
        ),
        (
            "rules:\r\n  max_contracts:  # windows\r\n    limit: 5\r\n",
            "rules:\r\n  max_contracts:  # windows\r\n    enabled: false\r\n    limit: 5\r\n",
        ),
    ],
)
def test_set_rule_enabled_edits_only_that_value(text: str, expected: str) -> None:
    assert set_rule_enabled(text, "max_contracts", False, source="r.yaml") == expected
    assert parse_config(expected).rules["max_contracts"].enabled is False


@pytest.mark.parametrize(
    ("example", "rule"),
    [
        (name, rule)
        for name in ("futures.yaml", "crypto.yaml")
        for rule in parse_config((EXAMPLES / name).read_text()).rules
    ],
)
def test_every_rule_of_the_examples_switches_off_and_on(example: str, rule: str) -> None:
    text = (EXAMPLES / example).read_text()
    before = parse_config(text)
    off = set_rule_enabled(text, rule, False, source=example)
    assert parse_config(off).rules[rule].enabled is False
    on = set_rule_enabled(off, rule, True, source=example)
    assert parse_config(on) == before.model_copy(
        update={
            "rules": {**before.rules, rule: before.rules[rule].model_copy(update={"enabled": True})}
        }
    )
    assert len(on.splitlines()) - len(text.splitlines()) in (0, 1)  # at most one line added


def test_set_rule_enabled_on_an_empty_entry() -> None:
    name = "trade_frequency_limit"  # any rule would do; its settings need one limit
    text = "rules:\n  max_contracts: {limit: 1}\n"
    with pytest.raises(ConfigError, match=f"rule '{name}' is not configured"):
        set_rule_enabled(text, name, False, source="r.yaml")
    empty = _rule_with_defaults()
    if empty is None:
        pytest.skip("no registered rule has defaults for every setting")
    edited = set_rule_enabled(f"rules:\n  {empty}:\n", empty, False, source="r.yaml")
    assert edited == f"rules:\n  {empty}: {{enabled: false}}\n"


def _rule_with_defaults() -> str | None:
    from riskbus.risk.config import rule_names
    from riskbus.risk.rules import RULES

    for name in rule_names():
        try:
            RULES[name].config_type()
        except ValueError:
            continue
        return name
    return None


def test_set_rule_enabled_refuses_when_an_anchor_would_change_other_rules() -> None:
    text = (
        "rules:\n"
        "  daily_realized_loss: &shared {limit: -5, enabled: true}\n"
        "  daily_unrealized_loss: *shared\n"
    )
    with pytest.raises(ConfigError, match="edit by hand"):
        set_rule_enabled(text, "daily_realized_loss", False, source="r.yaml")


def test_enable_an_unconfigured_rule_or_on_an_invalid_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "risk.yaml"
    config.write_text("rules:\n  max_contracts: {limit: 5}\n")
    code, _, err = run(
        capsys, "admin", "rules", "enable", "daily_realized_loss", "--config", str(config)
    )
    assert (
        code == 2
        and "rules.daily_realized_loss: rule 'daily_realized_loss' is not configured" in err
    )
    config.write_text("rules:\n  max_contracts: {limit: -5}\n")
    code, _, err = run(
        capsys, "admin", "rules", "disable", "max_contracts", "--config", str(config)
    )
    assert code == 2 and re.search(r"risk\.yaml:2 rules\.max_contracts\.limit: ", err)
    assert config.read_text() == "rules:\n  max_contracts: {limit: -5}\n"  # untouched


GUARD = """
import asyncio, sys
from riskbus.core.bus import EventBus
from riskbus.core.clock import LiveClock, MILLISECOND
from riskbus.risk.reload import RiskConfigReloader
from riskbus.store import open_store

async def main() -> None:
    clock = LiveClock()
    store = open_store(sys.argv[2])
    applied = []
    reloader = RiskConfigReloader(
        sys.argv[1], apply=applied.append, clock=clock, bus=EventBus(clock), store=store,
        poll_interval=50 * MILLISECOND,
    )
    reloader.start()
    print("ready", flush=True)
    while len(applied) < 2:
        await asyncio.sleep(0.02)
    print("applied", reloader.config.rules["max_contracts"].model_dump()["limit"], flush=True)

asyncio.run(main())
"""


def test_reload_wait_gets_the_answer_of_a_live_guard(
    capsys: pytest.CaptureFixture[str], db: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = db
    config = tmp_path / "risk.yaml"
    config.write_text("rules:\n  max_contracts: {limit: 5}\n")
    command = [sys.executable, "-c", GUARD, str(config), url]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as guard:
        try:
            assert guard.stdout is not None and guard.stdout.readline().strip() == "ready"
            args = ["admin", "config", "reload", "--database", url, "--wait", "20"]
            code, out, _ = run(capsys, *args)
            assert code == 0 and "applied" in out, out
            assert guard.stdout.readline().split() == ["applied", "5"]
        finally:
            guard.kill()
    outcomes = [e.outcome for e in store.audit.entries() if e.action == "risk.config.reload"]
    assert outcomes == ["requested", "applied"]
    [applied] = [e for e in store.audit.entries() if e.outcome == "applied"]
    assert applied.details["trigger"] == "admin"
