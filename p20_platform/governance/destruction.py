"""Destroying matching inputs on deadline, with a certificate in the match log.

Every matching file that reached the hub holds identifiers, and every one has a deadline:

- **Matched** (its rows went into an index build, logged `matched` in the match log): 5
  Connecticut business days after the match is confirmed, 24 hours when CCIC data is included
  (the data sharing agreements; `domain.md`, "How matching works today", step 5).
- **Never to be matched**: a file rejected whole, a duplicate of bytes that arrived earlier, a
  delivery that arrived older than the feed's current one (`superseded`), a delivery that was
  current but was replaced by a newer one before any index used it, and a delivery held for
  confirmation that a newer delivery has overtaken. None of these reaches a confirmed match, and
  no source sets a clock for them: the agreements only say matching inputs are destroyed once
  their use for matching ends (`domain.md` step 5), and the template agreements bind the hub to
  "standards for ... data destruction" (the Chief Data Officer's report of January 2024, template
  DSA common elements 2.c). This platform reads the rule as: **the same clock, started when the
  platform decided the file will never be matched** (its rejection, its recording as a duplicate
  or as superseded, or the arrival of the delivery that replaced or overtook it): 5 business days
  after that moment, 24 hours when the request includes CCIC data or the file is CCIC's. The
  moment is the manifest's `loaded_at`, so the deadline never moves once set. The hub could
  destroy them at once; the five days leave the agency time to see what was refused and why.
- **Still needed**: each feed's current matching delivery before its match, and a held delivery
  that could still become current. These are never destroyed, whatever the clock says.

When a deadline falls before the next scheduled pass (`MARGIN`), the file's matching inputs are
destroyed:
- the landing copy (where the manifest says it landed, when its bytes are still the delivery's),
- the archive copy (`archive/sha256/..`, the evidence copy of what the agency sent, made writable
  and removed) unless a delivery still needed has the same bytes (a duplicate shares its
  original's archive copy: that copy goes with the original),
- the hub's identifier rows of that delivery that the standing index does not use: its
  quarantined rows (`quarantine.<agency>_matching`), followed by a CHECKPOINT so freed blocks are
  rewritten.
The certificate (what, where, sha256, rows, when, by which run, why the file was due) is a
`destroyed` entry in the match log. A destroyed file dropped again under the same name is archived
again by the loader before it sees the file was recorded; its copies are then due at once
(`REAPPEARED`, certified as late).

What the standing index keeps, and under which declared authority, is in
`p20_platform/governance/standing_index.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from p20_platform.feeds.archive import archive_path
from p20_platform.feeds.loaders import matching_table
from p20_platform.feeds.naming import DeliveryRejected, parse_delivery_name
from p20_platform.feeds.stores import connect, table_exists
from p20_platform.governance.deadlines import destruction_deadline
from p20_platform.governance.logs import MATCH_LOG, append, read_log
from p20_platform.governance.requests import CCIC, FiledRequest, load_requests
from p20_platform.settings import Paths

MARGIN = dt.timedelta(hours=2)  # the schedule runs hourly: destroy what would fall due before the run after next
MATCHED = "matched"
NOT_MATCHED = "not matched"  # the match log event of a file found never to be matched, with its deadline
# Why a file that will never be matched is due, by its manifest status.
RETIRED_REASONS = {"rejected": "rejected whole", "duplicate": "duplicate of bytes that arrived earlier",
                   "superseded": "arrived older than the feed's current delivery"}
REPLACED = "replaced by a newer delivery before any match"
OVERTAKEN = "held, and overtaken by a newer delivery"


@dataclass(frozen=True)
class MatchingInput:
    """One matching file whose inputs are not yet destroyed, and why and by when they must be."""

    request: str | None
    agency: str | None
    file_name: str
    sha256: str
    destroy_by: dt.datetime
    reason: str = MATCHED
    counted_from: dt.datetime | None = None  # the match, or the moment the file was found never to be matched
    landing_path: str | None = None  # relative to landing/; None: landing/<AGENCY>/<file>

    def describe(self) -> dict[str, str]:
        return {"request": self.request, "file": self.file_name, "reason": self.reason,
                "destroy_by": self.destroy_by.isoformat()}


_MANIFEST_COLUMNS = ["load_seq", "file_name", "landing_path", "agency", "request_number", "delivery_date", "sha256",
                     "status", "loaded_at"]


def _matching_deliveries(paths: Paths) -> pd.DataFrame:
    """Manifest rows of matching files that were read and archived (a refused link has no bytes to destroy)."""
    with connect(paths.warehouse_db, read_only=True) as warehouse:
        if not table_exists(warehouse, "ops", "deliveries"):
            return pd.DataFrame(columns=_MANIFEST_COLUMNS)
        return warehouse.execute(f"""
            SELECT {', '.join(_MANIFEST_COLUMNS)} FROM ops.deliveries
            WHERE archive_path <> '' AND (content = 'matching' OR (content IS NULL AND file_name LIKE '%.matching'))
            ORDER BY load_seq""").df()


def _ccic(filed: FiledRequest | None, agency_code: str | None, file_name: str) -> bool:
    """Whether CCIC data is included: the request includes CCIC, or the file is CCIC's (by folder, else by name)."""
    if agency_code is None:
        try:
            agency_code = parse_delivery_name(file_name).agency
        except DeliveryRejected:
            pass
    return agency_code == CCIC or (filed is not None and filed.request.includes_ccic)


