"""Run the whole platform end to end through Dagster, as `make demo` and the scheduled rebuild do.

It uses the same Definitions as `dagster dev`, on a persistent instance under the data home, so
the runs it makes are the ones a data engineer then sees in the UI.
"""

from __future__ import annotations

import os
from pathlib import Path

from p20_platform.settings import Paths

# Every asset that writes DuckDB shares one pool; a limit of 1 keeps the single-writer rule
# across runs (a sensor run and a scheduled run never write the same file at once).
INSTANCE_CONFIG = """\
# Written by p20_platform.pipeline; edit freely, it is not overwritten.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


# Step-level DEBUG events go to the instance (and the UI); the console keeps to INFO and up.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def prepare_environment(paths: Paths) -> Path:
    """Point Dagster and the platform's resources at one data home; return DAGSTER_HOME."""
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.dagster_home.mkdir(parents=True, exist_ok=True)
    config = paths.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG)
    os.environ["P20_HOME"] = str(paths.home)
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    return paths.dagster_home


def materialize_all(paths: Paths) -> bool:
    """Materialize every asset (and run every asset check) in one run; print what was built."""
    prepare_environment(paths)
    from dagster import DagsterInstance

    from p20_platform.definitions import defs

    job = defs.resolve_implicit_global_asset_job_def()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET_CONSOLE)
        print(summarise_run(result, paths))
    return result.success


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
        "  next: `make ui` opens the Dagster UI on this run history",
    ]
    return "\n".join(lines)
