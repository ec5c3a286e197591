"""How long loading the Dagster code location takes, in fresh interpreters, and whether it starts a process.

Each run is a new Python process (as `dagster dev`'s code server and every launched run are) that
imports `p20_platform.definitions` and reports the import's seconds, measured inside, and the
commands it started (an audit hook on `subprocess.Popen`). The median of the runs is quoted against
issue 12's target of 5 s with no subprocess. The one command seen is Dagster's own: its vendored
croniter asks `platform.architecture()`, which runs `file -b` on the interpreter.

    .venv/bin/python -m bench.code_location --runs 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import write_result

TARGET_SECONDS = 5.0
LOAD = """
import json, sys, time
started = []
sys.addaudithook(lambda event, args: started.append(" ".join(args[1][:2])) if event == "subprocess.Popen" else None)
begin = time.perf_counter()
import p20_platform.definitions
print(json.dumps({"seconds": time.perf_counter() - begin, "commands_started": started}))
"""


def load_once() -> dict:
    """One fresh interpreter's load of the code location."""
    done = subprocess.run([sys.executable, "-c", LOAD], check=True, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(runs: int) -> dict:
    load_before = os.getloadavg()[0]
    loads = [load_once() for _ in range(runs)]
    seconds = [round(load["seconds"], 2) for load in loads]
    return {"runs": runs, "seconds": seconds, "median_seconds": statistics.median(seconds),
            "target_seconds": TARGET_SECONDS, "commands_started": sorted({command for load in loads for command in load["commands_started"]}),
            "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    write_result("code_location.json", run(parser.parse_args(argv).runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
