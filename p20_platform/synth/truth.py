"""Ground truth recomputed from the noise-free analytical rows with the true person linkage.

Everything here uses only columns the agencies deliver, so a warehouse model can recompute
it from the files once records are linked, with one exception the data cannot show: the
schooling of youth never in a Connecticut public school (`enrolled_elsewhere`, and their real
`diploma`). The marts mark those rows (`status_rests_on_unknown_diploma`).

Disconnected-youth status per report year Y (2015–2025):
- age = completed years on June 30 of Y; in scope when 14 ≤ age ≤ 26 (only in-scope rows
  are kept in status.parquet).
- school year for Y = SDE rows with FallOfYear = Y−1. `enrolled_k12` = has such a row;
  `enrolled_hs` = its GradeLevelCode is 09–12.
- at-risk (only if enrolled_hs): `credits_off_track` = cumulative CreditsEarned over the
  student's SDE rows up to and including that year < 5 × (grade − 8); `chronically_absent`
  = (MembershipDays − AttendanceDays) / MembershipDays ≥ 0.10; `behaviour` = ISSCount +
  OSSCount + EXPCount ≥ 1. Credits only → at_risk_off_track; absence/behaviour without
  credits → at_risk_other; credits and (absence or behaviour) → at_risk_severe; none →
  connected. Enrolled in K-12 but not in grades 9–12 → connected.
- `enrolled_elsewhere`: in a private, home or out-of-state school that school year (youth
  never in a CT public school; no file shows it). Out of school = neither.
- out of school: `diploma` = the person's REAL high school diploma on or before June 30 of Y:
  the SDE GraduationDate for CT public students, otherwise a diploma from elsewhere that no
  file shows (and that the marts therefore cannot see). `diploma_status` is what the files
  show, as the marts compute it: 'diploma' (SDE GraduationDate by June 30 of Y), 'no_diploma'
  (in SDE, no such date) or 'unknown' (never in SDE: no Connecticut public school record);
  `employed` = a DOL UI_WAGE row with Year = Y and Wage > 0; `postsecondary` = a CSCU,
  UConn or CCIC term whose year is Y; `training` = an OWS programme or DOL apprenticeship
  active at any time in calendar Y; `incarcerated` = a DOC admission spell overlapping Y.
  disconnected_severe = out of school and (incarcerated or (no diploma and not employed));
  disconnected_moderate = out of school and ((no diploma and employed) or (diploma and not
  employed, not postsecondary, not training)); otherwise connected.

Crossover youth: child-welfare involvement = a DCF ALLEGATION with SUBSTANTIATION =
Substantiated or a PLACEMENT; first date = min(REPORT_RECEIVED of substantiated allegations,
PLACEMENT_START_DATE). Juvenile-justice involvement = a CSSD case; first date =
min(CaseStartDate). Both ⇒ crossover; pathway child_welfare_first if the first CW date is
more than 30 days before the first JJ date, juvenile_justice_first if the reverse, else
same_time; years_to_crossover = |difference in days| / 365.25.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from p20_platform.synth.timeline import age_on, dates, expand, year_of

if TYPE_CHECKING:
    from p20_platform.synth.histories import SchoolCareer

REPORT_YEARS = range(2015, 2026)
AGE_RANGE = (14, 26)
STATUSES = ("connected", "at_risk_off_track", "at_risk_other", "at_risk_severe",
            "disconnected_moderate", "disconnected_severe")
TERM_COLUMNS = {"CSCU": "TermCode", "UConn": "CTERM_TERM_CD", "CCIC": "AcademicTermDesignator"}
CROSSOVER_SAME_TIME_DAYS = 30


def _pairs(person: np.ndarray, year: np.ndarray) -> np.ndarray:
    """(person, year) packed into one integer, so membership tests are plain `np.isin`."""
    return np.asarray(person, dtype=np.int64) * 10_000 + np.asarray(year, dtype=np.int64)


def _spell_years(person: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(person, calendar year) for every year a spell touches; open spells run to 2025."""
    first = year_of(start.astype("datetime64[D]"))
    end = end.astype("datetime64[D]")
    last = np.where(np.isnat(end), REPORT_YEARS[-1], year_of(end))
    owner, k = expand(np.maximum(last - first + 1, 0))
    return _pairs(person[owner], first[owner] + k)


