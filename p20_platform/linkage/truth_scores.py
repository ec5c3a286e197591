"""How good is a linkage? Scores against synthetic truth, by agency pair and by subgroup.

The governance manual asks, for every match, how confident matches are, what unmatched records
mean and whether matching is biased for subgroups; the briefing asks for the match rate of the
current and the PET strategy. Pair counts come from cluster x person contingency counts
(n choose 2 per cell), so scoring a statewide linkage needs no list of pairs.
Only evaluation reads truth/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from p20_platform.disclosure.policy import PLATFORM_BASELINE, DisclosurePolicy
from p20_platform.linkage.clusters import connected_components
from p20_platform.settings import Paths, paths

AGE_BANDS = (0, 14, 18, 27, 41, 200)
AGE_BAND_LABELS = ("0-13", "14-17", "18-26", "27-40", "41+")


def _pairs(n: pd.Series | np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype="int64")
    return n * (n - 1) // 2


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else float("nan")


def load_truth(home: Paths | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records truth [record_id, agency, person_id], persons [person_id, race_spd15, sex, birth_date])."""
    truth = (home or paths()).truth
    records = pd.read_parquet(truth / "records.parquet", columns=["agency", "file", "FakeID", "person_id"])
    records = records.assign(record_id=records["file"].astype(str) + "|" + records["FakeID"].astype(str))
    persons = pd.read_parquet(truth / "persons.parquet", columns=["person_id", "race_spd15", "sex", "birth_date"])
    return records[["record_id", "agency", "person_id"]], persons


def match_rate_sql(linked: str) -> str:
    """SQL for the share of records linked to at least one record of another agency (the briefing's
    match rate), over `linked`: a relation with one row per record, cluster_id and agency."""
    return (f"SELECT avg(CAST(agencies > 1 AS DOUBLE)) FROM {linked} JOIN (SELECT cluster_id, count(DISTINCT agency)"
            f" AS agencies FROM {linked} GROUP BY cluster_id) USING (cluster_id)")


def match_rate(clusters: pd.DataFrame, records: pd.DataFrame) -> float:
    """The match rate (`match_rate_sql`) of clusters [record_id, cluster_id] of records [record_id, agency]."""
    with duckdb.connect() as connection:
        connection.register("clusters", clusters[["record_id", "cluster_id"]])
        connection.register("records", records[["record_id", "agency"]])
        rate = connection.execute(match_rate_sql("(SELECT cluster_id, agency FROM clusters JOIN records USING "
                                                 "(record_id))")).fetchall()[0][0]
    return float("nan") if rate is None else float(rate)


def pairwise_scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Pairwise precision/recall/F1: a pair is 'found' when both records share a cluster."""
    joined = clusters.merge(truth[["record_id", "person_id"]], on="record_id", validate="1:1")
    found = int(_pairs(joined.groupby("cluster_id").size()).sum())
    true = int(_pairs(joined.groupby("person_id").size()).sum())
    correct = int(_pairs(joined.groupby(["cluster_id", "person_id"]).size()).sum())
    precision, recall = _ratio(correct, found), _ratio(correct, true)
    return {"pairs_found": found, "pairs_true": true, "pairs_correct": correct,
            "pairwise_precision": precision, "pairwise_recall": recall, "pairwise_f1": _f1(precision, recall)}


def linkable_recall(clusters: pd.DataFrame, records: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Recall over the pairs the data can support at all.

    Two records of one person are *linkable* when a chain of that person's records joins them
    with each step sharing an exact identifier: SSN, SASID, or DOB plus first or last name. A wage
    record (last name, first initial, SSN) of someone whose other records carry no SSN is not
    linkable by any method; counting it shows how much of the missed recall is the data's.
    """
    people = records.merge(truth[["record_id", "person_id"]], on="record_id", validate="1:1")
    connection = duckdb.connect()
    try:
        connection.register("people", people)
        evidence = connection.sql("""
            SELECT l.record_id AS record_id_l, r.record_id AS record_id_r
            FROM people l JOIN people r ON l.person_id = r.person_id AND l.record_id < r.record_id
            WHERE l.ssn = r.ssn OR l.sasid = r.sasid
               OR (l.dob = r.dob AND (l.first_name = r.first_name OR l.last_name = r.last_name))""").df()
    finally:
        connection.close()
    components = connected_components(people["record_id"], evidence).rename(columns={"cluster_id": "component"})
    joined = components.merge(clusters, on="record_id")
    linkable = int(_pairs(joined.groupby("component").size()).sum())
    recovered = int(_pairs(joined.groupby(["component", "cluster_id"]).size()).sum())
    return {"pairs_linkable": linkable, "linkable_recall": _ratio(recovered, linkable)}


