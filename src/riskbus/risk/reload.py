"""Hot reload of the risk config: by file watch, by command, or by an admin request.

A :class:`RiskConfigReloader` owns the path of the one risk config file. Three triggers
re-read it:

* ``watch`` — a timer on the injected :class:`~riskbus.core.clock.Clock` polls the file's
  ``(mtime, size, inode)`` every ``poll_interval``; when that changes and the SHA-256 of
  the bytes differs from the last content seen, the file is reloaded. No thread, no wall
  clock: a ``VirtualClock`` in simulation, a ``LiveClock`` timer live.
* ``command`` — a :class:`~riskbus.model.commands.ReloadRiskConfig` sent on the bus.
* ``admin`` — ``riskbus admin config reload`` writes a request (JSON with an ``id``) under
  the checkpoint :data:`RELOAD_REQUEST_KEY` of the shared store; each poll looks for a new
  request id, reloads, and writes the outcome under :data:`RELOAD_RESULT_KEY`.

A valid file is handed to the ``apply`` callback (:class:`ConfigApplier`, provided by the
risk engine) without a restart; an invalid file — or one that ``apply`` refuses by raising a
:class:`~riskbus.core.errors.RiskbusError` before changing anything — is rejected and the
previous config stays in force. Both outcomes are written to the store's audit log (action
:data:`AUDIT_ACTION`) before they are published as ``RiskConfigReloaded`` or
``RiskConfigRejected``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from riskbus.core.bus import EventBus
from riskbus.core.clock import SECOND, Clock
from riskbus.core.errors import BadInputError, RiskbusError
from riskbus.core.yamlconf import ConfigProblem
from riskbus.model.commands import ReloadRiskConfig
from riskbus.model.events.risk import RiskConfigRejected, RiskConfigReloaded
from riskbus.risk.config import RiskConfig, RiskConfigError, parse_config
from riskbus.store import AuditEntry, Store

__all__ = [
    "AUDIT_ACTION",
    "RELOAD_REQUEST_KEY",
    "RELOAD_RESULT_KEY",
    "ConfigApplier",
    "ReloadRequest",
    "RiskConfigReloader",
    "request_reload",
]

log = logging.getLogger("riskbus.risk.reload")

#: Checkpoint key under which ``riskbus admin config reload`` leaves its request.
RELOAD_REQUEST_KEY = "risk.config.reload_request"
#: Checkpoint key under which the reloader answers the last admin request.
RELOAD_RESULT_KEY = "risk.config.reload_result"
#: The audit log action of every reload, applied or rejected.
AUDIT_ACTION = "risk.config.reload"


class ConfigApplier(Protocol):
    """Put a validated config in force (the risk engine provides this).

    It must be all or nothing: to refuse a config it raises a ``RiskbusError`` before
    changing anything, and the previous config stays.
    """

    def __call__(self, config: RiskConfig) -> None:
        """Apply ``config``."""
        ...


@dataclass(frozen=True, slots=True)
class ReloadRequest:
    """An admin's request to reload, as stored under :data:`RELOAD_REQUEST_KEY`."""

    id: str
    ts: int
    requested_by: str = ""
    reason: str = ""

    def to_json(self) -> str:
        """Return the stored form."""
        return json.dumps(
            {"id": self.id, "ts": self.ts, "requested_by": self.requested_by, "reason": self.reason}
        )

    @classmethod
    def from_json(cls, raw: str) -> ReloadRequest | None:
        """Parse the stored form; ``None`` when it is not a request."""
        try:
            data = json.loads(raw)
            return cls(
                id=str(data["id"]),
                ts=int(data["ts"]),
                requested_by=str(data.get("requested_by", "")),
                reason=str(data.get("reason", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None


def request_reload(store: Store, *, ts: int, requested_by: str, reason: str = "") -> ReloadRequest:
    """Ask the running guard, through ``store``, to reload its risk config; audit the request."""
    request = ReloadRequest(uuid.uuid4().hex, ts, requested_by, reason)
    store.checkpoints.put(RELOAD_REQUEST_KEY, request.to_json(), ts=ts)
    details = {"request": request.id, "reason": reason}
    store.audit.append(AuditEntry(ts, requested_by, AUDIT_ACTION, "requested", details))
    return request


_Stamp = tuple[int, int, int]


class RiskConfigReloader:
    """Reload the risk config file on change, on command, or on an admin request.

    Args:
        path: the risk config file.
        apply: puts a validated config in force (see :class:`ConfigApplier`).
        clock: the injected clock (polling timer, timestamps).
        bus: where ``ReloadRiskConfig`` arrives and the outcome events are published.
        store: the audit log and the admin request checkpoints; ``None``: no audit.
        poll_interval: ns between polls of the file (and the store); ``None`` disables
            polling (only commands reload), which is what long simulations want.
        actor: the audit actor of reloads nobody asked for by name.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        apply: ConfigApplier,
        clock: Clock,
        bus: EventBus,
        store: Store | None = None,
        poll_interval: int | None = 2 * SECOND,
        actor: str = "riskbus",
    ) -> None:
        self.path = Path(path)
        self.source = str(path)
        self._apply = apply
        self._clock = clock
        self._bus = bus
        self._store = store
        self._poll_interval = poll_interval
        self._actor = actor
        self._timer = f"risk.config.watch:{self.source}"
        self._config: RiskConfig | None = None
        self._stamp: _Stamp | None = None
        self._digest = ""
        self._last_request: str | None = None
        self._started = False

    @property
    def config(self) -> RiskConfig:
        """The config in force (the last one applied)."""
        if self._config is None:
            raise RuntimeError("the reloader has not started")
        return self._config

    @property
    def digest(self) -> str:
        """SHA-256 of the last file content seen (applied or rejected)."""
        return self._digest

    def start(self, current: RiskConfig | None = None) -> RiskConfig:
        """Load (and apply) the file, then start watching it and listening for commands.

        Args:
            current: the config already in force, loaded from this file by the caller;
                when given it is not applied again.

        Raises:
            RiskConfigError: the file is invalid at start: nothing is watched or applied.
        """
        if self._started:
            return self.config
        data, self._stamp = self._read()
        self._digest = _sha256(data)
        if current is None:
            current = parse_config(_decode(data, self.source), source=self.source)
            self._apply(current)
        self._config = current
        if self._store is not None:
            self._last_request = self._store.checkpoints.get(RELOAD_REQUEST_KEY)
        self._bus.register(ReloadRiskConfig, self.on_reload_risk_config, component="risk.reload")
        if self._poll_interval is not None:
            self._clock.set_timer(self._timer, self._poll_interval, self.poll)
        self._started = True
        return current

    def stop(self) -> None:
        """Stop watching and listening (the config in force stays)."""
        if self._started:
            self._clock.cancel(self._timer)
            self._bus.unregister(ReloadRiskConfig)
            self._started = False

    def on_reload_risk_config(self, command: ReloadRiskConfig) -> None:
        """Reload now, whatever the file's state (a ``ReloadRiskConfig`` arrived)."""
        self.reload(trigger="command", requested_by=command.requested_by)

    def poll(self) -> None:
        """Handle a new admin request, else reload if the file's content changed."""
        if self._handle_request():
            return
        try:
            stamp: _Stamp | None = _stat(self.path)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            data = self.path.read_bytes()
        except OSError as e:
            self._reject(b"", "watch", "", _unreadable(self.source, e))
            return
        if _sha256(data) != self._digest:
            self._reload(data, "watch", "")

    def reload(self, *, trigger: str = "command", requested_by: str = "") -> bool:
        """Re-read the file and apply it if valid; return whether it was applied."""
        try:
            data, self._stamp = self._read()
        except RiskConfigError as e:
            self._reject(b"", trigger, requested_by, e)
            return False
        return self._reload(data, trigger, requested_by)

    # -- internals -----------------------------------------------------------------------

    def _read(self) -> tuple[bytes, _Stamp]:
        try:
            return self.path.read_bytes(), _stat(self.path)
        except OSError as e:
            raise _unreadable(self.source, e) from e

    def _reload(self, data: bytes, trigger: str, requested_by: str) -> bool:
        self._digest = _sha256(data)
        try:
            config = parse_config(_decode(data, self.source), source=self.source)
            self._apply(config)
        except RiskConfigError as e:
            self._reject(data, trigger, requested_by, e)
            return False
        except RiskbusError as e:  # the engine refused it before changing anything
            self._reject(data, trigger, requested_by, e)
            return False
        self._config = config
        rules = config.enabled_rules()
        details = {"source": self.source, "digest": self._digest, "trigger": trigger}
        self._record("applied", requested_by, {**details, "rules": list(rules)})
        log.info("risk config %s applied (%s)", self.source, trigger)
        self._bus.publish(
            RiskConfigReloaded(
                ts=self._clock.now(),
                source=self.source,
                digest=self._digest,
                trigger=trigger,
                rules=rules,
                requested_by=requested_by,
            )
        )
        return True

    def _reject(self, data: bytes, trigger: str, requested_by: str, error: RiskbusError) -> None:
        field = line = None
        if isinstance(error, BadInputError):
            field, line = error.field, error.line
        digest = _sha256(data) if data else ""
        details = {"source": self.source, "digest": digest, "trigger": trigger}
        self._record("rejected", requested_by, {**details, "error": str(error)})
        log.warning("risk config %s rejected (%s): %s", self.source, trigger, error)
        self._bus.publish(
            RiskConfigRejected(
                ts=self._clock.now(),
                source=self.source,
                digest=digest,
                trigger=trigger,
                error=str(error),
                field=field,
                line=line,
                requested_by=requested_by,
            )
        )

    def _record(self, outcome: str, requested_by: str, details: dict[str, Any]) -> None:
        if self._store is None:
            return
        now = self._clock.now()
        actor = requested_by or self._actor
        self._store.audit.append(AuditEntry(now, actor, AUDIT_ACTION, outcome, details))
        if details["trigger"] == "admin" and self._last_request is not None:
            request = ReloadRequest.from_json(self._last_request)
            result = {"id": request.id if request else "", "ts": now, "outcome": outcome}
            result.update({k: v for k, v in details.items() if k in ("digest", "error")})
            self._store.checkpoints.put(RELOAD_RESULT_KEY, json.dumps(result), ts=now)

    def _handle_request(self) -> bool:
        if self._store is None:
            return False
        raw = self._store.checkpoints.get(RELOAD_REQUEST_KEY)
        if raw is None or raw == self._last_request:
            return False
        self._last_request = raw
        request = ReloadRequest.from_json(raw)
        self.reload(trigger="admin", requested_by=request.requested_by if request else "")
        return True


def _stat(path: Path) -> _Stamp:
    info = path.stat()
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        problem = ConfigProblem(None, None, f"not UTF-8 text: {e.reason}")
        raise RiskConfigError(source, [problem]) from None


def _unreadable(source: str, error: OSError) -> RiskConfigError:
    reason = error.strerror or str(error)
    return RiskConfigError(source, [ConfigProblem(None, None, f"cannot read: {reason}")])
