"""Identifier noise is applied at the configured rates and recorded truthfully per record."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p20_platform.registry import AGENCY_BY_CODE
from p20_platform.synth import NoiseConfig
from p20_platform.synth.noise import _nickname_table, typo


def _within(hits: pd.Series, rate: float, label: str) -> None:
    """Observed share within four binomial standard errors (plus a little slack) of the setting."""
    n = len(hits)
    assert n >= 200, f"{label}: only {n} eligible records"
    tolerance = 4 * math.sqrt(rate * (1 - rate) / n) + 0.01
    assert abs(hits.mean() - rate) <= tolerance, f"{label}: {hits.mean():.3f} vs setting {rate} (n={n})"


@pytest.fixture(scope="module")
def noisy_records(noisy_home) -> pd.DataFrame:
    home, _ = noisy_home
    records = pd.read_parquet(home / "truth" / "records.parquet")
    persons = pd.read_parquet(home / "truth" / "persons.parquet")
    return records.merge(persons, on="person_id", validate="many_to_one")


def test_unconditional_noise_rates(noisy_records: pd.DataFrame, noisy_home) -> None:
    _, config = noisy_home
    first_hand = noisy_records[noisy_records["agency"] != "DOL"]  # DOL keeps only the first initial
    for noise in ("dob_placeholder", "ssn_invalid", "gender_unknown", "first_last_swap", "typo_first"):
        _within(first_hand[noise], config.rates[noise], noise)
    holders = noisy_records[noisy_records["agency"].map(lambda a: "DOB" in AGENCY_BY_CODE[a].matching_fields)]
    _within(holders["dob_digit_transposition"], config.rates["dob_digit_transposition"], "dob_digit_transposition")
    ssn_holders = noisy_records[noisy_records["agency"].map(lambda a: "SSN" in AGENCY_BY_CODE[a].matching_fields)]
    _within(ssn_holders["ssn_digit_transposition"], config.rates["ssn_digit_transposition"], "ssn_digit_transposition")


def test_per_agency_override_is_used(noisy_records: pd.DataFrame, noisy_home) -> None:
    _, config = noisy_home
    cceh = noisy_records[noisy_records["agency"] == "CCEH"]
    others = noisy_records[noisy_records["agency"] != "CCEH"]
    assert config.rate("CCEH", "typo_last") == 0.25
    assert cceh["typo_last"].mean() > 0.15
    _within(others["typo_last"], config.rates["typo_last"], "typo_last elsewhere")


def test_conditional_noise_rates_apply_to_eligible_records(noisy_records: pd.DataFrame, noisy_home) -> None:
    _, config = noisy_home
    used_surname = noisy_records["married_surname_y"].where(noisy_records["married_surname_x"],
                                                            noisy_records["last_name"])
    compound = used_surname.str.contains(r"[ -]")
    assert not noisy_records.loc[~compound, "compound_partial"].any()
    _within(noisy_records.loc[compound, "compound_partial"], config.rates["compound_partial"], "compound_partial")

    has_nickname = noisy_records["first_name"].str.lower().isin(set(_nickname_table()))
    assert not noisy_records.loc[~has_nickname, "nickname"].any()
    _within(noisy_records.loc[has_nickname, "nickname"], config.rates["nickname"], "nickname")

    born = pd.to_datetime(noisy_records["birth_date"])
    swappable = (born.dt.day <= 12) & (born.dt.day != born.dt.month)
    dob_agencies = noisy_records["agency"].map(lambda a: "DOB" in AGENCY_BY_CODE[a].matching_fields)
    assert not noisy_records.loc[~swappable, "dob_day_month_swap"].any()
    _within(noisy_records.loc[swappable & dob_agencies, "dob_day_month_swap"], config.rates["dob_day_month_swap"],
            "dob_day_month_swap")


def test_duplicates_and_fill_rates(noisy_records: pd.DataFrame, noisy_home) -> None:
    _, config = noisy_home
    originals = noisy_records[~noisy_records["is_duplicate"]]
    duplicated = noisy_records[noisy_records["is_duplicate"]]
    share = len(duplicated) / len(originals)
    assert abs(share - config.rates["duplicate"]) < 0.02
    assert duplicated.groupby(["agency", "person_id"]).size().max() == 1
    middle = noisy_records[noisy_records["middle_name"].notna() & noisy_records["agency"].isin(["SDE", "DSS", "CSCU"])]
    _within(middle["missing_MiddleName"], 1 - config.fill_rate("SDE", "MiddleName"), "missing_MiddleName")
    dcf = noisy_records[noisy_records["agency"] == "DCF"]
    _within(dcf["missing_SSN"], 1 - config.fill_rate("DCF", "SSN"), "missing_SSN at DCF")


def _delivered_with_truth(home: Path, agency: str) -> pd.DataFrame:
    """The agency's matching file joined to each record's truth and its person's true identifiers."""
    records = pd.read_parquet(home / "truth" / "records.parquet")
    persons = pd.read_parquet(home / "truth" / "persons.parquet")
    matching = pd.read_csv(next((home / "landing" / agency).glob("*.matching")), sep="\t", dtype=str,
                           keep_default_na=False)
    return matching.merge(records, on="FakeID").merge(persons, on="person_id")


