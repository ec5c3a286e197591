"""Session homes built once per test run and shared by the pytest-xdist workers.

Session fixtures are per process: under `pytest -n 2` each worker would otherwise build its own copy of
every session home (a dbt build, a Splink training) at the same time as the other, on a 2-core machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from p20_platform.settings import paths


def shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A directory `build` fills once per test run, shared by every xdist worker (pytest-xdist's documented
    pattern: the workers' common temporary directory and a file lock). Without xdist, a plain temporary one.

    A build that failed leaves no marker: the next worker to ask removes what it left and builds again."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        directory = tmp_path_factory.mktemp(name)
        build(directory)
        return directory
    root = tmp_path_factory.getbasetemp().parent
    directory, built = root / name, root / f"{name}.built"
    with FileLock(root / f"{name}.lock"):
        if not built.exists():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            build(directory)
            built.touch()
    return directory


def store_trained_model(indexed_home: Path, home: Path) -> None:
    """Store `indexed_home`'s trained model in `home`'s hub, as a deployment's earlier training would have left
    it, so the next index build scores with it instead of training again. Training is seeded and the records
    are the same small population's, so it is the model a training here would give; training itself is tested
    by `indexed_home` and tests/linkage/test_mpi_assets.py."""
    with duckdb.connect(str(paths(home).hub_db)) as hub:
        hub.execute(f"ATTACH '{paths(indexed_home).hub_db}' AS trained (READ_ONLY)")
        hub.execute("CREATE SCHEMA IF NOT EXISTS mpi")
        hub.execute("CREATE TABLE mpi.model AS FROM trained.mpi.model")
