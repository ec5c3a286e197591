"""Synthetic population at statewide scale: wall time, peak memory and rows per file.

Runs `p20 synth` in a subprocess into a temporary directory and reads the child's peak
resident memory from `getrusage(RUSAGE_CHILDREN)`. Target: 1,200,000 persons in under
5 minutes and under 8 GB on the 2-core reference machine.

    .venv/bin/python -m bench.synth --persons 1200000
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import command_line
from p20_platform.settings import paths

TARGET_SECONDS, TARGET_MEMORY_GB = 300, 8


def _rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def run(persons: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "p20_platform.cli", "synth", "--persons", str(persons),
                        "--seed", str(seed), "--out", str(home), "--quiet"], check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_gb = usage.ru_maxrss / 1024 ** 2
        files = sorted(paths(home).landing.glob("*/*"))
        rows = {f.name: _rows(f) for f in files}
        size_mb = sum(f.stat().st_size for f in files) / 1024 ** 2
    return {
        "persons": persons, "seed": seed, "wall_seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),  # the machine is shared: wall time varies with load
        "load_average_1min": round(os.getloadavg()[0], 2), "peak_memory_gb": round(peak_gb, 2),
        "within_targets": seconds < TARGET_SECONDS and peak_gb < TARGET_MEMORY_GB,
        "delivery_megabytes": round(size_mb), "total_rows": sum(rows.values()), "rows_per_file": rows,
    }


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0], lambda args: run(args.persons, args.seed), default_persons=1_200_000, result_name="synth.json")


if __name__ == "__main__":
    sys.exit(main())
