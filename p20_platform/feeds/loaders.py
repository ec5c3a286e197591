"""Loading deliveries: archive first, then contracts, then the stores, then the manifest.

Matching files (identifiers) go only to the hub store, analytical files only to the warehouse,
typed. A feed's table always holds the accepted rows of its current delivery; every quarantined
row is kept, with its original values, in the same store as its file's other rows:

    hub.duckdb        matching.<agency>                 current accepted rows, text as delivered
                      quarantine.<agency>_matching      every quarantined row, with line and rules
    warehouse.duckdb  raw_<agency>.analytical           current accepted rows, typed
                      raw_<agency>.analytical_quarantine
                      ops.deliveries                    the manifest (see manifest.py)
"""

from __future__ import annotations

import hashlib
import re
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from p20_platform.feeds import manifest
from p20_platform.feeds.archive import archive_bytes, require_private_stores
from p20_platform.feeds.contracts import FAILED_RULES, LINE_NUMBER, UNKNOWN_FAKEID
from p20_platform.feeds.delivery_check import Inspection, delivery_columns, inspect_delivery, partner_name
from p20_platform.feeds.landing import Feed, StillArriving, files_of_feed, read_landing_file, unread_marker
from p20_platform.feeds.naming import DeliveryName, DeliveryRejected, parse_delivery_name
from p20_platform.feeds.stores import connect, quote, table_exists
from p20_platform.registry import PII_FIELDS, agency
from p20_platform.settings import Paths

# How each element kind is typed in the warehouse; anything not listed stays VARCHAR.
_WAREHOUSE_TYPES = {
    "date": "CAST(strptime({c}, '%Y%m%d') AS DATE)",
    "integer": "CAST({c} AS BIGINT)",
    "decimal": "CAST({c} AS DOUBLE)",
    "flag": "({c} = '1')",
}
_IDENTIFIER_NAMES = {re.sub(r"[^a-z0-9]", "", f.lower()) for f in PII_FIELDS}


def matching_table(agency_code: str) -> str:
    """The hub table holding an agency's current matching rows (layout agreed with linkage)."""
    return f"matching.{agency_code.lower()}"


def analytical_schema(agency_code: str) -> str:
    return f"raw_{agency_code.lower()}"


def identifier_columns(columns: list[str]) -> list[str]:
    """Columns whose names are personal identifiers (LastName, last_name, SSN, ...)."""
    return [c for c in columns if re.sub(r"[^a-z0-9]", "", c.split(".")[-1].lower()) in _IDENTIFIER_NAMES]


class PartnerChecks:
    """Analytical files a matching file's pair check inspected, kept for their own load later in the same run.

    The pair check (`_pair_hold`) runs the analytical partner's whole contract against the matching file's
    FakeIDs; the partner's load then ran it again on the same bytes against the same FakeIDs. At statewide size
    that is DOL's 1.7 GB wage file checked twice, 50 s each. One run holds one of these (the `DataHome`
    resource), so a request or contract changed between runs is always checked afresh; an entry is taken when
    its file loads, and only a partner that will load is kept (one per agency).
    """

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple[str, str, frozenset[str]], Inspection]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, agency_code: str, sha256: str, matching_fakeids: frozenset[str], inspection: Inspection) -> None:
        self._kept[agency_code] = ((inspection.file_name, sha256, matching_fakeids), inspection)

    def take(self, file_name: str, sha256: str, agency_code: str, matching_fakeids: frozenset[str] | None
             ) -> Inspection | None:
        """The inspection kept for exactly these bytes and FakeIDs, or None."""
        key, inspection = self._kept.pop(agency_code, (None, None))
        return inspection if key == (file_name, sha256, matching_fakeids) else None


def load_feed(paths: Paths, feed: Feed | None, partner_checks: PartnerChecks | None = None
              ) -> list[manifest.Delivery]:
    """Load every new landing file a feed owns, oldest delivery date first; return what was recorded.

    `partner_checks`: the run's checks of analytical partners, reused instead of checking a file twice."""
    def order(file: Path) -> tuple:
        try:
            delivered = parse_delivery_name(file.name).delivery_date
        except DeliveryRejected:
            delivered = None
        return (delivered is not None, delivered or 0, file.lstat().st_mtime_ns, file.name)

    require_private_stores(paths)
    recorded = [load_delivery(paths, file, feed, partner_checks)
                for file in sorted(files_of_feed(paths, feed), key=order)]
    recorded = [delivery for delivery in recorded if delivery is not None]
    if recorded:
        with connect(paths.warehouse_db) as warehouse:
            manifest.publish(warehouse, paths.published_manifest)
    return recorded


