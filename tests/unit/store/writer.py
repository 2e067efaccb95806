"""Child process for the kill -9 test: write every kind of state, say so, then block."""

from __future__ import annotations

import sys
import time

from riskbus.store import open_store
from tests.unit.store._suite import _write_state

if __name__ == "__main__":
    store = open_store(sys.argv[1])
    _write_state(store)
    print("written", flush=True)
    while True:
        time.sleep(60)
