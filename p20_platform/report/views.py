"""What each document shows, as `Figure`s taken from the protected tables and traced to the marts.

Counts and percentages come only from the protected tables (`PublishedCells`); statistics
that are not counts (change on the year before, relative risk, years to crossover) come from
the marts and are shown only where every count they derive from is shown.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from p20_platform.disclosure import suppression_footnote
from p20_platform.disclosure.rates import _percent
from p20_platform.report import crossover as xo
from p20_platform.report import disconnected as dy
from p20_platform.report.charts import bar_chart, line_chart
from p20_platform.disclosure.tables import SUPPRESSED_SYMBOL
from p20_platform.report.figures import COUNT, PERCENT, STATISTIC, Figure, PublishedCells, Trace, statistic
from p20_platform.report.grouping import MIN_GROUP_YOUTH
from p20_platform.report.linkage import StrategyScores

BREAKDOWN_TITLES = {"town": "Town of residence", "race_ethnicity": "Race and ethnicity (SPD 15)", "sex": "Sex",
                    "age_band": "Age band"}
STATUS_LABELS = {"at_risk_off_track": "At risk: off-track (credits)",
                 "at_risk_other": "At risk: other factors (absence, behaviour)",
                 "at_risk_severe": "At risk: severely off-track", "disconnected_moderate": "Moderately disconnected",
                 "disconnected_severe": "Severely disconnected", "connected": "Connected"}
SUBGROUP_LABELS = {"ever_english_learner": "Ever an English learner", "ever_disability": "Ever with a disability",
                   "ever_free_reduced_lunch": "Ever eligible for free/reduced lunch",
                   "ever_homeless_student": "Ever a homeless student",
                   "child_welfare_involved": "Child-welfare involved (DCF)",
                   "juvenile_justice_involved": "Juvenile-justice involved (CSSD)"}
PATHWAY_LABELS = {"child_welfare_first": "Child welfare first", "juvenile_justice_first": "Juvenile justice first",
                  "same_time": "Same time (within 30 days)"}
GROUPING_TITLES = {"sex": "Sex", "race_ethnicity": "Race and ethnicity", "placed_out_of_home": "Out-of-home placement"}


def _mart_values(values: tuple[str, ...]) -> str | list[str]:
    """A published row's mart value, or the list of values it sums (a trace key may name several rows)."""
    return values[0] if len(values) == 1 else list(values)


def _counts_trace(year: int, dimension: str, value: str | list[str], column: str,
                  denominator: str | None = None) -> Trace:
    return Trace(dy.COUNTS_MART, {"report_year": year, "dimension": dimension, "dimension_value": value},
                 column, denominator)


def _group_row(cells: PublishedCells, trace, where: dict[str, Hashable]) -> dict[str, Figure]:
    """Youth, at risk, disconnected and their percentages for one group of a category table."""
    row = {"youth": cells.count(trace("youth"), **where)}
    for category in ("at_risk", "disconnected"):
        row[category] = cells.count(trace(category), category=category, **where)
        row[f"{category}_percent"] = cells.percent(trace(category, "youth"), "category", category, **where)
    return row


def estimate_figures(tables: dy.AnnualReportTables, year: int, dimension: str, value: str,
              mart_values: str | list[str] | None = None) -> dict[str, Figure]:
    """The published disconnected estimate of one row and the bounds of its 90% interval; a grouped
    row traces to the mart values it sums (`mart_values`), like its counts."""
    traced = value if mart_values is None else mart_values
    return _interval_figures(PublishedCells(tables.estimates[(year, dimension)]), year, dimension, value, traced,
                             dy.ESTIMATE_COLUMNS)


def _interval_figures(cells: PublishedCells, year: int, dimension: str, value: str, traced: str | list[str],
                      columns: dict[str, str]) -> dict[str, Figure]:
    return {bound: cells.count(_counts_trace(year, dimension, traced, column), dimension_value=value,
                               **{dy.INTERVAL: bound})
            for bound, column in columns.items()}


def _difference(trace: Trace, minuend: Figure, *subtrahends: Figure) -> Figure:
    """A count worked out from published counts (e.g. the moderately disconnected estimate: the
    estimate less its severe part): shown only where every count it derives from is shown."""
    parts = (minuend, *subtrahends)
    if any(p.suppressed for p in parts):
        return Figure(text=SUPPRESSED_SYMBOL, kind=COUNT, value=None, trace=trace)
    value = int(minuend.value - sum(p.value for p in subtrahends))
    return Figure(text=f"{value:,}", kind=COUNT, value=float(value), trace=trace)


