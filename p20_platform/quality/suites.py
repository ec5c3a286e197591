"""Great Expectations suites for the marts, as plain functions from mart tables to suites.

Four kinds of suite, each able to make the published report wrong or unlawful:
- `ranges`: counts are not negative, shares lie in [0, 1], ages and years stay in the window;
- `totals`: the continuum adds up (statuses to youth, breakdowns to the overall count, the
  overall count to the person-year mart), checked on a reconciliation table built here;
- `year_coverage`: every report year of the statutory window is present;
- `no_identifiers`: no column named like an identifier, no text value shaped like an SSN or a date.
The window comes from the dbt project's vars, the one place the report's years and ages are set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import duckdb
import great_expectations.expectations as gxe
import pandas as pd
import yaml
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from p20_platform.quality.catalog import (AT_RISK, COUNT_COLUMNS, DISCONNECTED, FACTORS, PERSON_YEAR, SHARE_COLUMNS,
                                          STATUSES, SUITES_BY_MART, YEARLY_MARTS)
from p20_platform.transform import DBT_PROJECT_DIR

IDENTIFIER_COLUMN_PATTERN = (r"(?i)(?:^|_)(?:first|last|middle)?_?name(?:$|_)|(?:^|_)(?:dob|ssn|sasid)(?:$|_)"
                             r"|birth_?date|date_of_birth")
SSN_PATTERN = r"^\d{3}-?\d{2}-?\d{4}$"
# YYYYMMDD (the matching-file format), ISO and US dates; report years and p20_ids do not look like these.
DATE_PATTERN = (r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$|^(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
                r"|^\d{1,2}/\d{1,2}/(?:19|20)?\d{2}$")


@dataclass(frozen=True)
class ReportWindow:
    first_year: int
    last_year: int
    min_age: int
    max_age: int

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


@cache
def report_window() -> ReportWindow:
    """The statutory window as the dbt project defines it (`vars` in dbt_project.yml)."""
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return ReportWindow(dbt_vars["first_report_year"], dbt_vars["last_report_year"],
                        dbt_vars["youth_min_age"], dbt_vars["youth_max_age"])


@dataclass(frozen=True)
class Batch:
    """One table and the expectations GX validates on it."""

    name: str
    frame: pd.DataFrame
    expectations: list[Expectation]


@dataclass(frozen=True)
class Suite:
    """A named group of batches whose outcome is one asset check."""

    name: str
    mart: str
    batches: list[Batch]


def range_expectations(mart: str, window: ReportWindow) -> list[Expectation]:
    expectations: list[Expectation] = [gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0)
                                       for column in COUNT_COLUMNS[mart]]
    expectations += [gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1)
                     for column in SHARE_COLUMNS[mart]]
    if mart == FACTORS:
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column="relative_risk", min_value=0))
    if mart in YEARLY_MARTS:
        expectations.append(gxe.ExpectColumnValuesToBeBetween(
            column="report_year", min_value=window.first_year, max_value=window.last_year))
    if mart == PERSON_YEAR:
        expectations.append(gxe.ExpectColumnValuesToBeBetween(
            column="age", min_value=window.min_age, max_value=window.max_age))
    return expectations


def reconcile_counts(counts: pd.DataFrame, person_year: pd.DataFrame) -> pd.DataFrame:
    """One row per (rule, year, group) with the `expected` and the `observed` total.

    Breakdowns whose every youth has a value (age band, race/ethnicity, town) must sum to the
    overall count; sex may be unknown, so its sum may only fall short of it. Categories no
    source collects have null counts and are left out.
    """
    statuses, at_risk, disconnected = (" + ".join(columns) for columns in (STATUSES, AT_RISK, DISCONNECTED))
    return duckdb.sql(f"""
        WITH collected AS (SELECT * FROM counts WHERE category_collected),
        overall AS (SELECT report_year, youth FROM collected WHERE dimension = 'all'),
        breakdowns AS (
            SELECT report_year, dimension, sum(youth) AS youth FROM collected
            WHERE dimension IN ('age_band', 'race_ethnicity', 'town', 'sex') GROUP BY ALL)
        SELECT 'statuses_sum_to_youth' AS rule, report_year, dimension, dimension_value,
               youth AS expected, {statuses} AS observed FROM collected
        UNION ALL
        SELECT 'at_risk_is_its_parts', report_year, dimension, dimension_value, at_risk, {at_risk} FROM collected
        UNION ALL
        SELECT 'disconnected_is_its_parts', report_year, dimension, dimension_value, disconnected, {disconnected}
        FROM collected
        UNION ALL
        SELECT CASE WHEN b.dimension = 'sex' THEN 'sex_within_overall' ELSE 'breakdown_sums_to_overall' END,
               b.report_year, b.dimension, 'sum', o.youth, b.youth
        FROM breakdowns AS b JOIN overall AS o USING (report_year)
        UNION ALL
        SELECT 'overall_is_person_years', report_year, 'all', 'person-year rows',
               (SELECT count(*) FROM person_year AS p WHERE p.report_year = y.report_year), y.youth
        FROM overall AS y
        ORDER BY ALL
    """).df()


TOTAL_RULES = ("statuses_sum_to_youth", "at_risk_is_its_parts", "disconnected_is_its_parts",
               "breakdown_sums_to_overall", "overall_is_person_years")
WITHIN_RULES = ("sex_within_overall",)


def totals_expectations() -> list[Expectation]:
    """Per rule, expected equals observed (or bounds it); and every rule has rows, so an empty mart fails."""
    return [*(gxe.ExpectColumnPairValuesToBeEqual(column_A="expected", column_B="observed",
                                                  row_condition=Column("rule") == rule) for rule in TOTAL_RULES),
            *(gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="expected", column_B="observed", or_equal=True,
                                                          row_condition=Column("rule") == rule)
              for rule in WITHIN_RULES),
            gxe.ExpectColumnDistinctValuesToContainSet(column="rule", value_set=[*TOTAL_RULES, *WITHIN_RULES])]


def year_coverage_expectations(window: ReportWindow) -> list[Expectation]:
    return [gxe.ExpectColumnDistinctValuesToEqualSet(column="report_year", value_set=window.years)]


def text_columns(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns
            if pd.api.types.is_string_dtype(frame[column]) or pd.api.types.is_object_dtype(frame[column])]


def identifier_value_expectations(frame: pd.DataFrame) -> list[Expectation]:
    return [gxe.ExpectColumnValuesToNotMatchRegex(column=column, regex=pattern)
            for column in text_columns(frame) for pattern in (SSN_PATTERN, DATE_PATTERN)]


def column_names(frame: pd.DataFrame) -> pd.DataFrame:
    """The table's column names as a table, so GX can validate them like values."""
    return pd.DataFrame({"column_name": pd.Series(frame.columns, dtype="string")})


def mart_suites(mart: str, tables: Mapping[str, pd.DataFrame], window: ReportWindow | None = None) -> list[Suite]:
    """The suites of one mart (see `SUITES_BY_MART`); `tables` holds the mart and, for counts, the person-years."""
    window = window or report_window()
    frame = tables[mart]
    batches = {
        "ranges": lambda: [Batch(mart, frame, range_expectations(mart, window))],
        "totals": lambda: [Batch(f"{mart}_reconciliation", reconcile_counts(frame, tables[PERSON_YEAR]),
                                 totals_expectations())],
        "year_coverage": lambda: [Batch(mart, frame, year_coverage_expectations(window))],
        "no_identifiers": lambda: [
            Batch(f"{mart}_columns", column_names(frame),
                  [gxe.ExpectColumnValuesToNotMatchRegex(column="column_name", regex=IDENTIFIER_COLUMN_PATTERN)]),
            Batch(mart, frame, identifier_value_expectations(frame))],
    }
    return [Suite(name, mart, batches[name]()) for name in SUITES_BY_MART[mart]]
