"""The marts, built by real dbt on the oracle index, reproduce the generator's truth."""

from __future__ import annotations

import pandas as pd
import pytest

from p20_platform.evaluation.marts import compare_marts_with_truth
from p20_platform.feeds import identifier_columns
from p20_platform.linkage.hub import WAGE_AGENCY
from p20_platform.registry import AGENCIES
from p20_platform.synth.reference import SPD15, UNCOLLECTED_RECORDED_AS

FACTS = ["enrolled_k12", "enrolled_hs", "credits_off_track", "chronically_absent", "behaviour_incident",
         "employed", "postsecondary", "training", "incarcerated"]
TRUTH_FACT_NAMES = {"behaviour": "behaviour_incident"}


@pytest.fixture(scope="module")
def recorded_person_ids(built_home) -> set[str]:
    records = pd.read_parquet(built_home.truth / "records.parquet", columns=["person_id"])
    return set(records["person_id"].astype(str))


def test_every_person_year_status_and_fact_matches_truth(warehouse, built_home, recorded_person_ids):
    marts = warehouse.execute("SELECT * FROM marts.disconnected_youth_person_year").df()
    truth = pd.read_parquet(built_home.truth / "status.parquet").rename(columns=TRUTH_FACT_NAMES)
    truth["p20_id"] = truth["person_id"].astype(str)
    recorded = truth[truth["p20_id"].isin(recorded_person_ids)]
    joined = recorded.merge(marts, on=["p20_id", "report_year"], how="outer", suffixes=("_truth", ""),
                            indicator=True, validate="one_to_one")
    assert (joined["_merge"] == "both").all(), joined["_merge"].value_counts()
    assert (joined["age_truth"] == joined["age"]).all()
    for fact in FACTS:
        assert (joined[f"{fact}_truth"].astype(bool) == joined[fact]).all(), fact
    assert (joined["diploma_status_truth"] == joined["diploma_status"]).all()
    assert (joined["has_diploma"] == (joined["diploma_status"] == "diploma")).all()
    # Every status the data can decide is the true one; the rest rest on the presumption made for
    # youth never in a Connecticut public school, and are flagged.
    flagged = joined["status_rests_on_unknown_diploma"]
    assert (joined.loc[~flagged, "status_truth"] == joined.loc[~flagged, "status"]).all()
    assert (joined.loc[flagged, "diploma_status"] == "unknown").all()
    presumed = joined[flagged]
    right = presumed["status_truth"] == presumed["status"]
    assert len(presumed) > 50 and right.mean() > 0.7, (len(presumed), right.mean())
    # The presumption fails exactly where truth has no diploma out of school, or is out of school too early.
    out_of_school = ~presumed["enrolled_elsewhere"]
    wrong_because = ((out_of_school & ~presumed["diploma"].astype(bool))
                     | (out_of_school == presumed["presumed_in_school_elsewhere"]))
    assert (~right <= wrong_because).all()
    # Every status occurs, so the comparison exercised each branch of the definition.
    assert set(marts["status"]) == {"connected", "at_risk_off_track", "at_risk_other", "at_risk_severe",
                                    "disconnected_moderate", "disconnected_severe"}


def test_crossover_cohort_matches_truth(warehouse, built_home):
    cohort = warehouse.execute("SELECT * FROM marts.crossover_youth_cohort").df().set_index("p20_id").sort_index()
    truth = pd.read_parquet(built_home.truth / "crossover.parquet")
    truth = truth.set_index(truth["person_id"].astype(str)).sort_index()
    assert list(cohort.index) == list(truth.index) and len(cohort) > 0
    assert (cohort["pathway"] == truth["pathway"]).all()
    assert (pd.to_datetime(cohort["first_child_welfare_date"]) == truth["first_child_welfare_date"]).all()
    assert (pd.to_datetime(cohort["first_juvenile_justice_date"]) == truth["first_juvenile_case_date"]).all()
    assert (cohort["years_to_crossover"] - truth["years_to_crossover"]).abs().max() < 1e-9
    assert (cohort["juvenile_cases"] >= 1).all()
    assert ((cohort["substantiated_allegations"] + cohort["placements"]) >= 1).all()


def test_comparison_with_truth_differs_only_by_unknown_diplomas_and_counts_people_no_agency_recorded(
        built_home, warehouse):
    comparison = compare_marts_with_truth(built_home)
    assert comparison.pathways_within_tolerance and comparison.years_within_tolerance
    # With the oracle index, the yearly counts differ from truth only by youth whose status rests on
    # an unknown diploma (none of whose schooling any Connecticut record shows).
    marts = warehouse.execute("SELECT p20_id, report_year, status FROM marts.disconnected_youth_person_year "
                              "WHERE status_rests_on_unknown_diploma").df()
    truth = pd.read_parquet(built_home.truth / "status.parquet")
    flagged = truth.assign(p20_id=truth["person_id"].astype(str)).merge(
        marts, on=["p20_id", "report_year"], suffixes=("", "_mart"))
    group = r"^(at_risk|disconnected)"
    shift = (flagged["status_mart"].str.extract(group, expand=False).value_counts()
             .sub(flagged["status"].str.extract(group, expand=False).value_counts(), fill_value=0))
    counts = comparison.status_counts.groupby("status_group")["difference"].sum()
    assert counts.reindex(shift.index).tolist() == shift.tolist() and (counts.drop(shift.index) == 0).all()
    assert counts["at_risk"] == 0
    everyone = truth["status"].str.match("at_risk|disconnected").sum()
    counted = comparison.status_counts[["truth", "truth_never_recorded"]].to_numpy().sum()
    assert counted == everyone


