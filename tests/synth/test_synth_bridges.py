"""Wage bridges (records with SSN and DOB), unknown diplomas and persistent subgroup flags."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from p20_platform.settings import paths
from p20_platform.synth import generate
from p20_platform.synth.measure import bridged_persons, summary

FLAGS = ("EnglishLearnerStatus", "DisabilityStatus", "FreeReducedLunchFlag", "HomelessnessStatusFlag")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)


def _linked(home: Path, agency: str, content: str) -> pd.DataFrame:
    records = pd.read_parquet(home / "truth" / "records.parquet")
    rows = _read(next((home / "landing" / agency).glob(f"*.{content}")))
    return rows.merge(records[records["agency"] == agency], on="FakeID", validate="many_to_one")


def test_dol_matching_records_carry_a_dob_only_for_claimants_and_apprentices(synth_home: Path) -> None:
    matching = _linked(synth_home, "DOL", "matching")
    analytical = _linked(synth_home, "DOL", "analytical")
    with_dob_source = set(analytical.loc[analytical["RecordType"] != "UI_WAGE", "person_id"])
    holds = matching["person_id"].isin(with_dob_source)
    assert (matching.loc[~holds, "DOB"] == "").all(), "UI wage records hold no DOB"
    filled = matching.loc[holds & ~matching["missing_DOB"], "DOB"]
    assert len(filled) > 100 and (filled != "").all()
    assert set(analytical["RecordType"]) == {"UI_WAGE", "APPRENTICESHIP", "UI_CLAIM"}
    claims = analytical[analytical["RecordType"] == "UI_CLAIM"]
    wage_years = set(zip(analytical.loc[analytical["RecordType"] == "UI_WAGE", "person_id"],
                         analytical.loc[analytical["RecordType"] == "UI_WAGE", "Year"].astype(int)))
    claim_years = zip(claims["person_id"], claims["Claim_EffectiveDate"].str.slice(0, 4).astype(int))
    assert all(key in wage_years for key in claim_years), "a claim needs wages in its year"


def test_bridge_rate_raises_linkable_youth_and_changes_no_status(tmp_path: Path) -> None:
    homes = {rate: tmp_path / f"rate_{rate}" for rate in (1.0, 3.0)}
    for rate, home in homes.items():
        generate(persons=2_500, seed=5, out=home, progress=False, bridge_rate=rate)
    default, raised = (summary(paths(home)) for home in homes.values())
    share = "youth_aged_18_plus_with_ssn_dob_bridge_share"
    assert raised[share] > default[share] + 0.05
    statuses = [pd.read_parquet(home / "truth" / "status.parquet") for home in homes.values()]
    pd.testing.assert_frame_equal(*statuses)
    with pytest.raises(ValueError, match="bridge_rate"):
        generate(persons=10, seed=1, out=tmp_path / "bad", progress=False, bridge_rate=-1.0)


def test_bridges_reach_about_four_in_five_adult_youth(calibration_home: Path) -> None:
    """Default level: most youth aged 18+ have some record with SSN and DOB, not all (see data/README.md)."""
    figures = summary(paths(calibration_home))
    assert 0.70 < figures["youth_aged_18_plus_with_ssn_dob_bridge_share"] < 0.86, figures
    by_agency = figures["youth_aged_18_plus_bridge_share_by_agency"]
    assert {"DOL", "DSS", "OHE", "DOC", "DMHAS"} <= set(by_agency)
    bridges = bridged_persons(paths(calibration_home))
    sde_only = bridges.index.isin(_linked(calibration_home, "SDE", "matching")["person_id"])
    assert (bridges[sde_only] == "").any() and (bridges[sde_only] != "").any()


def test_youth_never_in_a_public_school_mostly_hold_a_diploma_from_elsewhere(calibration_home: Path) -> None:
    status = pd.read_parquet(calibration_home / "truth" / "status.parquet")
    unknown = status[status["diploma_status"] == "unknown"]
    grown = unknown[unknown["age"] >= 20]
    assert len(grown) > 300
    assert 0.75 < grown["diploma"].mean() < 0.97, grown["diploma"].mean()
    # They are disconnected at about the rate of everyone else their age, no longer all of them.
    others = status[(status["diploma_status"] != "unknown") & (status["age"] >= 20)]
    rate = lambda frame: frame["status"].str.startswith("disconnected").mean()  # noqa: E731
    assert rate(grown) < 2 * rate(others), (rate(grown), rate(others))
    assert unknown.loc[unknown["age"] <= 16, "enrolled_elsewhere"].mean() > 0.9


def test_subgroup_flags_are_persistent_traits_at_connecticut_rates(calibration_home: Path) -> None:
    sde = _linked(calibration_home, "SDE", "analytical")
    sde = sde[sde["GradeLevelCode"] != "PK"]
    flagged = sde[list(FLAGS)] == "1"
    yearly = flagged.groupby(sde["FallOfYear"]).mean()
    targets = {"DisabilityStatus": (0.13, 0.19), "EnglishLearnerStatus": (0.07, 0.12),
               "FreeReducedLunchFlag": (0.34, 0.46), "HomelessnessStatusFlag": (0.003, 0.02)}
    for flag, (low, high) in targets.items():
        assert yearly[flag].between(low, high).all(), (flag, yearly[flag].describe())
    ever = flagged.groupby(sde["person_id"]).any().mean()
    assert ever["DisabilityStatus"] < 0.3, ever  # a trait, not a fresh draw each year (was 0.71)
    ordered = sde.assign(disability=flagged["DisabilityStatus"]).sort_values(["person_id", "FallOfYear"])
    next_year = ordered.groupby("person_id")["disability"].shift(-1)
    stays = next_year[ordered["disability"] & next_year.notna()].astype(bool).mean()
    assert stays > 0.85, stays
