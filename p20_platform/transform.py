"""The dbt project as Dagster sees it: where it lives, its manifest, and how to run dbt.

Importing this module does no work. Dagster reads `dbt_project/target/manifest.json`, which the
build prepares the supported way: `make setup` (and `make test`) run
`dagster-dbt project prepare-and-package --file p20_platform/transform.py`, rerun whenever a file of
the dbt project changes, and under `dg dev` (`p20 ui`) `prepare_if_dev()` parses again on each reload.
dbt finds the warehouse through `--vars p20_home` (every Dagster run passes its DataHome) or
`$P20_HOME` (profiles.yml, default ./data).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb
from dagster_dbt import DbtCliResource, DbtProject

from p20_platform import build_info
from p20_platform.settings import Paths

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def dbt_cli_resource(project: DbtProject = dbt_project) -> DbtCliResource:
    """The `dbt` resource the dbt assets run with: this venv's dbt, the project's own profile."""
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                          dbt_executable=str(Path(sys.executable).with_name("dbt")))


MART_TABLES = ("disconnected_youth_person_year", "disconnected_youth_counts", "disconnected_youth_factors",
               "crossover_youth_cohort", "crossover_youth_summary")


# Not "marts.duckdb": DuckDB names the catalog after the file, and catalog marts would clash with schema marts.
PUBLISHED_DATABASE = "p20_marts.duckdb"


def published_dir(home: Paths) -> Path:
    """Where analysts read marts while the platform writes the warehouse."""
    return home.home / "published"


# The published copy is written in a storage format the DuckDB prompt from PyPI (duckdb-cli, pinned
# in requirements.lock) opens too: its release line trails the Python package's.
ANALYST_STORAGE_VERSION = "v1.5.0"


def publish_marts(home: Paths) -> dict[str, int]:
    """Copy the marts, rows sorted (identical runs give identical files), to `published/`; return rows per mart.

    DuckDB lets one process hold a file for writing and then no other process may open it, so
    analysts never open the warehouse. The copy is written beside the old one and renamed
    over it in one step: a reader holding the previous copy open keeps reading it undisturbed.
    """
    target = published_dir(home)
    (target / "parquet").mkdir(parents=True, exist_ok=True)
    scratch = target / "p20_marts.next.duckdb"
    scratch.unlink(missing_ok=True)
    rows = {}
    with duckdb.connect() as published:  # a new file nobody else holds: no lock to wait for
        published.execute(f"ATTACH '{scratch}' AS copy (STORAGE_VERSION '{ANALYST_STORAGE_VERSION}')")
        published.execute("USE copy")
        published.execute(f"ATTACH '{home.warehouse_db}' AS warehouse (READ_ONLY)")
        published.execute("CREATE SCHEMA marts")
        for table in MART_TABLES:
            published.execute(f"CREATE TABLE marts.{table} AS SELECT * FROM warehouse.marts.{table} ORDER BY ALL")
            rows[table] = published.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]
            parquet = target / "parquet" / f"{table}.parquet"
            published.execute(f"COPY marts.{table} TO '{parquet}.next' (FORMAT parquet)")
            os.replace(f"{parquet}.next", parquet)
        build_info.write(published, build_info.collect(home, published, catalog="warehouse"))
        published.execute("DETACH warehouse")
    os.replace(scratch, target / PUBLISHED_DATABASE)
    return rows
