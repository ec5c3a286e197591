"""The true population looks like Connecticut's: towns, ages, names that collide, twins, unique ids."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from p20_platform.synth.reference import SPD15, race_crosswalk, towns


def _persons(home: Path) -> pd.DataFrame:
    return pd.read_parquet(home / "truth" / "persons.parquet")


def test_reference_towns_and_crosswalk() -> None:
    table = towns()
    assert len(table) == 169 and table["town"].is_unique and table["town_code"].is_unique
    assert 3_400_000 < table["population"].sum() < 3_800_000
    assert table.nlargest(1, "population")["town"].item() == "Bridgeport"
    crosswalk = race_crosswalk()
    assert set(crosswalk["spd15_category"]) - {"", "Unknown", "Multiracial", "Nonresident"} == set(SPD15) - {
        "Middle Eastern or North African"}, "MENA is collected by no agency"


def test_identifiers_and_demographics(synth_home: Path) -> None:
    persons = _persons(synth_home)
    assert persons["person_id"].is_unique and persons["ssn"].is_unique
    assert persons["ssn"].str.fullmatch(r"(?!000|666|9)[0-9]{3}(?!00)[0-9]{2}(?!0000)[0-9]{4}").all()
    sasid = persons["sasid"].dropna()
    assert sasid.is_unique and sasid.str.fullmatch(r"[0-9]{10}").all()
    born = pd.to_datetime(persons["birth_date"])
    assert born.dt.year.between(1975, 2025).all() and born.dt.year.nunique() == 51
    assert set(persons["sex"]) == {"F", "M"}
    assert set(persons["race_spd15"]) <= set(SPD15)
    assert persons["race_spd15"].value_counts(normalize=True)["White"] > 0.5
    assert persons["town"].nunique() > 100
    top_towns = persons["town"].value_counts().index[:6]
    assert {"Bridgeport", "Hartford", "New Haven"} & set(top_towns)


def test_common_names_collide_and_compound_surnames_exist(synth_home: Path) -> None:
    persons = _persons(synth_home)
    same_name = persons.groupby(["first_name", "last_name"]).size()
    assert (same_name > 1).sum() >= 5, "common names must collide"
    hispanic = persons[persons["race_spd15"] == "Hispanic or Latino"]
    assert hispanic["last_name"].str.contains(" ").mean() > 0.1
    assert persons["last_name"].str.contains("-").any()


def test_twins_share_birth_date_surname_and_town(synth_home: Path) -> None:
    persons = _persons(synth_home)
    twins = persons.dropna(subset=["twin_id"]).groupby("twin_id")
    assert twins.ngroups >= 20 and (twins.size() == 2).all()
    for column in ("birth_date", "last_name", "town"):
        assert (twins[column].nunique() == 1).all(), column


def test_married_surnames_are_adult_women(synth_home: Path) -> None:
    persons = _persons(synth_home)
    married = persons.dropna(subset=["married_surname"])
    assert len(married) > 100 and (married["sex"] == "F").all()
    age = (pd.to_datetime(married["marriage_date"]) - pd.to_datetime(married["birth_date"])).dt.days / 365.25
    assert (age >= 22).all()
    assert (married["married_surname"] != married["last_name"]).all()
