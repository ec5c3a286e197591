"""One real dbt build per session on the small synthetic population, linked by the oracle index."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from p20_platform.evaluation.marts import write_oracle_mpi
from p20_platform.feeds import FEEDS, load_feed
from p20_platform.linkage.hub import rebuild_index
from p20_platform.settings import Paths, paths
from p20_platform.transform import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))


def run_dbt(project_dir: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """The dbt CLI, as an operator would run it, against one data home (never the repo's target/)."""
    command = [DBT, *args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
               "--target-path", str(home / "dbt_target"), "--log-path", str(home / "dbt_logs"),
               "--vars", json.dumps({"p20_home": str(home)})]
    return subprocess.run(command, capture_output=True, text=True, cwd=project_dir)


def load_oracle_warehouse(home: Paths) -> None:
    """Every analytical feed through the real loaders, then the oracle index from truth/."""
    for feed in FEEDS:
        if feed[1] == "analytical":
            load_feed(home, feed)
    write_oracle_mpi(home)


@pytest.fixture(scope="session")
def built_home(synth_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """A data home whose warehouse holds every dbt model, built by `dbt build` (tests included)."""
    home = paths(tmp_path_factory.mktemp("dbt_home") / "home")
    shutil.copytree(synth_home, home.home)
    load_oracle_warehouse(home)
    result = run_dbt(DBT_PROJECT_DIR, home.home, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    return home


@pytest.fixture(scope="session")
def linked_home(built_home: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """`built_home` (analytical feeds loaded) re-indexed by real Splink linkage and rebuilt by `dbt build`
    (tests included: the singular test on unlinkable wages then sees many such youth). Its estimation
    table is still the oracle's empty one: `estimated_home` adds the hub's estimate."""
    home = paths(tmp_path_factory.mktemp("real_index") / "home")
    shutil.copytree(built_home.home, home.home)
    for feed in FEEDS:
        if feed[1] == "matching":
            load_feed(home, feed)
    rebuild_index(home.home, "probabilistic")
    result = run_dbt(DBT_PROJECT_DIR, home.home, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    return home


@pytest.fixture(scope="session")
def dbt_cli():
    """The dbt CLI runner, for tests that build a changed copy of the project."""
    return run_dbt


@pytest.fixture(scope="session")
def warehouse(built_home: Paths):
    connection = duckdb.connect(str(built_home.warehouse_db), read_only=True)
    yield connection
    connection.close()
