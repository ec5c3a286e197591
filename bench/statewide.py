"""The platform's main job at statewide size: landing files to published report, stage by stage.

Generates a synthetic population's landing files in a subprocess (timed apart: agencies deliver
them), then runs the main job (`p20 materialize`: every asset but the on-demand ones) through
Dagster in this process, on an instance under the data home, as `make demo` does. Wall time per
stage comes from the run's step events; peak memory per stage from sampling the resident memory
of this process and its children (dbt runs in a subprocess) while the step ran. `--evaluate`
then also runs the on-demand linkage evaluation job, measured as its own stage.
`--engine spark` runs linkage on Spark in local mode (`P20_ENGINE`, see p20_platform/settings.py).
`--redeliver AGENCY` on a home the main job has built measures the rebuild after one agency's new
delivery instead: a later delivery of two thirds of that agency's people lands, and the main job
runs again (only that feed loads; the index links it incrementally; dbt and the reports rebuild).

    .venv/bin/python -m bench.statewide --persons 1200000
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import command_line, engine_result_name
from p20_platform.synth.delivery import redeliver_two_thirds

SAMPLE_SECONDS = 0.25
REDELIVERY_DATE = "02_15_2026"  # a month after the synthetic deliveries' 01_15_2026


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants (Linux /proc: statm and each thread's children)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        children = [int(child) for task in os.scandir(f"/proc/{pid}/task")
                    for child in open(f"{task.path}/children", encoding="ascii").read().split()]
    except OSError:  # the process ended between two reads
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20 + sum(_tree_rss_mb(child) for child in children)


class MemorySampler:
    """Samples this process tree's resident memory in a thread: (monotonic-free wall time, MB) pairs."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), _tree_rss_mb(os.getpid())))
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start <= t <= end]
        return max(inside, default=0.0)


def _generate(home_dir: Path, persons: int, seed: int) -> dict:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "p20_platform.cli", "synth", "--persons", str(persons), "--seed", str(seed),
                    "--out", str(home_dir), "--quiet"], check=True)
    return {"seconds": round(time.perf_counter() - started, 1),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def _stage_of_steps(job) -> dict[str, str]:
    """Step (op) name -> stage: the Dagster group of what the op materializes or checks."""
    graph = job.asset_layer.asset_graph
    stages: dict[str, str] = {}
    for assets_def in graph.assets_defs:
        keys = list(assets_def.keys) or [check.asset_key for check in assets_def.check_keys]
        if not assets_def.is_executable or not keys:
            continue
        groups = {graph.get(key).group_name for key in keys if graph.has(key)}
        stages[assets_def.node_def.name] = "dbt" if len(groups) > 1 else (groups.pop() if groups else "other")
    return stages


def _step_windows(instance, run_id: str) -> list[tuple[str, float, float]]:
    """(step key, start, end) of every step that ran, from the run's event log."""
    from dagster import DagsterEventType

    starts: dict[str, float] = {}
    windows = []
    for record in instance.all_logs(run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
                                                     DagsterEventType.STEP_FAILURE}):
        if record.dagster_event.event_type == DagsterEventType.STEP_START:
            starts[record.step_key] = record.timestamp
        elif record.step_key in starts:
            windows.append((record.step_key, starts[record.step_key], record.timestamp))
    return windows


def _run_job(job_name: str, sampler: MemorySampler) -> dict:
    """Run one job of the code location in process; its wall time, per-stage time and peak memory."""
    from dagster import DagsterInstance

    from p20_platform.definitions import defs
    from p20_platform.pipeline import QUIET_CONSOLE

    job = defs.resolve_job_def(job_name)
    stage_of = _stage_of_steps(job)
    with DagsterInstance.get() as instance:
        started = time.time()
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET_CONSOLE)
        ended = time.time()
        windows = _step_windows(instance, result.run_id)
    stages: dict[str, dict] = {}
    for step, start, end in windows:
        stage = stages.setdefault(stage_of.get(step, step), {"seconds": 0.0, "peak_memory_mb": 0.0, "steps": 0})
        stage["seconds"] += end - start
        stage["steps"] += 1
        stage["peak_memory_mb"] = max(stage["peak_memory_mb"], sampler.peak_between(start, end))
    slowest = sorted(windows, key=lambda w: w[1] - w[2])[:5]
    return {
        "succeeded": result.success, "seconds": round(ended - started, 1),
        "peak_memory_mb": round(sampler.peak_between(started, ended)),
        "stages": {name: {"seconds": round(s["seconds"], 1), "peak_memory_mb": round(s["peak_memory_mb"]),
                          "steps": s["steps"]} for name, s in stages.items()},
        "slowest_steps": {step: round(end - start, 1) for step, start, end in slowest},
    }


def run(args: argparse.Namespace) -> dict:
    from p20_platform.pipeline import prepare_environment
    from p20_platform.settings import paths

    os.environ["P20_ENGINE"] = args.engine
    scratch = None
    if args.home is None:
        scratch = Path(tempfile.mkdtemp(prefix="p20_statewide_"))
    home = Path(args.home) if args.home else scratch
    try:
        generate = _generate(home, args.persons, args.seed) if not (home / "landing").exists() else None
        prepare_environment(paths(home))
        result: dict = {"persons": args.persons, "seed": args.seed, "engine": args.engine,
                        "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                        "generate_landing_files": generate}
        if args.redeliver:
            people = redeliver_two_thirds(paths(home), args.redeliver, args.delivery_date)
            result["rebuild_after_delivery"] = {"agency": args.redeliver, "people_delivered": people,
                                                "delivery_date": args.delivery_date}
        with MemorySampler() as sampler:
            result["main_job"] = _run_job("platform", sampler)
            if args.evaluate:
                result["linkage_evaluation_job"] = _run_job("linkage_evaluation", sampler)
        result["peak_memory_mb_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        result["load_average_at_end"] = os.getloadavg()
        return result
    finally:
        if scratch is not None and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", help="an existing data home (its landing files are used as they are)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--evaluate", action="store_true", help="also run the on-demand linkage evaluation job")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data home")
    parser.add_argument("--redeliver", metavar="AGENCY",
                        help="on a built --home: land a later delivery of this agency and time the rebuild")
    parser.add_argument("--delivery-date", default=REDELIVERY_DATE, metavar="MM_DD_YYYY",
                        help="the redelivery's date, later than the agency's newest delivery (to redeliver again)")


def _result_name(args: argparse.Namespace) -> str:
    if args.redeliver:
        return f"statewide_rebuild_{args.redeliver}_{args.persons}.json"
    return engine_result_name("statewide")(args)


def main(argv: list[str] | None = None) -> int:
    return command_line(argv, __doc__.splitlines()[0], run, default_persons=1_200_000,
                        result_name=_result_name, add_arguments=_arguments)


if __name__ == "__main__":
    sys.exit(main())
