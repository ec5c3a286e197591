"""Persons -> p20_ids that stay the same across rebuilds.

Analysts join years of marts on p20_id, so a rebuild that links the same people again must
give them the same ids. A new cluster inherits the id most of its records had before; each
old id goes to at most one cluster (the one holding most of its records); everything else
gets a fresh opaque id that reveals nothing (a salted hash of a counter).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import pandas as pd

ID_PREFIX = "P"
ID_HEX_DIGITS = 10


@dataclass(frozen=True)
class IdIssuer:
    """Where fresh ids come from: a secret salt and the count of ids issued so far."""

    salt: str
    issued: int = 0

    @classmethod
    def new(cls) -> IdIssuer:
        return cls(salt=secrets.token_hex(16))

    def issue(self, count: int, taken: set[str]) -> tuple[list[str], IdIssuer]:
        """`count` new ids not in `taken`, and the issuer to use next time."""
        ids: list[str] = []
        counter = self.issued
        while len(ids) < count:
            digest = hashlib.sha256(f"{self.salt}:{counter}".encode()).hexdigest()[:ID_HEX_DIGITS]
            counter += 1
            candidate = ID_PREFIX + digest
            if candidate not in taken:
                taken.add(candidate)
                ids.append(candidate)
        return ids, IdIssuer(self.salt, counter)


def assign_p20_ids(clusters: pd.DataFrame, prior: pd.DataFrame | None, issuer: IdIssuer, *,
                   taken: set[str] | None = None) -> tuple[pd.DataFrame, IdIssuer]:
    """DataFrame[record_id, cluster_id] (+ prior DataFrame[record_id, p20_id]) -> [record_id, p20_id].

    Fresh ids avoid `taken` (default: the prior's ids), so part of an index can be given ids alone.

    Inheritance is greedy by support: (cluster, prior id) candidates ranked by how many of the
    cluster's records held the id, ties broken by the id and then the cluster id, so the result
    depends only on the inputs.
    """
    prior = prior if prior is not None else pd.DataFrame({"record_id": [], "p20_id": []}, dtype="string")
    candidates = (
        clusters.merge(prior, on="record_id", how="inner")
        .groupby(["cluster_id", "p20_id"], as_index=False).size()
        .sort_values(["size", "p20_id", "cluster_id"], ascending=[False, True, True])
    )
    inherited: list[pd.DataFrame] = []
    while not candidates.empty:
        winners = candidates.drop_duplicates("cluster_id").drop_duplicates("p20_id")
        inherited.append(winners[["cluster_id", "p20_id"]])
        candidates = candidates[~candidates["cluster_id"].isin(winners["cluster_id"])
                                & ~candidates["p20_id"].isin(winners["p20_id"])]
    kept = pd.concat(inherited, ignore_index=True) if inherited else pd.DataFrame(
        {"cluster_id": [], "p20_id": []}, dtype="string")

    orphans = sorted(set(clusters["cluster_id"]) - set(kept["cluster_id"]))
    fresh_ids, issuer = issuer.issue(len(orphans), taken=set(prior["p20_id"]) if taken is None else set(taken))
    ids = pd.concat([kept, pd.DataFrame({"cluster_id": orphans, "p20_id": fresh_ids})], ignore_index=True)
    assigned = clusters.merge(ids, on="cluster_id", how="left")[["record_id", "p20_id"]]
    return assigned.astype("string"), issuer