def load_delivery(paths: Paths, file: Path, feed: Feed | None, partner_checks: PartnerChecks | None = None
                  ) -> manifest.Delivery | None:
    """Archive one landing file and load it; None when there is nothing new to record.

    Nothing new: these bytes under this name were recorded before (a held delivery is looked at
    again on every run), or the file is still arriving (it is read on a later run). `feed` is the
    feed that owns the file's landing location (None: outside any agency folder, which is
    rejected). The landing file is only read, never changed or removed; a link or special file is
    recorded as rejected without being read or archived.
    """
    started = time.perf_counter()
    try:
        data = read_landing_file(paths, file)
    except StillArriving:
        return None
    except DeliveryRejected as refused:
        return _record_refused(paths, file, feed, refused, started)
    sha256, archived = archive_bytes(paths.archive, data)
    with connect(paths.warehouse_db) as warehouse:
        manifest.ensure_manifest(warehouse)
        earlier = manifest.sightings(warehouse, sha256)
        same_name = [seen for seen in earlier if seen.file_name == file.name]
        if same_name and same_name[-1].status != "held":
            return None
        if earlier and not same_name:
            inspection = _name_only(file.name)
            status, reason = "duplicate", f"same bytes as {earlier[0].file_name}, which arrived first; not loaded again"
        elif feed is None:
            inspection = _name_only(file.name)
            status, reason = "rejected", str(DeliveryRejected(
                file.name, "the file is not inside an agency's landing folder",
                "agencies drop files in landing/<AGENCY>/, e.g. landing/DOL/DOL.000.01_31_2024.matching"))
        else:
            known = _matching_fakeids(paths, warehouse, feed[0]) if feed[1] == "analytical" else None
            inspection = None
            if partner_checks is not None and feed[1] == "analytical":
                inspection = partner_checks.take(file.name, sha256, feed[0], known)
            if inspection is None:
                inspection = inspect_delivery(file.name, data, folder_agency=feed[0], matching_fakeids=known)
            if inspection.rejection is not None:
                status, reason = _rejected(inspection, known)
            else:
                status, reason = _store_rows(paths, warehouse, inspection, sha256, partner_checks)
        if same_name and (status, reason) == (same_name[-1].status, same_name[-1].reason):
            return None  # still held for the same reason: recorded already
        agency_code, content = feed or (None, None)
        name = inspection.name
        delivery = manifest.Delivery(
            load_seq=manifest.next_sequence(warehouse), file_name=file.name,
            landing_path=str(file.relative_to(paths.landing)), agency=agency_code, content=content,
            request_number=name.request if name else None, delivery_date=name.delivery_date if name else None,
            sha256=sha256, archive_path=str(archived.relative_to(paths.home_dir)), size_bytes=len(data),
            status=status, reason=reason, rows_read=inspection.rows_read if inspection.verdict else None,
            rows_accepted=len(inspection.verdict.accepted) if inspection.verdict else None,
            rows_quarantined=len(inspection.verdict.quarantined) if inspection.verdict else None,
            rule_failures=inspection.verdict.rule_failures if inspection.verdict else {},
            loaded_at=datetime.now(UTC).replace(tzinfo=None), load_seconds=time.perf_counter() - started)
        manifest.record(warehouse, delivery)
    return delivery


def _record_refused(paths: Paths, file: Path, feed: Feed | None, refused: DeliveryRejected, started: float
                    ) -> manifest.Delivery | None:
    """Record a landing entry refused without reading it (a link or special file), once."""
    marker = unread_marker(paths, file)
    with connect(paths.warehouse_db) as warehouse:
        manifest.ensure_manifest(warehouse)
        if any(seen.file_name == file.name for seen in manifest.sightings(warehouse, marker)):
            return None
        name = _name_only(file.name).name
        delivery = manifest.Delivery(
            load_seq=manifest.next_sequence(warehouse), file_name=file.name,
            landing_path=str(file.relative_to(paths.landing)), agency=feed[0] if feed else None,
            content=feed[1] if feed else None, request_number=name.request if name else None,
            delivery_date=name.delivery_date if name else None, sha256=marker, archive_path="", size_bytes=0,
            status="rejected", reason=str(refused), rows_read=None, rows_accepted=None, rows_quarantined=None,
            rule_failures={}, loaded_at=datetime.now(UTC).replace(tzinfo=None),
            load_seconds=time.perf_counter() - started)
        manifest.record(warehouse, delivery)
    return delivery


