"""`link_files` / `p20 link` on hand-made matching files in the real P20 WIN format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from p20_platform.cli import main
from p20_platform.linkage import link_files, read_matching_files


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def matching_files(tmp_path: Path) -> list[Path]:
    sde = _write(tmp_path / "SDE.000.01_15_2026.matching",
                 ["LastName", "MiddleName", "FirstName", "DOB", "Gender", "HighSchoolCode", "SASID", "FakeID"],
                 [["O'Brien-Smith", "", "José", "20050314", "M", "AB1234", "0012345678", "S1"],
                  ["Garcia", "Maria", "Ana", "20060203", "F", "", "0098765432", "S2"],
                  ["Nguyen", "", "Thu", "19000101", "U", "", "", "S3"]])
    dol = _write(tmp_path / "DOL.000.01_15_2026.matching", ["LastName", "FirstName", "SSN", "FakeID"],
                 [["OBRIEN SMITH", "J", "012-34-5678", "W1"], ["Garcia", "A", "000000000", "W2"]])
    doc = _write(tmp_path / "DOC.000.01_15_2026.matching", ["LastName", "FirstName", "DOB", "Gender", "SSN", "FakeID"],
                 [["Obrien Smith", "Jose", "20050314", "M", "012345678", "D1"],
                  ["Ana", "Garcia", "20060203", "F", "", "D2"]])   # first/last swapped by the sender
    # a one-off file with its own name and an unusual column order and subset
    other = _write(tmp_path / "shelter_list.txt", ["FakeID", "dob", "lastname", "firstname"],
                   [["X1", "2005-03-14", "obrien smith", "jose"]])
    return [sde, dol, doc, other]


def _persons(crosswalk: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r.file, r.FakeID): r.p20_id for r in crosswalk.itertuples()}


def test_reader_names_agency_from_conforming_file_names_and_keeps_text(matching_files):
    rows = read_matching_files(matching_files)
    assert set(rows["agency"]) == {"SDE", "DOL", "DOC", "shelter_list.txt"}
    assert rows.loc[rows["FakeID"] == "S1", "SASID"].item() == "0012345678"   # leading zeros kept
    assert rows.loc[rows["FakeID"] == "W1", "DOB"].isna().item()               # field the file lacks


def test_deterministic_links_across_agencies_through_any_shared_rule(matching_files):
    crosswalk = link_files(matching_files, strategy="deterministic")
    assert list(crosswalk.columns) == ["file", "FakeID", "p20_id"] and len(crosswalk) == 8
    person = _persons(crosswalk)
    jose = person[("SDE.000.01_15_2026.matching", "S1")]
    assert person[("DOC.000.01_15_2026.matching", "D1")] == jose         # names + DOB
    assert person[("DOL.000.01_15_2026.matching", "W1")] == jose         # SSN + last name, via DOC
    assert person[("shelter_list.txt", "X1")] == jose
    assert person[("DOC.000.01_15_2026.matching", "D2")] == person[("SDE.000.01_15_2026.matching", "S2")]
    assert person[("DOL.000.01_15_2026.matching", "W2")] != person[("SDE.000.01_15_2026.matching", "S2")]
    assert crosswalk["p20_id"].nunique() == 4


def test_cli_writes_the_crosswalk_csv(matching_files, tmp_path):
    out = tmp_path / "crosswalk.csv"
    assert main(["link", *map(str, matching_files), "--out", str(out), "--strategy", "deterministic"]) == 0
    written = pd.read_csv(out, dtype=str)
    assert len(written) == 8 and written["p20_id"].str.fullmatch(r"P[0-9a-f]{10}").all()


def test_bad_inputs_are_refused_with_a_clear_message(matching_files, tmp_path):
    analytical = _write(tmp_path / "SDE.000.01_15_2026.analytical", ["FakeID", "FallOfYear"], [["S1", "2020"]])
    with pytest.raises(ValueError, match="FallOfYear.*analytical"):
        link_files([analytical], strategy="deterministic")
    no_fake_id = _write(tmp_path / "x.matching", ["LastName", "DOB"], [["Smith", "20000101"]])
    with pytest.raises(ValueError, match="no FakeID column"):
        link_files([no_fake_id], strategy="deterministic")
    empty = tmp_path / "empty.matching"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        link_files([empty], strategy="deterministic")
    with pytest.raises(ValueError, match="unknown linkage strategy"):
        link_files(matching_files, strategy="magic")


def test_probabilistic_on_a_few_hand_made_files_uses_the_reference_model(matching_files):
    """Too few records to train on: the shipped reference model still links the obvious matches."""
    person = _persons(link_files(matching_files, strategy="probabilistic"))
    jose = person[("SDE.000.01_15_2026.matching", "S1")]
    assert person[("DOC.000.01_15_2026.matching", "D1")] == jose
    assert person[("DOL.000.01_15_2026.matching", "W1")] == jose
    assert person[("DOC.000.01_15_2026.matching", "D2")] == person[("SDE.000.01_15_2026.matching", "S2")]
    assert person[("SDE.000.01_15_2026.matching", "S3")] not in {jose, person[("SDE.000.01_15_2026.matching", "S2")]}


def test_training_finds_a_prior_when_only_one_file_has_dobs_and_holds_each_person_once():
    """An SSA-style file (one record a person, with DOB) against wage records (no DOB): the prior's
    DOB rules find no pair, a prior of 0 stopped every EM session ("too few candidate pairs" on
    26,000 records); the fallback rule (SSN and both names) gives the prior and training runs."""
    import numpy as np

    from p20_platform.linkage import probabilistic, splink_model

    rng = np.random.default_rng(3)
    first = np.array(["ANNA", "BRIAN", "CARLA", "DEREK", "ELENA", "FRANK", "GRACE", "HENRY", "IRENE", "JONAS"])
    last = np.array([f"SURNAME{i}" for i in range(150)])
    people = pd.DataFrame({"first_name": rng.choice(first, 1200), "last_name": rng.choice(last, 1200),
                           "dob": [f"19{rng.integers(50, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}"
                                   for _ in range(1200)],
                           "ssn": [f"{100 + i:03d}{rng.integers(10, 99)}{rng.integers(1000, 9999)}" for i in range(1200)]})
    ssa = people.assign(record_id=[f"SSA|{i}" for i in range(1200)], agency="SSA")
    wages = people.sample(900, random_state=1).assign(dob=None, agency="W2")
    wages = pd.concat([wages, wages.head(300)], ignore_index=True).assign(record_id=lambda t: [f"W2|{i}" for i in range(len(t))])
    records = pd.concat([ssa, wages], ignore_index=True).assign(middle_name=None, gender=None, sasid=None)
    assert len(records) >= probabilistic.MIN_TRAINING_RECORDS

    start = probabilistic._untrained_model()
    with probabilistic._linker(records, start) as (_, table):
        model = splink_model.train_model(probabilistic.PROBABILISTIC, table, len(records), start, lambda _: None,
                                         seed=1, u_max_pairs=2e4)
    assert 0 < model["probability_two_random_records_match"] < 0.01
