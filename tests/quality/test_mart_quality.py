"""The Great Expectations suites on real marts built by dbt, then on deliberately broken tables and in Dagster."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, MaterializeResult, asset, materialize

from assets.feeds import DUCKDB_POOL
from assets.marts import published_marts
from assets.quality import mart_quality_checks
from p20_platform.quality.catalog import COUNTS, FACTORS, PERSON_YEAR, SUITES_BY_MART
from p20_platform.quality.mart_validation import quality_dir, quality_page, read_marts, run_suites, validate_mart
from p20_platform.quality.suites import mart_suites
from p20_platform.resources import DataHome
from p20_platform.settings import Paths

COUNTS_KEY = AssetKey(["marts", COUNTS])
REPORT_KEY = AssetKey(["report", "annual_report"])


def test_every_suite_passes_on_the_real_marts_and_leaves_a_page(built_home: Paths):
    for mart, suites in SUITES_BY_MART.items():
        results, page = validate_mart(built_home, mart)
        assert [result.suite for result in results] == list(suites)
        assert [failure for result in results for failure in result.failures] == []
        assert all(len(result.outcomes) > 0 for result in results)
        assert page == quality_dir(built_home) / f"{mart}.html"
        assert page.read_text().count(": PASSED</h2>") == len(suites)


@pytest.fixture(scope="module")
def marts(built_home: Paths) -> dict[str, pd.DataFrame]:
    return {table: frame for mart in SUITES_BY_MART
            for table, frame in read_marts(built_home.warehouse_db, mart).items()}


def _one_year_off(counts: pd.DataFrame) -> pd.DataFrame:
    broken = counts.copy()
    broken.loc[(broken["dimension"] == "all") & (broken["report_year"] == 2020), "youth"] += 7
    return broken


def _ssn_in_text(counts: pd.DataFrame) -> pd.DataFrame:
    broken = counts.copy()
    broken.loc[broken.index[3], "dimension_value"] = "123456789"
    return broken


def _dob_in_text(counts: pd.DataFrame) -> pd.DataFrame:
    broken = counts.copy()
    broken.loc[broken.index[4], "dimension_value"] = "20050317"
    return broken


BREAKAGES = {
    "negative count": (FACTORS, lambda f: f.assign(youth_with_factor=-f["youth_with_factor"]), "ranges",
                       "expect_column_values_to_be_between(column='youth_with_factor'"),
    "share above one": (COUNTS, lambda f: f.assign(at_risk_or_disconnected_share=f["at_risk_or_disconnected_share"]
                                                   + 1), "ranges", "column='at_risk_or_disconnected_share'"),
    "age outside 14-26": (PERSON_YEAR, lambda f: f.assign(age=f["age"].where(f.index != 0, 27)), "ranges",
                          "column='age', min_value=14"),
    "totals do not add up": (COUNTS, _one_year_off, "totals", "[rule == statuses_sum_to_youth]"),
    "a report year missing": (COUNTS, lambda f: f[f["report_year"] != 2019], "year_coverage", "column='report_year'"),
    "identifier column": (COUNTS, lambda f: f.assign(last_name="x"), "no_identifiers", "column='column_name'"),
    "SSN-shaped value": (COUNTS, _ssn_in_text, "no_identifiers", "column='dimension_value', regex='^\\\\d{3}"),
    "DOB-shaped value": (COUNTS, _dob_in_text, "no_identifiers", "column='dimension_value', regex='^(?:19|20)"),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_a_broken_mart_fails_exactly_the_suite_that_guards_it(marts, breakage):
    mart, breaking, suite, expectation = BREAKAGES[breakage]
    tables = {**marts, mart: breaking(marts[mart])}
    results = {result.suite: result for result in run_suites(mart_suites(mart, tables))}
    assert {name for name, result in results.items() if not result.passed} == {suite}
    assert any(expectation in failure for failure in results[suite].failures), results[suite].failures


def test_the_page_and_the_metadata_never_show_a_failing_value(marts, tmp_path):
    ssn, dob = "123456789", "20050317"
    broken = marts[COUNTS].copy()
    broken.loc[broken.index[:2], "dimension_value"] = [ssn, dob]
    results = run_suites(mart_suites(COUNTS, {**marts, COUNTS: broken}))
    page = quality_page(results, "broken")
    shown = page + str([r.metadata() for r in results])
    assert "FAILED" in page and ssn not in shown and dob not in shown


@asset(key=COUNTS_KEY, pool=DUCKDB_POOL)
def broken_counts_mart(data_home: DataHome) -> MaterializeResult:
    """Stand-in for the dbt model: the real counts with one year's total off by seven."""
    with duckdb.connect(str(data_home.paths.warehouse_db)) as warehouse:
        warehouse.execute("UPDATE marts.disconnected_youth_counts SET youth = youth + 7 "
                          "WHERE dimension = 'all' AND report_year = 2020").fetchall()
    return MaterializeResult()


@asset(key=REPORT_KEY, deps=[COUNTS_KEY])
def report_stand_in() -> None:
    """Stand-in for the report: anything downstream of the counts must not run after a failed suite."""


def test_a_failed_blocking_suite_stops_everything_downstream_in_the_run(built_home: Paths, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(built_home.home_dir, home)
    counts_check = next(c for c in mart_quality_checks if COUNTS_KEY in {k.asset_key for k in c.check_keys})
    result = materialize([broken_counts_mart, counts_check, published_marts, report_stand_in],
                         resources={"data_home": DataHome(home=str(home))}, raise_on_error=False)
    evaluations = {f"{e.event_specific_data.asset_key.to_user_string()}:{e.event_specific_data.check_name}":
                   e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert not evaluations[f"{COUNTS_KEY.to_user_string()}:gx_totals"].passed
    assert evaluations[f"{COUNTS_KEY.to_user_string()}:gx_ranges"].passed
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {COUNTS_KEY}
    page = Path(evaluations[f"{COUNTS_KEY.to_user_string()}:gx_totals"].metadata["quality_page"].value)
    assert re.search(r"totals: FAILED \(\d+ of \d+\)", page.read_text())