def _rejected(inspection: Inspection, known: frozenset[str] | None) -> tuple[str, str]:
    """Rejected, or held when the rows fail mostly because their FakeIDs are not in the loaded matching file.

    A held analytical file is looked at again on every run: once the matching file of its request
    and date is loaded, it loads; a corrected analytical file replaces it.
    """
    failures = inspection.verdict.rule_failures if inspection.verdict else {}
    top_rule = next(iter(failures), None)
    if known is not None and top_rule == f"FakeID: {UNKNOWN_FAKEID}":
        return "held", (f"{failures[top_rule]['rows']} of {inspection.rows_read} rows are keyed to FakeIDs that are not "
                        f"in {inspection.name.agency}'s loaded matching file; held until the matching file of the same "
                        f"request and date ({partner_name(inspection.name)}) is loaded. Fix: send that matching file, "
                        "or a corrected analytical file")
    return "rejected", str(inspection.rejection)


def _matching_fakeids(paths: Paths, warehouse: duckdb.DuckDBPyConnection, agency_code: str) -> frozenset[str] | None:
    """Every FakeID of the agency's current matching delivery (accepted or quarantined); None before one loads."""
    current = manifest.current_delivery(warehouse, agency_code, "matching")
    if current is None or not paths.hub_db.exists():
        return None
    table = matching_table(agency_code)
    quarantine = f"quarantine.{agency_code.lower()}_matching"
    with connect(paths.hub_db, read_only=True) as hub:
        if not table_exists(hub, *table.split(".")):
            return None
        select = f'SELECT "FakeID" FROM {table}'
        if table_exists(hub, *quarantine.split(".")):
            select += f' UNION ALL SELECT "FakeID" FROM {quarantine} WHERE delivery_sha256 = ?'
            rows = hub.execute(select, [current.sha256]).fetchall()
        else:
            rows = hub.execute(select).fetchall()
    return frozenset(fake_id for (fake_id,) in rows if fake_id is not None)


def _name_only(file_name: str) -> Inspection:
    """An inspection for a file refused before its contents are read: just what its name says."""
    try:
        name = parse_delivery_name(file_name)
    except DeliveryRejected:
        name = None
    return Inspection(file_name, name, None, None)


# A delivery whose row count falls below half or rises above twice its feed's current one is held until
# someone confirms it (`p20 confirm FILE`): a cut file (half the records) or one holding two deliveries
# looks like this, and an agency's population rarely halves or doubles between two deliveries.
ROW_COUNT_CHANGE = (0.5, 2.0)


def _store_rows(paths: Paths, warehouse: duckdb.DuckDBPyConnection, inspection: Inspection, sha256: str,
                partner_checks: PartnerChecks | None) -> tuple[str, str]:
    """Write quarantine and (when this delivery is the newest) the feed table; return status and reason."""
    name, verdict = inspection.name, inspection.verdict
    current = manifest.current_delivery(warehouse, name.agency, name.content)
    becomes_current = current is None or name.delivery_date >= current.delivery_date
    if becomes_current:
        change = _row_count_change(warehouse, inspection, current, sha256)
        if change is not None:
            return "held", (f"{change}: held for confirmation, the current delivery stays in use. Fix: if the count "
                            f"is right, run `p20 confirm {name.file_name}` and the next run loads it; otherwise send "
                            "the complete file")
        held = _pair_hold(paths, warehouse, inspection, current, partner_checks)
        if held is not None:
            return "held", held
    if name.content == "matching":
        with connect(paths.hub_db) as hub:
            _write_delivery(hub, "quarantine", f"{name.agency.lower()}_matching", matching_table(name.agency),
                            name, inspection, sha256, becomes_current)
    else:
        schema = analytical_schema(name.agency)
        refuse_identifiers(name.agency, delivery_columns(name))
        _write_delivery(warehouse, schema, "analytical_quarantine", f"{schema}.analytical",
                        name, inspection, sha256, becomes_current)
    quarantined = f"{len(verdict.quarantined)} of {inspection.rows_read} rows quarantined"
    if becomes_current:
        return "loaded", quarantined
    return "superseded", f"{quarantined}; not current: {current.file_name} has a later delivery date"


