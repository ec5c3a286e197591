"""Determinism, truth that agrees with the files, and the calibration targets."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from p20_platform.registry import AGENCIES
from p20_platform.synth import generate


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)


def _digests(home: Path) -> dict[str, str]:
    files = sorted(p for p in home.rglob("*") if p.is_file())
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    homes = {name: tmp_path / name for name in ("a", "b", "c")}
    generate(persons=600, seed=1, out=homes["a"], progress=False)
    generate(persons=600, seed=1, out=homes["b"], progress=False)
    generate(persons=600, seed=2, out=homes["c"], progress=False)
    first, again, other = (_digests(h) for h in homes.values())
    assert first == again
    assert len(first) == 2 * len(AGENCIES) + 5  # 30 delivery files, 4 truth tables, README
    assert all(first[name] != other[name] for name in first if name.startswith("landing"))


def test_fake_ids_differ_per_delivery(tmp_path: Path) -> None:
    import datetime as dt

    result = generate(persons=300, seed=1, out=tmp_path, progress=False, delivery_date=dt.date(2026, 7, 1), request="042")
    assert all(".042.07_01_2026." in p.name for p in result.files)
    later = set(_read(next((tmp_path / "landing" / "SDE").glob("*.matching")))["FakeID"])
    assert "SDE" in result.describe() and "300 persons" in result.describe()
    earlier = tmp_path / "earlier"
    generate(persons=300, seed=1, out=earlier, progress=False)
    assert not later & set(_read(next((earlier / "landing" / "SDE").glob("*.matching")))["FakeID"])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    for kwargs in ({"persons": 0}, {"persons": 10, "request": "7"}, {"persons": 10, "seed": -1}):
        with pytest.raises(ValueError):
            generate(**({"seed": 1, "out": tmp_path, "progress": False} | kwargs))
    assert not (tmp_path / "landing").exists()


def test_truth_records_are_exactly_the_matching_records(synth_home: Path) -> None:
    records = pd.read_parquet(synth_home / "truth" / "records.parquet")
    persons = pd.read_parquet(synth_home / "truth" / "persons.parquet")
    assert set(records["person_id"]) <= set(persons["person_id"])
    for agency in AGENCIES:
        landing = synth_home / "landing" / agency.code
        matching = _read(next(landing.glob("*.matching")))
        analytical = _read(next(landing.glob("*.analytical")))
        mine = records[records["agency"] == agency.code]
        assert set(mine["file"]) == {next(landing.glob("*.matching")).name}
        assert sorted(mine["FakeID"]) == sorted(matching["FakeID"])
        assert set(analytical["FakeID"]) <= set(matching["FakeID"])
        # Each person appears once, or twice when flagged as a duplicate.
        assert (mine.groupby("person_id").size() == 1 + mine.groupby("person_id")["is_duplicate"].sum()).all()


def _linked(home: Path, agency: str) -> pd.DataFrame:
    records = pd.read_parquet(home / "truth" / "records.parquet", columns=["FakeID", "person_id", "agency"])
    rows = _read(next((home / "landing" / agency).glob("*.analytical")))
    return rows.merge(records[records["agency"] == agency], on="FakeID", validate="many_to_one")


def test_status_facts_recompute_from_the_files(synth_home: Path) -> None:
    """Employment, enrolment, diploma and incarceration, rebuilt from delivered rows via truth linkage."""
    status = pd.read_parquet(synth_home / "truth" / "status.parquet")
    assert status["age"].between(14, 26).all() and status["report_year"].between(2015, 2025).all()
    assert status.groupby(["person_id", "report_year"]).size().max() == 1

    wages = _linked(synth_home, "DOL")
    wages = wages[wages["RecordType"] == "UI_WAGE"]
    wages = wages[wages["Wage"].astype(float) > 0]
    employed = set(zip(wages["person_id"], wages["Year"].astype(int)))
    sde = _linked(synth_home, "SDE")
    enrolled = set(zip(sde["person_id"], sde["FallOfYear"].astype(int) + 1))
    hs = set(zip(sde.loc[sde["GradeLevelCode"].isin(["09", "10", "11", "12"]), "person_id"],
                 sde.loc[sde["GradeLevelCode"].isin(["09", "10", "11", "12"]), "FallOfYear"].astype(int) + 1))
    graduated = sde[sde["GraduationDate"] != ""].groupby("person_id")["GraduationDate"].min()
    doc = _linked(synth_home, "DOC")
    first = doc["LatestDOCAdmissionDate"].str.slice(0, 4).astype(int)
    last = doc["MovementDate"].str.slice(0, 4).replace("", "2025").astype(int)
    jailed = {(p, y) for p, a, b in zip(doc["person_id"], first, last) for y in range(a, b + 1)}

    keys = list(zip(status["person_id"], status["report_year"]))
    assert status["employed"].tolist() == [k in employed for k in keys]
    assert status["enrolled_k12"].tolist() == [k in enrolled for k in keys]
    assert status["enrolled_hs"].tolist() == [k in hs for k in keys]
    assert status["incarcerated"].tolist() == [k in jailed for k in keys]
    seen = set(sde["person_id"])
    shown = ["unknown" if p not in seen else "diploma" if p in graduated.index and graduated[p] <= f"{y}0630"
             else "no_diploma" for p, y in keys]
    assert status["diploma_status"].tolist() == shown
    # Where a Connecticut public school record exists it tells the real diploma; elsewhere only truth knows.
    in_sde = status["diploma_status"] != "unknown"
    assert (status.loc[in_sde, "diploma"] == (status.loc[in_sde, "diploma_status"] == "diploma")).all()
    assert not (status["enrolled_k12"] & status["enrolled_elsewhere"]).any()
    assert not status.loc[status["enrolled_elsewhere"], "status"].str.startswith("disconnected").any()
    assert set(status["status"]) <= {"connected", "at_risk_off_track", "at_risk_other", "at_risk_severe",
                                     "disconnected_moderate", "disconnected_severe"}
    assert not status.loc[~status["enrolled_hs"], "status"].str.startswith("at_risk").any()
    assert not status.loc[status["enrolled_k12"], "status"].str.startswith("disconnected").any()


def test_crossover_recomputes_from_the_files(synth_home: Path) -> None:
    crossover = pd.read_parquet(synth_home / "truth" / "crossover.parquet")
    dcf = _linked(synth_home, "DCF")
    counted = dcf[(dcf["SUBSTANTIATION"] == "Substantiated") | (dcf["RecordType"] == "PLACEMENT")]
    first_cw = (counted["REPORT_RECEIVED"].where(counted["RecordType"] == "ALLEGATION", counted["PLACEMENT_START_DATE"])
                .groupby(counted["person_id"]).min())
    first_jj = _linked(synth_home, "CSSD").groupby("person_id")["CaseStartDate"].min()
    both = sorted(set(first_cw.index) & set(first_jj.index))
    assert sorted(crossover["person_id"]) == both
    row = crossover.set_index("person_id").loc[both]
    assert (row["first_child_welfare_date"].dt.strftime("%Y%m%d") == first_cw[both]).all()
    assert (row["first_juvenile_case_date"].dt.strftime("%Y%m%d") == first_jj[both]).all()


# ---------------------------------------------------------------- calibration (30,000 persons)

@pytest.fixture(scope="module")
def calibration(calibration_home: Path) -> dict[str, pd.DataFrame]:
    truth = calibration_home / "truth"
    return {name: pd.read_parquet(truth / f"{name}.parquet") for name in ("status", "crossover", "persons")}


def test_about_one_in_five_youth_are_at_risk_or_disconnected(calibration) -> None:
    status = calibration["status"]
    by_year = status.assign(
        at_risk=status["status"].str.startswith("at_risk"),
        disconnected=status["status"].str.startswith("disconnected"),
    ).groupby("report_year")[["at_risk", "disconnected"]].mean()
    total = by_year.sum(axis=1)
    assert total.between(0.15, 0.25).all(), total
    assert abs(total.mean() - 0.19) < 0.02, total.mean()
    assert abs(by_year["disconnected"].mean() - 0.10) < 0.02
    assert abs(by_year["at_risk"].mean() - 0.09) < 0.02
    assert total.max() - total.min() < 0.07  # stable-ish across years


def test_most_disconnected_youth_seen_in_high_school_were_at_risk_first(calibration) -> None:
    status = calibration["status"]
    first_disconnected = status[status["status"].str.startswith("disconnected")].groupby("person_id")["report_year"].min()
    earlier = status.join(first_disconnected.rename("first"), on="person_id")
    earlier = earlier[earlier["report_year"] < earlier["first"]]
    seen_in_hs = earlier.groupby("person_id")["enrolled_hs"].any()
    was_at_risk = earlier.groupby("person_id")["status"].apply(lambda s: s.str.startswith("at_risk").any())
    share = was_at_risk[seen_in_hs[seen_in_hs].index].mean()
    assert len(seen_in_hs[seen_in_hs]) > 500
    assert abs(share - 0.83) < 0.05, share


def test_crossover_pathways_and_timing(calibration) -> None:
    persons = calibration["persons"].set_index("person_id")
    crossover = calibration["crossover"].join(persons[["birth_date", "sex"]], on="person_id")
    # Cohorts whose whole childhood lies inside the DCF and CSSD windows and is over by 2025.
    observed = crossover[crossover["birth_date"].between("1988-07-01", "2007-12-31")]
    shares = observed["pathway"].value_counts(normalize=True)
    years = observed.groupby("pathway")["years_to_crossover"].mean()
    assert len(observed) > 100
    assert abs(shares["child_welfare_first"] - 0.90) < 0.05, shares
    assert abs(shares["juvenile_justice_first"] - 0.09) < 0.045, shares
    assert abs(years["child_welfare_first"] - 8.0) < 1.0, years
    assert abs(years["juvenile_justice_first"] - 1.0) < 0.5, years
    assert (observed["sex"] == "M").mean() > 0.55


def test_about_eighteen_percent_of_child_welfare_youth_cross_over(calibration_home: Path, calibration) -> None:
    persons = calibration["persons"].set_index("person_id")
    dcf = _linked(calibration_home, "DCF")
    involved = dcf.loc[(dcf["SUBSTANTIATION"] == "Substantiated") | (dcf["RecordType"] == "PLACEMENT"), "person_id"].unique()
    cohort = persons.loc[involved]
    cohort = cohort[cohort["birth_date"].between("1988-07-01", "2007-12-31")]
    crossed = cohort.index.isin(calibration["crossover"]["person_id"])
    assert len(cohort) > 400
    assert abs(crossed.mean() - 0.18) < 0.04, crossed.mean()
    minority = cohort["race_spd15"].isin(["Black or African American", "Hispanic or Latino"]).to_numpy()
    assert crossed[minority].mean() > crossed[~minority].mean()
    assert np.mean(crossed[(cohort["sex"] == "M").to_numpy()]) > np.mean(crossed[(cohort["sex"] == "F").to_numpy()])


def test_a_tiny_population_still_delivers_every_file_with_its_header(tmp_path: Path) -> None:
    result = generate(persons=5, seed=3, out=tmp_path, progress=False)
    assert len(result.files) == 2 * len(AGENCIES)
    for agency in AGENCIES:
        header = next((tmp_path / "landing" / agency.code).glob("*.analytical")).read_text().split("\n")[0]
        assert tuple(header.split("\t")) == agency.analytical_columns
    assert pd.read_parquet(tmp_path / "truth" / "records.parquet")["person_id"].between(1, 5).all()
