"""Shared fixtures: one small synthetic population per test session, never mocks.

Tiers: `synth_home` (deliveries and truth, generated once) is the base; `built_home` adds one real
`dbt build` on it (the analytical feeds loaded, the oracle index from truth/), shared by every test
that reads marts without needing Dagster; tests that check Dagster runs build their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from p20_platform.evaluation.marts import write_oracle_mpi
from p20_platform.feeds import FEEDS, load_feed
from p20_platform.settings import Paths, paths

# Files the tests write are complete when written: read them at once instead of waiting the landing
# settle interval (tests/feeds/test_hostile_deliveries.py sets it where waiting is what it tests).
os.environ.setdefault("P20_LANDING_SETTLE_SECONDS", "0")

SMALL_PERSONS = 3_000
SMALL_SEED = 11
REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"
DBT_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def _manifest_is_stale(project_dir: Path, manifest: Path) -> bool:
    if not manifest.exists():
        return True
    written = manifest.stat().st_mtime
    return any(path.stat().st_mtime > written for name in DBT_PROJECT_FILES
               for path in [project_dir / name, *(project_dir / name).rglob("*")] if path.is_file())


def pytest_configure(config: pytest.Config) -> None:
    """Prepare the dbt manifest as `make setup` does, when pytest runs without make after a dbt edit.

    Loading the code location never parses dbt; the pytest controller prepares the manifest here,
    before any xdist worker starts."""
    if hasattr(config, "workerinput"):
        return
    project_dir = DBT_PROJECT_DIR
    if _manifest_is_stale(project_dir, project_dir / "target" / "manifest.json"):
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "dagster-dbt"), "project", "prepare-and-package", "--file",
                        str(REPO / "p20_platform" / "transform.py")], check=True, cwd=REPO,
                       env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
        (project_dir / "target" / "manifest.json").touch()


@pytest.fixture(scope="session")
def small_population() -> dict[str, int]:
    """`p20 synth` arguments of the small population every shared home is drawn from."""
    return {"persons": SMALL_PERSONS, "seed": SMALL_SEED}


@pytest.fixture(scope="session")
def synth_home(small_population: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home holding landing/ and truth/ for a small population (read-only for tests)."""
    from p20_platform.synth import generate

    home = tmp_path_factory.mktemp("p20_home")
    generate(**small_population, out=home, progress=False)
    return home


@pytest.fixture
def fresh_home(synth_home: Path, tmp_path: Path) -> Path:
    """A writable copy of the small population's data home, for tests that load or mutate."""
    home = tmp_path / "home"
    shutil.copytree(synth_home, home)
    return home


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
    """A data home whose warehouse holds every dbt model, built by `dbt build` (tests included).

    Shared: tests read it, or copy it before changing anything."""
    home = paths(tmp_path_factory.mktemp("dbt_home") / "home")
    shutil.copytree(synth_home, home.home)
    load_oracle_warehouse(home)
    result = run_dbt(DBT_PROJECT_DIR, home.home, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    return home


@pytest.fixture(scope="session")
def dbt_cli():
    """The dbt CLI runner, for tests that build a changed copy of the project."""
    return run_dbt