def _row_count_change(warehouse: duckdb.DuckDBPyConnection, inspection: Inspection,
                      current: manifest.Delivery | None, sha256: str) -> str | None:
    """The sharp change in row count against the current delivery that holds a delivery for confirmation."""
    if current is None or not current.rows_read or manifest.confirmed(warehouse, sha256):
        return None
    low, high = ROW_COUNT_CHANGE
    if low * current.rows_read <= inspection.rows_read <= high * current.rows_read:
        return None
    return f"{inspection.rows_read} rows where the current delivery {current.file_name} has {current.rows_read}"


# A partner that loads with the file: recorded as one of the pair's files that passed its checks.
_PARTNER_RECORDED = ("loaded", "superseded", "duplicate")


def _pair_hold(paths: Paths, warehouse: duckdb.DuckDBPyConnection, inspection: Inspection,
               current: manifest.Delivery | None, partner_checks: PartnerChecks | None) -> str | None:
    """Why a file that would become current is held for its partner (same agency, request and date), or None.

    The two files of one request are one delivery and become current together or not at all; the agency's
    previous pair stays in use meanwhile. An agency's matching file loads first (its analytical file is checked
    against its FakeIDs): it is held unless its analytical partner has loaded or, waiting in landing, passes the
    checks it will meet against this matching file's FakeIDs. An analytical file is held when its matching
    partner was rejected or held. In landing, the partner must be a regular file (a link there is refused when read)."""
    name = inspection.name
    partner, other = partner_name(name), "analytical" if name.content == "matching" else "matching"
    in_use = f"the current {name.content} file {current.file_name} stays in use" if current else "nothing loads"
    recorded = manifest.latest_by_file(warehouse, partner)
    waiting = [f for f in files_of_feed(paths, (name.agency, other))
               if f.name == partner and stat.S_ISREG(f.lstat().st_mode)]
    if name.content == "matching" and waiting:
        problem = _partner_problem(paths, warehouse, inspection, waiting[0], partner_checks)
        if problem is None:
            return None
        return (f"its analytical partner {partner} (same request and date) {problem}: the pair "
                f"becomes current together, so this file is held and {in_use}. Fix: send a corrected {partner} to "
                f"landing/{name.agency}/ (or, if it is held for confirmation and its count is right, `p20 confirm "
                f"{partner}`) and both load on the next run")
    if recorded is not None and recorded.status in _PARTNER_RECORDED:
        return None
    if recorded is not None and name.content == "analytical":
        return (f"its matching partner {partner} (same request and date) has not loaded ({recorded.status}: "
                f"{recorded.reason}): the pair becomes current together, so this file is held and {in_use}. Fix: "
                f"send a corrected {partner} to landing/{name.agency}/ and both load on the next run")
    if waiting:  # an analytical file loaded before its matching partner was looked at (a run of this feed alone)
        return None
    return (f"its {other} partner {partner} (same request and date) has not arrived: held until it does, "
            f"{in_use}. Fix: send {partner} to landing/{name.agency}/ and both load together on the next "
            "run; or remove this file if it was sent by mistake")


