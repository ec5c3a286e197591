"""The dbt project as Dagster sees it: where it lives, its manifest, and how to run dbt.

Importing this module does no work. Dagster reads `dbt_project/target/manifest.json`, which the
build prepares the supported way: `make setup` (and `make test`) run
`dagster-dbt project prepare-and-package --file p20_platform/transform.py`, rerun whenever a file of
the dbt project changes, and under `dg dev` (`p20 ui`) `prepare_if_dev()` parses again on each reload.
dbt finds the warehouse through `--vars p20_home` (every Dagster run passes its DataHome) or
`$P20_HOME` (profiles.yml, default ./data).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import duckdb
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from p20_platform import build_info
from p20_platform.settings import Paths

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class VenvDbtCliResource(DbtCliResource):
    """`DbtCliResource` for the dbt installed in this virtualenv, without two start-up costs it cannot use.

    Before each dbt command dagster-dbt asks the executable `dbt --version` in a subprocess (4 s here before the
    packages' bytecode was compiled at set-up, 2.3 s after: dbt's imports and a lookup of the latest release;
    once per resource instance, so once per dbt step), to tell dbt Core from the Fusion engine; the executable
    here is this venv's dbt Core, whose version its package metadata gives.
    It also builds an in-process dbt adapter (0.6-2.7 s), used only by `fetch_row_counts()` and
    `fetch_column_metadata()`, which the dbt assets do not call (see `assets.marts._dbt_build`: the
    in-process connection would hold the warehouse open). Both are private methods of dagster-dbt
    0.29 (Dagster 1.13); `tests/dbt/test_dbt_project.py` checks the version against `dbt --version`."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # the dbt adapter handle is never used
        return None


def dbt_cli_resource(project: DbtProject = dbt_project) -> DbtCliResource:
    """The `dbt` resource the dbt assets run with: this venv's dbt, the project's own profile."""
    return VenvDbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                              dbt_executable=str(Path(sys.executable).with_name("dbt")))


# dagster-dbt writes each invocation's artifacts to a fresh dbt_project/target/<op>-<id>-<id>/ folder (about 11 MB
# a run at demo size); the dbt asset keeps the newest few, for debugging, after every build.
KEEP_DBT_TARGETS = 3


def prune_dbt_targets(target: Path = DBT_PROJECT_DIR / "target", keep: int = KEEP_DBT_TARGETS) -> list[Path]:
    """Remove all but the `keep` most recently finished invocation folders of `target`; return what was removed.

    Only finished ones (dbt writes run_results.json as an invocation ends): another data home's dbt may be
    building into its folder of the same project at this moment."""
    if not target.is_dir():
        return []
    finished = [f for f in target.iterdir() if f.is_dir() and not f.is_symlink() and not f.name.startswith("parse-")
                and (f / "run_results.json").is_file()]
    finished.sort(key=lambda f: (f / "run_results.json").stat().st_mtime, reverse=True)
    for folder in finished[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return finished[keep:]


MART_TABLES = ("disconnected_youth_person_year", "disconnected_youth_counts", "disconnected_youth_factors",
               "crossover_youth_cohort", "crossover_youth_summary")


# Not "marts.duckdb": DuckDB names the catalog after the file, and catalog marts would clash with schema marts.
PUBLISHED_DATABASE = "p20_marts.duckdb"


# The published copy is written in a storage format the DuckDB prompt from PyPI (duckdb-cli, pinned
# in requirements.lock) opens too: its release line trails the Python package's.
ANALYST_STORAGE_VERSION = "v1.5.0"


# The published copy is one folder per build under published/.marts/; `published/marts` links to the
# current one and the analysts' paths go through it (`p20_marts.duckdb` -> marts/p20_marts.duckdb,
# `parquet` -> marts/parquet), so one rename of that link moves every reader to the new copy at once.
VERSIONS, CURRENT = ".marts", "marts"
COPY_ENTRIES = (PUBLISHED_DATABASE, "parquet")


def publish_marts(home: Paths) -> dict[str, int]:
    """Copy the marts, rows sorted (identical runs give identical files), to `published/`; return rows per mart.

    DuckDB lets one process hold a file for writing and then no other process may open it, so
    analysts never open the warehouse. The whole copy (DuckDB file and Parquet) is written into a
    new folder and the `published/marts` link is renamed onto it in one step: readers see the old
    copy or the new one, never a mix, and a run killed while writing leaves only an unlinked
    folder, which the next publish removes. A reader holding the previous copy open keeps reading it.
    """
    target = home.published
    versions = target / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    version = Path(tempfile.mkdtemp(prefix=f"{datetime.now(UTC):%Y%m%dT%H%M%S}-", dir=versions))
    (version / "parquet").mkdir()
    rows = {}
    with duckdb.connect() as published:  # a new file nobody else holds: no lock to wait for
        published.execute(f"ATTACH '{version / PUBLISHED_DATABASE}' AS copy "
                          f"(STORAGE_VERSION '{ANALYST_STORAGE_VERSION}')")
        published.execute("USE copy")
        published.execute(f"ATTACH '{home.warehouse_db}' AS warehouse (READ_ONLY)")
        published.execute("CREATE SCHEMA marts")
        for table in MART_TABLES:
            published.execute(f"CREATE TABLE marts.{table} AS SELECT * FROM warehouse.marts.{table} ORDER BY ALL")
            rows[table] = published.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0]
            published.execute(f"COPY marts.{table} TO '{version / 'parquet' / table}.parquet' (FORMAT parquet)")
        build_info.write(published, build_info.collect(home, published, catalog="warehouse"))
        published.execute("DETACH warehouse")
    version.chmod(0o755)  # mkdtemp makes it owner-only; the published copy is for every analyst
    _switch(target, version)
    return rows


def _switch(target: Path, version: Path) -> None:
    """Point `published/marts` at `version` (one rename), then remove every other copy but the one it
    replaced (a reader may still be opening that one): older builds and folders of killed runs."""
    link = target / CURRENT
    previous = link.resolve() if link.is_symlink() else None
    scratch = target / f"{CURRENT}.next"
    scratch.unlink(missing_ok=True)
    scratch.symlink_to(version.relative_to(target))
    os.replace(scratch, link)
    for entry in COPY_ENTRIES:  # fixed links through `marts`; a copy published before versions is replaced once
        path = target / entry
        if not path.is_symlink():
            if path.is_dir():
                shutil.rmtree(path)
            entry_link = target / f"{entry}.next"
            entry_link.unlink(missing_ok=True)
            entry_link.symlink_to(Path(CURRENT) / entry)
            os.replace(entry_link, path)
    for old in (target / VERSIONS).iterdir():
        if old.resolve() not in (version.resolve(), previous):
            shutil.rmtree(old)
