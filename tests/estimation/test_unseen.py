"""The hub's estimator pieces on inputs whose answer is known by construction: the namesake mixture
on youth-years drawn from the very model it fits, wage records left apart by the index, and the diploma
share of youth seen doing the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p20_platform.estimation.unseen import (NAMESAKE_CAP, activity, diploma_probabilities, employment_probabilities,
                                            wages_left_apart)


def _draw(rng: np.random.Generator, rows: int, employment: float, name_changed: float, strangers: np.ndarray,
          stranger_paid: float, bridged: bool, key_entries: int = 1) -> pd.DataFrame:
    """Youth-years as the mixture describes them: each youth's own worker is a namesake unless their
    name changed; `strangers` is the distribution of how many other namesakes a youth meets, and
    `key_entries` how many people in the index share the youth's name."""
    other = rng.choice(len(strangers), size=rows, p=strangers)
    paid_other = rng.binomial(other, stranger_paid)
    employed = rng.random(rows) < employment
    own = ~bridged & (rng.random(rows) >= name_changed)
    frame = pd.DataFrame({
        "p20_id": [f"P{i // 3:05d}" for i in range(rows)],  # three years per youth
        "draw_key": [f"SDE|{i // 3:05d}" for i in range(rows)],
        "report_year": 2020 + np.arange(rows) % 3,
        "age_now": 25, "sex": rng.choice(["F", "M"], rows), "age_band": "22-26", "key_entries": key_entries,
        "namesakes": other + own, "paid_namesakes": paid_other + (own & employed)})
    return frame.assign(employed=employed)


@pytest.mark.parametrize("employment, name_changed", [(0.92, 0.25), (0.75, 0.10), (0.95, 0.55)])
def test_the_mixture_recovers_the_employment_rate_it_was_drawn_with(employment: float, name_changed: float):
    """No truth goes in: strangers are measured on bridged youth-years (own wages out of the pool),
    the name-change share is fitted to the undecided youth's namesake counts. The rate comes back
    within 2 points and the name-change share within 5."""
    rng = np.random.default_rng(7)
    strangers = np.array([0.75, 0.15, 0.06, 0.04])
    bridged = _draw(rng, 30_000, 0.8, 0.0, strangers, 0.63, bridged=True)
    undecided = _draw(rng, 9_000, employment, name_changed, strangers, 0.63, bridged=False)
    probability, parameters = employment_probabilities(bridged, undecided, bridged, replicates=20)
    assert probability.shape == (len(undecided), 21)
    assert ((probability >= 0) & (probability <= 1)).all()
    assert abs(probability[:, 0].mean() - undecided["employed"].mean()) < 0.02
    fitted = parameters.loc[parameters["undecided_youth_years"] > 1000, "name_changed_share"]
    assert ((fitted - name_changed).abs() < 0.05).all(), parameters
    spread = probability[:, 1:].mean(axis=0).std()
    assert 0 < spread < 0.02  # replicates carry the fitted shares' uncertainty, and it is small here


def test_the_yearly_rate_follows_bridged_youth_and_the_level_is_the_undecided_youths_own():
    """A recession year: bridged youth work at 0.85, then 0.70, then 0.85; the undecided at a level of
    their own (0.92 in good years; the same log-odds shift gives 0.83 in the bad one) and only a few
    hundred a year, so their own evidence alone would move the yearly rate by points. Each year's rate
    comes back within 3 points, the bad year's dip included."""
    rng = np.random.default_rng(5)
    strangers = np.array([0.75, 0.15, 0.06, 0.04])
    bridged = pd.concat([_draw(rng, 9_000, rate, 0.0, strangers, 0.6, bridged=True).assign(report_year=year)
                         for year, rate in ((2019, 0.85), (2020, 0.70), (2021, 0.85))], ignore_index=True)
    bridged["draw_key"] += bridged["report_year"].astype(str)
    undecided = pd.concat([_draw(rng, 600, rate, 0.2, strangers, 0.6, bridged=False).assign(report_year=year)
                           for year, rate in ((2019, 0.92), (2020, 0.826), (2021, 0.92))], ignore_index=True)
    undecided["draw_key"] += undecided["report_year"].astype(str)
    probability, _ = employment_probabilities(bridged, undecided, bridged, replicates=2)
    fitted = pd.Series(probability[:, 0]).groupby(undecided["report_year"]).mean()
    drawn = undecided.groupby("report_year")["employed"].mean()
    assert (fitted - drawn).abs().max() < 0.03, pd.DataFrame({"fitted": fitted, "drawn": drawn})
    assert fitted[2020] < fitted[2019] - 0.05


def test_common_names_meet_their_own_strangers_and_rare_names_give_the_rate():
    """Two kinds of name, as statewide: rare ones meet few strangers, common ones dozens, paid at
    another rate. Pooled, the strangers of common names swamp the evidence of rare ones (measured at
    1.2M persons: employment 20-55% low); measured per class of commonness, and read only where the
    namesakes are few, the rate comes back within 2 points."""
    rng = np.random.default_rng(11)
    rare = np.array([0.75, 0.15, 0.06, 0.04])
    common = np.zeros(81)
    common[20:] = 1 / 61
    bridged = pd.concat([_draw(rng, 20_000, 0.8, 0.0, rare, 0.63, bridged=True),
                         _draw(rng, 20_000, 0.8, 0.0, common, 0.45, bridged=True, key_entries=200)],
                        ignore_index=True)
    undecided = pd.concat([_draw(rng, 6_000, 0.9, 0.2, rare, 0.63, bridged=False),
                           _draw(rng, 6_000, 0.9, 0.2, common, 0.45, bridged=False, key_entries=200)],
                          ignore_index=True)
    undecided["draw_key"] += np.repeat(["a", "b"], 6_000)
    probability, parameters = employment_probabilities(bridged, undecided, bridged, replicates=4)
    assert abs(probability[:, 0].mean() - undecided["employed"].mean()) < 0.02
    assert set(parameters.loc[parameters["undecided_youth_years"] > 0, "name_commonness"]) == {"1", "101-300"}


