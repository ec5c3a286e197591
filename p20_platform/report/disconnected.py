"""The annual disconnected-youth report's tables: marts -> count tables -> one protected set.

Everything the report shows is published together, so every table is protected together:
the continuum over the years (nested: at risk or disconnected > at risk / disconnected /
connected > the six published statuses), one table per breakdown and per subgroup for the
report years, one table per report year splitting each category by whether its status rests
on unlinkable wage records, one 2x2 table per prior factor, and the disconnected estimates
(estimate and 90% interval bounds per group) as tables of their own. Breakdown, subgroup and wage
tables share their margins with the continuum (same measure, same coordinates), so a count
hidden in one table cannot be recovered from another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from p20_platform.disclosure import CountTable, PublishedTable, protect
from p20_platform.registry import AGENCY_BY_CODE
from p20_platform.report.grouping import members, published_groups

COUNTS_MART = "disconnected_youth_counts"
FACTORS_MART = "disconnected_youth_factors"

STATUS_CATEGORY = {"at_risk_off_track": "at_risk", "at_risk_other": "at_risk", "at_risk_severe": "at_risk",
                   "disconnected_moderate": "disconnected", "disconnected_severe": "disconnected",
                   "connected": "connected"}
CATEGORIES = ("at_risk", "disconnected", "connected")
AT_RISK_OR_DISCONNECTED = "at_risk_or_disconnected"
BREAKDOWNS = ("town", "race_ethnicity", "sex", "age_band")
IN_SUBGROUP, NOT_IN_SUBGROUP = "in subgroup", "not in subgroup"
WITH_FACTOR, WITHOUT_FACTOR = "with factor", "without factor"
LATER_OUTCOME, BECAME_DISCONNECTED, NEVER_DISCONNECTED = "later_outcome", "became disconnected", "never disconnected"
YOUTH, YOUTH_EVER_IN_SCOPE = "youth", "youth_ever_14_26"
STATUS = "continuum_status"  # not "status": published tables use that column for the suppression reason
WAGE_EVIDENCE = "wage_evidence"
RESTS_ON_UNLINKABLE_WAGES, OTHER_EVIDENCE = "rests on unlinkable wage records", "other evidence"
INTERVAL = "interval"
ESTIMATE_COLUMNS = {"estimate": "disconnected_estimate", "lower": "disconnected_lower", "upper": "disconnected_upper"}
SEVERE_ESTIMATE_COLUMNS = {"estimate": "disconnected_severe_estimate", "lower": "disconnected_severe_lower",
                           "upper": "disconnected_severe_upper"}



@dataclass(frozen=True)
class EstimateTested:
    """How the disconnected estimate compared with known truth in the benchmarks: the range of its
    error (percent of the true count, signed), and in how many of the tested year-by-run cells its
    90% interval held the true count."""

    lowest_percent: int
    highest_percent: int
    covered: int
    cells: int

    @property
    def too_narrow(self) -> bool:
        """Whether the interval held the truth in fewer than 90% of the tests (what a 90% interval promises)."""
        return self.covered < 0.9 * self.cells

    @property
    def error_range(self) -> str:
        """The measured range in words, e.g. "between 5% below and 7% above"."""
        def side(percent: int) -> str:
            return f"{abs(percent)}% {'below' if percent < 0 else 'above'}"
        if 0 in (self.lowest_percent, self.highest_percent):  # one end rounds to 0%: it may lie either side
            return f"within {max(-self.lowest_percent, self.highest_percent)}% of"
        if self.lowest_percent > 0:
            return f"between {self.lowest_percent}% and {self.highest_percent}% above"
        if self.highest_percent <= 0:
            return f"between {-self.highest_percent}% and {-self.lowest_percent}% below"
        return f"between {side(self.lowest_percent)} and {side(self.highest_percent)}"


# bench/results/estimate.json (`python -m bench.estimate --persons 10000 --seeds 1 2 3 4 --bridge-rates 1.0 3.0`)
# and estimate_demo.json (the demo population, seed 2026, 20,000 persons), yearly cells 2016-2025. The
# report's headline states them (tests/report/test_report.py checks these against the two files).
ESTIMATE_TESTED = EstimateTested(lowest_percent=-3, highest_percent=5, covered=81, cells=90)
# The same at statewide size: bench/results/estimate_statewide_1200000.json (`python -m bench.estimate --home`
# on bench.statewide's 1.2M-person home, seed 2026): the size the platform is for, where the linkage's
# doubts and the namesakes are many more per person; the headline states it beside the range above.
ESTIMATE_TESTED_STATEWIDE = EstimateTested(lowest_percent=-1, highest_percent=1, covered=10, cells=10)
# The same for the severe part of the estimate (cells of dimension "severe"), which the continuum states.
SEVERE_TESTED = EstimateTested(lowest_percent=-7, highest_percent=4, covered=87, cells=90)

# Agencies whose feeds decide each table (see the dbt lineage); the strictest rule of all wins.
STATUS_SOURCES = ("SDE", "CTECS", "DOL", "DOC", "OWS", "CSCU", "CCIC", "UConn")
DEMOGRAPHIC_SOURCES = ("SDE", "CTECS", "OEC", "OHE", "DOL", "DOC", "DCF", "DMHAS", "DSS", "OWS", "CCEH")
SUBGROUP_SOURCES = {"child_welfare_involved": ("DCF",), "juvenile_justice_involved": ("CSSD",)}  # others: SDE
FACTOR_SOURCES = {"earlier_at_risk": ("SDE",), "dcf_child_welfare": ("DCF",), "cssd_juvenile_justice": ("CSSD",),
                  "dss_benefits": ("DSS",), "cceh_homelessness": ("CCEH",), "dmhas_behavioral_health": ("DMHAS",)}


@dataclass(frozen=True)
class AnnualReportTables:
    """The protected tables of the annual report, with the mart rows they were built from.

    `continuum` has one table per year of the trend; `breakdowns` and `subgroups` are keyed by
    (report year, dimension or subgroup) for the report years; `unlinkable_wages` by report year;
    `factors` by factor; `estimates` by (year, "all" | breakdown | "subgroup"), one row per published
    row; `severe_estimates` by year of the trend (the severe part of the overall estimate, which
    puts the continuum on the estimate); `breakdown_rows` by (report year, dimension): each published row of a
    breakdown -> the mart values it holds (see `grouping`).
    """

    report_years: tuple[int, ...]
    continuum: Mapping[int, PublishedTable]
    breakdowns: Mapping[tuple[int, str], PublishedTable]
    subgroups: Mapping[tuple[int, str], PublishedTable]
    unlinkable_wages: Mapping[int, PublishedTable]
    factors: Mapping[str, PublishedTable]
    estimates: Mapping[tuple[int, str], PublishedTable]
    severe_estimates: Mapping[int, PublishedTable]
    breakdown_rows: Mapping[tuple[int, str], Mapping[str, tuple[str, ...]]]
    counts: pd.DataFrame
    factor_rows: pd.DataFrame

    @property
    def published(self) -> list[PublishedTable]:
        return [*self.continuum.values(), *self.breakdowns.values(), *self.subgroups.values(),
                *self.unlinkable_wages.values(), *self.factors.values(), *self.estimates.values(),
                *self.severe_estimates.values()]


def protect_annual_report(counts: pd.DataFrame, factors: pd.DataFrame,
                          report_years: Sequence[int]) -> AnnualReportTables:
    """Protect every table the reports for `report_years` publish (trend: all years up to the last).

    Each year's youth are their own population (measure `youth_<year>`): years share people, so
    no table adds counts across years.
    """
    available = sorted(int(y) for y in counts["report_year"].unique())
    missing = sorted(set(report_years) - set(available))
    if not report_years or missing:
        raise ValueError(f"no marts for report year(s) {missing or '(none asked)'}; available: {available}")
    years = tuple(sorted(int(y) for y in report_years))
    counts = counts[counts["report_year"] <= years[-1]]
    collected = counts[counts["category_collected"]]
    trend_years = sorted(int(y) for y in collected["report_year"].unique())
    subgroups = sorted(collected.loc[collected["dimension"] == "subgroup", "dimension_value"].unique())

    def year_rows(year: int) -> pd.DataFrame:
        return collected[collected["report_year"] == year]

    continuum = {y: continuum_table(year_rows(y), y) for y in trend_years}
    breakdowns = {(y, d): breakdown_table(year_rows(y), y, d) for y in years for d in BREAKDOWNS}
    subgroup_tables = {(y, s): subgroup_table(year_rows(y), y, s) for y in years for s in subgroups}
    wage_tables = {y: unlinkable_wages_table(year_rows(y), y) for y in years}
    factor_tables = {row.factor: factor_table(row) for row in factors.itertuples(index=False)}
    estimate_tables = {(y, "all"): estimate_table(year_rows(y), y, "all") for y in trend_years} | {
        (y, d): estimate_table(year_rows(y), y, d) for y in years for d in (*BREAKDOWNS, "subgroup")}
    severe_tables = {y: estimate_table(year_rows(y), y, "all", SEVERE_ESTIMATE_COLUMNS) for y in trend_years}
    groups = (continuum, breakdowns, subgroup_tables, wage_tables, factor_tables, estimate_tables, severe_tables)
    protected = iter(protect([t for group in groups for t in group.values()]))
    continuum, breakdowns, subgroup_tables, wage_tables, factor_tables, estimate_tables, severe_tables = (
        {key: next(protected) for key in group} for group in groups)
    return AnnualReportTables(report_years=years, continuum=continuum, breakdowns=breakdowns,
                              subgroups=subgroup_tables, unlinkable_wages=wage_tables, factors=factor_tables,
                              estimates=estimate_tables, severe_estimates=severe_tables,
                              breakdown_rows={(y, d): members(breakdown_groups(year_rows(y), d)) for (y, d) in breakdowns},
                              counts=counts, factor_rows=factors)


def youth_measure(year: int) -> str:
    return f"{YOUTH}_{year}"


def continuum_table(rows: pd.DataFrame, year: int) -> CountTable:
    """One year's youth by status, nested so that its margins are the published totals."""
    overall = rows[rows["dimension"] == "all"]
    cells = overall.melt(value_vars=list(STATUS_CATEGORY), var_name=STATUS, value_name="count")
    category = cells[STATUS].map(STATUS_CATEGORY)
    cells = cells.assign(category=category,
                         connection=category.where(category == "connected", AT_RISK_OR_DISCONNECTED))
    return CountTable(name=f"continuum_{year}", cells=cells, dimensions=("connection", "category", STATUS),
                      measure=youth_measure(year), sources=STATUS_SOURCES)


