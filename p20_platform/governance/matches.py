"""Filling the match log from what the platform did: files received, matched, matrices passed on.

`log_matching_inputs` runs after each index build: every matching file in the delivery manifest
not yet logged is logged as received (rejected and duplicate files too); every one whose rows the
index was just built from is logged as matched (the match is confirmed when the index that used
it is built), with the deadline by which its inputs must be destroyed; every one that will never
be matched (rejected, duplicate, superseded, replaced before its match) is logged `not matched`
with the reason, the moment its clock started and its deadline (see `destruction.py`).

The request log gets each request version filed, each agency approval as they appear, and the
standing index's declared authority (or its absence) whenever it changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from p20_platform.feeds import matching_table
from p20_platform.feeds.stores import connect, table_exists
from p20_platform.governance.deadlines import destruction_deadline
from p20_platform.governance.destruction import NOT_MATCHED, retired_inputs
from p20_platform.governance.logs import MATCH_LOG, REQUEST_LOG, append, as_text, ensure_logs, read_log
from p20_platform.governance.requests import CCIC, DataRequest, FiledRequest, RequestError
from p20_platform.governance.standing_index import FILE_NAME as AUTHORITY_FILE
from p20_platform.governance.standing_index import load_authority
from p20_platform.governance.review import approvals
from p20_platform.registry import AGENCIES, agency
from p20_platform.settings import Paths

HUB = "DOL Data Integration Hub"


def _utc_now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)


def indexed_inputs(paths: Paths) -> pd.DataFrame:
    """(agency, file_name, file_sha256) of the matching deliveries whose rows the hub's index holds."""
    frames = []
    with connect(paths.hub_db, read_only=True) as hub:
        if not table_exists(hub, "mpi", "crosswalk"):
            return pd.DataFrame(columns=["agency", "file_name", "file_sha256"])
        linked = {row[0] for row in hub.execute("SELECT DISTINCT source_file FROM mpi.crosswalk").fetchall()}
        for feed in AGENCIES:
            schema, table = matching_table(feed.code).split(".")
            if table_exists(hub, schema, table):
                frames.append(hub.execute(f"SELECT DISTINCT ? AS agency, source_file AS file_name, "
                                          f"delivery_sha256 AS file_sha256 FROM {schema}.{table}", [feed.code]).df())
    inputs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["agency", "file_name", "file_sha256"])
    return inputs[inputs["file_name"].isin(linked)]


def log_matching_inputs(paths: Paths, requests: Mapping[str, FiledRequest], run_id: str,
                        now: dt.datetime | None = None) -> dict[str, int]:
    """Log matching files received and matched since the last call; return how many of each."""
    now = _utc_now(now)
    indexed = indexed_inputs(paths)
    never_matched = retired_inputs(paths, requests)  # before the write connection: it reads the warehouse too
    with connect(paths.warehouse_db) as warehouse:
        ensure_logs(warehouse)
        logged = read_log(warehouse, MATCH_LOG)
        seen = {event: set(zip(rows["file_name"], rows["file_sha256"])) for event, rows in logged.groupby("event")}
        manifest = warehouse.execute(
            "SELECT file_name, agency, request_number, sha256, loaded_at FROM ops.deliveries WHERE archive_path <> '' "
            "AND (content = 'matching' OR (content IS NULL AND file_name LIKE '%.matching')) ORDER BY load_seq"
        ).df().drop_duplicates(["file_name", "sha256"]) if table_exists(warehouse, "ops", "deliveries") \
            else pd.DataFrame(columns=["file_name", "agency", "request_number", "sha256", "loaded_at"])

        def entry(row, event: str, **extra) -> dict[str, object]:
            filed = requests.get(row["request_number"])
            return {"request": row["request_number"], "event": event, "file_name": row["file_name"],
                    "file_sha256": row["sha256"], "sender": row["agency"], "receiver": HUB,
                    "fields": ",".join(agency(row["agency"]).matching_fields),
                    "authorised_representative": filed.request.authorised_representative if filed else None, **extra}

        received = [entry(row, "received", date_received=row["loaded_at"]) for row in manifest.to_dict("records")
                    if (row["file_name"], row["sha256"]) not in seen.get("received", set())]
        matched_now = manifest.merge(indexed[["file_name", "file_sha256"]], left_on=["file_name", "sha256"],
                                     right_on=["file_name", "file_sha256"])
        matched = []
        for row in matched_now.to_dict("records"):
            if (row["file_name"], row["sha256"]) in seen.get("matched", set()):
                continue
            filed = requests.get(row["request_number"])
            ccic = filed is not None and filed.request.includes_ccic or row["agency"] == CCIC
            deadline = destruction_deadline(now, ccic)
            matched.append(entry(row, "matched", match_date=now,
                                 detail={"destroy_by": deadline.isoformat(), "ccic_data_included": ccic}))
        retired = [{"request": item.request, "event": NOT_MATCHED, "file_name": item.file_name,
                    "file_sha256": item.sha256, "sender": item.agency, "receiver": HUB,
                    "detail": {"reason": item.reason, "counted_from": item.counted_from.isoformat(),
                               "destroy_by": item.destroy_by.isoformat()}}
                   for item in never_matched
                   if (item.file_name, item.sha256) not in seen.get(NOT_MATCHED, set())]
        append(warehouse, MATCH_LOG, received + matched + retired, run_id, now)
    return {"received": len(received), "matched": len(matched), "not_matched": len(retired)}


