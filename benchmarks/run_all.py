"""Run every benchmark module (``bench_*.py`` with a ``run`` function) and print its table.

Usage: ``python benchmarks/run_all.py [--quick] [NAME ...]`` (names like ``core``, ``market``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import print_table  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    for name in modules:
        module = importlib.import_module(name)
        if hasattr(module, "run"):
            title = (module.__doc__ or name).strip().splitlines()[0]
            print_table(title, module.run(quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
