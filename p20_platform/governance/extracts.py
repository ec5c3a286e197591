"""Per-request extracts: only the approved elements, keyed by a per-request pseudonym.

The pseudonym is HMAC-SHA256 of the p20_id under a key drawn for that request alone and kept in
the hub store (`governance.request_keys`), so two requestors' extracts share no id to join on
and neither holds a p20_id, a FakeID or an identifier. The extract goes to the request's
recipients (`extracts/<REQUEST>/<AGENCY>.parquet`); what is published from it is a
disclosure-protected summary (persons per agency), which waits for agency review like any document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from p20_platform.disclosure import CountTable, display_counts, protect, require_publishable
from p20_platform.feeds import analytical_schema
from p20_platform.feeds.stores import connect, quote, table_exists
from p20_platform.governance.requests import DataRequest
from p20_platform.settings import Paths

PSEUDONYM = "request_person_id"
PSEUDONYM_HEX = 24
KEYS = "governance.request_keys"


class ExtractRefused(ValueError):
    """The request may not receive an extract now (not approved, NDAs missing, past its destruction date)."""


def refusal(request: DataRequest, today: dt.date) -> str | None:
    if not request.approved:
        return f"request {request.number} is {request.board.decision}, not approved"
    if request.ndas_received < request.ndas_needed:
        missing = [r.name for r in request.recipients if r.nda_received is None]
        return f"request {request.number}: NDAs not received from {', '.join(missing)}"
    if today > request.destruction_date:
        return f"request {request.number}: its destruction date {request.destruction_date} has passed"
    return None


def request_key(hub: duckdb.DuckDBPyConnection, number: str) -> bytes:
    """The request's pseudonym key, drawn once and kept in the hub store."""
    hub.execute("CREATE SCHEMA IF NOT EXISTS governance").fetchall()
    hub.execute(f"CREATE TABLE IF NOT EXISTS {KEYS} (request VARCHAR PRIMARY KEY, key_hex VARCHAR NOT NULL, "
                "created_at TIMESTAMP NOT NULL)").fetchall()
    found = hub.execute(f"SELECT key_hex FROM {KEYS} WHERE request = ?", [number]).fetchall()
    if found:
        return bytes.fromhex(found[0][0])
    key = secrets.token_bytes(32)
    hub.execute(f"INSERT INTO {KEYS} VALUES (?, ?, ?)",
                [number, key.hex(), dt.datetime.now(dt.UTC).replace(tzinfo=None)]).fetchall()
    return key


def pseudonymise(p20_ids: pd.Series, key: bytes) -> pd.Series:
    digests = {pid: hmac.new(key, str(pid).encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
               for pid in p20_ids.unique()}
    return p20_ids.map(digests)


@dataclass(frozen=True)
class Extract:
    request: str
    files: tuple[Path, ...]
    rows: dict[str, int]
    persons: dict[str, int]
    summary: Path

    def metadata(self) -> dict[str, object]:
        return {"request": self.request, "extract_files": [str(f) for f in self.files], "rows": self.rows,
                "paths": [str(self.summary)]}


def _agency_rows(warehouse: duckdb.DuckDBPyConnection, code: str, elements: tuple[str, ...]) -> pd.DataFrame:
    schema = analytical_schema(code)
    if not table_exists(warehouse, schema, "analytical"):
        return pd.DataFrame(columns=["p20_id", *elements])
    columns = ", ".join(f"a.{quote(e)}" for e in elements)
    return warehouse.execute(f"SELECT c.p20_id, {columns} FROM {schema}.analytical a JOIN mpi.crosswalk c "
                             f"ON c.agency = ? AND c.FakeID = a.FakeID ORDER BY c.p20_id", [code]).df()


def build_extract(paths: Paths, request: DataRequest, today: dt.date | None = None) -> Extract:
    """Write the request's extract (approved elements only, pseudonymous) and its protected summary."""
    problem = refusal(request, today or dt.date.today())
    if problem:
        raise ExtractRefused(problem)
    with connect(paths.warehouse_db, read_only=True) as warehouse:
        frames = {code: _agency_rows(warehouse, code, data.elements) for code, data in request.agencies.items()}
    with connect(paths.hub_db) as hub:
        key = request_key(hub, request.number)
    folder = paths.home_dir / "extracts" / request.number
    folder.mkdir(parents=True, exist_ok=True)
    files, rows, persons = [], {}, {}
    for code, frame in frames.items():
        extract = frame.assign(**{PSEUDONYM: pseudonymise(frame["p20_id"], key)})
        extract = extract[[PSEUDONYM, *request.agencies[code].elements]]
        files.append(folder / f"{code}.parquet")
        extract.to_parquet(files[-1], index=False)
        rows[code], persons[code] = len(extract), int(extract[PSEUDONYM].nunique())
    return Extract(request.number, tuple(files), rows, persons, _publish_summary(paths, request, persons))


def _publish_summary(paths: Paths, request: DataRequest, persons: dict[str, int]) -> Path:
    """Persons per agency in the extract, suppressed by the strictest rule of its sources."""
    counts = CountTable(f"request {request.number} persons by agency",
                        pd.DataFrame({"agency": list(persons), "count": list(persons.values())}),
                        dimensions=("agency",), sources=tuple(request.agencies))
    [table] = protect([counts])
    require_publishable([table])
    summary = paths.reports / "requests" / request.number / "persons_by_agency.csv"
    summary.parent.mkdir(parents=True, exist_ok=True)
    table.cells[["agency"]].assign(persons=display_counts(table).to_numpy()).to_csv(summary, index=False)
    return summary
