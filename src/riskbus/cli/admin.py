"""``riskbus admin``: the risk config, lockouts and rules of a guarded account.

* ``admin config validate FILE`` — exit 0 with a summary, or exit 2 with one line per
  problem: ``FILE:LINE KEY.PATH: message``.
* ``admin config reload`` — leaves a reload request in the store; the running guard's
  :class:`~riskbus.risk.reload.RiskConfigReloader` picks it up on its next poll, applies or
  rejects the file, audits the outcome and answers under ``risk.config.reload_result``
  (``--wait SECONDS`` waits for that answer).
* ``admin lockouts list`` / ``clear`` — read or clear the lockouts in the store. Clearing
  needs the admin key (``--admin-key`` or ``RISKBUS_ADMIN_KEY``), checked against the
  salted hash set by ``admin key set``; it is refused for rules configured
  ``admin_unlock: false`` (read from ``--config``, and from the lockout itself). Every
  attempt is audited (action ``admin_unlock``, as the guard's own unlocks).
* ``admin rules list|enable|disable`` — read the rules of a config file, or switch one on
  or off by rewriting only its ``enabled:`` value (comments kept), validating the result
  and replacing the file atomically. A watching guard reloads it by itself.

The store is ``--database URL`` or ``$RISKBUS_DATABASE_URL`` (default ``riskbus.db``).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from riskbus.core.clock import to_datetime
from riskbus.core.errors import BadInputError, ConfigError
from riskbus.core.yamlconf import compose_yaml
from riskbus.risk.config import (
    RiskConfig,
    load_config,
    parse_config,
    rule_admin_unlock_default,
    rule_names,
)
from riskbus.risk.reload import RELOAD_RESULT_KEY, request_reload
from riskbus.risk.rules.base import RULES
from riskbus.store import AuditEntry, LockoutRecord, Store, open_store

__all__ = [
    "ADMIN_KEY_CHECKPOINT",
    "AdminRefusedError",
    "register",
    "set_admin_key",
    "set_rule_enabled",
    "verify_admin_key",
]

admin_app = typer.Typer(name="admin", help="Administer the risk guard.", no_args_is_help=True)
config_app = typer.Typer(name="config", help="Validate and reload the risk config.")
lockouts_app = typer.Typer(name="lockouts", help="List and clear lockouts.")
rules_app = typer.Typer(name="rules", help="List, enable and disable rules.")
key_app = typer.Typer(name="key", help="Set the admin key.")
for _group in (config_app, lockouts_app, rules_app, key_app):
    admin_app.add_typer(_group, no_args_is_help=True)

#: Checkpoint holding the admin key's salted hash: ``pbkdf2_sha256$ROUNDS$SALT$HASH``.
ADMIN_KEY_CHECKPOINT = "admin.key"
_ROUNDS = 200_000
_MIN_KEY = 8


def register(root: typer.Typer) -> None:
    """Add the ``admin`` group to ``root``."""
    root.add_typer(admin_app, name="admin")


class AdminRefusedError(BadInputError):
    """An admin action was refused: bad or missing admin key, or a rule forbids it."""


Database = Annotated[
    str | None,
    typer.Option("--database", envvar="RISKBUS_DATABASE_URL", help="Store URL."),
]
AdminKey = Annotated[
    str | None,
    typer.Option("--admin-key", envvar="RISKBUS_ADMIN_KEY", help="The admin key."),
]
ConfigFile = Annotated[Path, typer.Option("--config", help="The risk config file.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _now() -> int:
    return time.time_ns()  # wall-clock ok: the CLI is an edge, not the simulated path


def _actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _store(database: str | None) -> Store:
    return open_store(database or None)


# -- admin key ------------------------------------------------------------------------------


def _hash(key: str, salt: bytes, rounds: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", key.encode(), salt, rounds).hex()


def set_admin_key(store: Store, key: str, *, ts: int) -> None:
    """Store the salted hash of ``key`` as the admin key (the key itself is never stored)."""
    if len(key) < _MIN_KEY:
        raise BadInputError(f"the admin key needs at least {_MIN_KEY} characters", field="key")
    salt = secrets.token_bytes(16)
    value = f"pbkdf2_sha256${_ROUNDS}${salt.hex()}${_hash(key, salt, _ROUNDS)}"
    store.checkpoints.put(ADMIN_KEY_CHECKPOINT, value, ts=ts)


def verify_admin_key(store: Store, key: str | None) -> bool:
    """Return whether ``key`` is the admin key set in ``store`` (``False`` if none is set)."""
    stored = store.checkpoints.get(ADMIN_KEY_CHECKPOINT)
    if not key or stored is None:
        return False
    try:
        _, rounds, salt, digest = stored.split("$")
        expected = _hash(key, bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(expected, digest)


@key_app.command("set")
def key_set(
    new_key: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="New key.")
    ],
    admin_key: AdminKey = None,
    database: Database = None,
) -> None:
    """Set the admin key; changing an existing key needs the current one (--admin-key)."""
    with _store(database) as store:
        has_key = store.checkpoints.get(ADMIN_KEY_CHECKPOINT) is not None
        now = _now()
        if has_key and not verify_admin_key(store, admin_key):
            store.audit.append(AuditEntry(now, _actor(), "admin_key_set", "bad_credential"))
            raise AdminRefusedError(
                "a key is already set: give the current one", field="--admin-key"
            )
        set_admin_key(store, new_key, ts=now)
        store.audit.append(AuditEntry(now, _actor(), "admin_key_set", "ok"))
    typer.echo("admin key set")


# -- config ---------------------------------------------------------------------------------


@config_app.command("validate")
def config_validate(
    file: Annotated[Path, typer.Argument(help="The risk config file.")],
    as_json: AsJson = False,
) -> None:
    """Validate a risk config file: exit 0 with a summary, exit 2 naming file, key and line."""
    config = load_config(file)
    if as_json:
        payload = {
            "file": str(file),
            "valid": True,
            "account": config.account.id,
            "rules": sorted(config.rules),
            "enabled": list(config.enabled_rules()),
            "instruments": sorted(config.instruments),
        }
        typer.echo(json.dumps(payload))
        return
    typer.echo(f"{file}: valid — {config.summary()}")


@config_app.command("reload")
def config_reload(
    database: Database = None,
    reason: Annotated[str, typer.Option(help="Why, for the audit log.")] = "",
    wait: Annotated[float, typer.Option(help="Seconds to wait for the guard's answer.")] = 0.0,
) -> None:
    """Ask the running guard to reload its risk config (through the store)."""
    with _store(database) as store:
        request = request_reload(store, ts=_now(), requested_by=_actor(), reason=reason)
        typer.echo(f"reload requested ({request.id}); the guard applies it on its next poll")
        if wait <= 0:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            raw = store.checkpoints.get(RELOAD_RESULT_KEY)
            result = json.loads(raw) if raw else {}
            if result.get("id") == request.id:
                typer.echo(f"{result['outcome']}: {result.get('error') or result.get('digest')}")
                if result["outcome"] != "applied":
                    raise typer.Exit(1)
                return
            time.sleep(0.2)
    typer.echo(f"no answer within {wait:g} s: is the guard running with this store?", err=True)
    raise typer.Exit(3)


# -- lockouts -------------------------------------------------------------------------------


def _when(ts: int | None) -> str:
    return "-" if ts is None else to_datetime(ts).strftime("%Y-%m-%d %H:%M:%S UTC")


def _lockout_row(record: LockoutRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "scope": str(record.scope),
        "target": record.target,
        "rule": record.rule,
        "kind": str(record.kind),
        "reason": record.reason,
        "started_at": record.started_at,
        "until": record.until,
        "cleared_at": record.cleared_at,
        "cleared_by": record.cleared_by,
    }


@lockouts_app.command("list")
def lockouts_list(
    database: Database = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule's lockouts.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Include ended lockouts.")] = False,
    as_json: AsJson = False,
) -> None:
    """List the lockouts in force (or every lockout with --all)."""
    with _store(database) as store:
        records = store.lockouts.history() if show_all else store.lockouts.active(_now())
    records = [r for r in records if rule is None or r.rule == rule]
    if as_json:
        typer.echo(json.dumps([_lockout_row(r) for r in records]))
        return
    if not records:
        typer.echo("no lockouts" + ("" if show_all else " in force"))
        return
    table = Table(title="lockouts")
    for column in ("id", "rule", "scope", "target", "kind", "since", "until", "reason"):
        table.add_column(column, no_wrap=column in ("id", "rule", "target"))
    if show_all:
        table.add_column("cleared")
    for r in records:
        cells = [str(r.id), r.rule, str(r.scope), r.target, str(r.kind), _when(r.started_at)]
        cells += [_when(r.until), r.reason]
        if show_all:
            cells.append(f"{_when(r.cleared_at)} by {r.cleared_by}" if r.cleared_at else "-")
        table.add_row(*cells)
    Console().print(table)


def _unlockable(store: Store, record: LockoutRecord, config: RiskConfig | None) -> bool:
    raw = store.checkpoints.get(f"lockout-meta:{record.id}")
    meta = json.loads(raw) if raw else {}
    if meta.get("admin_unlock") is False:
        return False
    if config is not None:
        return config.admin_unlock(record.rule)
    return rule_admin_unlock_default(record.rule)


@lockouts_app.command("clear")
def lockouts_clear(
    rule: Annotated[str | None, typer.Option(help="Only this rule's lockouts.")] = None,
    lockout_id: Annotated[int | None, typer.Option("--id", help="Only this lockout.")] = None,
    admin_key: AdminKey = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="Risk config (for admin_unlock).")
    ] = None,
    database: Database = None,
) -> None:
    """Clear lockouts in force (needs the admin key; audited; refused if not allowed)."""
    config = load_config(config_file) if config_file is not None else None
    actor = _actor()
    with _store(database) as store:
        now = _now()
        if not verify_admin_key(store, admin_key):
            details = {"rule": rule, "lockout": lockout_id, "via": "cli"}
            store.audit.append(AuditEntry(now, actor, "admin_unlock", "bad_credential", details))
            why = "missing" if not admin_key else "wrong"
            raise AdminRefusedError(
                f"admin key {why} (see riskbus admin key set)", field="--admin-key"
            )
        targets = [
            r
            for r in store.lockouts.active(now)
            if (rule is None or r.rule == rule) and (lockout_id is None or r.id == lockout_id)
        ]
        cleared, refused = [], []
        for record in targets:
            assert record.id is not None
            details = {"lockout": record.id, "rule": record.rule, "target": record.target}
            details["via"] = "cli"
            if not _unlockable(store, record, config):
                store.audit.append(AuditEntry(now, actor, "admin_unlock", "not_allowed", details))
                refused.append(record)
            elif store.lockouts.clear(record.id, cleared_at=now, cleared_by=f"admin:{actor}"):
                store.audit.append(AuditEntry(now, actor, "admin_unlock", "ok", details))
                cleared.append(record)
    _report_clear(targets, cleared, refused)


def _report_clear(
    targets: list[LockoutRecord], cleared: list[LockoutRecord], refused: list[LockoutRecord]
) -> None:
    if not targets:
        typer.echo("no lockouts in force to clear")
        return
    for record in cleared:
        typer.echo(f"cleared lockout {record.id} ({record.rule}, {record.target})")
    for record in refused:
        typer.echo(
            f"refused: lockout {record.id} of rule {record.rule} may not be cleared by hand "
            "(admin_unlock: false); it ends on its own",
            err=True,
        )
    if refused and not cleared:
        names = ", ".join(sorted({r.rule for r in refused}))
        raise AdminRefusedError(f"admin_unlock is false for {names}", field="--rule")
    if refused:
        raise typer.Exit(1)


# -- rules ----------------------------------------------------------------------------------


@rules_app.command("list")
def rules_list(
    config_file: ConfigFile,
    show_all: Annotated[bool, typer.Option("--all", help="Also unconfigured rules.")] = False,
    as_json: AsJson = False,
) -> None:
    """List the configured rules: code, name, enabled, admin unlock, description."""
    config = load_config(config_file)
    rows = [
        {
            "code": rule.code,
            "name": rule.name,
            "enabled": rule.enabled,
            "admin_unlock": rule.config.admin_unlock,
            "describe": rule.describe(),
        }
        for rule in config.build_rules()
    ]
    if show_all:
        for name in sorted(set(rule_names()) - set(config.rules), key=lambda n: RULES[n].code):
            rows.append({"code": RULES[name].code, "name": name, "enabled": None})
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(title=f"rules in {config_file}")
    for column in ("code", "name", "enabled", "admin unlock", "description"):
        table.add_column(column, no_wrap=column in ("code", "name"))
    for row in rows:
        enabled = (
            "not configured" if row["enabled"] is None else ("yes" if row["enabled"] else "no")
        )
        unlock = "-" if row["enabled"] is None else ("yes" if row["admin_unlock"] else "no")
        table.add_row(row["code"], row["name"], enabled, unlock, row.get("describe", ""))
    Console().print(table)


def _switch(name: str, config_file: Path, enabled: bool) -> None:
    target = Path(os.path.realpath(config_file))
    try:
        with open(target, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read: {e}", source=str(config_file)) from e
    new_text = set_rule_enabled(text, name, enabled, source=str(config_file))
    state = "enabled" if enabled else "disabled"
    if new_text == text:
        typer.echo(f"{name} is already {state} in {config_file}")
        return
    _replace_file(target, new_text)
    typer.echo(f"{name} {state} in {config_file}")


@rules_app.command("enable")
def rules_enable(name: Annotated[str, typer.Argument()], config_file: ConfigFile) -> None:
    """Enable rule NAME in the config file (validated, then replaced atomically)."""
    _switch(name, config_file, True)


@rules_app.command("disable")
def rules_disable(name: Annotated[str, typer.Argument()], config_file: ConfigFile) -> None:
    """Disable rule NAME in the config file (validated, then replaced atomically)."""
    _switch(name, config_file, False)


def _child(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if str(key_node.value) == key:
                return key_node, value
    return None


def set_rule_enabled(text: str, rule: str, enabled: bool, *, source: str) -> str:
    """Return ``text`` with ``rules.<rule>.enabled`` set, everything else kept as written.

    Only the ``enabled:`` value is rewritten (or one ``enabled:`` line inserted), so comments
    and layout stay. The result is validated and must differ from the original config in
    that one value only.

    Raises:
        ConfigError: the file is invalid, or the rule is not configured in it.
    """
    before = parse_config(text, source=source)
    if rule not in before.rules:
        raise ConfigError(
            f"rule {rule!r} is not configured in this file; add it under rules: first",
            source=source,
            field=f"rules.{rule}",
        )
    root = compose_yaml(text)
    rules_entry = _child(root, "rules") if root is not None else None
    entry = _child(rules_entry[1], rule) if rules_entry else None
    assert entry is not None  # the rule parsed, so it is there
    key_node, body = entry
    literal = "true" if enabled else "false"
    if isinstance(body, yaml.MappingNode):
        hit = _child(body, "enabled")
        if hit is not None:
            start, end = hit[1].start_mark.index, hit[1].end_mark.index
            new_text = text[:start] + literal + text[end:]
        elif body.flow_style:
            at = body.start_mark.index + 1
            glue = ", " if body.value else ""
            new_text = f"{text[:at]}enabled: {literal}{glue}{text[at:]}"
        else:
            first = body.value[0][0].start_mark
            newline = "\r\n" if "\r\n" in text else "\n"
            indent = " " * first.column
            at = first.index
            new_text = f"{text[:at]}enabled: {literal}{newline}{indent}{text[at:]}"
    else:  # an empty entry (``max_contracts:``) means all defaults
        start, end = body.start_mark.index, body.end_mark.index
        if start == end:
            start = end = text.index(":", key_node.end_mark.index) + 1
        new_text = f"{text[:start].rstrip(' ')} {{enabled: {literal}}}{text[end:]}"
    _check_edit(before, parse_config(new_text, source=source), rule, enabled, source)
    return new_text


def _check_edit(
    before: RiskConfig, after: RiskConfig, rule: str, enabled: bool, source: str
) -> None:
    expected = before.model_dump()
    expected["rules"][rule]["enabled"] = enabled
    if after.model_dump() != expected:
        raise ConfigError(
            "cannot change enabled without touching other settings (anchors?); edit by hand",
            source=source,
            field=f"rules.{rule}.enabled",
        )


def _replace_file(target: Path, text: str) -> None:
    """Write ``text`` next to ``target`` and rename it over it (readers see old or new)."""
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
