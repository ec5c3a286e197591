"""Deterministic and probabilistic linkage of the small synthetic population, scored against truth."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from p20_platform.linkage import cluster_records
from p20_platform.linkage.probabilistic import identifier_collision_u, person_clusters, score_pairs, train_model
from p20_platform.linkage.truth_scores import evaluate


@pytest.fixture(scope="module")
def probabilistic(synth_records):
    model = train_model(synth_records)
    pairs = score_pairs(synth_records, model)
    return model, pairs, person_clusters(synth_records, pairs)


def test_every_record_gets_exactly_one_cluster(synth_records, probabilistic):
    clusters = probabilistic[2]
    assert len(clusters) == len(synth_records)
    assert set(clusters["record_id"]) == set(synth_records["record_id"])


def test_probabilistic_meets_accuracy_floors_and_beats_deterministic(synth_records, synth_truth, probabilistic):
    truth, persons = synth_truth
    _, pairs, clusters = probabilistic
    scored = evaluate("probabilistic", clusters, synth_records, truth, persons, pairs=pairs,
                      as_of=dt.date(2026, 1, 15)).summary
    baseline = evaluate("deterministic", cluster_records(synth_records, "deterministic"), synth_records,
                        truth, persons).summary
    # recall floors: wage records (last name, first initial, SSN) of people whose other records carry
    # no SSN cannot be linked by any method, so overall recall is bounded; linkable recall is not.
    assert scored["pairwise_precision"] >= 0.995 and scored["pairwise_recall"] >= 0.85
    assert scored["linkable_recall"] >= 0.97 and scored["linkable_recall"] > baseline["linkable_recall"]
    assert baseline["pairwise_precision"] >= 0.98
    assert scored["pairwise_f1"] > baseline["pairwise_f1"]
    assert scored["match_rate"] >= baseline["match_rate"]


def test_model_is_trained_without_labels_and_reusable_as_json(synth_records, probabilistic):
    model = probabilistic[0]
    assert "probability_two_random_records_match" in model
    # the first level after null (a middle name's: an initial meeting a name; its full name is the next)
    exact = {c["output_column_name"]: c["comparison_levels"][2 if c["output_column_name"] == "middle_name" else 1]
             for c in model["comparisons"]}
    # levels that carry no evidence by design (an SSN under another name, a married surname) weigh nothing
    neutral = [level for c in model["comparisons"] for level in c["comparison_levels"][1:] if level.get("is_null_level")]
    assert len(neutral) == 2 and not any("m_probability" in level for level in neutral)
    assert set(exact) == {"first_name", "first_initial", "last_name", "middle_name", "dob", "ssn", "sasid", "gender"}
    # agreement is far likelier among matches than among random pairs (gender: only somewhat)
    assert all(exact[c]["m_probability"] > 10 * exact[c]["u_probability"] for c in set(exact) - {"gender"})
    assert exact["gender"]["m_probability"] > exact["gender"]["u_probability"]
    # SSN typos are rare, so true matches almost always agree on it (EM once learned 0.6 from
    # pairs of different wage earners sharing a first initial and surname)
    assert exact["ssn"]["m_probability"] >= 0.95
    # a full first name agrees in most true matches once wage records' bare initials are weighed apart
    assert exact["first_name"]["m_probability"] >= 0.8
    # the saved model scores the same records again to the same clusters
    again = cluster_records(synth_records, "probabilistic", model=model)
    clusters = probabilistic[2]
    merged = again.merge(clusters, on="record_id")
    assert merged.groupby("cluster_id_x")["cluster_id_y"].nunique().max() == 1


def test_evaluation_tables_are_consistent(synth_records, synth_truth, probabilistic):
    truth, persons = synth_truth
    _, pairs, clusters = probabilistic
    result = evaluate("probabilistic", clusters, synth_records, truth, persons, pairs=pairs)
    totals = result.agency_pairs[["true", "found", "correct"]].sum()
    assert totals["true"] == result.summary["pairs_true"] and totals["correct"] == result.summary["pairs_correct"]
    assert set(result.subgroups["dimension"]) == {"race_spd15", "sex", "age_band"}
    by_sex = result.subgroups[result.subgroups["dimension"] == "sex"]
    assert by_sex["records"].sum() == len(synth_records)
    assert result.weights["true_matches"].sum() > 0 and result.weights["non_matches"].sum() > 0


def test_identifier_collision_u_counts_only_people_born_far_apart():
    records = pd.DataFrame({
        "record_id": ["a", "b", "c", "d", "e"],
        "ssn": ["111", "111", "222", "222", None],
        "dob": ["1990-01-01", "1990-05-05", "1970-01-01", "2000-01-01", "1950-01-01"],
    })
    # births 1990, 1990, 1970, 2000 (e has no SSN): 5 pairs more than five years apart, of which
    # one (c, d) shares an SSN; the same person twice (a, b) is no collision; plus one smoothing
    assert identifier_collision_u(records, "ssn") == pytest.approx(2 / 5)
    assert identifier_collision_u(records.assign(dob=None), "ssn") is None


def test_trained_identifier_u_is_the_collision_rate_not_the_sampled_rate(synth_records, probabilistic):
    exact = {c["output_column_name"]: c["comparison_levels"][1] for c in probabilistic[0]["comparisons"]}
    for identifier in ("ssn", "sasid"):
        assert exact[identifier]["u_probability"] == pytest.approx(identifier_collision_u(synth_records, identifier))