def cluster_scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Cluster precision = share of clusters that are exactly one whole person; recall = share of
    persons recovered exactly as one cluster."""
    joined = clusters.merge(truth[["record_id", "person_id"]], on="record_id", validate="1:1")
    cells = joined.groupby(["cluster_id", "person_id"]).size().rename("n").reset_index()
    cluster_size = joined.groupby("cluster_id").size()
    person_size = joined.groupby("person_id").size()
    exact = cells[(cells["n"].to_numpy() == cluster_size.loc[cells["cluster_id"]].to_numpy())
                  & (cells["n"].to_numpy() == person_size.loc[cells["person_id"]].to_numpy())]
    precision, recall = _ratio(len(exact), len(cluster_size)), _ratio(len(exact), len(person_size))
    return {"clusters": len(cluster_size), "persons_true": len(person_size),
            "cluster_precision": precision, "cluster_recall": recall, "cluster_f1": _f1(precision, recall)}


def agency_pair_scores(clusters: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per agency pair (within-agency duplicates included): true, found and correct pairs."""
    joined = clusters.merge(truth, on="record_id", validate="1:1")
    counts = {
        "found": joined.groupby(["cluster_id", "agency"]).size(),
        "true": joined.groupby(["person_id", "agency"]).size(),
        "correct": joined.groupby(["cluster_id", "person_id", "agency"]).size(),
    }
    tables = []
    for kind, by_group in counts.items():
        group_keys = list(by_group.index.names[:-1])
        cells = by_group.rename("n").reset_index()
        cross = cells.merge(cells, on=group_keys, suffixes=("_a", "_b"))
        cross = cross[cross["agency_a"] < cross["agency_b"]]
        cross = cross.assign(pairs=cross["n_a"] * cross["n_b"])
        same = cells.assign(agency_a=cells["agency"], agency_b=cells["agency"], pairs=_pairs(cells["n"]))
        both = pd.concat([cross[["agency_a", "agency_b", "pairs"]], same[["agency_a", "agency_b", "pairs"]]])
        tables.append(both.groupby(["agency_a", "agency_b"])["pairs"].sum().rename(kind))
    table = pd.concat(tables, axis=1).fillna(0).astype("int64").reset_index()
    table = table[table["true"] + table["found"] > 0]
    return table.assign(precision=np.where(table["found"] > 0, table["correct"] / table["found"].clip(lower=1), np.nan),
                        recall=np.where(table["true"] > 0, table["correct"] / table["true"].clip(lower=1), np.nan))


