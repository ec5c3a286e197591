"""Which rows a breakdown publishes: the grouping rules on plain inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from p20_platform.report.grouping import (MIN_GROUP_YOUTH, NOT_RECORDED, OTHER_RACE, TOWN_NOT_RECORDED, TOWNS_CSV,
                                          members, published_groups)


def test_small_towns_are_published_with_their_county_and_large_towns_alone():
    youth = {"Hartford": 400, "Andover": 3, "Bolton": 12, "Stamford": MIN_GROUP_YOUTH, "Unknown": 5}
    groups = published_groups("town", youth)
    assert groups == {"Hartford": "Hartford", "Stamford": "Stamford", "Andover": "Other towns in Tolland County",
                      "Bolton": "Other towns in Tolland County", "Unknown": TOWN_NOT_RECORDED}
    assert members(groups)["Other towns in Tolland County"] == ("Andover", "Bolton")


def test_the_town_table_is_the_seed_every_town_has_a_county():
    towns = pd.read_csv(TOWNS_CSV)
    assert len(towns) == 169 and towns["county"].notna().all() and towns["county"].nunique() == 8


def test_unknown_and_small_race_groups_fold_together_and_other_unknowns_are_labelled():
    groups = published_groups("race_ethnicity", {"White": 3000, "Asian": 250, "Native Hawaiian or Pacific Islander": 7,
                                                 "Unknown": 500})
    assert groups["Unknown"] == groups["Native Hawaiian or Pacific Islander"] == OTHER_RACE
    assert groups["Asian"] == "Asian" and groups["White"] == "White"
    assert published_groups("sex", {"F": 10, "M": 10, "Unknown": 1}) == {"F": "F", "M": "M", "Unknown": NOT_RECORDED}


def test_a_town_missing_from_the_table_is_an_error_not_a_silent_group():
    with pytest.raises(ValueError, match="Atlantis"):
        published_groups("town", {"Atlantis": 500})
