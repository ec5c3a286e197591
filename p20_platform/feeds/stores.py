"""Opening the hub store and the warehouse: one writer per DuckDB file, connections always closed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 120.0


@contextmanager
def connect(database: Path, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a DuckDB file, waiting while another process holds its single-writer lock.

    Not dagster-duckdb's DuckDBResource, which waits the same way: the loaders, the index, publishing,
    the CLI and the benchmarks all open stores through plain functions that run outside Dagster too.
    """
    if not read_only:
        database.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            connection = duckdb.connect(str(database), read_only=read_only)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        yield connection
    finally:
        connection.close()


def quote(identifier: str) -> str:
    """A safely quoted SQL identifier (agency codes and column names come from the registry)."""
    return '"' + identifier.replace('"', '""') + '"'


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether schema.table exists (the result is consumed whole: DuckDB 2 breaks the connection otherwise)."""
    return connection.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                              [schema, table]).fetchall()[0][0] > 0
