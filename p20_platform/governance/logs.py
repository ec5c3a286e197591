"""The request log and the match log: append-only tables in the warehouse (schema `governance`).

The governance manual's logs, written by the assets as they act instead of by hand. Each entry
is an event (a request filed, an approval, a file received, matched, passed on or destroyed) with
the manual's columns filled where the event knows them; `governance.match_log_by_file` folds the
match log back into the manual's one-row-per-file layout. Entries are only ever appended: each
carries the checksum of the one before it, so an entry edited or deleted afterwards breaks the
chain and `broken_entries` finds it. Values are request fields, file names, element names, dates
and checksums: never an identifier value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from p20_platform.feeds.stores import table_exists
from p20_platform.registry import AGENCIES

SCHEMA = "governance"
GENESIS = "0" * 64


@dataclass(frozen=True)
class Log:
    table: str
    columns: tuple[str, ...]


REQUEST_LOG = Log("request_log", ("request", "event", "name", "type", "date_received", "requestor", "organisation",
                                  "agencies", "board_decision", "board_decision_date", "ndas_needed", "ndas_received",
                                  "version_sha256", "detail"))
MATCH_LOG = Log("match_log", ("request", "event", "file_name", "file_sha256", "sender", "receiver", "date_received",
                              "fields", "match_date", "matrix_passed_on", "authorised_representative",
                              "inputs_destroyed", "detail"))
LOGS = (REQUEST_LOG, MATCH_LOG)
_BOOKKEEPING = ("seq", "logged_at", "run_id")


def ensure_logs(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}").fetchall()
    for log in LOGS:
        columns = ", ".join(f"{c} VARCHAR" for c in log.columns)
        connection.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{log.table} (seq BIGINT PRIMARY KEY, "
                           f"logged_at TIMESTAMP NOT NULL, run_id VARCHAR NOT NULL, {columns}, "
                           f"prev_sha256 VARCHAR NOT NULL, entry_sha256 VARCHAR NOT NULL)").fetchall()
    connection.execute(f"""
        CREATE OR REPLACE VIEW {SCHEMA}.match_log_by_file AS
        SELECT request, file_name, file_sha256, any_value(sender) FILTER (WHERE event = 'received') AS sender,
               any_value(receiver) FILTER (WHERE event = 'received') AS receiver,
               min(date_received) AS date_received, any_value(fields) AS fields, min(match_date) AS match_date,
               min(matrix_passed_on) AS matrix_passed_on,
               any_value(authorised_representative) AS authorised_representative,
               min(inputs_destroyed) AS inputs_destroyed
        FROM {SCHEMA}.match_log WHERE file_name IS NOT NULL
        GROUP BY request, file_name, file_sha256""").fetchall()


def as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _digest(previous: str, entry: Mapping[str, str | None]) -> str:
    return hashlib.sha256((previous + json.dumps(entry, sort_keys=True)).encode()).hexdigest()


def append(connection: duckdb.DuckDBPyConnection, log: Log, entries: Iterable[Mapping[str, object]], run_id: str,
           now: dt.datetime | None = None) -> int:
    """Append entries (unknown keys refused) in one transaction; return how many were written."""
    ensure_logs(connection)
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    rows = []
    last = connection.execute(f"SELECT seq, entry_sha256 FROM {SCHEMA}.{log.table} ORDER BY seq DESC LIMIT 1").fetchall()
    seq, previous = last[0] if last else (0, GENESIS)
    for entry in entries:
        unknown = set(entry) - set(log.columns)
        if unknown:
            raise ValueError(f"{log.table}: no such columns {sorted(unknown)}")
        seq += 1
        row = {"seq": str(seq), "logged_at": now.isoformat(), "run_id": run_id,
               **{c: as_text(entry.get(c)) for c in log.columns}}
        digest = _digest(previous, row)
        rows.append((seq, now, run_id, *[row[c] for c in log.columns], previous, digest))
        previous = digest
    if rows:
        marks = ", ".join("?" * (len(log.columns) + 5))
        connection.begin()
        connection.executemany(f"INSERT INTO {SCHEMA}.{log.table} VALUES ({marks})", rows)
        connection.commit()
    return len(rows)


def read_log(connection: duckdb.DuckDBPyConnection, log: Log) -> pd.DataFrame:
    if not table_exists(connection, SCHEMA, log.table):
        return pd.DataFrame(columns=[*_BOOKKEEPING, *log.columns, "prev_sha256", "entry_sha256"])
    return connection.execute(f"SELECT * FROM {SCHEMA}.{log.table} ORDER BY seq").df()


def broken_entries(connection: duckdb.DuckDBPyConnection, log: Log) -> list[int]:
    """Sequence numbers whose entry no longer matches its checksum chain (edited, deleted or reordered)."""
    broken, previous = [], GENESIS
    for record in read_log(connection, log).to_dict("records"):
        row = {"seq": str(record["seq"]), "logged_at": pd.Timestamp(record["logged_at"]).isoformat(),
               "run_id": record["run_id"], **{c: record[c] for c in log.columns}}
        row = {k: (None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v) for k, v in row.items()}
        if record["prev_sha256"] != previous or _digest(previous, row) != record["entry_sha256"]:
            broken.append(int(record["seq"]))
        previous = record["entry_sha256"]
    return broken


def identifier_hits(warehouse: duckdb.DuckDBPyConnection, hub: duckdb.DuckDBPyConnection, log: Log) -> dict[str, int]:
    """How many SSNs, SASIDs, DOBs and full names held in the hub's matching tables appear in a log.

    Compared as tokens (digit runs; two words separated by one space), so the scan stays linear in
    the log's size whatever the number of identifiers. Names given as an initial only (wage records)
    are not looked for: an initial and a surname are too common to tell.
    """
    text = read_log(warehouse, log).to_csv(index=False)
    numbers = set(re.findall(r"\b[0-9]+\b", text))  # not digit runs inside checksums
    names = {pair.upper() for pair in re.findall(r"(?=\b([A-Za-z'-]+ [A-Za-z'-]+)\b)", text)}
    hits = {"ssn": 0, "sasid": 0, "dob": 0, "full_name": 0}
    for feed in AGENCIES:
        table = feed.code.lower()
        if not table_exists(hub, "matching", table):
            continue
        for column, kind in (("SSN", "ssn"), ("SASID", "sasid"), ("DOB", "dob")):
            if column in feed.matching_fields:
                values = {v for (v,) in hub.execute(f"SELECT DISTINCT {column} FROM matching.{table} "
                                                    f"WHERE length({column}) >= 6").fetchall()}
                hits[kind] += len(values & numbers)
        if {"FirstName", "LastName"} <= set(feed.matching_fields):
            full = {v for (v,) in hub.execute(f"SELECT DISTINCT upper(FirstName || ' ' || LastName) FROM "
                                              f"matching.{table} WHERE length(FirstName) > 1").fetchall()}
            hits["full_name"] += len(full & names)
    return hits
