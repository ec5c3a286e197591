"""Shared fixtures: one small synthetic population per test session, never mocks.

Tiers: `synth_home` (deliveries and truth, generated once) is the base; `built_home` adds one real
`dbt build` on it (the analytical feeds loaded, the oracle index from truth/), shared by every test
that reads marts without needing Dagster; `run` is one Dagster run to the published report, shared by the
report tests and the rebuild-on-delivery test. The small population's Splink model is trained once for
the shared homes (`indexed_home`); `linked_home` and the rebuild-on-delivery test score with it
(`shared_homes.store_trained_model`).

Session homes are built once per test run, not once per xdist worker (`shared_dir`): under
`pytest -n 2` the first worker to need one builds it while holding a file lock, the other waits for it
and reads the same directory. So they are read-only to every test: a test that changes one copies it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_run import build as build_report_run
from shared_homes import shared_dir, store_trained_model

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


# How `pytest -n 2` shares the work (pyproject's addopts: `--dist loadscope --no-loadscope-reorder`).
# A module's tests are one unit run by one worker, so a module-scoped fixture is built once, not once
# per worker; tests/report is one unit for its package-scoped Dagster run. Units are handed out in
# this order, a worker taking the next when it is nearly done: the longest first (seconds measured on
# the 2-core machine), so the two longest run side by side from the start and short units fill the end.
LONGEST_FIRST = (
    "tests/report/",  # the report run (one Dagster run to the report), headless Chromium, then the
                      # rebuild-on-delivery test on a copy of the run's home: one rebuild
    "tests/linkage/test_spark_engine.py",  # Spark session and scoring, a Dagster build; first the shared
                                           # dbt homes it compares with (which tests/dbt reads after)
    "tests/dbt/test_dbt_estimate.py",  # a second population drawn, linked and built
    "tests/dbt/",  # the shared dbt builds: the oracle index and the real one
    "tests/assets/test_marts.py",
    "tests/test_cli.py",
    "tests/feeds/test_kill_during_load.py",
)


# One unit with tests/report/: it starts from a copy of the report run, a per-process session fixture (`run`).
REBUILD_ON_DELIVERY = "tests/schedules/test_rebuild_on_delivery.py"


def _work_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "tests/report/" if path.startswith("tests/report/") or path == REBUILD_ON_DELIVERY else path


def _start_rank(item: pytest.Item) -> int:
    unit = _work_unit(item.nodeid)
    return next((rank for rank, prefix in enumerate(LONGEST_FIRST) if unit.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_start_rank)  # stable: a unit's tests keep their order


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's loadscope with `_work_unit` as the scope. (Not `--dist loadgroup`: with pytest 9.2 its
    `xdist_group` marks no longer reach the scheduler, which reads a node id pytest now computes.)"""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

    return WorkUnits(config, log)


@pytest.fixture(scope="session")
def small_population() -> dict[str, int]:
    """`p20 synth` arguments of the small population every shared home is drawn from."""
    return {"persons": SMALL_PERSONS, "seed": SMALL_SEED}