def breakdown_groups(rows: pd.DataFrame, dimension: str) -> dict[str, str]:
    """Each mart value of `dimension` in one year's rows -> the row the report publishes it in."""
    group = rows[rows["dimension"] == dimension]
    return published_groups(dimension, dict(zip(group["dimension_value"], group["youth"])))


def breakdown_table(rows: pd.DataFrame, year: int, dimension: str) -> CountTable:
    """One year's youth per published row of `dimension` (see `grouping`) and category (at risk,
    disconnected, connected)."""
    group = rows[rows["dimension"] == dimension]
    published = group["dimension_value"].map(breakdown_groups(rows, dimension)).rename(dimension)
    summed = group[list(CATEGORIES)].groupby(published).sum().reset_index()
    cells = summed.melt(id_vars=[dimension], value_vars=list(CATEGORIES), var_name="category", value_name="count")
    return CountTable(name=f"youth_{year}_by_{dimension}", cells=cells, dimensions=(dimension, "category"),
                      measure=youth_measure(year), sources=(*STATUS_SOURCES, *DEMOGRAPHIC_SOURCES))


def subgroup_table(rows: pd.DataFrame, year: int, subgroup: str) -> CountTable:
    """One year's youth in and not in `subgroup` per category: a youth may be in several
    subgroups, so each is its own partition of all youth (the 'not in' row is derivable anyway)."""
    overall = rows.loc[rows["dimension"] == "all", list(CATEGORIES)].iloc[0]
    members = rows[(rows["dimension"] == "subgroup") & (rows["dimension_value"] == subgroup)]
    inside = members[list(CATEGORIES)].iloc[0] if len(members) else overall * 0
    cells = pd.DataFrame({subgroup: [IN_SUBGROUP] * 3 + [NOT_IN_SUBGROUP] * 3, "category": list(CATEGORIES) * 2,
                          "count": [*inside.to_numpy(), *(overall - inside).to_numpy()]})
    return CountTable(name=f"youth_{year}_{subgroup}", cells=cells, dimensions=(subgroup, "category"),
                      measure=youth_measure(year),
                      sources=(*STATUS_SOURCES, *SUBGROUP_SOURCES.get(subgroup, ("SDE",))))


