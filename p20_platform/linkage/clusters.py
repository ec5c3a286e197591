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
    return {cluster for cluster, held in _values_by(suspects, "cluster_id").items() if not _compatible(held, held)}


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
    # Plain lists and dicts per cluster: a pandas group per cluster and per record took 47 s at 1.2M persons.
    links_of: dict[str, list[tuple[str, str]]] = {}
    for cluster, left_id, right_id in zip(inside["cluster_id"].tolist(), inside["record_id_l"].tolist(),
                                          inside["record_id_r"].tolist()):
        links_of.setdefault(cluster, []).append((left_id, right_id))
    members_of: dict[str, list[str]] = {}
    for cluster, record in zip(suspects["cluster_id"].tolist(), suspects["record_id"].tolist()):
        members_of.setdefault(cluster, []).append(record)
    held_by_record = _values_by(values[values["cluster_id"].isin(conflicting)], "record_id")
    record_ids, cluster_ids = [], []
    for cluster in sorted(members_of):
        members = sorted(members_of[cluster])
        record_ids += members
        cluster_ids += _constrained_union(cluster, members, links_of.get(cluster, []),
                                          {record: held_by_record[record] for record in members
                                           if record in held_by_record})
    kept = clusters[~clusters["cluster_id"].isin(conflicting)]
    parts = pd.DataFrame({"record_id": record_ids, "cluster_id": cluster_ids})
    return pd.concat([kept, parts], ignore_index=True).astype("string")


def _values_by(values: pd.DataFrame, key: str) -> dict[str, dict[str, set[str]]]:
    """Per `key` (cluster_id or record_id) of `values` (`identifier_values`), its values by column."""
    by_key: dict[str, dict[str, set[str]]] = {}
    for name, column, value in zip(values[key].tolist(), values["column"].tolist(), values["value"].tolist()):
        by_key.setdefault(name, {}).setdefault(column, set()).add(value)
    return by_key


def _constrained_union(cluster: str, record_ids: list[str], links: list[tuple[str, str]],
                       held: dict[str, dict[str, set[str]]]) -> list[str]:
    """Greedy union-find over links in the given order, skipping links between clashing groups; the
    part of `cluster` each of `record_ids` ends in. `held`: the identifier values of each record."""
    root = {record: record for record in record_ids}

    def find(record: str) -> str:
        while root[record] != record:
            root[record] = root[root[record]]
            record = root[record]
        return record

    for left, right in links:
        a, b = find(left), find(right)
        if a == b or not _compatible(held.get(a, {}), held.get(b, {})):
            continue
        root[b] = a
        merged = held.pop(b, {})
        for column, column_values in merged.items():
            held.setdefault(a, {}).setdefault(column, set()).update(column_values)
    roots = sorted({find(record) for record in record_ids})
    number = {r: f"{cluster}#{i + 1}" for i, r in enumerate(roots)}
    return [number[find(r)] for r in record_ids]