@pytest.fixture(scope="session")
def synth_home(small_population: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home holding landing/ and truth/ for a small population (read-only for tests). The directory (a Path; `paths()` of it is the Paths)."""
    from p20_platform.synth import generate

    return shared_dir(tmp_path_factory, "p20_home",
                      lambda home: generate(**small_population, out=home, progress=False))


@pytest.fixture
def fresh_home(synth_home: Path, tmp_path: Path) -> Path:
    """A writable copy of the small population's data home, for tests that load or mutate. The directory (a Path; `paths()` of it is the Paths)."""
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

    Shared: tests read it, or copy it before changing anything. A Paths (its directory is `.home_dir`)."""
    def build(directory: Path) -> None:
        home = paths(directory / "home")
        shutil.copytree(synth_home, home.home_dir)
        load_oracle_warehouse(home)
        result = run_dbt(DBT_PROJECT_DIR, home.home_dir, "build")
        assert result.returncode == 0, result.stdout[-4000:]

    return paths(shared_dir(tmp_path_factory, "dbt_home", build) / "home")


@pytest.fixture(scope="session")
def run(synth_home: Path, tmp_path_factory: pytest.TempPathFactory):
    """The report run (tests/report_run.py): one real Dagster run from the deliveries, with the demo's faults, to
    the published report; (home, result). For tests/report, and the rebuild-on-delivery test, which starts from a
    copy of its home and Dagster instance. Tests read it, or copy it before changing anything.

    Built once per process, not shared between xdist workers: tests read its result object, and `_work_unit`
    keeps the tests that use it on one worker."""
    home = tmp_path_factory.mktemp("report_run") / "home"
    return paths(home), build_report_run(synth_home, home)


@pytest.fixture(scope="session")
def dbt_cli():
    """The dbt CLI runner, for tests that build a changed copy of the project."""
    return run_dbt


@pytest.fixture(scope="session")
def hub_home(synth_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic home with every agency's matching delivery loaded into hub.duckdb. The directory (a Path; `paths()` of it is the Paths)."""
    def build(directory: Path) -> None:
        home = directory / "home"
        shutil.copytree(synth_home, home)
        load_matching_feeds(paths(home))

    return shared_dir(tmp_path_factory, "hub_home", build) / "home"


@pytest.fixture(scope="session")
def indexed_home(hub_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`hub_home` after one full probabilistic build of the master person index: the one Splink training of the
    small population per test run, stored in its hub (read-only for tests; `store_trained_model` lends it).
    The directory (a Path; `paths()` of it is the Paths)."""
    from p20_platform.linkage.hub import rebuild_index

    def build(directory: Path) -> None:
        shutil.copytree(hub_home, directory / "home")
        rebuild_index(paths(directory / "home"), "probabilistic")

    return shared_dir(tmp_path_factory, "indexed_home", build) / "home"


def load_matching_feeds(home: Paths) -> None:
    for feed in FEEDS:
        if feed[1] == "matching":
            load_feed(home, feed)


@pytest.fixture(scope="session")
def linked_home(built_home: Paths, indexed_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """`built_home` (analytical feeds loaded) re-indexed by real Splink linkage (the session's trained model,
    `store_trained_model`, scored here) and rebuilt by `dbt build` (tests included: the singular test on
    unlinkable wages then sees many such youth). Its estimation table is still the oracle's empty one:
    `estimated_home` adds the hub's estimate. A Paths."""
    from p20_platform.linkage.hub import rebuild_index

    def build(directory: Path) -> None:
        home = paths(directory / "home")
        shutil.copytree(built_home.home_dir, home.home_dir)
        load_matching_feeds(home)
        store_trained_model(indexed_home, home.home_dir)
        assert not rebuild_index(home, "probabilistic").model_trained
        result = run_dbt(DBT_PROJECT_DIR, home.home_dir, "build")
        assert result.returncode == 0, result.stdout[-4000:]

    return paths(shared_dir(tmp_path_factory, "real_index", build) / "home")


@pytest.fixture(scope="session")
def estimated_home(linked_home: Paths, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """`linked_home` with the hub's estimate published and the models downstream of it rebuilt: the marts
    of the real index on DuckDB (tests/dbt/test_dbt_estimate.py; tests/linkage/test_spark_engine.py
    compares Spark's with them). A Paths."""
    from p20_platform.estimation.publish import publish_undecided_status

    def build(directory: Path) -> None:
        home = paths(directory / "home")
        shutil.copytree(linked_home.home_dir, home.home_dir)
        publish_undecided_status(home)
        result = run_dbt(DBT_PROJECT_DIR, home.home_dir, "build", "--select", "source:estimation+")
        assert result.returncode == 0, result.stdout[-4000:]

    return paths(shared_dir(tmp_path_factory, "estimated", build) / "home")