def unlinkable_wages_table(rows: pd.DataFrame, year: int) -> CountTable:
    """One year's youth per category, split by whether the status rests on unlinkable wage records.

    Only a disconnected status can (a wage record would make the youth connected), so the other
    categories hold zeros there; the table covers every youth so that its margins are the
    continuum's and the range it gives (disconnected less those, up to disconnected) is
    protected together with every other published count.
    """
    overall = rows.loc[rows["dimension"] == "all"].iloc[0]
    unlinkable = {category: 0 for category in CATEGORIES} | {"disconnected": overall["disconnected_unlinkable_wages"]}
    cells = pd.DataFrame({
        "category": list(CATEGORIES) * 2,
        WAGE_EVIDENCE: [RESTS_ON_UNLINKABLE_WAGES] * 3 + [OTHER_EVIDENCE] * 3,
        "count": [*(unlinkable[c] for c in CATEGORIES), *(overall[c] - unlinkable[c] for c in CATEGORIES)],
    })
    return CountTable(name=f"youth_{year}_by_wage_evidence", cells=cells, dimensions=("category", WAGE_EVIDENCE),
                      measure=youth_measure(year), sources=STATUS_SOURCES)


def estimate_table(rows: pd.DataFrame, year: int, dimension: str,
                   columns: Mapping[str, str] = ESTIMATE_COLUMNS) -> CountTable:
    """One year's disconnected estimate (or its severe part: `columns`) and 90% interval bounds per
    published row of `dimension`.

    A breakdown's rows are the ones its count table publishes (small towns by planning region, small race
    categories folded; see `grouping`). A grouped row's estimate is the sum of its members' (a sum
    of probabilities, exact); its bounds are the sums of theirs, which is conservative: the 90%
    interval of a sum is never wider than the sum of the members' intervals.

    Estimates are not counts of identified people, but they are published numbers derived from
    them, so they pass the same rules: bounds or estimates of 1-10 are suppressed, with
    complementary cells, like any count. Each table is its own measure (an estimate of one group
    is not the sum of others' bounds), so none is linked to the observed counts.
    """
    group = rows[rows["dimension"] == dimension]
    value = group["dimension_value"]
    if dimension in BREAKDOWNS:
        value = value.map(breakdown_groups(rows, dimension))
    summed = group[list(columns.values())].groupby(value.rename("dimension_value")).sum().reset_index()
    cells = summed.melt(id_vars=["dimension_value"], value_vars=list(columns.values()),
                        var_name=INTERVAL, value_name="count")
    cells[INTERVAL] = cells[INTERVAL].map({column: bound for bound, column in columns.items()})
    sources = (*STATUS_SOURCES, *DEMOGRAPHIC_SOURCES) if dimension != "all" else STATUS_SOURCES
    if dimension == "subgroup":
        sources = (*sources, *(s for subgroup in SUBGROUP_SOURCES.values() for s in subgroup))
    estimate = columns["estimate"]
    return CountTable(name=f"{estimate}_{year}_by_{dimension}", cells=cells,
                      dimensions=("dimension_value", INTERVAL), measure=f"{estimate}_{year}_{dimension}",
                      sources=sources)