def test_counts_add_up_to_person_years_with_year_over_year_change(warehouse):
    counts = warehouse.execute("SELECT * FROM marts.disconnected_youth_counts").df()
    person_years = warehouse.execute(
        "SELECT report_year, status, sex, age_band FROM marts.disconnected_youth_person_year").df()
    overall = counts[counts["dimension"] == "all"].set_index("report_year").sort_index()
    assert (overall["youth"] == person_years.groupby("report_year").size()).all()
    at_risk = person_years["status"].str.startswith("at_risk").groupby(person_years["report_year"]).sum()
    assert (overall["at_risk"] == at_risk).all()
    assert (overall["at_risk_change"].iloc[1:].to_numpy() == overall["at_risk"].diff().iloc[1:].to_numpy()).all()
    assert pd.isna(overall["at_risk_change"].iloc[0])
    for dimension in ("sex", "age_band", "race_ethnicity", "town"):
        per_year = counts[counts["dimension"] == dimension].groupby("report_year")["youth"].sum()
        assert (per_year == overall["youth"]).all(), dimension


def test_wage_linkable_is_whether_a_delivered_record_of_the_person_carries_an_ssn(warehouse, built_home):
    """Checked against the generator's own record flags: a wage record, or the agency sends SSNs and
    this record's was neither blanked nor made invalid. A digit transposition may turn a valid SSN
    into an invalid one, which the hub (rightly) does not count, so only those records may disagree."""
    records = pd.read_parquet(built_home.truth / "records.parquet")
    sends_ssn = records["agency"].isin([a.code for a in AGENCIES if "SSN" in a.matching_fields])
    carries = sends_ssn & ~records["missing_SSN"] & ~records["ssn_invalid"]
    wage_record = records["agency"] == WAGE_AGENCY
    person = records["person_id"].astype(str)
    may_carry = (carries | wage_record).groupby(person).any()
    surely_carries = ((carries & ~records["ssn_digit_transposition"]) | wage_record).groupby(person).any()
    index = warehouse.execute("SELECT p20_id, wage_linkable FROM staging.stg_mpi__persons").df().set_index("p20_id")
    linkable = index["wage_linkable"].astype(bool)
    assert set(linkable.index) == set(may_carry.index)
    assert not (linkable & ~may_carry.reindex(linkable.index)).any()
    assert (linkable | ~surely_carries.reindex(linkable.index)).all()
    assert 0.5 < linkable.mean() < 1.0 and (~linkable).sum() > 0  # both kinds exist in the small population


def test_a_category_no_agency_collects_is_not_collected_never_zero(warehouse):
    rows = warehouse.execute("""SELECT category_collected, youth, disconnected FROM marts.disconnected_youth_counts
                                WHERE dimension = 'race_ethnicity'
                                  AND dimension_value = 'Middle Eastern or North African'""").fetchall()
    assert len(rows) == 11
    assert all(collected is False and youth is None and disconnected is None for collected, youth, disconnected in rows)
    assert warehouse.execute("SELECT DISTINCT race_ethnicity FROM intermediate.int_cssd__juvenile_cases").fetchall() \
        == [("Not collected",)]


def test_true_race_cells_are_those_the_mart_can_publish(warehouse, built_home):
    """The comparison with truth counts a category no agency collects where the agencies record it, so
    every true disconnected youth of a report year lies in a race cell the counts mart can show."""
    comparison = compare_marts_with_truth(built_home)
    race = comparison.estimates[comparison.estimates["dimension"] == "race_ethnicity"]
    total = comparison.estimates[comparison.estimates["dimension"] == "all"].set_index("report_year")["truth"]
    assert (race.groupby("report_year")["truth"].sum() == total).all()
    assert "Middle Eastern or North African" not in set(race.loc[race["truth"] > 0, "dimension_value"])


def test_person_race_follows_the_truth_through_each_agencys_coding(warehouse, built_home):
    demographics = warehouse.execute("SELECT p20_id, race_ethnicity FROM intermediate.int_person_demographics").df()
    truth = pd.read_parquet(built_home.truth / "persons.parquet", columns=["person_id", "race_spd15"])
    truth["recorded_as"] = truth["race_spd15"].replace(UNCOLLECTED_RECORDED_AS)
    joined = demographics.merge(truth.assign(p20_id=truth["person_id"].astype(str)), on="p20_id")
    known = joined[joined["race_ethnicity"].isin(SPD15)]
    assert len(known) > 0.6 * len(joined)
    agreement = (known["race_ethnicity"] == known["recorded_as"]).mean()
    assert agreement > 0.97, agreement


def test_no_identifier_reaches_any_dbt_relation(warehouse):
    columns = warehouse.execute("""SELECT table_schema || '.' || table_name || '.' || column_name
                                   FROM information_schema.columns
                                   WHERE table_schema IN ('staging', 'intermediate', 'marts', 'reference')""").fetchall()
    assert len(columns) > 100
    assert identifier_columns([c for (c,) in columns]) == []
