"""The crossover brief's tables: child-welfare-involved youth by crossover and pathway, protected together.

Each breakdown (sex, race/ethnicity, out-of-home placement) is a table of child-welfare-involved
youth by group x crossed over x pathway, nested so that its margins are the published counts
(crossover youth = the 'crossed over' total; all youth = the grand total). The tables share
their pathway margins, so they are protected as one set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from p20_platform.disclosure import TOTAL, CountTable, PublishedTable, protect

SUMMARY_MART = "crossover_youth_summary"
PATHWAYS = ("child_welfare_first", "juvenile_justice_first", "same_time")
GROUPINGS = ("sex", "race_ethnicity", "placed_out_of_home")
CROSSOVER, CROSSED_OVER, DID_NOT_CROSS = "crossover", "crossed over", "did not cross over"
PATHWAY, NO_PATHWAY = "pathway", "none"
MEASURE = "child_welfare_youth"
UNLISTED = "Groups with no crossover youth"
SOURCES = ("DCF", "CSSD", "SDE", "CTECS", "OEC", "OHE", "DOL", "DOC", "DMHAS", "DSS", "OWS", "CCEH")  # demographics


@dataclass(frozen=True)
class CrossoverTables:
    """The protected tables of the brief (one per grouping) with the mart rows behind them."""

    groupings: Mapping[str, PublishedTable]
    summary: pd.DataFrame

    @property
    def published(self) -> list[PublishedTable]:
        return list(self.groupings.values())


def protect_crossover_brief(summary: pd.DataFrame) -> CrossoverTables:
    """Protect the brief's tables built from the `crossover_youth_summary` mart."""
    if summary.empty:
        raise ValueError(f"{SUMMARY_MART} is empty: no child-welfare-involved youth crossed over; nothing to publish")
    tables = [grouping_table(summary, g) for g in GROUPINGS]
    return CrossoverTables(groupings=dict(zip(GROUPINGS, protect(tables))), summary=summary)


def grouping_table(summary: pd.DataFrame, grouping: str) -> CountTable:
    """Child-welfare-involved youth by `grouping` value, crossed over or not, and pathway."""
    rows = summary[summary["dimension"] == grouping]
    groups = rows.groupby("dimension_value").agg(child_welfare_youth=("child_welfare_youth", "first"),
                                                 crossover_youth=("crossover_youth", "first"))
    overall = summary.loc[summary["dimension"] == "all", ["child_welfare_youth", "crossover_youth"]].iloc[0]
    unlisted = overall - groups.sum()  # the mart lists only groups with a crossover youth
    if unlisted["child_welfare_youth"] > 0:
        groups.loc[UNLISTED] = unlisted
    by_pathway = (rows[rows["pathway"].isin(PATHWAYS)]
                  .pivot(index="dimension_value", columns="pathway", values="pathway_youth")
                  .reindex(index=groups.index, columns=list(PATHWAYS)).fillna(0).astype("int64"))
    cells = by_pathway.rename_axis(index=grouping, columns=PATHWAY).stack().rename("count").reset_index()
    not_crossed = (groups["child_welfare_youth"] - groups["crossover_youth"]).rename("count").reset_index()
    cells = pd.concat([cells.assign(**{CROSSOVER: CROSSED_OVER}),
                       not_crossed.rename(columns={"dimension_value": grouping})
                       .assign(**{CROSSOVER: DID_NOT_CROSS, PATHWAY: NO_PATHWAY})], ignore_index=True)
    return CountTable(name=f"crossover_by_{grouping}", cells=cells, dimensions=(grouping, CROSSOVER, PATHWAY),
                      measure=MEASURE, sources=SOURCES, featured=lambda table: featured_cells(table, grouping))


# The groups whose crossover rate the brief exists to compare with all youth's: the 1996 birth-cohort
# study found crossover more often among boys, Black and Hispanic youth and youth placed out of home
# (OPM briefing; /work/shared/domain.md, "Analysis 2").
KEY_GROUPS = {"sex": ("M",), "race_ethnicity": ("Black or African American", "Hispanic or Latino"),
              "placed_out_of_home": ("Placed out of home",)}


def featured_cells(table: pd.DataFrame, grouping: str) -> pd.Series:
    """The cells the brief shows and readers compare, ranked (see `CountTable.featured`).

    2: all youth's and each key group's (`KEY_GROUPS`) child-welfare youth and crossover youth, whose
    ratio is the group's crossover rate. 1: the other groups' same two counts, and all crossover
    youth by pathway. 0: youth who did not cross over, the pathways within a group and the unlisted
    groups, never shown on their own, so suppression spends its complements there first, then on
    the other groups, and on a key comparison only where the rules leave no other choice."""
    group_totals = (table[PATHWAY] == TOTAL) & (table[CROSSOVER] != DID_NOT_CROSS) & (table[grouping] != UNLISTED)
    pathways = (table[grouping] == TOTAL) & (table[CROSSOVER] == CROSSED_OVER)
    key = group_totals & table[grouping].isin((TOTAL, *KEY_GROUPS[grouping]))
    return (group_totals | pathways).astype("int64") + key.astype("int64")
