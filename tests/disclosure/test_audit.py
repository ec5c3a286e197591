"""The audit: silent on what `protect` publishes, loud on anything an intruder can exploit."""

from __future__ import annotations

import numpy as np
import pytest
from intruder import exact_ranges, recover
from random_tables import linked_pair, long_table, random_counts

from p20_platform.disclosure import (
    TOTAL,
    DisclosurePolicy,
    DisclosureViolation,
    PublishedTable,
    audit,
    protect,
    require_publishable,
)
from p20_platform.disclosure.tables import describe

BASELINE = DisclosurePolicy.for_sources([])


def _publish_as(table, hidden: np.ndarray) -> PublishedTable:
    """Publish `table` with exactly the cells in `hidden` suppressed (whatever the policy says)."""
    cells = table.with_margins()
    counts = cells["count"].astype("Int64").mask(hidden)
    status = np.where(hidden, "suppressed: chosen by the test", "shown")
    return PublishedTable(table.name, table.measure, table.dimensions,
                          cells.assign(count=counts, status=status), BASELINE)


def test_protected_random_tables_and_linked_pairs_pass_the_audit():
    rng = np.random.default_rng(101)
    suppressed = 0
    for trial in range(16):
        if trial % 2:
            tables = list(linked_pair(rng, years=int(rng.integers(2, 4)), races=4, sexes=2))
        else:
            tables = [long_table(random_counts(rng, tuple(rng.integers(2, 7, size=2))), ("row", "col"),
                                 name="t")]
        published = protect(tables)
        assert audit(published).empty
        require_publishable(published)
        suppressed += sum(int(p.cells["count"].isna().sum()) for p in published)
    assert suppressed > 50


def test_primary_suppression_alone_is_caught_wherever_an_intruder_recovers_a_cell():
    rng = np.random.default_rng(202)
    caught = 0
    for _ in range(15):
        table = long_table(random_counts(rng, (3, 4)), ("row", "col"), name="t")
        (protected,) = protect([table])
        primary_only = _publish_as(table, protected.cells["status"].str.contains("primary").to_numpy())
        recovered = recover([primary_only])
        found = audit([primary_only])
        flagged = set(found.loc[found["check"] == "suppressed cell disclosed", "cell"])
        named = {describe(("n", tuple(sorted(cell[1])))) for cell in recovered}
        assert named <= flagged
        caught += bool(flagged)
    assert caught >= 10  # under-suppression is the rule, not the exception, and the audit sees it


def test_linear_programming_ranges_match_every_whole_number_completion_on_small_tables():
    rng = np.random.default_rng(303)
    compared = 0
    for _ in range(15):
        table = long_table(rng.integers(0, 14, size=(2, 3)), ("row", "col"), name="t")
        cells = table.with_margins()
        hidden = rng.random(len(cells)) < 0.35
        hidden[(cells["row"] == TOTAL) & (cells["col"] == TOTAL)] = False  # the intruder's cap
        published = _publish_as(table, hidden)
        ranges = exact_ranges([published])
        expected = set()
        for cell, (low, high) in ranges.items():
            if low == high or high <= BASELINE.max_small_count:
                expected.add(describe(("n", tuple(sorted(cell[1])))))
        found = audit([published])
        assert set(found.loc[found["check"] == "suppressed cell disclosed", "cell"]) == expected
        assert set(found["check"]) <= {"suppressed cell disclosed", "small count shown"}
        compared += len(ranges)
    assert compared > 25


def test_shown_small_counts_contradictions_and_disagreeing_tables_are_reported():
    table = long_table(np.array([[4, 30], [25, 60]]), ("row", "col"), name="t")
    nothing_hidden = _publish_as(table, np.zeros(9, dtype=bool))
    found = audit([nothing_hidden])
    assert list(found["check"]) == ["small count shown"] and found["cell"].iloc[0] == "n: col=col0, row=row0"
    wrong_total = nothing_hidden.cells.copy()
    wrong_total.loc[(wrong_total["row"] == TOTAL) & (wrong_total["col"] == TOTAL), "count"] = 120
    contradictory = PublishedTable(**{**nothing_hidden.__dict__, "cells": wrong_total})
    assert "published numbers contradict each other" in set(audit([contradictory])["check"])
    other = PublishedTable(**{**contradictory.__dict__, "name": "copy"})
    assert "linked tables disagree" in set(audit([nothing_hidden, other])["check"])
    with pytest.raises(DisclosureViolation, match="small count shown"):
        require_publishable([nothing_hidden])


def test_a_published_table_missing_a_margin_is_refused():
    table = long_table(np.array([[40, 30], [25, 60]]), ("row", "col"), name="t")
    (published,) = protect([table])
    without_total = published.cells[published.cells["row"] != TOTAL]
    with pytest.raises(ValueError, match="margins over 'row' are incomplete"):
        audit([PublishedTable(**{**published.__dict__, "cells": without_total})])
