"""Disconnected statuses that rest on wage records no linkage could have found: the marts' columns
under the oracle index and the real probabilistic one, and the range they open around the truth."""

from __future__ import annotations

import duckdb
import pytest

from p20_platform.evaluation.marts import COUNT_TOLERANCE, compare_marts_with_truth
from p20_platform.settings import Paths

BREAKDOWNS = ("sex", "age_band", "race_ethnicity", "town")


@pytest.fixture(params=["oracle", "real"])
def index_warehouse(request, built_home: Paths):
    """The warehouse built on the oracle index, then on the real one."""
    home = built_home if request.param == "oracle" else request.getfixturevalue("linked_home")
    connection = duckdb.connect(str(home.warehouse_db), read_only=True)
    yield connection
    connection.close()


def test_a_status_rests_on_unlinkable_wages_only_when_wages_would_connect_a_youth_without_ssn(index_warehouse):
    person_years = index_warehouse.execute("SELECT * FROM marts.disconnected_youth_person_year").df()
    diploma_presumed = person_years["has_diploma"] | (
        (person_years["diploma_status"] == "unknown") & ~person_years["presumed_in_school_elsewhere"])
    expected = (~person_years["enrolled_k12"] & diploma_presumed & ~person_years["employed"]
                & ~person_years["postsecondary"] & ~person_years["training"] & ~person_years["incarcerated"]
                & ~person_years["wage_linkable"])
    resting = person_years["status_rests_on_unlinkable_wages"]
    assert (resting == expected).all()
    assert (person_years.loc[resting, "status"] == "disconnected_moderate").all()
    assert not person_years.loc[resting, "wage_linkable"].any()
    # A wage record in the entry makes it wage-linkable, so every employed youth is.
    assert person_years.loc[person_years["employed"], "wage_linkable"].all()


def test_the_counts_column_adds_up_to_the_person_year_mart(index_warehouse):
    counts = index_warehouse.execute("SELECT * FROM marts.disconnected_youth_counts").df()
    person_years = index_warehouse.execute(
        "SELECT report_year, status_rests_on_unlinkable_wages FROM marts.disconnected_youth_person_year").df()
    resting = person_years.groupby("report_year")["status_rests_on_unlinkable_wages"].sum()
    overall = counts[counts["dimension"] == "all"].set_index("report_year").sort_index()
    assert (overall["disconnected_unlinkable_wages"] == resting).all()
    assert (overall["disconnected_unlinkable_wages"] <= overall["disconnected_moderate"]).all()
    for dimension in BREAKDOWNS:
        per_year = counts[counts["dimension"] == dimension].groupby("report_year")["disconnected_unlinkable_wages"]
        assert (per_year.sum() == overall["disconnected_unlinkable_wages"]).all(), dimension


def test_truth_never_exceeds_the_mart_and_unlinkable_wages_explain_most_of_the_excess(linked_home):
    """Measured on the small population (seed 11): the real index overcounts the disconnected about
    threefold, truth lies below the mart every year, and at least 90% of each year's excess rests on
    unlinkable wages. The rest comes from people the index split into several entries, one without
    the diploma or the wages: linkage error the range does not claim to cover, so the lower bound
    is not asserted for every year."""
    counts = compare_marts_with_truth(linked_home).status_counts
    disconnected = counts[counts["status_group"] == "disconnected"].set_index("report_year")
    excess = disconnected["mart"] - disconnected["truth"]
    assert (disconnected["truth"] <= disconnected["mart"]).all()  # the upper bound is the published count
    assert (excess > 0.5 * disconnected["truth"]).all()
    assert (disconnected["mart_unlinkable_wages"] >= 0.9 * excess).all(), disconnected
    lower = disconnected["mart"] - disconnected["mart_unlinkable_wages"]
    assert ((lower - disconnected["truth"]) / disconnected["truth"]).max() < 0.2  # the lower bound misses by little
    assert disconnected["truth_within_unlinkable_wage_range"].sum() >= 3


def test_with_the_oracle_index_the_truth_lies_in_the_range_every_year(built_home, warehouse):
    """The range widens by the youth whose status rests on an unknown diploma: connected ones may
    truly be disconnected, disconnected ones may truly be in school elsewhere."""
    counts = compare_marts_with_truth(built_home).status_counts
    disconnected = counts[counts["status_group"] == "disconnected"].set_index("report_year")
    unknown = warehouse.execute("""
        SELECT report_year,
               count(*) FILTER (WHERE status = 'connected') AS may_be_disconnected,
               count(*) FILTER (WHERE status LIKE 'disconnected%') AS may_be_connected
        FROM marts.disconnected_youth_person_year WHERE status_rests_on_unknown_diploma
        GROUP BY report_year""").df().set_index("report_year").reindex(disconnected.index, fill_value=0)
    lower = disconnected["mart"] - disconnected["mart_unlinkable_wages"] - unknown["may_be_connected"]
    upper = disconnected["mart"] + unknown["may_be_disconnected"]
    assert ((lower <= disconnected["truth"]) & (disconnected["truth"] <= upper)).all()
    assert counts.loc[counts["status_group"] == "at_risk", "mart_unlinkable_wages"].isna().all()


def test_through_the_real_index_at_risk_counts_and_crossover_youth_match_the_truth(linked_home):
    """What the issue's tolerances ask of the linked marts, where linkage can deliver it: at-risk
    youth are counted from school records linked by SASID, name and DOB, and crossover youth from
    DCF and CSSD records linked by name and DOB (the disconnected counts are the test above)."""
    comparison = compare_marts_with_truth(linked_home)
    at_risk = comparison.status_counts[comparison.status_counts["status_group"] == "at_risk"]
    assert (at_risk["relative_difference"].abs() <= COUNT_TOLERANCE).all(), at_risk
    assert comparison.pathways_within_tolerance, comparison.pathways
    assert comparison.years_within_tolerance, comparison.years_to_crossover
