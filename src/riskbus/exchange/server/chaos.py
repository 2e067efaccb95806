"""Faults of the exchange server, each labelled with the ccxt exception it must produce.

A fault file (``--faults faults.yaml``) or a ``POST /_chaos`` body is::

    seed: 7                       # the faults' random draws (probability, latency)
    faults:
      - kind: server_error        # what happens (table below)
        status: 503
        match: {method: POST, path: /api/v3/order}   # which requests (default: all)
        first: 2                  # fire on the first 2 matching requests ...
        # every: 3                #   ... or on every 3rd
        # skip: 5                 #   let 5 through before counting
        # count: 1                #   fire at most once
        # probability: 0.5        #   seeded
        # window: {start: 600, end: 900}   # market seconds since the market start

========================  =============================================  =====================
kind                      what the server does                           ccxt (binance) raises
========================  =============================================  =====================
``latency``               delays the answer: ``fixed`` ``ms``,           ``RequestTimeout``
                          ``uniform`` ``low_ms``..``high_ms``,           past the client's
                          ``lognormal`` ``median_ms``/``sigma``          timeout (else none)
``server_error``          processes the request (the order *is* placed    ``ExchangeNotAvailable``
                          when ``placed``), then answers 500/502/503;    (``RequestTimeout``
                          504 answers ``-1007`` (execution unknown)      for 504)
``rate_limit``            429 ``-1003`` with ``Retry-After``; after      ``DDoSProtection``
                          ``ban_after`` 429s (or a request inside the
                          Retry-After) a 418 ban for ``ban_seconds``
``hang``                  holds the request ``seconds`` (processed       ``RequestTimeout``
                          first when ``placed``)
``reset``                 resets the TCP connection (after processing    ``ExchangeNotAvailable``
                          when ``placed``)
``malformed``             a 200 whose body is cut off mid-JSON           ``ExchangeError``
``clock_skew``            the server clock is ``ms`` off: signed         ``InvalidNonce``
                          requests fail ``-1021``
``insufficient_funds``    refuses orders with ``-2010``                  ``InsufficientFunds``
``outage``                503 without processing anything               ``ExchangeNotAvailable``
========================  =============================================  =====================

Counters and draws are per fault, from ``Seeds(seed).stream("chaos.<index>")``: the same
seed and the same request sequence fire the same faults.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from riskbus.core.seeds import Seeds
from riskbus.core.yamlconf import YamlInputError, load_model, problems_from

__all__ = [
    "ChaosConfig",
    "ChaosEngine",
    "Fault",
    "FaultState",
    "Fired",
    "load_faults",
    "parse_faults",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Model):
    """Which requests a fault applies to: an HTTP method and a path prefix (both optional)."""

    method: Literal["GET", "POST", "PUT", "DELETE"] | None = None
    path: str | None = Field(default=None, pattern=r"^/")

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with ``method`` and ``path`` is matched."""
        if self.method is not None and method != self.method:
            return False
        return self.path is None or path == self.path or path.startswith(self.path + "/")


class Window(_Model):
    """A market-time window in seconds since the market start: ``[start, end)``."""

    start: float = Field(ge=0)
    end: float

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class _Fault(_Model):
    name: str | None = None
    match: Match = Match()
    first: int | None = Field(default=None, ge=1)
    every: int | None = Field(default=None, ge=1)
    skip: int = Field(default=0, ge=0)
    count: int | None = Field(default=None, ge=1)
    probability: float = Field(default=1.0, ge=0, le=1)
    window: Window | None = None

    @property
    def ccxt_exception(self) -> str:
        """The ccxt exception class (name) a ccxt ``binance`` client gets."""
        raise NotImplementedError

    @property
    def placed(self) -> bool:
        """Whether the request is processed before the fault answers."""
        return False


class LatencyFault(_Fault):
    """Delay the answer."""

    kind: Literal["latency"]
    distribution: Literal["fixed", "uniform", "lognormal"] = "fixed"
    ms: float = Field(default=100, ge=0)
    low_ms: float = Field(default=0, ge=0)
    high_ms: float = Field(default=100, ge=0)
    median_ms: float = Field(default=50, gt=0)
    sigma: float = Field(default=0.5, ge=0)

    @model_validator(mode="after")
    def _range(self) -> LatencyFault:
        if self.distribution == "uniform" and self.high_ms < self.low_ms:
            raise ValueError(f"high_ms ({self.high_ms}) must be >= low_ms ({self.low_ms})")
        return self

    @property
    def ccxt_exception(self) -> str:
        """``RequestTimeout`` once the delay passes the client's timeout (else none)."""
        return "RequestTimeout"

    def sample(self, rng: random.Random) -> float:
        """Return one delay in seconds."""
        if self.distribution == "fixed":
            ms = self.ms
        elif self.distribution == "uniform":
            ms = rng.uniform(self.low_ms, self.high_ms)
        else:
            ms = rng.lognormvariate(math.log(self.median_ms), self.sigma)
        return ms / 1000


class ServerErrorFault(_Fault):
    """Answer a 5xx, by default after processing the request (the outcome is unknown)."""

    kind: Literal["server_error"]
    status: Literal[500, 502, 503, 504] = 503
    process: bool = True

    @property
    def ccxt_exception(self) -> str:
        return "RequestTimeout" if self.status == 504 else "ExchangeNotAvailable"

    @property
    def placed(self) -> bool:
        return self.process


class RateLimitFault(_Fault):
    """Answer 429 with Retry-After; escalate to a 418 ban."""

    kind: Literal["rate_limit"]
    retry_after: float = Field(default=1.0, gt=0)
    ban_after: int = Field(default=3, ge=1)
    ban_seconds: float | None = Field(default=None, gt=0)

    @property
    def ccxt_exception(self) -> str:
        return "DDoSProtection"