def _partner_problem(paths: Paths, warehouse: duckdb.DuckDBPyConnection, matching: Inspection, file: Path,
                     partner_checks: PartnerChecks | None) -> str | None:
    """Why a matching file's analytical partner, waiting in landing, does not go with it (said after "its analytical
    partner"); None if nothing does.

    A partner not yet loaded would not load after it. A partner already loaded (the matching file is sent again
    under its name) is not loaded again, so it must hold no row keyed to a FakeID this matching file lacks."""
    try:
        data = read_landing_file(paths, file)
    except StillArriving:
        return "would not load (it is still arriving)"
    except DeliveryRejected as refused:
        return f"would not load ({refused.problem})"
    verdict = matching.verdict
    fakeids = frozenset(fake_id for rows in (verdict.accepted, verdict.quarantined) if "FakeID" in rows
                        for fake_id in rows["FakeID"].dropna())
    inspection = inspect_delivery(file.name, data, folder_agency=matching.name.agency, matching_fakeids=fakeids)
    sha256 = hashlib.sha256(data).hexdigest()
    seen = [d for d in manifest.sightings(warehouse, sha256) if d.file_name == file.name]
    if partner_checks is not None and not seen:
        partner_checks.keep(matching.name.agency, sha256, fakeids, inspection)
    if seen and seen[-1].status in _PARTNER_RECORDED:
        unknown = inspection.verdict.rule_failures.get(f"FakeID: {UNKNOWN_FAKEID}") if inspection.verdict else None
        if unknown is None:
            return None
        return (f"has loaded already, and {unknown['rows']} of its {inspection.rows_read} rows are keyed to FakeIDs "
                "that are not in this file")
    if inspection.rejection is not None:
        return f"would not load ({_rejected(inspection, fakeids)[0]}: {inspection.rejection.problem})"
    current = manifest.current_delivery(warehouse, matching.name.agency, "analytical")
    if current is not None and current.delivery_date > matching.name.delivery_date:
        return None  # it loads as superseded, as this file does
    change = _row_count_change(warehouse, inspection, current, sha256)
    return None if change is None else f"would not load (held for confirmation: {change})"


def _write_delivery(connection: duckdb.DuckDBPyConnection, quarantine_schema: str, quarantine_table: str,
                    feed_table: str, name: DeliveryName, inspection: Inspection, sha256: str,
                    becomes_current: bool) -> None:
    """Quarantine rows (idempotently, keyed by checksum) and replace the feed table, in one transaction."""
    columns = delivery_columns(name)
    text = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in columns)
    quarantine = f"{quarantine_schema}.{quarantine_table}"
    select_quarantine = (f"SELECT CAST(? AS VARCHAR) AS delivery_sha256, CAST(? AS VARCHAR) AS source_file, "
                         f"CAST({LINE_NUMBER} AS BIGINT) AS {LINE_NUMBER}, "
                         f"CAST({FAILED_RULES} AS VARCHAR[]) AS {FAILED_RULES}, {text} FROM incoming")
    connection.begin()
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quarantine_schema}")
    connection.register("incoming", inspection.verdict.quarantined)
    connection.execute(f"CREATE TABLE IF NOT EXISTS {quarantine} AS {select_quarantine} LIMIT 0", [sha256, name.file_name])
    connection.execute(f"DELETE FROM {quarantine} WHERE delivery_sha256 = ?", [sha256])
    connection.execute(f"INSERT INTO {quarantine} {select_quarantine}", [sha256, name.file_name])
    if becomes_current:
        # As Arrow: DuckDB scans it in parallel (a pandas frame of a 32M-row wage file took 2-3x longer)
        connection.register("incoming", pa.Table.from_pandas(inspection.verdict.accepted, preserve_index=False))
        typed = text if name.content == "matching" else _typed_columns(name.agency)
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {feed_table.split('.')[0]}")
        connection.execute(f"CREATE OR REPLACE TABLE {feed_table} AS SELECT {typed}, CAST(? AS VARCHAR) AS source_file, "
                           f"CAST(? AS VARCHAR) AS delivery_sha256 FROM incoming", [name.file_name, sha256])
    connection.unregister("incoming")
    connection.commit()


def refuse_identifiers(agency_code: str, columns: list[str]) -> None:
    """The warehouse must never receive a personal identifier, whatever the registry says."""
    leaked = identifier_columns(list(columns))
    if leaked:
        raise ValueError(f"{agency_code}: identifier columns {leaked} may not be written to the warehouse")


def _typed_columns(agency_code: str) -> str:
    """SELECT list typing an analytical file; refuses identifier columns so none reach the warehouse."""
    elements = agency(agency_code).analytical
    refuse_identifiers(agency_code, [e.name for e in elements])
    return ", ".join(f"{_WAREHOUSE_TYPES.get(e.kind, 'CAST({c} AS VARCHAR)').format(c=quote(e.name))} AS {quote(e.name)}"
                     for e in elements)
