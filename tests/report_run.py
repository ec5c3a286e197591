"""The report run: feeds (with the demo's row-level faults) -> index -> linkage evaluation -> dbt -> published
marts -> report, brief and dashboard, on a fresh copy of the small synthetic population. Its Dagster instance is
kept in the home's dagster/ (where `make demo` keeps it), so a copy of the home carries its run history:
tests/schedules/test_rebuild_on_delivery.py starts the sensors on one, as `make ui` starts after `make demo`."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb

from assets.estimation import undecided_status
from assets.feeds import feed_assets
from assets.marts import DBT_ASSETS, published_marts
from assets.mpi import crosswalk, linkage_evaluation
from assets.report import annual_report, crossover_brief
from p20_platform.linkage.pet_key import KEY_FILE_NAME, create_demo_key
from p20_platform.resources import DataHome
from p20_platform.settings import paths
from p20_platform.synth.faults import add_demo_faults


def build(synth_home: Path, home: Path, secrets_of: Path | None = None) -> dg.ExecuteInProcessResult:
    """The run on a copy of `synth_home` at `home`; with the deployment secrets of the home `secrets_of` when
    given (see `share_secrets`), fresh ones otherwise."""
    shutil.copytree(synth_home, home)
    add_demo_faults(paths(home), seed=1)
    if secrets_of is None:
        create_demo_key(paths(home))
    else:
        share_secrets(secrets_of, home)
    feeds = [a for a in feed_assets if a.key.path[-1].endswith(("_matching", "_analytical"))]
    instance_dir(home).mkdir()
    with dg.DagsterInstance.local_temp(str(instance_dir(home))) as instance:
        return dg.materialize(
            [*feeds, crosswalk, linkage_evaluation, *DBT_ASSETS, undecided_status, published_marts, annual_report,
             crossover_brief],
            instance=instance, resources={"data_home": DataHome(home=str(home))}, raise_on_error=False,
            run_config={"ops": {"mpi__crosswalk": {"config": {"strategy": "deterministic"}},
                                "mpi__linkage_evaluation": {"config": {"compare_with": ["pet-keys"]}}}})


def instance_dir(home: Path) -> Path:
    """The Dagster instance (run and event history) of the build at `home`."""
    return home / "dagster"


def share_secrets(source: Path, home: Path) -> None:
    """Give a new `home` the secrets of the built home `source`: its PET key, and the salt its p20_ids were
    issued from (`mpi.id_issuer`, counting from 0 again as a first build does)."""
    shutil.copy2(source / KEY_FILE_NAME, home / KEY_FILE_NAME)  # keeps its owner-only mode
    with duckdb.connect(str(source / "hub.duckdb"), read_only=True) as hub:
        [salt] = hub.execute("SELECT salt FROM mpi.id_issuer").fetchone()
    with duckdb.connect(str(home / "hub.duckdb")) as hub:
        hub.execute("CREATE SCHEMA mpi")
        hub.execute("CREATE TABLE mpi.id_issuer (salt VARCHAR, issued BIGINT)")
        hub.execute("INSERT INTO mpi.id_issuer VALUES (?, 0)", [salt])
    (home / "hub.duckdb").chmod(0o600)
