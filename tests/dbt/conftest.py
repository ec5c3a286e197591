"""The dbt tests read the session's built home (tests/conftest.py) through one read-only connection;
`linked_home` (tests/conftest.py) is the same warehouse re-indexed by the real Splink linkage."""

from __future__ import annotations

import duckdb
import pytest

from p20_platform.settings import Paths


@pytest.fixture(scope="session")
def warehouse(built_home: Paths):
    connection = duckdb.connect(str(built_home.warehouse_db), read_only=True)
    yield connection
    connection.close()
