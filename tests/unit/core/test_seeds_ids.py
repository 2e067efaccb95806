from __future__ import annotations

import subprocess
import sys

import pytest

from riskbus.core.ids import IdGenerator, derive_id
from riskbus.core.seeds import Seeds, derive_seed


def test_streams_are_stable_and_independent_per_name() -> None:
    a, b = Seeds(42), Seeds(42)
    assert [a.stream("market").random() for _ in range(5)] == [
        b.stream("market").random() for _ in range(5)
    ]
    # drawing from "chaos" does not shift "market"
    c = Seeds(42)
    c.stream("chaos").random()
    d = Seeds(42)
    assert c.stream("market").random() == d.stream("market").random()
    assert Seeds(42).stream("market").random() != Seeds(43).stream("market").random()
    assert Seeds(42).stream("market").random() != Seeds(42).stream("fills").random()


def test_same_name_returns_the_same_stream_so_draws_continue() -> None:
    seeds = Seeds(1)
    first = seeds.stream("x").random()
    second = seeds.stream("x").random()
    assert first != second


def test_streams_are_stable_across_processes_and_known_values() -> None:
    code = (
        "from riskbus.core.seeds import Seeds; s=Seeds(7); "
        "print(s.stream('market').random(), s.numpy('market').random())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(outputs) == 1
    s = Seeds(7)
    expected = [repr(s.stream("market").random()), repr(s.numpy("market").random())]
    assert outputs.pop().split() == expected
    # pinned value: changing the derivation would silently change every recorded scenario
    assert derive_seed(0, "a") == 4734631650432630322
    assert Seeds(7).stream("market").random() == 0.4771023571480335


def test_child_families_and_bad_seed() -> None:
    assert Seeds(1).child("w").root == Seeds(1).child("w").root != Seeds(1).child("v").root
    assert repr(Seeds(3)) == "Seeds(root=3)"
    with pytest.raises(TypeError, match="seed must be an int"):
        Seeds("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Seeds(True)


def test_id_generator_counts() -> None:
    ids = IdGenerator("O")
    assert [ids.next(), ids.next()] == ["O-000001", "O-000002"]
    assert ids.last == 2
    assert IdGenerator("P", start=10).next() == "P-000010"


def test_derive_id_is_stable_and_sensitive_to_parts() -> None:
    first = derive_id("pool_ladder", 1_700_000_000, 0, prefix="rb-")
    assert first == derive_id("pool_ladder", 1_700_000_000, 0, prefix="rb-")
    assert first.startswith("rb-") and len(first) == 23
    assert first != derive_id("pool_ladder", 1_700_000_000, 1, prefix="rb-")
    assert derive_id("a", "bc") != derive_id("ab", "c")
    with pytest.raises(ValueError, match="length"):
        derive_id("x", length=0)
