"""The delivery manifest (warehouse `ops.deliveries`): one row per delivery seen, never any PII.

It answers what arrived, what it contained (checksum, archive path), what happened to it and why,
and which delivery is current for each feed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

TABLE = "ops.deliveries"
CONFIRMATIONS = "ops.confirmations"
# held: not loaded and looked at again on every run, until confirmed (`p20 confirm FILE`) or its
# matching partner is loaded; the feed's current delivery stays in use meanwhile.
STATUSES = ("loaded", "superseded", "rejected", "duplicate", "held")

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS ops;
CREATE TABLE IF NOT EXISTS {TABLE} (
    load_seq BIGINT PRIMARY KEY,          -- arrival order; breaks ties between same-dated deliveries
    file_name VARCHAR NOT NULL,
    landing_path VARCHAR,
    agency VARCHAR,
    request_number VARCHAR,
    delivery_date DATE,
    content VARCHAR,
    sha256 VARCHAR NOT NULL,
    archive_path VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN {STATUSES}),
    reason VARCHAR,
    rows_read BIGINT,
    rows_accepted BIGINT,
    rows_quarantined BIGINT,
    rule_failures JSON,                   -- rule -> rows and example line numbers; no values
    loaded_at TIMESTAMP NOT NULL,         -- UTC
    load_seconds DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS {CONFIRMATIONS} (
    sha256 VARCHAR PRIMARY KEY,           -- the held delivery's bytes that someone confirmed
    file_name VARCHAR NOT NULL,
    confirmed_at TIMESTAMP NOT NULL,      -- UTC
    confirmed_by VARCHAR NOT NULL
);
"""


@dataclass(frozen=True)
class Delivery:
    """One manifest row."""

    load_seq: int
    file_name: str
    landing_path: str | None
    agency: str | None
    request_number: str | None
    delivery_date: date | None
    content: str | None
    sha256: str
    archive_path: str
    size_bytes: int
    status: str
    reason: str | None
    rows_read: int | None
    rows_accepted: int | None
    rows_quarantined: int | None
    rule_failures: dict
    loaded_at: datetime
    load_seconds: float


_COLUMNS = [f.name for f in fields(Delivery)]


def ensure_manifest(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the manifest, or widen an older one whose status rule lacks a status added since."""
    connection.execute(_DDL)
    [(sql,)] = connection.execute("SELECT sql FROM duckdb_tables() WHERE schema_name = 'ops' "
                                  "AND table_name = 'deliveries'").fetchall()
    if any(f"'{status}'" not in sql for status in STATUSES):
        connection.execute(f"ALTER TABLE {TABLE} RENAME TO deliveries_before_upgrade")
        connection.execute(_DDL)
        connection.execute(f"INSERT INTO {TABLE} SELECT * FROM ops.deliveries_before_upgrade")
        connection.execute("DROP TABLE ops.deliveries_before_upgrade")


def confirm(connection: duckdb.DuckDBPyConnection, delivery: "Delivery", confirmed_by: str) -> None:
    """Record that someone confirmed a held delivery: the next load takes it as it is."""
    connection.execute(f"INSERT OR IGNORE INTO {CONFIRMATIONS} VALUES (?, ?, ?, ?)",
                       [delivery.sha256, delivery.file_name, datetime.now(UTC).replace(tzinfo=None), confirmed_by])


def confirmed(connection: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return connection.execute(f"SELECT count(*) FROM {CONFIRMATIONS} WHERE sha256 = ?", [sha256]).fetchone()[0] > 0


def latest_by_file(connection: duckdb.DuckDBPyConnection, file_name: str) -> Delivery | None:
    """The newest manifest row for a file name."""
    found = _select(connection, "file_name = ?", [file_name])
    return found[-1] if found else None


def publish(connection: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Write the manifest as Parquet beside the published marts and rename it into place.

    Operators read this copy: holding the warehouse open, even read-only, would make the next
    load wait for its lock and fail.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(target.name + ".next")
    connection.execute(f"COPY (SELECT * FROM {TABLE} ORDER BY load_seq) TO '{scratch}' (FORMAT parquet)")
    os.replace(scratch, target)


def next_sequence(connection: duckdb.DuckDBPyConnection) -> int:
    return connection.execute(f"SELECT coalesce(max(load_seq), 0) + 1 FROM {TABLE}").fetchone()[0]


def record(connection: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    values = asdict(delivery)
    values["rule_failures"] = json.dumps(delivery.rule_failures)
    placeholders = ", ".join("?" for _ in _COLUMNS)
    connection.execute(f"INSERT INTO {TABLE} ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
                       [values[c] for c in _COLUMNS])


def _select(connection: duckdb.DuckDBPyConnection, where: str, parameters: list, order: str = "load_seq"
            ) -> list[Delivery]:
    rows = connection.execute(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE {where} ORDER BY {order}",
                              parameters).fetchall()
    deliveries = []
    for row in rows:
        values = dict(zip(_COLUMNS, row))
        values["rule_failures"] = json.loads(values["rule_failures"] or "{}")
        deliveries.append(Delivery(**values))
    return deliveries


def sightings(connection: duckdb.DuckDBPyConnection, sha256: str) -> list[Delivery]:
    """Every earlier manifest row for these exact bytes."""
    return _select(connection, "sha256 = ?", [sha256])


def current_delivery(connection: duckdb.DuckDBPyConnection, agency: str, content: str) -> Delivery | None:
    """The newest delivery by the date in its name, then by arrival, that passed file-level checks."""
    found = _select(connection, "agency = ? AND content = ? AND status = 'loaded'", [agency, content],
                    order="delivery_date DESC, load_seq DESC")
    return found[0] if found else None


def feed_history(connection: duckdb.DuckDBPyConnection, agency: str, content: str) -> list[Delivery]:
    """All deliveries of one feed in arrival order (duplicates of earlier bytes included)."""
    return _select(connection, "agency = ? AND content = ?", [agency, content])
