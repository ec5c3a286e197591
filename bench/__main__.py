"""Run every benchmark module in this package (`make bench`), one after another."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main() -> int:
    failures = 0
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")):
        print(f"== bench.{module}", flush=True)
        failures += importlib.import_module(f"bench.{module}").main([]) != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