def test_noisy_values_really_differ_in_the_files(noisy_home) -> None:
    """The flags describe the delivered values: a flagged SSN is not the true one, an unflagged one is."""
    joined = _delivered_with_truth(noisy_home[0], "DSS")
    changed = joined["SSN"] != joined["ssn"]
    noisy = joined["ssn_invalid"] | joined["ssn_digit_transposition"] | joined["ssn_borrowed"] | joined["missing_SSN"]
    assert (changed == noisy).mean() > 0.995  # an invalid draw can, very rarely, equal nothing else
    assert changed[joined["ssn_digit_transposition"] & ~joined["ssn_invalid"] & ~joined["missing_SSN"]].all()


def test_borrowed_ssns_are_another_persons_number_often_a_same_surname_relatives(noisy_home) -> None:
    """A borrowed SSN is another living person's true SSN, from someone of the same surname where the
    delivery has one."""
    home, config = noisy_home
    persons = pd.read_parquet(home / "truth" / "persons.parquet")
    joined = _delivered_with_truth(home, "DOL")
    borrowed = joined[joined["ssn_borrowed"] & (joined["SSN"] != "")]
    _within(joined["ssn_borrowed"], config.rate("DOL", "ssn_borrowed"), "ssn_borrowed")
    owners = persons.set_index("ssn")
    donors = owners.loc[borrowed["SSN"]]
    assert (donors["person_id"].to_numpy() != borrowed["person_id"].to_numpy()).all()
    same_surname = donors["last_name"].str.upper().to_numpy() == borrowed["last_name"].str.upper().to_numpy()
    assert same_surname.mean() > 0.25  # random donors would share a surname about 1% of the time


def test_default_config_is_modest_and_validated() -> None:
    config = NoiseConfig()
    assert all(0 <= config.rate(a, n) < 0.5 for a in AGENCY_BY_CODE for n in config.rates)
    assert config.fill_rate("DCF", "SSN") < config.fill_rate("DSS", "SSN")
    with pytest.raises(ValueError, match="unknown noise types"):
        NoiseConfig(rates={"typo": 0.1})
    none = NoiseConfig.none()
    assert none.rate("CCEH", "typo_last") == 0 and none.fill_rate("DCF", "SSN") == 1.0


def test_typo_changes_each_value_once() -> None:
    values = np.array(["Johnson", "Li", "Garcia Lopez", "B"] * 50, dtype=object)
    edited = typo(values, np.random.default_rng(0))
    lengths = np.array([len(v) for v in values]) - np.array([len(v) for v in edited])
    assert set(lengths) <= {-1, 0, 1}
    assert (edited != values).mean() > 0.9
    assert all(e[0] == v[0] for e, v in zip(edited, values) if len(v) > 1)
