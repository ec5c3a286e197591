"""Opening the hub store and the warehouse: one writer per DuckDB file, connections always closed.

Every open connection is registered, so a stop (SIGTERM, Ctrl-C) can interrupt the query it runs
(see p20_platform/run_control.py). The hub store holds identifiers: while a connection to it is
open the process creates files owner-only (umask 077), so the store and its write-ahead log are
born 0600 whatever the caller's umask.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 120.0
PRIVATE_STORES = ("hub.duckdb",)  # file names of stores that hold identifiers

_open: set[duckdb.DuckDBPyConnection] = set()
_lock = threading.Lock()
_private = {"depth": 0, "umask": 0}


def interrupt_open_connections() -> int:
    """Interrupt the query every open connection is running (thread-safe); return how many were open."""
    with _lock:
        connections = list(_open)
    for connection in connections:
        try:
            connection.interrupt()
        except duckdb.Error:
            pass
    return len(connections)


@contextmanager
def _owner_only_files(private: bool) -> Iterator[None]:
    if not private:
        yield
        return
    with _lock:
        if _private["depth"] == 0:
            _private["umask"] = os.umask(0o077)
        _private["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _private["depth"] -= 1
            if _private["depth"] == 0:
                os.umask(_private["umask"])


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
    with _owner_only_files(database.name in PRIVATE_STORES and not read_only):
        while True:
            try:
                connection = duckdb.connect(str(database), read_only=read_only)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise
                if time.monotonic() > deadline:
                    raise duckdb.IOException(
                        f"{database} stayed locked by another process for {wait_seconds:.0f} s ({error}). Fix: close "
                        "that process (an operator's DuckDB session?) and run again; to read while the platform "
                        "runs, open published/p20_marts.duckdb or published/deliveries.parquet instead") from None
                time.sleep(0.5)
        with _lock:
            _open.add(connection)
        try:
            yield connection
        finally:
            with _lock:
                _open.discard(connection)
            connection.close()


def quote(identifier: str) -> str:
    """A safely quoted SQL identifier (agency codes and column names come from the registry)."""
    return '"' + identifier.replace('"', '""') + '"'


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether schema.table exists (the result is consumed whole: DuckDB 2 breaks the connection otherwise)."""
    return connection.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                              [schema, table]).fetchall()[0][0] > 0
