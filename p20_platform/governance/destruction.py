"""Destroying matching inputs on deadline, with a certificate in the match log.

Each matching file logged as matched carries its deadline (`destroy_by`: 5 Connecticut business
days after the match, 24 hours when CCIC data is included). When a deadline falls before the next
scheduled pass (`MARGIN`), the file's matching inputs are destroyed:
- the landing copy (`landing/<AGENCY>/<file>`, when its bytes are still the delivery's),
- the archive copy (`archive/sha256/..`, the evidence copy of what the agency sent, made writable
  and removed),
- the hub's identifier rows of that delivery that the standing index does not use: its
  quarantined rows (`quarantine.<agency>_matching`), followed by a CHECKPOINT so freed blocks are
  rewritten.
The certificate (what, where, sha256, rows, when, by which run) is a `destroyed` entry in the match log.

What the standing index keeps: in the hub store only, `matching.<agency>` (the accepted rows of the
agency's current matching delivery: every full rebuild of the index reads them, and a newer delivery
replaces them), and `mpi.records` (standardised names, DOB, sex, SSN/SASID), `mpi.pairs`,
`mpi.crosswalk` and `mpi.model`, which let a later delivery link to the same p20_ids. On what
authority: none of the sources this platform was built from (the OPM briefing, the Chief Data
Officer's report, the governance manual's summary in `domain.md`) grants the hub a standing index
across requests; the data sharing agreements name only the destruction of matching inputs. Keeping
it is this platform's design choice, which the Data Governing Board must approve (the CDO report
mentions amendments to the E-MOU under discussion); if it does not, the index must be rebuilt per
request and these tables destroyed with the inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from p20_platform.feeds.archive import archive_path
from p20_platform.feeds.loaders import matching_table
from p20_platform.feeds.stores import connect, table_exists
from p20_platform.governance.logs import MATCH_LOG, append, read_log
from p20_platform.settings import Paths

MARGIN = dt.timedelta(hours=2)  # the schedule runs hourly: destroy what would fall due before the run after next


@dataclass(frozen=True)
class MatchingInput:
    """One matched matching file whose inputs are not yet destroyed."""

    request: str
    agency: str
    file_name: str
    sha256: str
    destroy_by: dt.datetime

    def describe(self) -> dict[str, str]:
        return {"request": self.request, "file": self.file_name, "destroy_by": self.destroy_by.isoformat()}


def outstanding(paths: Paths) -> list[MatchingInput]:
    """Matched inputs without a destruction certificate, earliest deadline first."""
    with connect(paths.warehouse_db, read_only=True) as warehouse:
        log = read_log(warehouse, MATCH_LOG)
    destroyed = set(zip(*[log.loc[log["event"] == "destroyed", c] for c in ("file_name", "file_sha256")]))
    matched = log[log["event"] == "matched"].drop_duplicates(["file_name", "file_sha256"])
    items = [MatchingInput(row["request"], row["sender"], row["file_name"], row["file_sha256"],
                           dt.datetime.fromisoformat(json.loads(row["detail"])["destroy_by"]))
             for row in matched.to_dict("records") if (row["file_name"], row["file_sha256"]) not in destroyed]
    return sorted(items, key=lambda item: item.destroy_by)


def at_risk(paths: Paths, now: dt.datetime, margin: dt.timedelta = MARGIN) -> list[MatchingInput]:
    """Inputs whose deadline has passed or falls before the next scheduled pass could destroy them."""
    return [item for item in outstanding(paths) if item.destroy_by <= now + margin]


def _remove_file(path: Path) -> dict[str, object] | None:
    if not path.exists():
        return None
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    os.remove(path)
    return {"sha256": digest}


def destroy(paths: Paths, item: MatchingInput) -> list[dict[str, object]]:
    """Destroy one file's matching inputs; return what was destroyed (the certificate's items)."""
    destroyed = []
    landing = paths.agency_landing(item.agency) / item.file_name
    if landing.exists() and hashlib.sha256(landing.read_bytes()).hexdigest() == item.sha256:
        destroyed.append({"what": "landing copy", "where": str(landing.relative_to(paths.home)),
                          **_remove_file(landing)})
    archived = archive_path(paths.archive, item.sha256)
    removed = _remove_file(archived)
    if removed:
        destroyed.append({"what": "archive copy", "where": str(archived.relative_to(paths.home)), **removed})
    quarantine = f"{matching_table(item.agency).split('.')[1]}_matching"
    with connect(paths.hub_db) as hub:
        if table_exists(hub, "quarantine", quarantine):
            [(rows,)] = hub.execute(f"DELETE FROM quarantine.{quarantine} WHERE delivery_sha256 = ?",
                                    [item.sha256]).fetchall()
            destroyed.append({"what": "hub quarantined identifier rows", "where": f"hub.duckdb quarantine.{quarantine}",
                              "sha256": item.sha256, "rows": int(rows)})
        hub.execute("CHECKPOINT").fetchall()
    return destroyed


def destroy_due(paths: Paths, run_id: str, now: dt.datetime | None = None,
                margin: dt.timedelta = MARGIN) -> pd.DataFrame:
    """Destroy every input due before the next pass and certify each in the match log."""
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    certificates = []
    for item in at_risk(paths, now, margin):
        certificates.append({"request": item.request, "event": "destroyed", "file_name": item.file_name,
                             "file_sha256": item.sha256, "sender": item.agency, "inputs_destroyed": now,
                             "detail": {"destroyed": destroy(paths, item), "destroy_by": item.destroy_by.isoformat(),
                                        "run_id": run_id, "late": now > item.destroy_by}})
    with connect(paths.warehouse_db) as warehouse:
        append(warehouse, MATCH_LOG, certificates, run_id, now)
    return pd.DataFrame([{k: c[k] for k in ("request", "file_name", "sender")} for c in certificates],
                        columns=["request", "file_name", "sender"])