def still_needed(deliveries: pd.DataFrame, matched: Collection[tuple[str, str]] = ()) -> pd.DataFrame:
    """The manifest rows the platform may still match: each feed's current delivery before its match (not in
    `matched`, (file_name, sha256) pairs), and held ones not overtaken."""
    latest = deliveries.drop_duplicates(["file_name", "sha256"], keep="last")
    loaded = latest[latest["status"] == "loaded"].sort_values(["delivery_date", "load_seq"])
    current = loaded.groupby("agency").tail(1)
    newest_date = current.set_index("agency")["delivery_date"]
    held = latest[latest["status"] == "held"]
    waiting = held.loc[pd.Series([newest_date.get(a) is None or d >= newest_date[a]
                                  for a, d in zip(held["agency"], held["delivery_date"])], index=held.index, dtype=bool)]
    rows = pd.concat([current, waiting])
    keep = [key not in matched for key in zip(rows["file_name"], rows["sha256"])]
    return rows.loc[pd.Series(keep, index=rows.index, dtype=bool)]


def _retired_at(row: Mapping, deliveries: pd.DataFrame) -> tuple[str, dt.datetime]:
    """Why a delivery not needed will never be matched, and since when (a manifest `loaded_at`, UTC)."""
    if row["status"] in RETIRED_REASONS:
        return RETIRED_REASONS[row["status"]], row["loaded_at"]
    later = deliveries[(deliveries["agency"] == row["agency"]) & (deliveries["status"] == "loaded")
                       & (deliveries["load_seq"] > row["load_seq"])]
    reason, newer = ((OVERTAKEN, later[later["delivery_date"] > row["delivery_date"]]) if row["status"] == "held"
                     else (REPLACED, later[later["delivery_date"] >= row["delivery_date"]]))
    return reason, max(row["loaded_at"], newer["loaded_at"].min()) if len(newer) else row["loaded_at"]


def _matched(paths: Paths) -> set[tuple[str, str]]:
    with connect(paths.warehouse_db, read_only=True) as warehouse:
        log = read_log(warehouse, MATCH_LOG)
    return set(zip(*[log.loc[log["event"] == MATCHED, c] for c in ("file_name", "file_sha256")]))


def retired_inputs(paths: Paths, requests: Mapping[str, FiledRequest] | None = None) -> list[MatchingInput]:
    """Matching files that will never be matched and have not been, each with its deadline (see module docstring)."""
    if not paths.warehouse_db.exists():
        return []
    requests = load_requests() if requests is None else requests
    deliveries, matched = _matching_deliveries(paths), _matched(paths)
    needed = set(zip(*[still_needed(deliveries)[c] for c in ("file_name", "sha256")]))
    items = []
    for row in deliveries.drop_duplicates(["file_name", "sha256"], keep="last").to_dict("records"):
        key = (row["file_name"], row["sha256"])
        if key in needed or key in matched:
            continue
        reason, since = _retired_at(row, deliveries)
        since = pd.Timestamp(since).to_pydatetime()
        request = row["request_number"] if isinstance(row["request_number"], str) else None
        agency_code = row["agency"] if isinstance(row["agency"], str) else None
        items.append(MatchingInput(request, agency_code, row["file_name"], row["sha256"],
                                   destruction_deadline(since, _ccic(requests.get(request), agency_code, row["file_name"])),
                                   reason, since, row["landing_path"] or None))
    return items


def outstanding(paths: Paths, requests: Mapping[str, FiledRequest] | None = None) -> list[MatchingInput]:
    """Matching inputs without a destruction certificate, matched or never to be matched, earliest deadline first."""
    if not paths.warehouse_db.exists():
        return []
    with connect(paths.warehouse_db, read_only=True) as warehouse:
        log = read_log(warehouse, MATCH_LOG)
    destroyed = set(zip(*[log.loc[log["event"] == "destroyed", c] for c in ("file_name", "file_sha256")]))
    matched = log[log["event"] == MATCHED].drop_duplicates(["file_name", "file_sha256"])
    items = []
    for row in matched.to_dict("records"):
        detail = json.loads(row["detail"])
        items.append(MatchingInput(row["request"], row["sender"], row["file_name"], row["file_sha256"],
                                   dt.datetime.fromisoformat(detail["destroy_by"]), MATCHED,
                                   dt.datetime.fromisoformat(row["match_date"]) if row["match_date"] else None))
    items += retired_inputs(paths, requests)
    live = [i for i in items if (i.file_name, i.sha256) not in destroyed]
    return sorted(live + _reappeared(paths, items, destroyed, live), key=lambda item: item.destroy_by)