def subgroup_scores(clusters: pd.DataFrame, truth: pd.DataFrame, persons: pd.DataFrame,
                    as_of: dt.date) -> pd.DataFrame:
    """Is matching biased? Per race/ethnicity, sex and age band: pairwise recall of the group's
    own pairs, the share of its records wrongly merged with another person, and its match rate."""
    joined = clusters.merge(truth, on="record_id", validate="1:1")
    cell = joined.groupby(["cluster_id", "person_id"])["record_id"].transform("size")
    cluster_n = joined.groupby("cluster_id")["record_id"].transform("size")
    agencies_in_cluster = joined.groupby("cluster_id")["agency"].transform("nunique")
    per_person = joined.assign(correct_pairs_x2=cell - 1, wrongly_merged=cell < cluster_n,
                               cross_agency=agencies_in_cluster > 1)
    per_person = per_person.groupby("person_id").agg(
        records=("record_id", "size"), correct_pairs_x2=("correct_pairs_x2", "sum"),
        wrongly_merged=("wrongly_merged", "sum"), cross_agency=("cross_agency", "sum"))
    per_person = per_person.assign(true_pairs=_pairs(per_person["records"]),
                                   correct_pairs=per_person["correct_pairs_x2"] // 2)
    birth = pd.to_datetime(persons["birth_date"])
    age = as_of.year - birth.dt.year - ((birth.dt.month * 100 + birth.dt.day) > as_of.month * 100 + as_of.day)
    groups = persons.assign(
        age_band=pd.cut(age, bins=list(AGE_BANDS), right=False, labels=list(AGE_BAND_LABELS)).astype("string"),
    ).set_index("person_id")[["race_spd15", "sex", "age_band"]]
    per_person = per_person.join(groups, how="left")
    rows = []
    for dimension in ("race_spd15", "sex", "age_band"):
        summed = per_person.groupby(dimension, observed=True)[
            ["records", "true_pairs", "correct_pairs", "wrongly_merged", "cross_agency"]].sum()
        for value, s in summed.iterrows():
            rows.append({"dimension": dimension, "group": value, "records": int(s["records"]),
                         "pairwise_recall": _ratio(s["correct_pairs"], s["true_pairs"]),
                         "false_merge_rate": _ratio(s["wrongly_merged"], s["records"]),
                         "match_rate": _ratio(s["cross_agency"], s["records"])})
    return pd.DataFrame(rows)


def match_weight_distribution(pairs: pd.DataFrame, truth: pd.DataFrame, bin_width: float = 2.0) -> pd.DataFrame:
    """Scored pairs per match-weight bin, split into true matches and non-matches."""
    person = truth.set_index("record_id")["person_id"]
    same = person.reindex(pairs["record_id_l"]).to_numpy() == person.reindex(pairs["record_id_r"]).to_numpy()
    bins = np.floor(pairs["match_weight"].to_numpy() / bin_width) * bin_width
    table = pd.DataFrame({"match_weight_from": bins, "true_match": same})
    return (table.groupby("match_weight_from")["true_match"].agg(true_matches="sum", pairs="size")
            .assign(non_matches=lambda t: t["pairs"] - t["true_matches"]).reset_index()
            [["match_weight_from", "true_matches", "non_matches"]])


@dataclass
class Evaluation:
    """One strategy's scores; `summary` is flat for Dagster metadata, the tables for the report."""

    strategy: str
    summary: dict[str, float]
    agency_pairs: pd.DataFrame
    subgroups: pd.DataFrame
    weights: pd.DataFrame | None = field(default=None)


def evaluate(strategy: str, clusters: pd.DataFrame, records: pd.DataFrame, truth: pd.DataFrame | None,
             persons: pd.DataFrame | None, *, pairs: pd.DataFrame | None = None, as_of: dt.date | None = None
             ) -> Evaluation:
    """Score one strategy's clusters of `records`; without truth only what needs none (match rate)."""
    summary = {"records": len(records), "persons_found": int(clusters["cluster_id"].nunique()),
               "match_rate": match_rate(clusters, records)}
    if truth is None or persons is None:
        return Evaluation(strategy, summary, pd.DataFrame(), pd.DataFrame())
    summary |= (pairwise_scores(clusters, truth) | linkable_recall(clusters, records, truth)
                | cluster_scores(clusters, truth))
    return Evaluation(
        strategy=strategy, summary=summary, agency_pairs=agency_pair_scores(clusters, truth),
        subgroups=subgroup_scores(clusters, truth, persons, as_of or dt.date.today()),
        weights=match_weight_distribution(pairs, truth) if pairs is not None else None,
    )


def render_markdown(evaluations: list[Evaluation]) -> str:
    """A readable report comparing strategies (counts and rates only, no identifiers)."""
    summary = pd.DataFrame({e.strategy: e.summary for e in evaluations})
    parts = ["# Linkage evaluation", "",
             "Scores against the synthetic ground truth. Match rate = share of records linked to a "
             "record of another agency. Pairwise scores count record pairs; cluster scores count persons "
             "recovered exactly.", "", "## Summary", "", summary.to_markdown(floatfmt=".4f")]
    for e in evaluations:
        if e.agency_pairs.empty:
            continue
        parts += ["", f"## {e.strategy}", "", "### By agency pair", "",
                  suppress_small_counts(e.agency_pairs).to_markdown(index=False, floatfmt=".4f"), "",
                  "### By subgroup (is matching biased?)", "",
                  suppress_small_counts(e.subgroups, within="dimension").to_markdown(index=False, floatfmt=".4f")]
        if e.weights is not None:
            bins = e.weights.assign(match_weight_from=e.weights["match_weight_from"].map("{:.1f}".format))
            parts += ["", "### Match weight distribution of scored pairs", "",
                      suppress_small_counts(bins).to_markdown(index=False)]
    if any(not e.agency_pairs.empty for e in evaluations):
        parts += ["", f"Counts of {EVALUATION_POLICY.sensitive_range} (and one more cell where a total would give "
                  "them away, and the rates of their rows) are shown as `suppressed`: this page sits under reports/."]
    return "\n".join(parts) + "\n"


EVALUATION_POLICY = DisclosurePolicy.strictest([PLATFORM_BASELINE])
SUPPRESSED = "suppressed"


def suppress_small_counts(table: pd.DataFrame, within: str | None = None,
                          policy: DisclosurePolicy = EVALUATION_POLICY) -> pd.DataFrame:
    """`table` for a page under reports/: each count the policy may not show, and the rates of its row (a rate
    over a small count gives the count away), read `suppressed`. Where a column's counts add up to a total shown
    elsewhere (per `within` group, or the whole column), a lone suppressed count is joined by the next smallest,
    so it cannot be recovered by subtraction."""
    counts = [c for c in table.columns if pd.api.types.is_integer_dtype(table[c])]
    rates = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    hidden = pd.DataFrame({c: table[c].map(policy.is_sensitive) for c in counts}, index=table.index)
    groups = table.groupby(within, sort=False).groups.values() if within else [table.index]
    for column in counts:
        for rows in groups:
            if hidden.loc[rows, column].sum() == 1:
                shown = table.loc[rows, column][~hidden.loc[rows, column] & (table.loc[rows, column] > 0)]
                if not shown.empty:
                    hidden.loc[shown.idxmin(), column] = True
    out = table.astype({c: "object" for c in counts})
    for column in rates:  # as `to_markdown(floatfmt=".4f")` writes them, now that some are text
        out[column] = table[column].map(lambda value: "nan" if pd.isna(value) else f"{value:.4f}")
    for column in counts:
        out.loc[hidden[column], column] = SUPPRESSED
    out.loc[hidden.any(axis=1), rates] = SUPPRESSED
    return out


REVIEW_WIDTH = 4.0  # match weight either side of the threshold a clerical reviewer looks at


def match_weight(probability: float) -> float:
    """Splink's match weight (log2 Bayes factor, prior included) for a match probability."""
    return float(np.log2(probability / (1 - probability)))


def clerical_review(pairs: pd.DataFrame, threshold_probability: float, *, limit: int = 1000) -> pd.DataFrame:
    """The uncertain pairs a person should look at: match weight within REVIEW_WIDTH of the threshold,
    closest first, both records' identifiers side by side with each field's weight (hub only)."""
    threshold_weight = match_weight(threshold_probability)
    near = pairs[(pairs["match_weight"] - threshold_weight).abs() <= REVIEW_WIDTH]
    near = near.assign(distance=(near["match_weight"] - threshold_weight).abs(),
                       decision=np.where(near["match_probability"] >= threshold_probability, "linked", "not linked"))
    columns = ["decision", "match_weight", "match_probability", "record_id_l", "record_id_r",
               *[c for c in pairs.columns if c.endswith(("_l", "_r")) and not c.startswith("record_id")],
               *[c for c in pairs.columns if c.startswith("mw_")]]
    return near.sort_values(["distance", "record_id_l", "record_id_r"]).head(limit)[columns].reset_index(drop=True)