def _school_year_facts(sde: pd.DataFrame) -> pd.DataFrame:
    """One row per SDE student-year with grade, cumulative credits and the at-risk facts."""
    rows = sde[["person_index", "FallOfYear", "GradeLevelCode", "CreditsEarned", "AttendanceDays",
                "MembershipDays", "ISSCount", "OSSCount", "EXPCount"]].sort_values(["person_index", "FallOfYear"])
    cumulative = rows["CreditsEarned"].fillna(0).groupby(rows["person_index"]).cumsum()
    grade = pd.to_numeric(rows["GradeLevelCode"], errors="coerce")
    membership = rows["MembershipDays"].astype(float)
    return pd.DataFrame({
        "person_index": rows["person_index"].to_numpy(),
        "report_year": rows["FallOfYear"].to_numpy() + 1,
        "grade": rows["GradeLevelCode"].to_numpy(dtype=object),
        "enrolled_hs": grade.between(9, 12).to_numpy(),
        "credits_off_track": (cumulative < 5 * (grade - 8)).to_numpy(),
        "chronically_absent": ((membership - rows["AttendanceDays"]) / membership >= 0.10).to_numpy(),
        "behaviour": (rows[["ISSCount", "OSSCount", "EXPCount"]].sum(axis=1) >= 1).to_numpy(),
    })


def status(persons: pd.DataFrame, events: dict[str, pd.DataFrame], career: SchoolCareer) -> pd.DataFrame:
    """Truth status for every in-scope person-year (columns: see module docstring)."""
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    frames = []
    for year in REPORT_YEARS:
        age = age_on(birth, np.full(len(birth), dates(year, 6, 30)))
        scope = np.flatnonzero((age >= AGE_RANGE[0]) & (age <= AGE_RANGE[1]))
        frames.append(pd.DataFrame({"person_index": scope, "report_year": year, "age": age[scope]}))
    frame = pd.concat(frames, ignore_index=True)

    school = _school_year_facts(events["SDE"])
    frame = frame.merge(school, on=["person_index", "report_year"], how="left", validate="one_to_one")
    frame["enrolled_k12"] = frame["grade"].notna()
    for column in ("enrolled_hs", "credits_off_track", "chronically_absent", "behaviour"):
        frame[column] = frame[column].fillna(False).astype(bool) & frame["enrolled_hs"].fillna(False).astype(bool)

    person, year = frame["person_index"].to_numpy(), frame["report_year"].to_numpy()
    key = _pairs(person, year)
    june_30 = dates(year, 6, 30)
    frame["enrolled_elsewhere"] = ~career.public[person] & career.enrolled(person, year)
    real = career.diploma[person]
    frame["diploma"] = ~np.isnat(real) & (real <= june_30)
    graduation = events["SDE"].groupby("person_index")["GraduationDate"].min()
    graduated_on = graduation.reindex(person).to_numpy().astype("datetime64[D]")
    frame["diploma_status"] = np.select(
        [~np.isin(person, events["SDE"]["person_index"].unique()), ~np.isnat(graduated_on) & (graduated_on <= june_30)],
        ["unknown", "diploma"], default="no_diploma")

    wages = events["DOL:UI_WAGE"]
    paid = wages["Wage"].to_numpy() > 0
    frame["employed"] = np.isin(key, _pairs(wages["person_index"].to_numpy()[paid], wages["Year"].to_numpy()[paid]))
    terms = [_pairs(events[a]["person_index"].to_numpy(), events[a][c].str.slice(0, 4).astype(int).to_numpy())
             for a, c in TERM_COLUMNS.items()]
    frame["postsecondary"] = np.isin(key, np.concatenate(terms))
    ows = events["OWS"]
    apprentices = events["DOL:APPRENTICESHIP"]
    apprentice_end = apprentices["Apprentice_CompletedDate"].fillna(apprentices["Apprentice_TerminatedDate"])
    frame["training"] = np.isin(key, np.concatenate([
        _spell_years(ows["person_index"].to_numpy(), ows["ProgramStartDate"].to_numpy(), ows["ProgramExitDate"].to_numpy()),
        _spell_years(apprentices["person_index"].to_numpy(), apprentices["Apprentice_EnrolledDate"].to_numpy(),
                     apprentice_end.to_numpy())]))
    doc = events["DOC"]
    frame["incarcerated"] = np.isin(key, _spell_years(doc["person_index"].to_numpy(),
                                                  doc["LatestDOCAdmissionDate"].to_numpy(), doc["MovementDate"].to_numpy()))
    frame["status"] = _classify(frame)
    frame["person_id"] = persons["person_id"].to_numpy()[frame["person_index"]]
    return frame[["person_id", "report_year", "age", "enrolled_k12", "enrolled_elsewhere", "enrolled_hs", "grade",
                  "credits_off_track", "chronically_absent", "behaviour", "diploma", "diploma_status", "employed",
                  "postsecondary", "training", "incarcerated", "status"]]


