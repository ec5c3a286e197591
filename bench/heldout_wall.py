"""Wall time of `p20 link` against the untuned Splink script on bench.heldout's files, whole processes.

Both commands are timed from outside by `farm-bench` (start-up, imports and file reading included),
run in turn (A B A B ...) so that the ratio is taken pair by pair on a machine whose load drifts;
the medians are quoted, with the machine's load average before and after.

    .venv/bin/python -m bench.heldout_wall --persons 13500 --runs 5
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import command_line
from bench.heldout import SSA_FILE, W2_FILE, files

# The untuned script as a command of its own (bench.heldout.untuned_splink on the files given).
UNTUNED = ("import sys; from pathlib import Path; from bench.heldout import untuned_splink; "
           "untuned_splink([Path(p) for p in sys.argv[1:]])")
FIGURE = re.compile(r"^(A|B|A/B) (wall s|cpu s|peak MiB|wall|cpu)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")


def _figures(report: str) -> dict:
    """farm-bench's min/median/max lines as {"A wall s": {"min":, "median":, "max":}, ...}."""
    figures = {}
    for line in report.splitlines():
        match = FIGURE.match(line.strip())
        if match:
            low, median, high = (float(v) for v in match.groups()[2:])
            figures[f"{match[1]} {match[2]}"] = {"min": low, "median": median, "max": high}
    return figures


def run(persons: int, seed: int, runs: int) -> dict:
    farm_bench = shutil.which("farm-bench")
    if farm_bench is None:
        raise SystemExit("farm-bench is not on PATH")
    ssa, w2, _ = files(persons, seed)
    with tempfile.TemporaryDirectory() as scratch:
        paths = [str(Path(scratch) / SSA_FILE), str(Path(scratch) / W2_FILE)]
        for table, path in zip((ssa, w2), paths):
            table.to_csv(path, sep="\t", index=False)
        p20 = str(Path(sys.executable).with_name("p20"))
        link = [p20, "link", *paths, "--out", str(Path(scratch) / "crosswalk.csv")]
        untuned = " ".join([sys.executable, "-c", f'"{UNTUNED}"', *paths])
        load_before = os.getloadavg()
        report = subprocess.run([farm_bench, "-n", str(runs), "--timeout", "1800", "--vs", untuned, "--", *link],
                                capture_output=True, text=True, check=True,
                                env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)}).stdout
        load_after = os.getloadavg()
    print(report)
    return {"persons": persons, "seed": seed, "records": {"ssa": len(ssa), "w2": len(w2)}, "runs": runs,
            "A": "p20 link SSA W2 --out crosswalk.csv (probabilistic)", "B": "bench.heldout.untuned_splink",
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in load_after], "farm_bench": _figures(report)}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (after one warm-up each)")


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0], lambda args: run(args.persons, args.seed, args.runs),
                        default_persons=13_500, result_name="heldout_wall_{persons}.json", add_arguments=_arguments)


if __name__ == "__main__":
    sys.exit(main())
