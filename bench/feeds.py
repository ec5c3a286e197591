"""Feed loading at scale: archive + contracts + stores for all 30 feeds, and the no-op rerun.

Generates a synthetic population in a subprocess, then loads every feed in this process.
Target: the demo population (20,000 persons) loads in under a minute and a rerun costs seconds.

    .venv/bin/python -m bench.feeds --persons 20000
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time

from bench import command_line
from p20_platform.feeds import FEEDS, load_feed, validate_files
from p20_platform.settings import paths



def _timed(action):
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def run(persons: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        home = paths(scratch)
        subprocess.run([sys.executable, "-m", "p20_platform.cli", "synth", "--persons", str(persons),
                        "--seed", str(seed), "--out", str(home.home_dir), "--quiet"], check=True)
        files = sorted(home.landing.glob("*/*"))
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        reports, validate_seconds = _timed(lambda: validate_files(files))
        loaded, load_seconds = _timed(lambda: [d for feed in FEEDS for d in load_feed(home, feed)])
        rerun, rerun_seconds = _timed(lambda: [d for feed in FEEDS for d in load_feed(home, feed)])
        rows = sum(d.rows_read for d in loaded)
        slowest = max(loaded, key=lambda d: d.load_seconds)
        return {
            "persons": persons, "seed": seed, "files": len(files), "megabytes": round(megabytes, 1), "rows": rows,
            "files_valid": sum(r.ok for r in reports), "validate_seconds": round(validate_seconds, 1),
            "load_seconds": round(load_seconds, 1), "rows_per_second": round(rows / load_seconds),
            "slowest_file": slowest.file_name, "slowest_file_rows": slowest.rows_read,
            "slowest_file_seconds": round(slowest.load_seconds, 1),
            "rerun_seconds": round(rerun_seconds, 1), "rerun_deliveries": len(rerun),
            "rows_quarantined": sum(d.rows_quarantined for d in loaded),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0], lambda args: run(args.persons, args.seed),
                        default_persons=20_000, result_name="feeds_{persons}.json")


if __name__ == "__main__":
    sys.exit(main())
