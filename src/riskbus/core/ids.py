"""Deterministic identifiers.

Two kinds:

* :class:`IdGenerator` counts: ``O-000001``, ``O-000002`` ... in creation order, so the same
  run gives the same ids.
* :func:`derive_id` hashes its parts: the same parts always give the same id, in any
  process. Client order ids are derived this way from (strategy, decision time, intent), so
  that a resubmission after a restart carries the same id and is recognised, not duplicated.
"""

from __future__ import annotations

import hashlib
import itertools

__all__ = ["IdGenerator", "derive_id"]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def derive_id(*parts: object, prefix: str = "", length: int = 20) -> str:
    """Return a stable id of ``length`` base32 characters hashed from ``parts``.

    Args:
        parts: values whose ``str()`` identifies the thing (order: strategy, ts, index).
        prefix: prepended verbatim, e.g. ``"rb-"``.
        length: number of hash characters (at most 51).
    """
    if not 1 <= length <= 51:
        raise ValueError(f"length must be between 1 and 51, got {length}")
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, 32)
        chars.append(_ALPHABET[index])
    return prefix + "".join(chars)


class IdGenerator:
    """Sequential ids with a prefix: ``IdGenerator("O").next()`` → ``"O-000001"``.

    Args:
        prefix: the prefix; ids are ``f"{prefix}-{n:06d}"``.
        start: the first number.
    """

    def __init__(self, prefix: str, start: int = 1) -> None:
        self.prefix = prefix
        self._counter = itertools.count(start)
        self.last = start - 1

    def next(self) -> str:
        """Return the next id."""
        self.last = next(self._counter)
        return f"{self.prefix}-{self.last:06d}"