def estimated_continuum(tables: dy.AnnualReportTables, year: int, all_label: str, counted: dict[str, Figure],
                        observed: dict[str, Figure], estimate: dict[str, Figure]) -> dict[str, Figure]:
    """The continuum on the estimate: at-risk statuses as `counted` (school records decide them), the
    disconnected split by the severe part of the `estimate`, connected the rest of the youth
    (`observed` totals)."""
    severe = _interval_figures(PublishedCells(tables.severe_estimates[year]), year, "all", all_label, all_label,
                               dy.SEVERE_ESTIMATE_COLUMNS)

    def trace(column: str) -> Trace:
        return _counts_trace(year, "all", all_label, column)

    shown = {s: counted[s] for s in dy.STATUS_CATEGORY if dy.STATUS_CATEGORY[s] == "at_risk"}
    shown["disconnected_moderate"] = _difference(trace("disconnected_estimate-disconnected_severe_estimate"),
                                                 estimate["estimate"], severe["estimate"])
    shown["disconnected_severe"] = severe["estimate"]
    shown["connected"] = _difference(trace("youth-at_risk-disconnected_estimate"),
                                     observed["youth"], observed["at_risk"], estimate["estimate"])
    return {**shown, "severe_lower": severe["lower"], "severe_upper": severe["upper"]}


def estimate_percent(numerator: Figure, youth: Figure, extra: Figure | None = None) -> Figure:
    """(numerator [+ extra]) / youth as a percentage, shown only where every count in it is shown."""
    parts = [numerator, youth, *([extra] if extra is not None else [])]
    trace = Trace(numerator.trace.mart, numerator.trace.key,
                  numerator.trace.column + (f"+{extra.trace.column}" if extra is not None else ""), "youth")
    if any(p.suppressed for p in parts) or not youth.value:
        return statistic(None, 1, trace, shown=False)
    value = _percent(int(numerator.value + (extra.value if extra is not None else 0)), int(youth.value), 1)
    return Figure(text=f"{value:.1f}%", kind=PERCENT, value=value, trace=trace)


def _change(mart_row: pd.Series, column: str, this_year: Figure, last_year: Figure | None) -> Figure:
    trace = Trace(dy.COUNTS_MART, {k: mart_row[k] for k in ("report_year", "dimension", "dimension_value")},
                  f"{column}_change")
    if last_year is None or this_year.suppressed or last_year.suppressed:
        return statistic(None, 0, trace, shown=last_year is None)
    value = int(mart_row[f"{column}_change"])
    return Figure(text=f"{value:+,d}", kind="change", value=float(value), trace=trace)


