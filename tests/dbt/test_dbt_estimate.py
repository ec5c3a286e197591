"""The disconnected estimate through the wage-linkage gap, on the small population linked by real
Splink linkage: the hub's probabilities, the counts mart's estimate and interval, and the truth."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from p20_platform.estimation.publish import (CORRECTIONS, PARAMETERS, PROBABILITIES, SCHEMA, publish_undecided_status,
                                            read_inputs)
from p20_platform.estimation.unseen import (FIRST_WORK_AGE, SCHOOL_AGENCIES, _person_parts, estimate_unseen,
                                            own_wage_records, wage_evidence)
from p20_platform.evaluation.marts import compare_marts_with_truth
from p20_platform.feeds import FEEDS, load_feed
from p20_platform.linkage.hub import rebuild_index
from p20_platform.settings import Paths, paths
from p20_platform.synth import generate
from p20_platform.transform import DBT_PROJECT_DIR

YEARS = range(2016, 2026)


@pytest.fixture(scope="module")
def estimated_home_more_bridges(small_population: dict[str, int], dbt_cli,
                                tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """The small population drawn again with three times the DOL claim bridges (about half the
    unlinkable share). The issue asks the estimator to hold at two linkability levels, and the level
    is fixed when the population is drawn, so this is a second build: feeds, real Splink linkage, the
    models (their dbt tests ran on the shared homes and are not repeated), the estimate. A Paths."""
    home = paths(tmp_path_factory.mktemp("more_bridges") / "home")
    generate(**small_population, out=home.home_dir, progress=False, bridge_rate=3.0)
    for feed in FEEDS:
        load_feed(home, feed)
    rebuild_index(home, "probabilistic")
    models_only = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    for step in (("--exclude", "source:estimation+"), ("--select", "source:estimation+")):
        if step[0] == "--select":
            publish_undecided_status(home)
        result = dbt_cli(DBT_PROJECT_DIR, home.home_dir, "build", *step, *models_only)
        assert result.returncode == 0, result.stdout[-4000:]
    return home


def _hub_crosswalk(home: Paths) -> pd.DataFrame:
    with duckdb.connect(str(home.hub_db), read_only=True) as hub:
        return hub.execute("SELECT record_id, p20_id FROM mpi.crosswalk ORDER BY record_id").df()


def test_the_hub_publishes_only_ids_years_and_probabilities(estimated_home: Paths):
    with duckdb.connect(str(estimated_home.warehouse_db), read_only=True) as warehouse:
        probabilities = warehouse.execute(f"SELECT * FROM {SCHEMA}.{PROBABILITIES}").df()
        parameters = warehouse.execute(f"SELECT * FROM {SCHEMA}.{PARAMETERS}").df()
        splits = warehouse.execute(f"SELECT * FROM {SCHEMA}.{CORRECTIONS}").df()
    # per youth-year expectations from the pairs the index left apart, nothing else
    assert list(splits.columns) == ["p20_id", "report_year", "disconnected_overcount", "overcount_variance"]
    assert len(splits) > 0 and (splits["disconnected_overcount"] > 0).all() and (splits["overcount_variance"] >= 0).all()
    assert splits["disconnected_overcount"].max() <= 2 and splits["p20_id"].str.match(r"^P[0-9a-f]+$").all()
    assert list(probabilities.columns) == ["p20_id", "report_year", "replicate", "p_disconnected",
                                           "p_employed_unseen", "p_diploma", "p_severe"]
    for column in ("p_disconnected", "p_employed_unseen", "p_diploma", "p_severe"):
        assert probabilities[column].between(0, 1).all(), column
    # severe (no diploma, no job) is part of disconnected, and some undecided youth-years may be severe
    assert (probabilities["p_severe"] <= probabilities["p_disconnected"] + 1e-9).all()
    assert (probabilities["p_severe"] > 0).mean() > 0.05
    point = probabilities[probabilities["replicate"] == 0]
    strictly_between = (point["p_disconnected"] > 0) & (point["p_disconnected"] < 1)
    assert len(point) > 100 and strictly_between.mean() > 0.5  # probabilities, not 0/1 flags
    # the fitted shares, aggregates only: most undecided youth meet their own worker among few namesakes
    assert {"age_now_band", "sex", "name_changed_share", "no_stranger_share", "stranger_paid_rate"} <= set(parameters.columns)
    fitted = parameters[parameters["undecided_youth_years"] > 0]
    assert fitted["name_changed_share"].between(0, 0.95).all() and fitted["no_stranger_share"].between(0.3, 1).all()
    weighted = (fitted["name_changed_share"] * fitted["undecided_youth_years"]).sum() / fitted["undecided_youth_years"].sum()
    assert 0.02 < weighted < 0.6


def test_estimating_changes_no_link_and_no_surname_initial_pair_reaches_the_crosswalk(linked_home: Paths,
                                                                                      estimated_home: Paths):
    """The estimate reads names in the hub but writes no link: the crosswalk is the linkage's own, and
    every wage record (no date of birth) joined to another agency's record shares at least half its
    SSN with a record of the same person: no pair there rests on surname and first initial alone."""
    assert _hub_crosswalk(linked_home).equals(_hub_crosswalk(estimated_home))
    with duckdb.connect(str(estimated_home.hub_db), read_only=True) as hub:
        unsupported = hub.execute("""
            WITH entries AS (
                SELECT c.p20_id, r.record_id, r.agency, r.dob, r.ssn
                FROM mpi.records AS r JOIN mpi.crosswalk AS c USING (record_id)),
            wage AS (
                SELECT * FROM entries WHERE agency = 'DOL' AND dob IS NULL),
            mixed AS (
                SELECT p20_id FROM entries GROUP BY p20_id HAVING bool_or(agency <> 'DOL'))
            SELECT wage.record_id
            FROM wage JOIN mixed USING (p20_id)
            WHERE NOT EXISTS (
                SELECT 1 FROM entries AS other
                WHERE other.p20_id = wage.p20_id AND other.record_id <> wage.record_id
                  AND other.ssn IS NOT NULL AND wage.ssn IS NOT NULL
                  AND (left(other.ssn, 5) = left(wage.ssn, 5) OR right(other.ssn, 4) = right(wage.ssn, 4)
                       OR left(other.ssn, 4) = left(wage.ssn, 4) OR right(other.ssn, 5) = right(wage.ssn, 5)))
        """).df()
        linked_wages = hub.execute("SELECT count(*) FROM mpi.records WHERE agency = 'DOL'").fetchone()[0]
    assert linked_wages > 0
    assert unsupported.empty, unsupported.head()


def test_the_same_data_give_the_same_interval_whatever_ids_the_index_issued(estimated_home: Paths):
    """A new index salts its p20_ids afresh; the bootstrap draws follow each person's records instead,
    so the probabilities of every replicate, and so the interval, stay the same for the same data."""
    inputs = read_inputs(estimated_home)
    ids = inputs.crosswalk["p20_id"].drop_duplicates()
    renamed = dict(zip(ids, "Q" + pd.Series(range(len(ids))).sample(frac=1, random_state=5).astype(str).to_numpy()))
    first = estimate_unseen(inputs.records, inputs.crosswalk, inputs.wage_years, inputs.person_years).probabilities
    again = estimate_unseen(inputs.records, inputs.crosswalk.assign(p20_id=inputs.crosswalk["p20_id"].map(renamed)),
                            inputs.wage_years, inputs.person_years.assign(
                                p20_id=inputs.person_years["p20_id"].map(renamed))).probabilities
    back = {new: old for old, new in renamed.items()}
    key = ["p20_id", "report_year", "replicate"]
    # p20_id is categorical (a code per row): compared as the ids themselves
    again = again.assign(p20_id=again["p20_id"].astype(str).map(back)).sort_values(key, ignore_index=True)
    first = first.assign(p20_id=first["p20_id"].astype(str)).sort_values(key, ignore_index=True)
    assert first["replicate"].max() > 0 and first["p_disconnected"].between(0.01, 0.99).any()
    pd.testing.assert_frame_equal(first, again)


@pytest.mark.parametrize("home", ["estimated_home", "estimated_home_more_bridges"])
def test_the_estimate_is_close_to_the_truth_at_two_linkability_levels(home: str, request: pytest.FixtureRequest):
    """Measured on the small population (seed 11), 2016-2025: at synth's default bridge rate the
    observed count is off by 885 youth-years in all, the estimate by 16 (749 against a true 735);
    with three times the bridges, 364 and 10. Its 90% interval held the truth in 9 and 10 of the 10
    years. Tolerances: the ten-year total within 5%, every year within 10%, the interval holding the
    truth in at least 8 years."""
    comparison = compare_marts_with_truth(request.getfixturevalue(home))
    yearly = comparison.yearly_estimates.set_index("report_year").loc[list(YEARS)]
    observed_error = (yearly["observed"] - yearly["truth"]).abs().sum()
    estimate_error = (yearly["estimate"] - yearly["truth"]).abs().sum()
    assert estimate_error < 0.1 * observed_error, yearly
    assert abs(yearly["estimate"].sum() - yearly["truth"].sum()) <= 0.05 * yearly["truth"].sum(), yearly
    assert ((yearly["estimate"] - yearly["truth"]).abs() <= 0.1 * yearly["truth"]).all(), yearly
    assert ((yearly["lower"] <= yearly["truth"]) & (yearly["truth"] <= yearly["upper"])).sum() >= 8, yearly
    assert (yearly["lower"] <= yearly["estimate"]).all() and (yearly["estimate"] <= yearly["upper"]).all()
    assert (yearly["upper"] - yearly["lower"] > 0).all()  # the undecided youth-years widen the interval


def test_the_counts_mart_estimates_every_breakdown_consistently(estimated_home: Paths):
    with duckdb.connect(str(estimated_home.warehouse_db), read_only=True) as warehouse:
        counts = warehouse.execute("SELECT * FROM marts.disconnected_youth_counts WHERE category_collected").df()
        # the point estimate: the observed count, moved by the undecided youth-years' probabilities,
        # less what youth-years that may be half of a split person add in expectation
        point = warehouse.execute(f"""
            SELECT report_year, sum(shift) AS shift FROM (
                SELECT report_year, p_disconnected - (status LIKE 'disconnected%')::INT AS shift
                FROM {SCHEMA}.{PROBABILITIES} JOIN marts.disconnected_youth_person_year USING (p20_id, report_year)
                WHERE replicate = 0
                UNION ALL
                SELECT report_year, -disconnected_overcount FROM {SCHEMA}.{CORRECTIONS}
                    JOIN marts.disconnected_youth_person_year USING (p20_id, report_year))
            GROUP BY report_year""").df().set_index("report_year")["shift"]
    overall = counts[counts["dimension"] == "all"].set_index("report_year")
    assert ((overall["disconnected"] + point.reindex(overall.index).fillna(0) - overall["disconnected_estimate"]).abs()
            <= 0.5 + 1e-9).all()
    for dimension in ("sex", "age_band", "race_ethnicity", "town"):
        summed = counts[counts["dimension"] == dimension].groupby("report_year")["disconnected_estimate"].sum()
        assert ((summed - overall["disconnected_estimate"]).abs() <= counts["dimension_value"].nunique()).all()
    assert (overall["disconnected_estimate"] < overall["disconnected"]).all()
    assert (overall["at_risk_or_disconnected_estimate"] == overall["at_risk"] + overall["disconnected_estimate"]).all()
    # by sex and race/ethnicity the Unknown row is shared among the recorded categories: they sum to the whole
    for dimension in ("sex", "race_ethnicity"):
        cells = counts[counts["dimension"] == dimension]
        unknown, recorded = cells[cells["dimension_value"] == "Unknown"], cells[cells["dimension_value"] != "Unknown"]
        assert len(unknown) and unknown["disconnected_allocated_estimate"].isna().all()
        assert (unknown["disconnected_estimate"] > 0).any()  # there is something to share
        summed = recorded.groupby("report_year")["disconnected_allocated_estimate"].sum()
        assert ((summed - overall["disconnected_estimate"]).abs() <= cells["dimension_value"].nunique()).all()
        assert (recorded["disconnected_allocated_estimate"] >= recorded["disconnected_estimate"]).all()
        assert ((recorded["disconnected_allocated_lower"] <= recorded["disconnected_allocated_estimate"])
                & (recorded["disconnected_allocated_estimate"] <= recorded["disconnected_allocated_upper"])).all()
    others = counts[~counts["dimension"].isin(["sex", "race_ethnicity"])]
    assert (others["disconnected_allocated_estimate"] == others["disconnected_estimate"]).all()


def _namesakes_by_definition(parts: pd.DataFrame, wage_years: pd.DataFrame, person_years: pd.DataFrame,
                             excluded: pd.DataFrame) -> pd.DataFrame:
    """`wage_evidence`'s counts straight from its definition, person-year by person-year (pandas)."""
    pool = parts[parts["dol_only"] & ~parts["record_id"].isin(excluded["record_id"]) & parts["name_key"].notna()]
    worker_years = (pool.rename(columns={"p20_id": "worker"}).merge(wage_years, on="FakeID")
                    [["worker", "name_key", "year"]].drop_duplicates())
    workers = worker_years.groupby(["worker", "name_key"], as_index=False)["year"].min()
    candidates = parts[~parts["dol_record"] & ~parts["bridge"] & parts["name_key"].notna()].assign(
        school=lambda frame: frame["agency"].isin(SCHOOL_AGENCIES))
    candidates = candidates[candidates["school"] | ~candidates.groupby("p20_id")["school"].transform("any")]
    plausible = (person_years.merge(candidates[["p20_id", "name_key"]].drop_duplicates(), on="p20_id")
                 .merge(workers.rename(columns={"year": "first_year"}), on="name_key"))
    plausible = plausible[plausible["first_year"] - plausible["report_year"] + plausible["age"] >= FIRST_WORK_AGE]
    paid = plausible.merge(worker_years, left_on=["worker", "name_key", "report_year"],
                           right_on=["worker", "name_key", "year"])
    counts = pd.concat([plausible.groupby(["p20_id", "report_year"])["worker"].nunique().rename("namesakes"),
                        paid.groupby(["p20_id", "report_year"])["worker"].nunique().rename("paid_namesakes")], axis=1)
    return person_years.merge(counts.reset_index(), on=["p20_id", "report_year"], how="left").fillna(
        {"namesakes": 0, "paid_namesakes": 0})