def test_namesake_counts_above_the_cap_are_one_class():
    rng = np.random.default_rng(3)
    strangers = np.array([0.4, 0.2, 0.1, 0.1, 0.1, 0.1])
    bridged = _draw(rng, 5_000, 0.8, 0.0, strangers, 0.6, bridged=True)
    undecided = _draw(rng, 3_000, 0.9, 0.2, strangers, 0.6, bridged=False)
    assert undecided["namesakes"].max() > NAMESAKE_CAP
    probability, _ = employment_probabilities(bridged, undecided, bridged, replicates=2)
    assert abs(probability[:, 0].mean() - undecided["employed"].mean()) < 0.04


def test_wages_left_apart_are_those_under_the_youths_ssn_or_a_keystroke_from_it():
    """A youth's SSN-bearing record, and three DOL-only entries the index kept apart: one under the
    same SSN (a married surname), one with two neighbouring digits swapped, one a stranger's."""
    parts = pd.DataFrame([
        # p20_id, record_id, agency, FakeID, ssn, wage_part, dol_record, bridge, dol_only, name_key
        ("Pyouth", "r1", "DSS", "d1", "123456789", False, False, True, False, "SMITH A"),
        ("Pyouth", "r2", "SDE", "s1", None, False, False, False, False, "SMITH A"),
        ("Pmarried", "r3", "DOL", "w1", "123456789", True, True, True, True, "JONES A"),
        ("Pswapped", "r4", "DOL", "w2", "123457689", True, True, True, True, "SMITH A"),
        ("Pstranger", "r5", "DOL", "w3", "987654321", True, True, True, True, "SMITH A"),
    ], columns=["p20_id", "record_id", "agency", "FakeID", "ssn", "wage_part", "dol_record", "bridge", "dol_only",
                "name_key"])
    wage_years = pd.DataFrame({"FakeID": ["w1", "w1", "w2", "w3"], "year": [2019, 2020, 2022, 2021]})
    found = wages_left_apart(parts, wage_years).sort_values("year").reset_index(drop=True)
    assert found.to_dict("records") == [{"p20_id": "Pyouth", "year": 2019}, {"p20_id": "Pyouth", "year": 2020},
                                        {"p20_id": "Pyouth", "year": 2022}]


def test_every_ssn_one_keystroke_away_is_found_and_two_are_not():
    """Each digit changed and each pair of neighbours swapped (across the 3-digit groups' boundaries
    too) is one keystroke from the youth's SSN; two changed digits are not."""
    ssn = "123456789"
    near = {ssn[:i] + d + ssn[i + 1:] for i in range(9) for d in "0123456789"}
    near |= {ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2:] for i in range(8)}
    far = {"923456780", "213546789"}  # two digits changed; two swaps
    apart = sorted(near | far)
    parts = pd.DataFrame(
        [("Pyouth", "r0", "DSS", "d0", ssn, False, False, True, False, "SMITH A")]
        + [(f"P{i}", f"r{i + 1}", "DOL", f"w{i}", value, True, True, True, True, "SMITH A")
           for i, value in enumerate(apart)],
        columns=["p20_id", "record_id", "agency", "FakeID", "ssn", "wage_part", "dol_record", "bridge", "dol_only",
                 "name_key"])
    wage_years = pd.DataFrame({"FakeID": [f"w{i}" for i in range(len(apart))], "year": range(2000, 2000 + len(apart))})
    found = wages_left_apart(parts, wage_years)
    assert set(found["p20_id"]) == {"Pyouth"}
    assert {apart[year - 2000] for year in found["year"]} == near


def test_an_unknown_diploma_takes_the_share_of_youth_seen_doing_the_same():
    """Youth seen at work hold diplomas more often than youth seen doing nothing; one share for all put
    employed youth with an unknown diploma too low (and jobless ones too high)."""
    seen = pd.DataFrame({
        "report_year": 2020, "age": 23, "enrolled_k12": False, "presumed_in_school_elsewhere": False,
        "diploma_status": "known", "postsecondary": False, "training": False,
        "employed": [True] * 200 + [False] * 200,
        "has_diploma": [True] * 190 + [False] * 10 + [True] * 140 + [False] * 60})
    target = seen.head(2).assign(diploma_status="unknown", has_diploma=False, employed=[True, False])
    shares = diploma_probabilities(pd.concat([seen, target], ignore_index=True), target, replicates=200)
    assert shares["job"][0, 0] == pytest.approx(0.94, abs=0.01)  # 190 of 200, shrunk towards 330 of 400
    assert shares["none"][0, 0] == pytest.approx(0.71, abs=0.01)  # 140 of 200
    assert shares["job"][0, 1:].mean() == pytest.approx(shares["job"][0, 0], abs=0.01)
    assert shares["job"][0, 1:].std() > 0  # the replicates carry the share's uncertainty
    assert (activity(target) == np.array(["job", "none"])).all()