def annual_report_context(tables: dy.AnnualReportTables, year: int,
                          linkage: Sequence[StrategyScores]) -> dict[str, Any]:
    """Everything the annual report template shows for `year`."""
    counts = tables.counts
    all_label = counts.loc[counts["dimension"] == "all", "dimension_value"].iloc[0]
    overall = counts[counts["dimension"] == "all"]

    def headline(y: int) -> dict[str, Figure]:
        cells = PublishedCells(tables.continuum[y])

        def trace(column: str, denominator: str | None = None) -> Trace:
            return _counts_trace(y, "all", all_label, column, denominator)

        figures = _group_row(cells, trace, {})
        figures["share"] = cells.percent(trace("at_risk+disconnected", "youth"), "connection",
                                         dy.AT_RISK_OR_DISCONNECTED)
        figures["estimate"] = estimate_figures(tables, y, "all", all_label)
        figures["share_estimate"] = {bound: estimate_percent(figures["at_risk"], figures["youth"], estimate)
                                     for bound, estimate in figures["estimate"].items()}
        counted = {s: cells.count(trace(s), **{dy.STATUS: s}) for s in dy.STATUS_CATEGORY}
        estimated = estimated_continuum(tables, y, all_label, counted, figures, figures["estimate"])
        figures["statuses"] = [(STATUS_LABELS[s], counted[s], estimated[s]) for s in dy.STATUS_CATEGORY]
        figures["severe_interval"] = (estimated["severe_lower"], estimated["severe_upper"])
        return figures

    trend_years = [y for y in sorted(tables.continuum) if y <= year]
    trend, previous = [], None
    for y in trend_years:
        figures = headline(y)
        for column in ("at_risk", "disconnected"):
            figures[f"{column}_change"] = _change(overall[overall["report_year"] == y].iloc[0], column,
                                                  figures[column], previous[column] if previous else None)
        figures["disconnected_estimate_change"] = _change(
            overall[overall["report_year"] == y].iloc[0], "disconnected_estimate", figures["estimate"]["estimate"],
            previous["estimate"]["estimate"] if previous else None)
        trend.append((y, figures))
        previous = figures
    current = trend[-1][1]

    breakdowns = []
    for dimension in dy.BREAKDOWNS:
        cells = PublishedCells(tables.breakdowns[(year, dimension)])
        held = tables.breakdown_rows[(year, dimension)]
        values = sorted(held, key=lambda v: (held[v] != (v,), v))  # rows of their own first, then groups
        rows = [(value, _group_row(cells, lambda c, d=None, v=value: _counts_trace(year, dimension, _mart_values(
            held[v]), c, d), {dimension: value})) for value in values]
        for value, row in rows:
            row["estimate"] = estimate_figures(tables, year, dimension, value, _mart_values(held[value]))
            row["estimate_percent"] = estimate_percent(row["estimate"]["estimate"], row["youth"])
        uncollected = counts[(counts["report_year"] == year) & (counts["dimension"] == dimension)
                             & ~counts["category_collected"]]["dimension_value"].tolist()
        breakdowns.append({"dimension": dimension, "title": BREAKDOWN_TITLES[dimension], "rows": rows,
                           "not_collected": uncollected,
                           "groups": [(v, ", ".join(held[v])) for v in values if held[v] != (v,) and len(held[v]) > 1]})

    subgroups = []
    for subgroup in sorted(s for (y, s) in tables.subgroups if y == year):
        cells = PublishedCells(tables.subgroups[(year, subgroup)])
        row = _group_row(cells, lambda c, d=None, s=subgroup: _counts_trace(year, "subgroup", s, c, d),
                         {subgroup: dy.IN_SUBGROUP})
        row["estimate"] = estimate_figures(tables, year, "subgroup", subgroup)
        row["estimate_percent"] = estimate_percent(row["estimate"]["estimate"], row["youth"])
        subgroups.append((SUBGROUP_LABELS.get(subgroup, subgroup), row))

    factors = [_factor_row(tables, row) for row in tables.factor_rows.itertuples(index=False)]
    wage_range = _unlinkable_wage_range(PublishedCells(tables.unlinkable_wages[year]),
                                        lambda column: _counts_trace(year, "all", all_label, column))
    race = next(b for b in breakdowns if b["dimension"] == "race_ethnicity")
    charts = {
        "trend": line_chart("At risk and disconnected youth by report year (disconnected: estimate and its "
                            "90% interval)", [str(y) for y, _ in trend],
                            {"At risk": [f["at_risk"] for _, f in trend],
                             "Disconnected (estimate)": [f["estimate"]["estimate"] for _, f in trend],
                             "Disconnected, 90% interval: upper": [f["estimate"]["upper"] for _, f in trend],
                             "Disconnected, 90% interval: lower": [f["estimate"]["lower"] for _, f in trend]}),
        "continuum": bar_chart(f"Youth aged 14-26 on the continuum, {year} (disconnected: estimate)",
                               [(label, estimated) for label, _, estimated in current["statuses"]]),
        "race": bar_chart(f"Percent disconnected (estimate) by race and ethnicity, {year}",
                          [(label, row["estimate_percent"]) for label, row in race["rows"]]),
        "factors": bar_chart("Percent later disconnected, youth with each prior factor",
                             [(f["label"], f["rate_with"]) for f in factors]),
    }
    return {"year": year, "current": current, "trend": trend, "breakdowns": breakdowns, "subgroups": subgroups,
            "wage_range": wage_range, "factors": factors, "charts": charts, "linkage": linkage,
            "estimate_tested": dy.ESTIMATE_TESTED,
            "estimate_tested_statewide": dy.ESTIMATE_TESTED_STATEWIDE, "severe_tested": dy.SEVERE_TESTED, **_methods(tables.published)}


def _unlinkable_wage_range(cells: PublishedCells, trace) -> dict[str, Figure]:
    """The observed disconnected count (`upper`: the estimate's ceiling as far as wages go) and those of
    them resting on unlinkable wage records, each a cell of the protected wage table."""
    disconnected = {"category": "disconnected"}
    return {
        "upper": cells.count(trace("disconnected"), **disconnected),
        "unlinkable": cells.count(trace("disconnected_unlinkable_wages"), **disconnected,
                                  **{dy.WAGE_EVIDENCE: dy.RESTS_ON_UNLINKABLE_WAGES}),
    }


