"""Links between records -> persons (connected components), shared by every strategy."""

from __future__ import annotations

import pandas as pd
from splink.clustering import cluster_pairwise_predictions_at_threshold

from p20_platform.linkage.backend import splink_db_api


def connected_components(record_ids: pd.Series, links: pd.DataFrame) -> pd.DataFrame:
    """Resolve links transitively: DataFrame[record_id, cluster_id], one row per record.

    `links` holds `record_id_l`, `record_id_r` for pairs judged to be the same person; a
    record with no link is its own cluster. Uses Splink's DuckDB connected-components solver
    so millions of records cluster in seconds.
    """
    nodes = pd.DataFrame({"record_id": pd.Series(record_ids, dtype="string").to_numpy()})
    edges = links[["record_id_l", "record_id_r"]].astype("string")
    with splink_db_api("duckdb") as db_api:
        clusters = cluster_pairwise_predictions_at_threshold(
            nodes, edges, db_api=db_api, node_id_column_name="record_id",
        ).as_pyarrow_table().to_pandas()  # Arrow: far faster than DuckDB's pandas conversion
    return clusters[["record_id", "cluster_id"]].astype("string").reset_index(drop=True)


def clusters_from_pairs(record_ids: pd.Series, pairs: pd.DataFrame, threshold: float,
                        identifiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Persons from scored pairs, shared by the Splink strategies: pairs at or above `threshold`
    resolved transitively, then (given `identifiers`: record_id and CONFLICTING_IDENTIFIERS) clusters
    holding clashing identifiers split. DataFrame[record_id, cluster_id] ordered by record id (the
    clustering's own row order varies between runs)."""
    links = pairs.loc[pairs["match_probability"] >= threshold, ["record_id_l", "record_id_r", "match_probability"]]
    clusters = connected_components(record_ids, links)
    if identifiers is not None:
        clusters = split_conflicting_clusters(clusters, links, identifiers)
    return clusters.sort_values("record_id", ignore_index=True)


# Identifiers one person holds one value of. Two values more than one edit apart (a typo or a
# transposed digit stays within one) in one entry mean two people: SSN, SASID, and a DOB in
# another year. Under a borrowed SSN or a namesake born the same day, links can chain two people.
CONFLICTING_IDENTIFIERS = ("ssn", "sasid", "dob")
# An SSN counts only when two records of the entry carry it: one record under a borrowed number
# (a parent's, under the person's own name and DOB) belongs with the person, not apart.
CORROBORATED_ONLY = ("ssn", "dob")


def _one_edit_apart(a: str, b: str) -> bool:
    """Equal, or one substitution or one adjacent transposition apart (fixed-width identifiers)."""
    if len(a) != len(b):
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(differ) <= 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])


def _clash(column: str, a: str, b: str) -> bool:
    if column == "dob":
        return a[:4] != b[:4] and not _one_edit_apart(a, b)
    return not _one_edit_apart(a, b)


def _compatible(left: dict[str, set[str]], right: dict[str, set[str]]) -> bool:
    return not any(_clash(column, a, b) for column, values in left.items()
                   for a in values for b in right.get(column, ()))


def identifier_values(clusters: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Long table [record_id, cluster_id, column, value] of the identifiers the guard weighs (an SSN
    only where two records of the cluster carry it)."""
    identifiers = records[["record_id", *CONFLICTING_IDENTIFIERS]].merge(clusters, on="record_id")
    values = identifiers.melt(id_vars=["record_id", "cluster_id"], var_name="column", value_name="value").dropna()
    holders = values.groupby(["cluster_id", "column", "value"])["record_id"].transform("size")
    return values[(holders > 1) | ~values["column"].isin(CORROBORATED_ONLY)]


def conflicting_clusters(values: pd.DataFrame) -> set[str]:
    """Clusters whose identifier values (`identifier_values`) clash: they hold two people."""
    distinct = values.drop_duplicates(["cluster_id", "column", "value"])
    several = distinct.groupby(["cluster_id", "column"])["value"].transform("size") > 1
    suspects = distinct[distinct["cluster_id"].isin(set(distinct.loc[several, "cluster_id"]))]
    return {cluster for cluster, group in suspects.groupby("cluster_id")
            if not _compatible(*(2 * [_values_by_column(group)]))}


def split_conflicting_clusters(clusters: pd.DataFrame, links: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Clusters holding clashing identifiers, re-formed from their links strongest first, refusing a
    link that would join two clashing identifiers (a cannot-link constraint); the rest unchanged.

    `links` holds record_id_l, record_id_r and match_probability; `records` the identifier columns.
    Parts of a split cluster get the cluster id with a suffix (#1, #2, ...).
    """
    values = identifier_values(clusters, records)
    conflicting = conflicting_clusters(values)
    if not conflicting:
        return clusters
    # Links and values grouped by cluster once: selecting them from every link for each cluster in turn
    # took 8 minutes at statewide size (thousands of conflicting clusters times millions of links).
    suspects = clusters[clusters["cluster_id"].isin(conflicting)]
    cluster_of = pd.Series(suspects["cluster_id"].to_numpy(), index=suspects["record_id"].to_numpy())
    left, right = links["record_id_l"].map(cluster_of), links["record_id_r"].map(cluster_of)
    inside = links[left.notna() & (left == right)].assign(cluster_id=left).sort_values(
        ["match_probability", "record_id_l", "record_id_r"], ascending=[False, True, True])
    links_of = dict(list(inside.groupby("cluster_id", sort=False)))
    values_of = dict(list(values[values["cluster_id"].isin(conflicting)].groupby("cluster_id", sort=False)))
    parts = []
    for cluster, members in suspects.groupby("cluster_id"):
        parts.append(_constrained_union(cluster, sorted(members["record_id"]), links_of.get(cluster, inside.iloc[:0]),
                                        values_of.get(cluster, values.iloc[:0])))
    kept = clusters[~clusters["cluster_id"].isin(conflicting)]
    return pd.concat([kept, *parts], ignore_index=True).astype("string")


def _values_by_column(values: pd.DataFrame) -> dict[str, set[str]]:
    return {column: set(group["value"]) for column, group in values.groupby("column")}


def _constrained_union(cluster: str, record_ids: list[str], links: pd.DataFrame, values: pd.DataFrame
                       ) -> pd.DataFrame:
    """Greedy union-find over links in the given order, skipping links between clashing groups."""
    root = {record: record for record in record_ids}
    held = {record: _values_by_column(group) for record, group in values.groupby("record_id")}

    def find(record: str) -> str:
        while root[record] != record:
            root[record] = root[root[record]]
            record = root[record]
        return record

    for left, right in links[["record_id_l", "record_id_r"]].itertuples(index=False):
        a, b = find(left), find(right)
        if a == b or not _compatible(held.get(a, {}), held.get(b, {})):
            continue
        root[b] = a
        merged = held.pop(b, {})
        for column, column_values in merged.items():
            held.setdefault(a, {}).setdefault(column, set()).update(column_values)
    roots = sorted({find(record) for record in record_ids})
    number = {r: f"{cluster}#{i + 1}" for i, r in enumerate(roots)}
    return pd.DataFrame({"record_id": record_ids, "cluster_id": [number[find(r)] for r in record_ids]})
