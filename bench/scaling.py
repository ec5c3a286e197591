"""The statewide scaling curve: every bench/results/statewide_[<engine>_]<N>.json, plotted.

Reads what `bench.statewide` wrote (nothing is run here) and draws the main job's wall time and
peak memory against persons, one line per engine, plus each stage's seconds per 100,000 persons
(a flat line grows linearly; a rising one faster than linearly), to bench/results/statewide_scaling.png.

    .venv/bin/python -m bench.scaling
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import RESULTS

PLOT = RESULTS / "statewide_scaling.png"


def load_runs(results: Path = RESULTS) -> list[dict]:
    """The completed main-job runs, ordered by engine and population."""
    runs = []
    for path in sorted(results.glob("statewide_*.json")):
        run = json.loads(path.read_text(encoding="utf-8"))
        if run.get("main_job", {}).get("succeeded") and "rebuild_after_delivery" not in run:
            runs.append(run)
    return sorted(runs, key=lambda run: (run["engine"], run["persons"]))


def plot(runs: list[dict], out: Path = PLOT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (time_axis, memory_axis, stage_axis) = plt.subplots(1, 3, figsize=(16, 5))
    for engine in sorted({run["engine"] for run in runs}):
        mine = [run for run in runs if run["engine"] == engine]
        persons = [run["persons"] for run in mine]
        time_axis.plot(persons, [run["main_job"]["seconds"] / 60 for run in mine], marker="o", label=engine)
        memory_axis.plot(persons, [run["main_job"]["peak_memory_mb"] / 1024 for run in mine], marker="o", label=engine)
    duckdb_runs = [run for run in runs if run["engine"] == "duckdb"]
    for stage in sorted({name for run in duckdb_runs for name in run["main_job"]["stages"]}):
        points = [(run["persons"], run["main_job"]["stages"][stage]["seconds"] / run["persons"] * 100_000)
                  for run in duckdb_runs if stage in run["main_job"]["stages"]]
        stage_axis.plot(*zip(*points), marker="o", label=stage)
    for axis, title, label in ((time_axis, "Main job wall time", "minutes"),
                               (memory_axis, "Peak memory (process tree)", "GB"),
                               (stage_axis, "DuckDB: seconds per 100,000 persons, by stage", "seconds / 100k persons")):
        axis.set_xscale("log")
        axis.set_title(title)
        axis.set_xlabel("persons")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("Landing files to published report on one 2-core, 24 GB machine "
                    "(the load average at each run's start and end is in its result file)", fontsize=10)
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return out


def main(argv: list[str] | None = None) -> int:  # `make bench` passes an empty list
    runs = load_runs()
    for run in runs:
        job = run["main_job"]
        print(f"{run['engine']:>6} {run['persons']:>9,} persons: {job['seconds']:>7,.0f} s, "
              f"peak {job['peak_memory_mb'] / 1024:.1f} GB")
    print(plot(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