def factor_records_carry_ssn(factor: str) -> bool:
    """Whether the agency records that define a factor carry SSNs: such youth's wages are findable,
    so before the estimate they looked less often disconnected, and the factor looked protective."""
    return any("SSN" in AGENCY_BY_CODE[code].matching_fields for code in FACTOR_SOURCES.get(factor, ()))


def factor_table(row) -> CountTable:
    """Youth ever aged 14-26 with/without the factor by later outcome (linked through the outcome margin)."""
    cells = pd.DataFrame({
        row.factor: [WITH_FACTOR, WITH_FACTOR, WITHOUT_FACTOR, WITHOUT_FACTOR],
        LATER_OUTCOME: [BECAME_DISCONNECTED, NEVER_DISCONNECTED] * 2,
        "count": [row.disconnected_with_factor, row.youth_with_factor - row.disconnected_with_factor,
                  row.disconnected_without_factor, row.youth_without_factor - row.disconnected_without_factor],
    })
    return CountTable(name=f"factor_{row.factor}", cells=cells, dimensions=(row.factor, LATER_OUTCOME),
                      measure=YOUTH_EVER_IN_SCOPE,
                      sources=(*STATUS_SOURCES, *FACTOR_SOURCES.get(row.factor, DEMOGRAPHIC_SOURCES)))
