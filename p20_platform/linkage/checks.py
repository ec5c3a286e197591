"""Checks on the master person index, read from the hub store: does the index look like persons?

Each check returns an `IndexCheck` (passed, a one-line summary, counts and rates rounded for
people); the Dagster asset checks on `mpi/crosswalk` are thin wrappers. No identifier leaves here:
the findings are counts and pseudonymous p20_ids.

- oversized entries: an entry with more records than any one person can have (every agency
  holding the person a few times) is a chain of false links;
- conflicting identity: an entry holding two SASIDs, two birth dates in other years more than an
  edit apart, or two SSNs each carried by two of its records, holds two people (the guard of
  `clusters.split_conflicting_clusters`; a typo stays within one edit, and a borrowed SSN on one
  record beside its holder's own is not a second person);
- match-rate drift: the share of records linked across agencies moved more than MAX_DRIFT
  against the previous build of the same strategy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from p20_platform.linkage.clusters import CONFLICTING_IDENTIFIERS, conflicting_clusters, identifier_values
from p20_platform.registry import AGENCIES

MAX_RECORDS_PER_PERSON = 3 * len(AGENCIES)  # each agency holding one person three times at most
MAX_DRIFT = 0.02  # match-rate change between builds (absolute)
EXAMPLES = 10
DIGITS = 3  # rates shown to people: 0.747, not 0.7468714448236633


@dataclass(frozen=True)
class IndexCheck:
    """One check's outcome: passed, a sentence, and metadata (counts, rounded rates, p20_ids)."""

    passed: bool
    summary: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)


def oversized_entries(crosswalk: pd.DataFrame, limit: int = MAX_RECORDS_PER_PERSON) -> IndexCheck:
    """Entries (p20_id) holding more than `limit` records."""
    sizes = crosswalk.groupby("p20_id").size()
    over = sizes[sizes > limit].sort_values(ascending=False)
    return IndexCheck(
        passed=over.empty,
        summary=f"{len(over)} entries hold more than {limit} records (largest {int(sizes.max()) if len(sizes) else 0})",
        metadata={"entries_over_limit": len(over), "limit": limit, "largest_entry": int(sizes.max()) if len(sizes) else 0,
                  "examples": list(over.index[:EXAMPLES])})


def conflicting_entries(records: pd.DataFrame, crosswalk: pd.DataFrame, entries: int | None = None) -> IndexCheck:
    """Entries holding two people's identifiers, by the probabilistic strategy's cluster guard: two
    SASIDs, two birth dates in other years more than an edit apart, or two SSNs each on two records.
    `entries`: how many the whole index holds, when `crosswalk` is only the entries that may clash."""
    clusters = crosswalk[["record_id", "p20_id"]].rename(columns={"p20_id": "cluster_id"})
    values = identifier_values(clusters, records)
    conflicting = sorted(conflicting_clusters(values))
    by_column = values[values["cluster_id"].isin(conflicting)].groupby(["cluster_id", "column"])["value"].nunique()
    clashing = by_column[by_column > 1].reset_index()
    entries = crosswalk["p20_id"].nunique() if entries is None else entries
    return IndexCheck(
        passed=not conflicting,
        summary=f"{len(conflicting)} of {entries} entries hold two people's identifiers",
        metadata={"entries_conflicting": len(conflicting),
                  **{f"entries_several_{column}": int((clashing["column"] == column).sum())
                     for column in CONFLICTING_IDENTIFIERS},
                  "examples": conflicting[:EXAMPLES]})


def stored_index_checks(hub: duckdb.DuckDBPyConnection) -> dict[str, IndexCheck]:
    """The three checks on the index in the hub store (`mpi.records`, `mpi.crosswalk`, `mpi.builds`).

    Only an entry holding two values of one identifier can clash, so only those entries' records are read
    into pandas for `conflicting_entries` (every record, with names, took about 20 s at 1.2M persons)."""
    several = " OR ".join(f"count(DISTINCT {column}) > 1" for column in CONFLICTING_IDENTIFIERS)
    suspects = hub.sql(f"""
        WITH held AS (SELECT c.p20_id, r.record_id, {", ".join(f"r.{c}" for c in CONFLICTING_IDENTIFIERS)}
                      FROM mpi.records r JOIN mpi.crosswalk c USING (record_id))
        SELECT * FROM held WHERE p20_id IN (SELECT p20_id FROM held GROUP BY p20_id HAVING {several})""").df()
    crosswalk = hub.sql("SELECT record_id, p20_id FROM mpi.crosswalk").to_arrow_table().to_pandas()
    entries = crosswalk["p20_id"].nunique()
    return {"no_oversized_entries": oversized_entries(crosswalk),
            "one_identity_per_entry": conflicting_entries(suspects, suspects[["record_id", "p20_id"]], entries),
            "match_rate_stable": match_rate_drift(hub.sql("SELECT * FROM mpi.builds").df())}


def match_rate_drift(builds: pd.DataFrame, max_drift: float = MAX_DRIFT) -> IndexCheck:
    """The latest build's match rate against the previous build of the same strategy (`mpi.builds`)."""
    latest = builds.iloc[-1]
    previous = builds.iloc[:-1]
    previous = previous[previous["strategy"] == latest["strategy"]]
    if previous.empty:
        return IndexCheck(True, "first build of this strategy: nothing to compare with",
                          {"match_rate": _rounded(latest["match_rate"]), "previous_match_rate": None})
    before = float(previous["match_rate"].iloc[-1])
    drift = float(latest["match_rate"]) - before
    return IndexCheck(
        passed=abs(drift) <= max_drift,
        summary=f"match rate {float(latest['match_rate']):.3f} against {before:.3f} at the previous build"
                f" (change {drift:+.3f}, allowed ±{max_drift})",
        metadata={"match_rate": _rounded(latest["match_rate"]), "previous_match_rate": _rounded(before),
                  "drift": _rounded(drift), "max_drift": max_drift})
