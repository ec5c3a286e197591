"""The dbt tests read the session's built home (tests/conftest.py) through one read-only connection;
`linked_home` adds the same warehouse re-indexed by the real Splink linkage."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from p20_platform.feeds import FEEDS, load_feed
from p20_platform.linkage.hub import rebuild_index
from p20_platform.settings import Paths, paths
from p20_platform.transform import DBT_PROJECT_DIR


@pytest.fixture(scope="session")
def linked_home(built_home: Paths, dbt_cli, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """`built_home` (analytical feeds loaded) re-indexed by real Splink linkage and rebuilt by `dbt build`
    (tests included: the singular test on unlinkable wages then sees many such youth). Its estimation
    table is still the oracle's empty one: `estimated_home` adds the hub's estimate."""
    home = paths(tmp_path_factory.mktemp("real_index") / "home")
    shutil.copytree(built_home.home, home.home)
    for feed in FEEDS:
        if feed[1] == "matching":
            load_feed(home, feed)
    rebuild_index(home.home, "probabilistic")
    result = dbt_cli(DBT_PROJECT_DIR, home.home, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    return home


@pytest.fixture(scope="session")
def warehouse(built_home: Paths):
    connection = duckdb.connect(str(built_home.warehouse_db), read_only=True)
    yield connection
    connection.close()