REAPPEARED = "a copy reappeared after destruction"


def _reappeared(paths: Paths, items: list[MatchingInput], destroyed: set[tuple[str, str]],
                live: list[MatchingInput]) -> list[MatchingInput]:
    """Destroyed files whose bytes are in the archive again, due again at once (their deadline has passed).

    The loader archives a landing file before it sees that the same file under the same name was
    recorded before, so an agency dropping a destroyed file again brings its identifiers back.
    Bytes a live or still-needed delivery shares are left to that delivery.
    """
    keep = {i.sha256 for i in live} | set(still_needed(_matching_deliveries(paths), _matched(paths))["sha256"])
    back = [i for i in items if (i.file_name, i.sha256) in destroyed and i.sha256 not in keep
            and archive_path(paths.archive, i.sha256).exists()]
    return [replace(i, reason=f"{i.reason}; {REAPPEARED}") for i in {(i.file_name, i.sha256): i for i in back}.values()]


def at_risk(paths: Paths, now: dt.datetime, margin: dt.timedelta = MARGIN,
            requests: Mapping[str, FiledRequest] | None = None) -> list[MatchingInput]:
    """Inputs whose deadline has passed or falls before the next scheduled pass could destroy them."""
    return [item for item in outstanding(paths, requests) if item.destroy_by <= now + margin]


def _remove_file(path: Path) -> dict[str, object] | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    os.remove(path)
    return {"sha256": digest}


def destroy(paths: Paths, item: MatchingInput, needed_sha256: frozenset[str] = frozenset()) -> list[dict[str, object]]:
    """Destroy one file's matching inputs; return what was destroyed (the certificate's items).

    The archive copy and quarantined rows are keyed by the bytes: when a delivery still needed has
    the same bytes (`needed_sha256`), they stay, and the certificate says so.
    """
    destroyed: list[dict[str, object]] = []
    landing = (paths.landing / item.landing_path if item.landing_path
               else paths.agency_landing(item.agency or "") / item.file_name)
    if landing.is_file() and not landing.is_symlink() and hashlib.sha256(landing.read_bytes()).hexdigest() == item.sha256:
        destroyed.append({"what": "landing copy", "where": str(landing.relative_to(paths.home_dir)),
                          **_remove_file(landing)})
    if item.sha256 in needed_sha256:
        destroyed.append({"what": "archive copy kept", "sha256": item.sha256,
                          "why": "a delivery still needed has the same bytes; the copy goes with it"})
        return destroyed
    archived = archive_path(paths.archive, item.sha256)
    removed = _remove_file(archived)
    if removed:
        destroyed.append({"what": "archive copy", "where": str(archived.relative_to(paths.home_dir)), **removed})
    if item.agency is None or not paths.hub_db.exists():
        return destroyed
    quarantine = f"{matching_table(item.agency).split('.')[1]}_matching"
    with connect(paths.hub_db) as hub:
        if table_exists(hub, "quarantine", quarantine):
            [(rows,)] = hub.execute(f"DELETE FROM quarantine.{quarantine} WHERE delivery_sha256 = ?",
                                    [item.sha256]).fetchall()
            destroyed.append({"what": "hub quarantined identifier rows", "where": f"hub.duckdb quarantine.{quarantine}",
                              "sha256": item.sha256, "rows": int(rows)})
        hub.execute("CHECKPOINT").fetchall()
    return destroyed


def destroy_due(paths: Paths, run_id: str, now: dt.datetime | None = None, margin: dt.timedelta = MARGIN,
                requests: Mapping[str, FiledRequest] | None = None) -> pd.DataFrame:
    """Destroy every input due before the next pass and certify each in the match log."""
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    requests = load_requests() if requests is None else requests
    needed = frozenset(still_needed(_matching_deliveries(paths), _matched(paths))["sha256"])
    certificates = []
    for item in at_risk(paths, now, margin, requests):
        certificates.append({"request": item.request, "event": "destroyed", "file_name": item.file_name,
                             "file_sha256": item.sha256, "sender": item.agency, "inputs_destroyed": now,
                             "detail": {"destroyed": destroy(paths, item, needed), "reason": item.reason,
                                        "counted_from": item.counted_from.isoformat() if item.counted_from else None,
                                        "destroy_by": item.destroy_by.isoformat(), "run_id": run_id,
                                        "late": now > item.destroy_by}})
    with connect(paths.warehouse_db) as warehouse:
        append(warehouse, MATCH_LOG, certificates, run_id, now)
    return pd.DataFrame([{k: c[k] for k in ("request", "file_name", "sender")} for c in certificates],
                        columns=["request", "file_name", "sender"])