def _classify(f: pd.DataFrame) -> np.ndarray:
    credits = f["credits_off_track"].to_numpy()
    other = (f["chronically_absent"] | f["behaviour"]).to_numpy()
    out_of_school = ~(f["enrolled_k12"] | f["enrolled_elsewhere"]).to_numpy()
    diploma, employed = f["diploma"].to_numpy(), f["employed"].to_numpy()
    busy = (f["postsecondary"] | f["training"]).to_numpy()
    severe = out_of_school & (f["incarcerated"].to_numpy() | (~diploma & ~employed))
    moderate = out_of_school & ~severe & ((~diploma & employed) | (diploma & ~employed & ~busy))
    return np.select(
        [severe, moderate, credits & other, credits, other],
        ["disconnected_severe", "disconnected_moderate", "at_risk_severe", "at_risk_off_track", "at_risk_other"],
        default="connected",
    )


def child_welfare_first_dates(dcf: pd.DataFrame) -> pd.Series:
    """First child-welfare date per person: substantiated allegation received or placement start."""
    counted = dcf[(dcf["SUBSTANTIATION"] == "Substantiated") | (dcf["RecordType"] == "PLACEMENT")]
    when = counted["REPORT_RECEIVED"].fillna(counted["PLACEMENT_START_DATE"])
    return when.groupby(counted["person_index"]).min()


def crossover(persons: pd.DataFrame, events: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per crossover youth with pathway and years between the two first contacts."""
    cw = child_welfare_first_dates(events["DCF"]).rename("first_child_welfare_date")
    jj = events["CSSD"].groupby("person_index")["CaseStartDate"].min().rename("first_juvenile_case_date")
    both = pd.concat([cw, jj], axis=1, join="inner").reset_index()
    days = (both["first_juvenile_case_date"] - both["first_child_welfare_date"]).dt.days.to_numpy()
    both["pathway"] = np.select([days > CROSSOVER_SAME_TIME_DAYS, days < -CROSSOVER_SAME_TIME_DAYS],
                                ["child_welfare_first", "juvenile_justice_first"], default="same_time")
    both["years_to_crossover"] = np.abs(days) / 365.25
    both["person_id"] = persons["person_id"].to_numpy()[both["person_index"]]
    return both[["person_id", "pathway", "first_child_welfare_date", "first_juvenile_case_date", "years_to_crossover"]]
