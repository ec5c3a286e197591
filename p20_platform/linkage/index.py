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

import duckdb
import numpy as np
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
    # joined, counted and ranked in DuckDB, and the rounds below on integer codes: pandas' string joins
    # and isin took a minute at statewide size (2.7M records)
    with duckdb.connect() as connection:
        connection.register("clusters", clusters[["record_id", "cluster_id"]])
        connection.register("prior", prior[["record_id", "p20_id"]])
        candidates = connection.sql(
            "SELECT cluster_id, p20_id, count(*) AS size FROM clusters JOIN prior USING (record_id)"
            " GROUP BY cluster_id, p20_id ORDER BY size DESC, p20_id, cluster_id").to_arrow_table().to_pandas()
    cluster_code, cluster_names = pd.factorize(candidates["cluster_id"])
    id_code, id_names = pd.factorize(candidates["p20_id"])
    cluster_taken, id_taken = np.zeros(len(cluster_names), bool), np.zeros(len(id_names), bool)
    remaining, inherited = np.arange(len(candidates)), []
    while remaining.size:  # each round: the best candidate of each cluster, then the best of those per id
        firsts = remaining[np.sort(np.unique(cluster_code[remaining], return_index=True)[1])]
        winners = firsts[np.sort(np.unique(id_code[firsts], return_index=True)[1])]
        inherited.append(winners)
        cluster_taken[cluster_code[winners]] = id_taken[id_code[winners]] = True
        remaining = remaining[~cluster_taken[cluster_code[remaining]] & ~id_taken[id_code[remaining]]]
    kept = candidates.iloc[np.sort(np.concatenate(inherited)) if inherited else []][["cluster_id", "p20_id"]]

    cluster_of_record, clusters_found = pd.factorize(clusters["cluster_id"])
    clusters_found = clusters_found.to_numpy(dtype=object)  # Python strings: iterating Arrow ones is slow
    orphans = sorted(set(clusters_found) - set(kept["cluster_id"].to_numpy(dtype=object)))
    taken = set(prior["p20_id"].to_numpy(dtype=object)) if taken is None else set(taken)  # `issue` adds to it
    fresh_ids, issuer = issuer.issue(len(orphans), taken=taken)
    ids = dict(zip(kept["cluster_id"].to_numpy(dtype=object), kept["p20_id"].to_numpy(dtype=object)))
    ids |= dict(zip(orphans, fresh_ids))
    assigned = pd.DataFrame({"record_id": clusters["record_id"].to_numpy(),
                             "p20_id": np.array([ids[c] for c in clusters_found], dtype=object)[cluster_of_record]})
    return assigned.astype("string"), issuer
