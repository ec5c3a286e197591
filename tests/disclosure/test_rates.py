"""Percentages: shown only over shown counts, rounded half up, and never a way back to a count."""

from __future__ import annotations

import pandas as pd
import pytest
from intruder import recover

from p20_platform.disclosure import (
    TOTAL,
    DisclosurePolicy,
    PublishedRates,
    SuppressionRule,
    audit,
    display_rates,
    from_crosstab,
    protect,
    publish_rates,
    to_crosstab,
)

YOUTH = pd.DataFrame({"Black": [4, 30, 0], "Hispanic": [25, 3, 40], "White": [60, 55, 70]},
                     index=pd.Index(["Hartford", "New Haven", "Stamford"]))
RESIDENTS = pd.DataFrame({"Black": [40, 150, 15], "Hispanic": [100, 18, 160], "White": [300, 240, 280]},
                         index=YOUTH.index)


def _published(sources=("DCF", "SDE")):
    tables = [from_crosstab(frame, name=name, rows="town", columns="race", measure=name, sources=sources)
              for name, frame in (("youth", YOUTH), ("residents", RESIDENTS))]
    youth, residents = protect(tables)
    return youth, residents, publish_rates(youth, residents, name="share")


def test_rates_appear_only_where_numerator_and_denominator_are_both_shown():
    youth, residents, share = _published()
    both_shown = (youth.cells["count"].notna() & residents.cells["count"].notna()).to_numpy()
    shown = share.cells["percent"].notna().to_numpy()
    assert not (shown & ~both_shown).any()
    statuses = share.cells.set_index(["town", "race"])["status"]
    assert statuses[("Hartford", "Black")] == "suppressed: numerator suppressed"
    assert statuses[("Stamford", "Black")] == "suppressed: denominator under 20"  # CT education rule, n=15
    assert audit([youth, residents, share]).empty


def test_rates_are_rounded_half_up_to_the_policy_decimals():
    youth, residents, share = _published()
    percents = share.cells.set_index(["town", "race"])["percent"]
    assert percents[("Stamford", "Hispanic")] == 25.0  # 40/160
    assert percents[("Hartford", "White")] == 20.0  # 60/300
    assert percents[("New Haven", "White")] == 22.9  # 55/240 = 22.916..
    one_eighth = pd.DataFrame({"x": [1, 20]}), pd.DataFrame({"x": [8, 30]})
    rule = SuppressionRule("whole percents", max_small_count=0, rate_decimals=0)
    policy = DisclosurePolicy.strictest([rule])
    tables = [from_crosstab(frame.set_axis(["a", "b"]), name=name, rows="r", columns="c", measure=name)
              for name, frame in zip(("num", "den"), one_eighth)]
    num, den = (type(t)(**{**t.__dict__, "policy": policy}) for t in _unprotected(tables))
    rates = publish_rates(num, den, name="r").cells.set_index(["r", "c"])["percent"]
    assert rates[("a", "x")] == 13.0  # 12.5 rounds up, not to even
    assert display_rates(publish_rates(youth, residents, name="s")).str.fullmatch(r"\d+\.\d%|\*").all()


def _unprotected(tables):
    """Publish counts as they are (a policy with nothing to suppress), for rounding checks only."""
    from p20_platform.disclosure import PublishedTable

    return [PublishedTable(t.name, t.measure, t.dimensions,
                           t.with_margins().assign(count=lambda c: c["count"].astype("Int64"), status="shown"),
                           DisclosurePolicy.strictest([SuppressionRule("none", max_small_count=0)]))
            for t in tables]


def test_a_rate_over_a_suppressed_numerator_gives_the_count_back_and_the_audit_catches_it():
    youth, residents, share = _published()
    exact = 100 * YOUTH.loc["Hartford", "Black"] / RESIDENTS.loc["Hartford", "Black"]
    leaked = share.cells.copy()
    where = (leaked["town"] == "Hartford") & (leaked["race"] == "Black")
    leaked.loc[where, ["percent", "status"]] = [round(exact, 1), "shown"]
    careless = PublishedRates(**{**share.__dict__, "cells": leaked})
    recovered = recover([youth, residents], rates=[careless])
    assert recovered[("youth", frozenset({("town", "Hartford"), ("race", "Black")}))] == 4
    found = audit([youth, residents, careless])
    assert "rate shown over a suppressed count" in set(found["check"])
    assert (found["detail"] == "recoverable exactly (= 4)").any()


def test_rates_need_both_tables_and_matching_cells():
    youth, residents, share = _published()
    with pytest.raises(ValueError, match="need the table of 'residents'"):
        audit([youth, share])
    one_way = from_crosstab(YOUTH.iloc[:, :2], name="other", rows="town", columns="race", measure="x")
    (other,) = protect([one_way])
    with pytest.raises(ValueError, match="do not cover the same cells"):
        publish_rates(youth, other, name="bad")
    crosstab = to_crosstab(share, rows="town", columns="race", display=display_rates(share))
    assert crosstab.loc[TOTAL, TOTAL] == f"{100 * YOUTH.to_numpy().sum() / RESIDENTS.to_numpy().sum():.1f}%"
