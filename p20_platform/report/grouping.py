"""Which rows a breakdown publishes: small towns grouped by planning region, small groups and unknowns folded.

A row of a breakdown (a town, a race/ethnicity) is published on its own when it holds at least
`MIN_GROUP_YOUTH` youth in the report year: at the usual at-risk and disconnected shares (10%
and more) such a row has counts above the suppression range, so it is shown instead of starred.
Smaller rows are published grouped, as state reports do:

- towns by planning region ("Other towns in the Capitol Planning Region"): Connecticut's nine
  planning regions (its councils of governments), which replaced the eight counties as the
  state's county-equivalents in 2022 and are the regions its state reports use. The mapping is
  the `planning_region` column of `p20_platform/data/ct_towns.csv`, the same table as the dbt
  seed `ct_towns` (its source is in `p20_platform/data/README.md`); a town no record names is
  "Town not recorded";
- race/ethnicity categories, and the agencies' "Unknown", into "Another group or not recorded",
  so a handful of unknowns never forces the whole table dark;
- for the other breakdowns, "Unknown" is labelled "Not recorded".

The threshold compares a row's own youth count with 150: learning that a town has fewer than
150 youth reveals no count in the suppression range. Every grouped row is then protected like
any other cell; the groups are listed beside each table so readers know what a row holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

MIN_GROUP_YOUTH = 150
UNKNOWN = "Unknown"
TOWN_NOT_RECORDED = "Town not recorded"
OTHER_RACE = "Another group or not recorded"
NOT_RECORDED = "Not recorded"
TOWNS_CSV = Path(__file__).resolve().parent.parent / "data" / "ct_towns.csv"


@cache
def town_regions() -> Mapping[str, str]:
    """Town -> planning region for the 169 Connecticut towns."""
    towns = pd.read_csv(TOWNS_CSV, dtype=str)
    return dict(zip(towns["town"], towns["planning_region"]))


def other_towns(region: str) -> str:
    return f"Other towns in the {region}"


def published_groups(dimension: str, youth: Mapping[str, int], minimum: int = MIN_GROUP_YOUTH) -> dict[str, str]:
    """Each value of `dimension` (with its youth count) -> the row it is published in; rows under
    `minimum` youth are grouped."""
    def small(value: str) -> bool:
        return int(youth[value]) < minimum

    if dimension == "town":
        regions = town_regions()
        unknown = sorted(set(youth) - set(regions) - {UNKNOWN})
        if unknown:
            raise ValueError(f"towns not in {TOWNS_CSV.name}: {unknown}")
        return {v: TOWN_NOT_RECORDED if v == UNKNOWN else other_towns(regions[v]) if small(v) else v for v in youth}
    if dimension == "race_ethnicity":
        return {v: OTHER_RACE if v == UNKNOWN or small(v) else v for v in youth}
    return {v: NOT_RECORDED if v == UNKNOWN else v for v in youth}


def members(groups: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Published row -> the values it holds, sorted."""
    held: dict[str, list[str]] = {}
    for value, row in groups.items():
        held.setdefault(row, []).append(value)
    return {row: tuple(sorted(values)) for row, values in held.items()}
