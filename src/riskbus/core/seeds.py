"""Named, seeded random streams derived from one root seed.

``Seeds(42).stream("market")`` always yields the same sequence, on every run, process and
platform, and independently of the other streams: the per-name seed is a SHA-256 of the
root seed and the name (never ``hash()``, which is salted per process). Asking for the
same name twice returns the same stream object, so draws continue rather than restart.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Seeds", "derive_seed"]


def derive_seed(root: int, name: str) -> int:
    """Return a 64-bit seed derived from ``root`` and ``name``, stable everywhere."""
    digest = hashlib.sha256(f"riskbus:{root}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Seeds:
    """A family of independent random streams under one root seed.

    Args:
        root: the root seed; any integer (negative ones are accepted as given).
    """

    def __init__(self, root: int) -> None:
        if isinstance(root, bool) or not isinstance(root, int):
            raise TypeError(f"seed must be an int, got {type(root).__name__}")
        self.root = root
        self._streams: dict[str, random.Random] = {}
        self._numpy: dict[str, np.random.Generator] = {}

    def stream(self, name: str) -> random.Random:
        """Return the ``random.Random`` stream called ``name`` (created on first use)."""
        rng = self._streams.get(name)
        if rng is None:
            rng = random.Random(derive_seed(self.root, name))
            self._streams[name] = rng
        return rng

    def numpy(self, name: str) -> np.random.Generator:
        """Return a NumPy ``Generator`` (PCG64) for ``name``; independent of ``stream``."""
        gen = self._numpy.get(name)
        if gen is None:
            import numpy as np

            gen = np.random.Generator(np.random.PCG64(derive_seed(self.root, "np:" + name)))
            self._numpy[name] = gen
        return gen

    def child(self, name: str) -> Seeds:
        """Return a new family whose root is derived from this one and ``name``."""
        return Seeds(derive_seed(self.root, "child:" + name))

    def __repr__(self) -> str:
        return f"Seeds(root={self.root})"
