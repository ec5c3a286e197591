"""The dbt project as Dagster sees it: where it lives, its manifest, and how to run dbt.

Dagster needs `target/manifest.json` to build the dbt assets, and outside `dagster dev`
`DbtProject.prepare_if_dev()` does nothing. So `assets/marts.py` calls `prepare_manifest()` when
it is imported, which parses when the manifest is missing or older than any file of the project:
a fresh checkout, a `make test` or a `p20 materialize` never needs a manual `dbt parse`. A build
step can do the same ahead of time: `python -c "from p20_platform.transform import prepare_manifest;
prepare_manifest()"`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import duckdb
from dagster_dbt import DbtCliResource, DbtProject

from p20_platform import build_info
from p20_platform.settings import Paths, data_home

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")

# profiles.yml reads the warehouse path from P20_HOME; give dbt the same default the platform uses.
os.environ.setdefault("P20_HOME", str(data_home()))

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """True when the manifest is missing or a project file changed after it was written."""
    if not project.manifest_path.exists():
        return True
    written = project.manifest_path.stat().st_mtime
    for name in _PROJECT_FILES:
        path = Path(project.project_dir) / name
        files = [path] if path.is_file() else path.rglob("*")
        if any(f.stat().st_mtime > written for f in files if f.is_file()):
            return True
    return False


def dbt_cli_resource(project: DbtProject = dbt_project) -> DbtCliResource:
    """The `dbt` resource the dbt assets run with: this venv's dbt, the project's own profile."""
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                          dbt_executable=str(Path(sys.executable).with_name("dbt")))


def prepare_manifest(project: DbtProject = dbt_project) -> Path:
    """Run `dbt parse` if the manifest is stale; return the manifest's path.

    dbt parses into a private directory and the manifest is then moved into place in one
    step, so test workers or code servers starting together never read a half-written file.
    """
    if manifest_is_stale(project):
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=project.manifest_path.parent, prefix="parse-") as scratch:
            dbt_cli_resource(project).cli(["parse", "--quiet"], target_path=Path(scratch)).wait()
            os.replace(Path(scratch) / "manifest.json", project.manifest_path)
    return project.manifest_path



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
