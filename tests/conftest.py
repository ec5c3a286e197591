"""Shared fixtures: one small synthetic population per test session, never mocks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SMALL_PERSONS = 3_000
SMALL_SEED = 11
REPO = Path(__file__).resolve().parents[1]
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
    project_dir = REPO / "dbt_project"
    if _manifest_is_stale(project_dir, project_dir / "target" / "manifest.json"):
        bin_dir = Path(sys.executable).parent
        subprocess.run([str(bin_dir / "dagster-dbt"), "project", "prepare-and-package", "--file",
                        str(REPO / "p20_platform" / "transform.py")], check=True, cwd=REPO,
                       env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
        (project_dir / "target" / "manifest.json").touch()


@pytest.fixture(scope="session")
def synth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home holding landing/ and truth/ for a small population (read-only for tests)."""
    from p20_platform.synth import generate

    home = tmp_path_factory.mktemp("p20_home")
    generate(persons=SMALL_PERSONS, seed=SMALL_SEED, out=home, progress=False)
    return home


@pytest.fixture
def fresh_home(synth_home: Path, tmp_path: Path) -> Path:
    """A writable copy of the small population's data home, for tests that load or mutate."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(synth_home, home)
    return home