def _factor_row(tables: dy.AnnualReportTables, row) -> dict[str, Any]:
    cells = PublishedCells(tables.factors[row.factor])

    def trace(column: str, denominator: str | None = None) -> Trace:
        return Trace(dy.FACTORS_MART, {"factor": row.factor}, column, denominator)

    with_factor, became = {row.factor: dy.WITH_FACTOR}, {dy.LATER_OUTCOME: dy.BECAME_DISCONNECTED}
    figures = {
        "label": row.factor_description,
        "records_carry_ssn": dy.factor_records_carry_ssn(row.factor),
        "youth_with": cells.count(trace("youth_with_factor"), **with_factor),
        "disconnected_with": cells.count(trace("disconnected_with_factor"), **with_factor, **became),
        "rate_with": cells.percent(trace("disconnected_with_factor", "youth_with_factor"), dy.LATER_OUTCOME,
                                   dy.BECAME_DISCONNECTED, **with_factor),
        "rate_without": cells.percent(trace("disconnected_without_factor", "youth_without_factor"), dy.LATER_OUTCOME,
                                      dy.BECAME_DISCONNECTED, **{row.factor: dy.WITHOUT_FACTOR}),
        "share_of_disconnected": cells.percent(
            trace("disconnected_with_factor", "disconnected_with_factor+disconnected_without_factor"),
            row.factor, dy.WITH_FACTOR, **became),
    }
    figures["relative_risk"] = statistic(row.relative_risk, 2, trace("relative_risk"),
                                         shown=not (figures["rate_with"].suppressed
                                                    or figures["rate_without"].suppressed))
    return figures


def crossover_brief_context(tables: xo.CrossoverTables, linkage: Sequence[StrategyScores]) -> dict[str, Any]:
    """Everything the crossover brief shows."""
    summary = tables.summary
    all_label = summary.loc[summary["dimension"] == "all", "dimension_value"].iloc[0]
    overall = PublishedCells(tables.groupings[xo.GROUPINGS[0]])
    crossed = {xo.CROSSOVER: xo.CROSSED_OVER}

    def trace(dimension: str, value: str, pathway: str, column: str, denominator: str | None = None) -> Trace:
        return Trace(xo.SUMMARY_MART, {"dimension": dimension, "dimension_value": value, "pathway": pathway},
                     column, denominator)

    def group_figures(cells: PublishedCells, dimension: str, value: str, where: dict[str, str]) -> dict[str, Figure]:
        return {
            "child_welfare_youth": cells.count(trace(dimension, value, "all", "child_welfare_youth"), **where),
            "crossover_youth": cells.count(trace(dimension, value, "all", "crossover_youth"), **where, **crossed),
            "crossover_rate": cells.percent(trace(dimension, value, "all", "crossover_youth", "child_welfare_youth"),
                                            xo.CROSSOVER, xo.CROSSED_OVER, **where),
        }

    listed = summary[summary["dimension"] == "all"].set_index("pathway")
    pathways = []
    for pathway in (p for p in xo.PATHWAYS if p in listed.index):
        count = overall.count(trace("all", all_label, pathway, "pathway_youth"), **crossed, pathway=pathway)
        shown = not count.suppressed
        pathways.append({
            "label": PATHWAY_LABELS[pathway], "youth": count,
            "share": overall.percent(trace("all", all_label, pathway, "pathway_youth", "crossover_youth"),
                                     xo.PATHWAY, pathway, **crossed),
            **{f"{stat}_years": statistic(listed.loc[pathway, f"{stat}_years_to_crossover"], 1,
                                          trace("all", all_label, pathway, f"{stat}_years_to_crossover"), shown)
               for stat in ("mean", "median")},
        })
    absent = [PATHWAY_LABELS[p] for p in xo.PATHWAYS if p not in listed.index]

    groupings = []
    for grouping in xo.GROUPINGS:
        cells = PublishedCells(tables.groupings[grouping])
        values = sorted(v for v in tables.groupings[grouping].cells[grouping].unique() if v not in ("Total", xo.UNLISTED))
        groupings.append({"title": GROUPING_TITLES[grouping],
                          "rows": [(v, group_figures(cells, grouping, v, {grouping: v})) for v in values]})

    charts = {
        "shares": bar_chart("Share of crossover youth by pathway", [(p["label"], p["share"]) for p in pathways]),
        "years": bar_chart("Mean years from first entry to crossover", [(p["label"], p["mean_years"]) for p in pathways]),
    }
    return {"overall": group_figures(overall, "all", all_label, {}), "pathways": pathways, "absent_pathways": absent,
            "groupings": groupings, "charts": charts, "linkage": linkage, **_methods(tables.published)}


def _methods(published) -> dict[str, Any]:
    policy = published[0].policy
    return {"footnote": suppression_footnote(policy), "policy_rules": policy.rules,
            "max_small_count": policy.max_small_count, "min_group_youth": MIN_GROUP_YOUTH,
            "sources": sorted({s for t in published for s in t.sources}), "statistic_kind": STATISTIC}
