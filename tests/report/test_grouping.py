"""Which rows a breakdown publishes: the grouping rules on plain inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from p20_platform.report.grouping import (MIN_GROUP_YOUTH, NOT_RECORDED, OTHER_RACE, TOWN_NOT_RECORDED, TOWNS_CSV,
                                          members, published_groups)


def test_small_towns_are_published_with_their_planning_region_and_large_towns_alone():
    youth = {"Hartford": 400, "Andover": 3, "Bolton": 12, "Windham": 20, "Stamford": MIN_GROUP_YOUTH, "Unknown": 5}
    groups = published_groups("town", youth)
    capitol, southeastern = "Other towns in the Capitol Planning Region", "Other towns in the Southeastern Connecticut Planning Region"
    assert groups == {"Hartford": "Hartford", "Stamford": "Stamford", "Andover": capitol, "Bolton": capitol,
                      "Windham": southeastern, "Unknown": TOWN_NOT_RECORDED}
    assert members(groups)[capitol] == ("Andover", "Bolton")


# The nine planning regions' sizes in towns (Census Bureau county-equivalents since 2022).
REGION_SIZES = {"Capitol Planning Region": 38, "Greater Bridgeport Planning Region": 6,
                "Lower Connecticut River Valley Planning Region": 17, "Naugatuck Valley Planning Region": 19,
                "Northeastern Connecticut Planning Region": 16, "Northwest Hills Planning Region": 21,
                "South Central Connecticut Planning Region": 15, "Southeastern Connecticut Planning Region": 19,
                "Western Connecticut Planning Region": 18}


def test_every_town_is_in_exactly_one_of_the_nine_planning_regions():
    towns = pd.read_csv(TOWNS_CSV)
    assert len(towns) == 169 and towns["town"].is_unique and towns["planning_region"].notna().all()
    assert towns["planning_region"].value_counts().to_dict() == REGION_SIZES
    assert towns["county"].nunique() == 8  # the historical counties stay beside the regions


def test_the_seed_is_the_same_table_as_the_report_reads():
    seed = TOWNS_CSV.parents[2] / "dbt_project" / "seeds" / "ct_towns.csv"
    assert seed.read_bytes() == TOWNS_CSV.read_bytes()


def test_every_town_the_synthetic_population_uses_has_a_region():
    from p20_platform.synth.reference import towns

    assert set(towns()["town"]) <= set(pd.read_csv(TOWNS_CSV)["town"])


def test_unknown_and_small_race_groups_fold_together_and_other_unknowns_are_labelled():
    groups = published_groups("race_ethnicity", {"White": 3000, "Asian": 250, "Native Hawaiian or Pacific Islander": 7,
                                                 "Unknown": 500})
    assert groups["Unknown"] == groups["Native Hawaiian or Pacific Islander"] == OTHER_RACE
    assert groups["Asian"] == "Asian" and groups["White"] == "White"
    assert published_groups("sex", {"F": 10, "M": 10, "Unknown": 1}) == {"F": "F", "M": "M", "Unknown": NOT_RECORDED}


def test_a_town_missing_from_the_table_is_an_error_not_a_silent_group():
    with pytest.raises(ValueError, match="Atlantis"):
        published_groups("town", {"Atlantis": 500})