def log_requests(paths: Paths, requests: Mapping[str, FiledRequest], run_id: str,
                 now: dt.datetime | None = None, folder: Path | None = None) -> dict[str, int]:
    """Log each request version (by file checksum), each agency approval not logged before, and the standing
    index's declared authority whenever it changes (`folder`: where it is filed; default the requests folder)."""
    with connect(paths.warehouse_db) as warehouse:
        logged = read_log(warehouse, REQUEST_LOG)
        versions = set(logged.loc[logged["event"] == "filed", "version_sha256"])
        approvals_seen = set(logged.loc[logged["event"] == "agency approval", "detail"])
        filed_entries, approval_entries = [], []
        for number, filed in sorted(requests.items()):
            request = filed.request
            if filed.sha256 not in versions:
                filed_entries.append({
                    "request": number, "event": "filed", "name": request.name, "type": request.type,
                    "date_received": request.date_received, "requestor": request.requestor.name,
                    "organisation": request.requestor.organisation, "agencies": ",".join(request.agencies),
                    "board_decision": request.board.decision, "board_decision_date": request.board.date,
                    "ndas_needed": request.ndas_needed, "ndas_received": request.ndas_received,
                    "version_sha256": filed.sha256,
                    "detail": {"purpose": request.purpose, "destruction_date": request.destruction_date.isoformat(),
                               "elements": {c: list(d.elements) for c, d in request.agencies.items()},
                               "legal_frameworks": {c: d.legal_framework for c, d in request.agencies.items()},
                               "recipients": [{"organisation": r.organisation, "state_employee": r.state_employee}
                                              for r in request.recipients]}})
            for approval in approvals(number, filed.path.parent):
                detail = approval.model_dump(mode="json")
                entry = {"request": number, "event": "agency approval", "detail": detail}
                if as_text(detail) not in approvals_seen:
                    approval_entries.append(entry)
        authority_entries = _authority_entry(logged, folder)
        written = append(warehouse, REQUEST_LOG, filed_entries + approval_entries + authority_entries, run_id, now)
    return {"request_versions": len(filed_entries), "approvals": len(approval_entries),
            "standing_index_authority": len(authority_entries), "written": written}


STANDING_INDEX_EVENT = "standing index authority"
NO_AUTHORITY = "none declared"


def _authority_entry(logged: pd.DataFrame, folder: Path | None) -> list[dict[str, object]]:
    """The standing index's declared authority, when it differs from the one last logged (or none is declared)."""
    try:
        filed = load_authority(folder)
    except RequestError as error:
        filed, problem = None, str(error).splitlines()[0]
    else:
        problem = None
    version = filed.sha256 if filed else NO_AUTHORITY
    previous = logged.loc[logged["event"] == STANDING_INDEX_EVENT, "version_sha256"]
    if len(previous) and previous.iloc[-1] == version:
        return []
    entry: dict[str, object] = {"event": STANDING_INDEX_EVENT, "name": "Standing index of identifiers in the hub",
                                "version_sha256": version}
    if filed is None:
        return [entry | {"board_decision": NO_AUTHORITY,
                         "detail": {"declared": False, "problem": problem or f"no {AUTHORITY_FILE} filed"}}]
    authority = filed.authority
    return [entry | {"board_decision": authority.authority.decision, "board_decision_date": authority.authority.date,
                     "agencies": ",".join(authority.agencies),
                     "detail": {"declared": True, **authority.model_dump(mode="json")}}]



def log_passed_on(paths: Paths, request: DataRequest, extract_files: list[str], run_id: str,
                  now: dt.datetime | None = None) -> int:
    """The extract (the matrix of the request's people) went to its recipients: one entry per matched input."""
    with connect(paths.warehouse_db) as warehouse:
        logged = read_log(warehouse, MATCH_LOG)
        matched = logged[(logged["event"] == "matched") & logged["sender"].isin(list(request.agencies))]
        entries = [{"request": request.number, "event": "passed_on", "file_name": row["file_name"],
                    "file_sha256": row["file_sha256"], "sender": HUB,
                    "receiver": ", ".join(sorted({r.organisation for r in request.recipients})),
                    "matrix_passed_on": _utc_now(now), "authorised_representative": request.authorised_representative,
                    "detail": {"extract_files": extract_files}}
                   for row in matched.drop_duplicates(["file_name", "file_sha256"]).to_dict("records")]
        return append(warehouse, MATCH_LOG, entries, run_id, now)


def log_published(paths: Paths, request: DataRequest, build: str, documents: list[str], approved_by: list[str],
                  run_id: str, now: dt.datetime | None = None) -> int:
    with connect(paths.warehouse_db) as warehouse:
        return append(warehouse, REQUEST_LOG, [{"request": request.number, "event": "published", "name": request.name,
                                                "agencies": ",".join(request.agencies),
                                                "detail": {"build": build, "documents": documents,
                                                           "approved_by": approved_by}}], run_id, now)
