"""Chain scenarios into one path: sideways for 30 steps, then a flash crash, then a rally.

A spec is a list of segments, each ``{scenario, steps, params}``, the shape a scenario
file will use::

    - {scenario: sideways, steps: 30}
    - {scenario: flash_crash, steps: 50, params: {depth: 0.25}}
    - {scenario: bull_run, steps: 40}

Each segment starts from the previous segment's last price (its own step 0 *is* that
price, so it is not repeated) and runs its own step counter, so a flash crash segment
crashes 20 steps after it starts. A segment of ``S`` steps appends ``S`` prices; the
composed path holds ``1 + sum(S)`` prices, step 0 being ``initial_price``. Segment ``i``
draws from the seed ``Seeds(seed).child("segment:i")``, so lengthening one segment does
not change the noise of the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from riskbus.core.errors import BadInputError, InvalidValueError
from riskbus.core.seeds import Seeds
from riskbus.market.path import DEFAULT_START, DEFAULT_STEP, PricePath
from riskbus.market.registry import check_number, generate

__all__ = ["Segment", "compose", "parse_segments"]

_SEGMENT_KEYS = {"scenario", "steps", "params"}
_RESERVED = {"initial_price", "spread_bps", "step", "start"}


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a composed path: ``steps`` moves of ``scenario`` with ``params``."""

    scenario: str
    steps: int
    params: Mapping[str, object] = field(default_factory=dict)


def parse_segments(spec: object, *, source: str | None = None) -> list[Segment]:
    """Check a spec (a list of mappings) and return its segments.

    Raises:
        BadInputError: naming ``segments[i].key`` for a missing, unknown or wrong key.
    """
    if not isinstance(spec, Sequence) or isinstance(spec, str) or not spec:
        raise BadInputError("must be a non-empty list of segments", source=source, field="segments")
    segments = []
    for i, item in enumerate(spec):
        where = f"segments[{i}]"
        if isinstance(item, Segment):
            segments.append(item)
            continue
        if not isinstance(item, Mapping):
            raise BadInputError(
                "must be a mapping {scenario, steps, params}", source=source, field=where
            )
        unknown = sorted(set(item) - _SEGMENT_KEYS)
        if unknown:
            raise BadInputError(
                "unknown key; allowed: params, scenario, steps",
                source=source,
                field=f"{where}.{unknown[0]}",
            )
        for key in ("scenario", "steps"):
            if key not in item:
                raise BadInputError("is required", source=source, field=f"{where}.{key}")
        params = item.get("params") or {}
        if not isinstance(params, Mapping):
            raise BadInputError("must be a mapping", source=source, field=f"{where}.params")
        reserved = sorted(_RESERVED & set(params))
        if reserved:
            raise BadInputError(
                "is set for the whole path, not per segment",
                source=source,
                field=f"{where}.params.{reserved[0]}",
            )
        segments.append(Segment(item["scenario"], item["steps"], dict(params)))
    return segments


def compose(
    segments: Sequence[Segment | Mapping[str, object]],
    seed: int,
    *,
    initial_price: float | Decimal = 50_000.0,
    volatility_multiplier: float = 1.0,
    spread_bps: float = 20.0,
    step: int = DEFAULT_STEP,
    start: int = DEFAULT_START,
    source: str | None = None,
) -> PricePath:
    """Generate each segment from the previous one's last price and join them.

    ``volatility_multiplier`` applies to every segment unless its params set its own.

    Raises:
        BadInputError: a bad spec or parameter, naming ``segments[i]...``.
    """
    parts = parse_segments(segments, source=source)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidValueError.for_value("seed", seed, "must be an integer")
    seeds = Seeds(seed)
    last = check_number("initial_price", initial_price, strict=True)
    prices: list[np.ndarray] = [np.array([last])]
    offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
    for i, segment in enumerate(parts):
        params: dict[str, Any] = {"volatility_multiplier": volatility_multiplier, **segment.params}
        try:
            path = generate(
                segment.scenario,
                _segment_steps(segment.steps) + 1,
                seeds.child(f"segment:{i}").root,
                initial_price=last,
                spread_bps=spread_bps,
                step=step,
                start=start,
                **params,
            )
        except BadInputError as e:
            raise _located(e, i, source) from e
        prices.append(path.prices[1:])
        offsets.append(
            path.offsets[1:]
            if path.offsets is not None
            else np.zeros(len(path) - 1, dtype=np.int64)
        )
        last = float(path.prices[-1])
    joined_offsets = np.concatenate(offsets)
    return PricePath(
        np.concatenate(prices),
        name="+".join(s.scenario for s in parts),
        seed=seed,
        spread_bps=spread_bps,
        start=start,
        step=step,
        offsets=joined_offsets if joined_offsets.any() else None,
        volatility_multiplier=volatility_multiplier,
    )


def _segment_steps(steps: object) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise BadInputError(f"must be an integer >= 1 (got {steps!r})", field="steps")
    return steps


def _located(error: BadInputError, index: int, source: str | None) -> BadInputError:
    name = error.field or ""
    if name in {"scenario", "steps", "seed"}:
        where = f"segments[{index}].{name}"
    elif name in {"spread_bps", "step", "start"}:
        where = name
    else:
        where = f"segments[{index}].params.{name}" if name else f"segments[{index}]"
    return BadInputError(error.message, source=source or error.source, field=where)