def test_namesake_counts_are_those_of_their_definition_for_every_youth_year(linked_home: Paths):
    """`wage_evidence` counts once per cell of youth with the same name keys, report year and age (the
    counts depend on nothing else); every youth-year's counts are those of the definition applied to it
    alone, with and without a bridged youth's own wage records taken out of the pool."""
    with duckdb.connect(str(linked_home.hub_db), read_only=True) as hub:
        records = hub.sql("FROM mpi.records").df()
        crosswalk = hub.sql("FROM mpi.crosswalk").df()
    with duckdb.connect(str(linked_home.warehouse_db), read_only=True) as warehouse:
        wage_years = warehouse.sql("SELECT DISTINCT FakeID::VARCHAR AS FakeID, Year::INT AS year FROM raw_dol.analytical "
                                   "WHERE RecordType = 'UI_WAGE' AND Wage > 0").df()
        person_years = warehouse.sql("SELECT p20_id, report_year, age FROM marts.disconnected_youth_person_year").df()
    parts = _person_parts(records, crosswalk)
    own = own_wage_records(parts)[["record_id"]]
    for excluded in (own.iloc[:0], own):
        counted = wage_evidence(parts, wage_years, person_years, None if excluded.empty else excluded)
        expected = _namesakes_by_definition(parts, wage_years, person_years, excluded)
        many, paid = (counted["namesakes"] > 1).sum(), (counted["paid_namesakes"] > 0).sum()
        assert many > 20 and paid > 100, (many, paid)  # cells shared by youth with several namesakes
        key = ["p20_id", "report_year"]
        pd.testing.assert_frame_equal(counted.sort_values(key).reset_index(drop=True)[expected.columns],
                                      expected.sort_values(key).reset_index(drop=True), check_dtype=False)