class HangFault(_Fault):
    """Hold the request (the client times out)."""

    kind: Literal["hang"]
    seconds: float = Field(default=30.0, gt=0, le=3600)
    process: bool = False

    @property
    def ccxt_exception(self) -> str:
        return "RequestTimeout"

    @property
    def placed(self) -> bool:
        return self.process


class ResetFault(_Fault):
    """Reset the connection."""

    kind: Literal["reset"]
    process: bool = False

    @property
    def ccxt_exception(self) -> str:
        return "ExchangeNotAvailable"

    @property
    def placed(self) -> bool:
        return self.process


class MalformedFault(_Fault):
    """Answer 200 with a body cut off mid-JSON (after processing the request)."""

    kind: Literal["malformed"]

    @property
    def ccxt_exception(self) -> str:
        return "ExchangeError"

    @property
    def placed(self) -> bool:
        return True


class ClockSkewFault(_Fault):
    """Shift the server clock by ``ms`` (signed requests then fail -1021)."""

    kind: Literal["clock_skew"]
    ms: int

    @property
    def ccxt_exception(self) -> str:
        return "InvalidNonce"


class InsufficientFundsFault(_Fault):
    """Refuse new orders with -2010 (insufficient balance)."""

    kind: Literal["insufficient_funds"]
    match: Match = Match(method="POST", path="/api/v3/order")

    @property
    def ccxt_exception(self) -> str:
        return "InsufficientFunds"


class OutageFault(_Fault):
    """Answer 503 without processing anything."""

    kind: Literal["outage"]

    @property
    def ccxt_exception(self) -> str:
        return "ExchangeNotAvailable"


Fault = Annotated[
    LatencyFault
    | ServerErrorFault
    | RateLimitFault
    | HangFault
    | ResetFault
    | MalformedFault
    | ClockSkewFault
    | InsufficientFundsFault
    | OutageFault,
    Field(discriminator="kind"),
]


class ChaosConfig(_Model):
    """A fault file: the seed and the faults."""

    seed: int = 0
    faults: list[Fault] = Field(default_factory=list)


_CONFIG = TypeAdapter(ChaosConfig)


def load_faults(path: str | Path) -> ChaosConfig:
    """Read a fault file.

    Raises:
        YamlInputError: the file is unreadable or invalid; the message names the file, the
            field and the line.
    """
    return load_model(path, ChaosConfig)


def parse_faults(data: Any, source: str = "/_chaos") -> ChaosConfig:
    """Validate a fault document (a JSON body); raise ``YamlInputError`` naming the field."""
    try:
        return _CONFIG.validate_python(data)
    except ValidationError as e:
        raise YamlInputError(source, problems_from(e, (), ChaosConfig, {})) from None


@dataclass(slots=True)
class FaultState:
    """One armed fault with its counters and its random stream."""

    fault: _Fault
    rng: random.Random
    matched: int = 0
    fired: int = 0

    def describe(self, index: int) -> dict[str, object]:
        """Return the fault, its ccxt label and its counters as JSON."""
        return {
            "index": index,
            "kind": getattr(self.fault, "kind", ""),
            "ccxt_exception": self.fault.ccxt_exception,
            "matched": self.matched,
            "fired": self.fired,
            "spec": self.fault.model_dump(exclude_none=True),
        }


@dataclass(slots=True)
class Fired:
    """The faults one request triggered."""

    before: list[FaultState] = field(default_factory=list)
    after: list[FaultState] = field(default_factory=list)
    delay: float = 0.0
    skew_ms: int = 0


class ChaosEngine:
    """Decides, per request, which faults fire.

    Args:
        market_seconds: the market seconds since the market start (for windows).
    """

    def __init__(self, market_seconds: Callable[[], float]) -> None:
        self._market_seconds = market_seconds
        self.seed = 0
        self.states: list[FaultState] = []

    def load(self, config: ChaosConfig, *, replace: bool = True) -> None:
        """Arm ``config``'s faults (replacing the armed ones unless ``replace`` is false)."""
        if replace:
            self.states.clear()
        self.seed = config.seed
        seeds = Seeds(config.seed)
        for fault in config.faults:
            index = len(self.states)
            self.states.append(FaultState(fault, seeds.stream(f"chaos.{index}")))

    def clear(self) -> None:
        """Disarm every fault."""
        self.states.clear()

    def describe(self) -> dict[str, object]:
        """Return the armed faults as JSON."""
        return {"seed": self.seed, "faults": [s.describe(i) for i, s in enumerate(self.states)]}

    def decide(self, method: str, path: str) -> Fired:
        """Count one request against every fault; return those that fire on it."""
        fired = Fired()
        if not self.states:
            return fired
        now: float | None = None
        for state in self.states:
            fault = state.fault
            if not fault.match.matches(method, path):
                continue
            if fault.window is not None:
                if now is None:
                    now = self._market_seconds()
                if not fault.window.start <= now < fault.window.end:
                    continue
            state.matched += 1
            if not _triggers(state):
                continue
            state.fired += 1
            if isinstance(fault, LatencyFault):
                fired.delay += fault.sample(state.rng)
            elif isinstance(fault, ClockSkewFault):
                fired.skew_ms += fault.ms
            elif fault.placed:
                fired.after.append(state)
            else:
                fired.before.append(state)
        return fired


def _triggers(state: FaultState) -> bool:
    fault = state.fault
    n = state.matched - fault.skip
    if n <= 0:
        return False
    if fault.first is not None and n > fault.first:
        return False
    if fault.every is not None and n % fault.every:
        return False
    if fault.count is not None and state.fired >= fault.count:
        return False
    return fault.probability >= 1.0 or state.rng.random() < fault.probability
