"""Primary and complementary suppression, attacked by an independent intruder."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from intruder import recover, upper_bounds, view
from random_tables import linked_pair, long_table, random_counts

from p20_platform.disclosure import (
    TOTAL,
    CountTable,
    DisclosurePolicy,
    SuppressionRule,
    audit,
    display_counts,
    from_crosstab,
    protect,
    suppression_footnote,
    to_crosstab,
)
from p20_platform.disclosure.tables import COMPLEMENTARY

# Counts of disconnected youth by town x race: one small cell per row in the first two rows.
WIDE = pd.DataFrame({"Black": [4, 30, 0], "Hispanic": [25, 3, 40], "White": [60, 55, 70]},
                    index=pd.Index(["Hartford", "New Haven", "Stamford"]))


def _protect_wide(**kwargs) -> pd.DataFrame:
    table = from_crosstab(WIDE, name="by_town", rows="town", columns="race", measure="youth", **kwargs)
    (published,) = protect([table])
    return published


def test_small_counts_are_hidden_everywhere_and_zeros_and_other_counts_are_shown_unchanged():
    published = _protect_wide()
    cells = published.cells.set_index(["town", "race"])
    assert cells.loc[("Hartford", "Black"), "status"] == "suppressed: primary (1-10)"
    assert cells.loc[("New Haven", "Hispanic"), "status"] == "suppressed: primary (1-10)"
    shown = cells["count"].dropna()
    assert not shown.between(1, 10).any()
    assert cells.loc[("Stamford", "Black"), "count"] == 0  # a true zero is shown
    assert cells.loc[("Stamford", TOTAL), "count"] == 110
    truth = WIDE.stack()
    for (town, race), value in shown.items():
        if TOTAL not in (town, race):
            assert value == truth[(town, race)]


def test_rows_columns_and_totals_do_not_give_back_a_suppressed_cell():
    published = _protect_wide()
    assert recover([published]) == {}
    assert all(cap > 10 for cap in upper_bounds([published]).values())
    hidden = published.cells[published.cells["count"].isna()]
    assert (hidden["status"] == "suppressed: complementary").sum() >= 2
    for dimension in ("town", "race"):  # every line with a hidden cell hides at least two
        for _, line in hidden.groupby(dimension):
            assert len(line) >= 2


def test_with_only_primary_suppression_the_intruder_recovers_the_cells():
    published = _protect_wide()
    primary_only = published.cells.assign(
        count=lambda c: c["count"].mask(c["status"] == "suppressed: complementary", _true_margins()["count"]))
    weakened = type(published)(**{**published.__dict__, "cells": primary_only})
    recovered = recover([weakened])
    assert {dict(cell[1])["town"]: value for cell, value in recovered.items()} == {"Hartford": 4, "New Haven": 3}
    found = audit([weakened])
    assert set(found["check"]) == {"suppressed cell disclosed"}
    assert len(found) == 2


def _true_margins() -> pd.DataFrame:
    table = from_crosstab(WIDE, name="by_town", rows="town", columns="race", measure="youth")
    return table.with_margins()


def test_public_rendering_uses_one_symbol_so_readers_cannot_tell_primary_cells():
    published = _protect_wide()
    wide = to_crosstab(published, rows="town", columns="race")
    assert list(wide.index) == ["Hartford", "New Haven", "Stamford", TOTAL]
    assert list(wide.columns) == ["Black", "Hispanic", "White", TOTAL]
    hidden_text = set(display_counts(published)[published.cells["count"].isna()])
    assert hidden_text == {"*"}
    assert wide.loc["Stamford", "Black"] == "0"
    assert "1-10" in suppression_footnote(published.policy)


def test_related_tables_sharing_year_totals_cannot_be_combined_to_recover_a_cell():
    rng = np.random.default_rng(3)
    attacked = 0
    for _ in range(8):
        by_race, by_sex = linked_pair(rng, years=3, races=4, sexes=2)
        published = protect([by_race, by_sex])
        assert recover(published) == {}
        assert all(cap > 10 for cap in upper_bounds(published).values())
        assert audit(published).empty
        attacked += sum(p.cells["count"].isna().sum() for p in published)
    assert attacked > 15  # the tables really had suppressed cells to attack


def test_tables_protected_one_at_a_time_under_different_rules_leak_through_shared_totals():
    strict = DisclosurePolicy.strictest([SuppressionRule("strict", max_small_count=15)])
    by_race = from_crosstab(pd.DataFrame({"Black": [12, 40], "White": [0, 90]}, index=[2020, 2021]),
                            name="by_race", rows="year", columns="race", measure="youth")
    by_sex = from_crosstab(pd.DataFrame({"F": [7, 60], "M": [5, 70]}, index=[2020, 2021]),
                           name="by_sex", rows="year", columns="sex", measure="youth")
    separately = [*protect([by_race]), *protect([by_sex], strict)]
    found = audit(separately)
    assert "suppressed cell disclosed" in set(found["check"])  # 2020 total hidden in one, shown in the other
    assert "youth: year=2020" in set(found["cell"])
    together = protect([by_race, by_sex], strict)
    assert audit(together).empty
    assert all(p.policy.max_small_count == 15 for p in together)
    assert recover(together) == {}


def test_three_dimensional_tables_keep_every_margin_protected():
    rng = np.random.default_rng(8)
    for _ in range(3):
        table = long_table(random_counts(rng, (3, 3, 2)), ("town", "race", "sex"), name="cube")
        (published,) = protect([table])
        assert len(published.cells) == 4 * 4 * 3
        assert not published.cells["count"].dropna().between(1, 10).any()
        assert recover([published]) == {}
        assert audit([published]).empty


def test_a_policy_hiding_zeros_suppresses_them_and_still_protects():
    no_zeros = DisclosurePolicy.strictest([SuppressionRule("no zeros", max_small_count=5, show_zero=False)])
    table = from_crosstab(WIDE, name="by_town", rows="town", columns="race", measure="youth")
    (published,) = protect([table], no_zeros)
    cells = published.cells.set_index(["town", "race"])
    assert pd.isna(cells.loc[("Stamford", "Black"), "count"])
    assert published.policy.max_small_count == 10  # the platform baseline still applies
    assert audit([published]).empty


def test_education_tables_use_the_strictest_rule_of_their_sources():
    (published,) = protect([from_crosstab(WIDE, name="t", rows="town", columns="race", measure="youth",
                                          sources=("SDE", "DCF"))])
    assert published.policy.max_small_count == 10 and published.policy.min_denominator == 20


def test_bad_input_is_refused_with_a_clear_message_and_left_untouched():
    cells = pd.DataFrame({"town": ["A", "B"], "n": [5, -1]})
    before = cells.copy()
    with pytest.raises(ValueError, match="whole numbers >= 0"):
        CountTable("t", cells, ("town",), count="n")
    pd.testing.assert_frame_equal(cells, before)
    with pytest.raises(ValueError, match="repeated cells"):
        CountTable("t", pd.DataFrame({"town": ["A", "A"], "n": [5, 1]}), ("town",), count="n")
    with pytest.raises(ValueError, match="reserved for margins"):
        CountTable("t", pd.DataFrame({"town": ["A", TOTAL], "n": [5, 1]}), ("town",), count="n")
    with pytest.raises(ValueError, match="do not add up"):
        from_crosstab(WIDE.assign(Total=[1, 2, 3]), name="t", rows="town", columns="race", measure="n")
    one = CountTable("a", pd.DataFrame({"year": [2020, 2021], "n": [50, 60]}), ("year",), count="n")
    other = CountTable("b", pd.DataFrame({"year": [2020, 2021], "n": [50, 61]}), ("year",), count="n")
    with pytest.raises(ValueError, match="disagrees .* year=2021"):
        protect([one, other])


def test_every_small_count_in_random_tables_is_hidden_and_no_line_leaks():
    rng = np.random.default_rng(21)
    for trial in range(10):
        shape = tuple(rng.integers(2, 6, size=2))
        (published,) = protect([long_table(random_counts(rng, shape), ("row", "col"), name=f"t{trial}")])
        known, _, hidden = view([published])
        assert not any(1 <= v <= 10 for v in known.values())
        assert recover([published]) == {}
        assert all(cap > 10 for cap in upper_bounds([published]).values())


def test_complements_are_the_fewest_that_protect_a_single_unknown():
    """One youth of unrecorded sex, disconnected: the total and the other rows would give the cell
    away, so two more cells must go; the integer program hides exactly two (not a whole row or
    column), and no intruder gets the hidden cells back."""
    by_sex = pd.DataFrame({"at_risk": [233, 245, 0], "disconnected": [716, 740, 1], "connected": [1632, 1537, 0]},
                          index=pd.Index(["F", "M", "Unknown"]))
    (published,) = protect([from_crosstab(by_sex, name="by_sex", rows="sex", columns="category", measure="youth")])
    status = published.cells["status"]
    assert (status == "suppressed: complementary").sum() == 2
    assert (status.str.startswith("suppressed: primary")).sum() == 2  # the 1 and its row total
    assert audit([published]).empty and recover([published]) == {}
    shown = published.cells.set_index(["sex", "category"])["count"]
    assert shown[(TOTAL, "disconnected")] == 1457 and shown[(TOTAL, TOTAL)] == 5104  # the headline stays


def test_complements_avoid_the_cells_readers_compare_when_others_protect_as_well():
    """The same single unknown, with the male row marked as what readers compare: the fewest
    complements are two cells of the female row instead (the fewest-cells choice alone hides the
    male disconnected count and total), and still no intruder gets the hidden cells back."""
    by_sex = pd.DataFrame({"at_risk": [233, 245, 0], "disconnected": [716, 740, 1], "connected": [1632, 1537, 0]},
                          index=pd.Index(["F", "M", "Unknown"]))
    table = from_crosstab(by_sex, name="by_sex", rows="sex", columns="category", measure="youth")
    (plain,) = protect([table])
    (published,) = protect([dataclasses.replace(table, featured=lambda cells: cells["sex"] == "M")])
    hidden_males = [p.cells.loc[(p.cells["sex"] == "M") & p.cells["count"].isna(), "category"].tolist()
                    for p in (plain, published)]
    assert hidden_males == [["disconnected", TOTAL], []]
    assert (published.cells["status"] == "suppressed: complementary").sum() == 2
    assert audit([published]).empty and recover([published]) == {}


def test_every_complement_left_is_needed():
    """Showing any one complementary cell again would let an intruder recover or bound a hidden cell."""
    tables = [long_table(random_counts(np.random.default_rng(seed), (6, 4)), ("town", "race"), name=f"t{seed}")
              for seed in range(3)]
    for table in tables:
        (published,) = protect([table])
        assert audit([published]).empty
        for index in published.cells.index[published.cells["status"] == "suppressed: complementary"]:
            released = published.cells.copy()
            full = table.with_margins()
            value = full.merge(released.loc[[index], list(table.dimensions)])["count"].iloc[0]
            released.loc[index, "count"] = value
            released.loc[index, "status"] = "shown"
            assert not audit([dataclasses.replace(published, cells=released)]).empty


def test_the_key_comparisons_are_the_last_featured_cells_hidden():
    """Youth by group and crossed over or not, as in the crossover brief: Asian youth's crossover count
    is small, so one more crossover count in that row must be hidden. Every group's counts are shown
    to readers (priority 1); the Black and Hispanic ones are the comparison the document is about
    (priority 2), so the complement is White's count, though Black's is the largest (the cheapest of
    equal priority) and is the one hidden when all four groups rank alike."""
    by_group = pd.DataFrame({"crossed over": [4, 60, 44, 51], "did not cross over": [24, 102, 184, 492]},
                            index=pd.Index(["Asian", "Black", "Hispanic", "White"]))
    table = from_crosstab(by_group, name="by_race", rows="race", columns="crossover", measure="youth")

    def ranked(key: tuple[str, ...]):
        def featured(cells: pd.DataFrame) -> pd.Series:
            shown = cells["crossover"] != "did not cross over"
            return shown.astype("int64") + (shown & cells["race"].isin(key)).astype("int64")
        return featured

    def hidden_crossovers(published) -> list[str]:
        cells = published.cells
        return cells.loc[(cells["crossover"] == "crossed over") & (cells["status"] == COMPLEMENTARY), "race"].tolist()

    (alike,) = protect([dataclasses.replace(table, featured=ranked(()))])
    (keyed,) = protect([dataclasses.replace(table, featured=ranked(("Black", "Hispanic", TOTAL)))])
    assert hidden_crossovers(alike) == ["Black"]
    assert hidden_crossovers(keyed) == ["White"]
    for published in (alike, keyed):
        assert audit([published]).empty and recover([published]) == {}
