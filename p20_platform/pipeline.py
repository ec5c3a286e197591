"""Run the whole platform end to end through Dagster, as `make demo` and the scheduled rebuild do.

It uses the same Definitions as `dagster dev`, on a persistent instance under the data home, so
the runs it makes are the ones a data engineer then sees in the UI.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from p20_platform.feeds.archive import require_private_stores
from p20_platform.settings import Paths

# The instance's settings, one top-level section each; `prepare_environment` appends any section an
# existing dagster.yaml lacks and never changes one that is there.
INSTANCE_SECTIONS = {
    # Every asset that writes DuckDB shares one pool; a limit of 1 keeps the single-writer rule
    # across runs (a sensor run and a scheduled run never write the same file at once).
    "concurrency": """\
concurrency:
  pools:
    default_limit: 1
""",
    "telemetry": """\
telemetry:
  enabled: false
""",
    # A run whose worker died with `dagster dev` stays STARTED forever unless something fails it.
    # The default run launcher can neither check a worker's health nor resume one, so monitoring
    # (a daemon `dagster dev` starts) works on time limits: a run stuck starting fails after
    # start_timeout_seconds; a run past its `dagster/max_runtime` tag (the sensors set it, see
    # assets/automation.py) is terminated and failed; pool slots a failed run still holds are
    # freed, or a dead writer would block the duckdb_writer pool (limit 1) for good.
    "run_monitoring": """\
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
  poll_interval_seconds: 60
  free_slots_after_run_end_seconds: 60
""",
}
INSTANCE_CONFIG_HEADER = ("# Written by p20_platform.pipeline; edit freely, it is not overwritten. A missing section\n"
                          "# is appended again: to turn one off, set enabled: false instead of deleting it.\n")


MAIN_JOB = "platform"  # schedules/jobs.py: every asset but the on-demand linkage evaluation
# Step-level DEBUG events go to the instance (and the UI); the console keeps to INFO and up.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def prepare_environment(paths: Paths) -> Path:
    """Point Dagster and the platform's resources at one data home; return DAGSTER_HOME."""
    paths.home_dir.mkdir(parents=True, exist_ok=True)
    paths.dagster_home.mkdir(parents=True, exist_ok=True)
    write_instance_config(paths.dagster_home / "dagster.yaml")
    os.environ["P20_HOME"] = str(paths.home_dir)
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    return paths.dagster_home


def write_instance_config(config: Path) -> None:
    """Write dagster.yaml, or append the sections it lacks (homes made before a section existed)."""
    existing = config.read_text() if config.exists() else INSTANCE_CONFIG_HEADER
    missing = [text for key, text in INSTANCE_SECTIONS.items() if key not in (yaml.safe_load(existing) or {})]
    if missing or not config.exists():
        config.write_text(existing.rstrip("\n") + "\n" + "".join(missing))


def materialize_all(paths: Paths, *, with_evaluation: bool = False, force: bool = False) -> bool:
    """Run the main job (every asset and check but the on-demand linkage evaluation) in one run, or
    with the evaluation every asset (the reports then cite all strategies); print what was built.
    Skipped when nothing is new since the last build (p20_platform/unchanged.py), unless `force`.

    Refuses to start while an identifier store is open to other users. Before the run, clears what
    a dead run left (its run marked failed, pool slots freed, an orphaned dbt build ended) and says
    so; during it, SIGTERM or Ctrl-C stops the run cleanly (p20_platform/run_control.py).
    """
    prepare_environment(paths)
    require_private_stores(paths)
    from dagster import DagsterInstance

    from p20_platform.unchanged import BuildInputs, describe_skip, record_build, why_rebuild

    with DagsterInstance.get() as instance:
        inputs = BuildInputs.now(paths, with_evaluation)
        reason = "asked to (--force)" if force else why_rebuild(instance, paths, inputs)
        if reason is None:
            print(describe_skip(instance, paths), flush=True)
            return True
        print(f"building: {reason}", flush=True)
        result, stopped_by = _build(instance, paths, with_evaluation)
        record_build(instance, result, inputs)
        print(summarise_run(result, paths))
        if stopped_by is not None:
            print(f"p20: stopped by {stopped_by}: run marked failed and its pool slot freed", flush=True)
            # Exit now: the interpreter's teardown took seconds on a loaded machine and froze the guard's
            # watcher thread, whose hard exit then came too late (a stop took 10.2 s).
            from p20_platform.run_control import EXIT_STOPPED

            os._exit(EXIT_STOPPED)
    return result.success and stopped_by is None



def _build(instance, paths: Paths, with_evaluation: bool):
    """Run the main job (with the evaluation: every asset) in process, with progress lines; returns the result
    and the signal that stopped it, if any."""
    from p20_platform.definitions import defs
    from p20_platform.progress import PROGRESS_CONSOLE, StepProgress, dbt_summary
    from p20_platform.run_control import clear_leftovers, execute_stoppable

    job = defs.resolve_implicit_global_asset_job_def() if with_evaluation else defs.resolve_job_def(MAIN_JOB)
    note = clear_leftovers(instance, paths).describe()
    if note:
        print(note, flush=True)
    with dbt_summary():
        return execute_stoppable(job, instance, listener=StepProgress(len(job.graph.node_dict)),
                                 run_config=PROGRESS_CONSOLE)


def summarise_run(result, paths: Paths) -> str:
    """A short account of a run: assets built, checks that did not pass, where to look next."""
    materialized = sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
                          if e.asset_key is not None)
    check_events = result.get_asset_check_evaluations()
    failed = sorted(f"{c.asset_key.to_user_string()}:{c.check_name}" for c in check_events if not c.passed)
    lines = [
        f"run {result.run_id}: {'succeeded' if result.success else 'FAILED'}",
        f"  {len(materialized)} assets materialized, {len(check_events)} asset checks evaluated,"
        f" {len(failed)} not passed",
        *[f"  check not passed: {name}" for name in failed],
        f"  hub store (identifiers):  {paths.hub_db}",
        f"  warehouse (pseudonymous): {paths.warehouse_db}",
        f"  reports:                  {paths.reports}",
        f"  published (analysts):     {paths.published} (marts copy, dashboard, data dictionary, dbt docs)",
        "  next: `make ui` opens the Dagster UI on this run history",
    ]
    return "\n".join(lines)
