"""Life histories: what each agency records about each person, year by year.

Each function turns the population (and the histories it depends on) into one agency's
analytical rows: `person_index`, the agency's own columns (dates as datetime64[D]) and
`as_of`, the date of the contact (the identity an agency holds is the one on its latest
contact, e.g. a married surname). Demographic columns (race coding, gender, town) are added
at delivery from the person table.

Dependencies between agencies: poverty raises DCF, at-risk and homelessness risk; the
latent `risk` drives school trouble, dropout, justice contact and joblessness; child-welfare
involvement raises juvenile-justice risk (the crossover pathways are drawn explicitly so
their timing matches the published study); juvenile justice raises adult incarceration;
incarceration lowers employment.

Agency data windows (first delivered date; histories run to the end of 2025). Starts follow
each agency's data dictionary "Years Available", except where the brief needs more history:
  SDE    FallOfYear 2006 (dictionary: 2006-07 to present)
  CTECS  FallOfYear 2009 (2009 to 2022, carried to the present)
  DOL    UI wages 2010Q1–2025Q4 only (volume), UI claims in wage years; apprenticeships from
         2003 (dictionary: 2003-)
  DCF    1988-07-01: covers the childhood of everyone aged 14–26 in 2015–2025 (dictionary: 2015)
  CSSD   1998-07-01: from the 10th birthday of the oldest of them (dictionary: 2010)
  DOC    2000 (2000-current); CSCU, UConn 2009; CCIC 2005; OHE 2012; CCEH 2012; OEC 2017;
  DSS, OWS 2010 (blank dictionaries: the template's 2010); DMHAS 2010 (no years published).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from p20_platform.synth.reference import towns
from p20_platform.synth.truth import TERM_COLUMNS, child_welfare_first_dates
from p20_platform.synth.timeline import (
    LAST_DAY, age_on, at_age, dates, expand, sigmoid, uniform_dates, year_of, zero_padded,
)

WINDOW_START = {
    "SDE": np.datetime64("2006-07-01"), "CTECS": np.datetime64("2009-07-01"),
    "DOL": np.datetime64("2003-01-01"), "DCF": np.datetime64("1988-07-01"),
    "CSSD": np.datetime64("1998-07-01"), "DOC": np.datetime64("2000-01-01"),
    "CSCU": np.datetime64("2009-01-01"), "UConn": np.datetime64("2009-01-01"),
    "CCIC": np.datetime64("2005-01-01"), "OHE": np.datetime64("2012-01-01"),
    "CCEH": np.datetime64("2012-01-01"), "OEC": np.datetime64("2017-01-01"),
    "DSS": np.datetime64("2010-01-01"), "OWS": np.datetime64("2010-01-01"),
    "DMHAS": np.datetime64("2010-01-01"),
}
UI_WAGE_YEARS = range(2010, 2026)
LAST_FALL = 2024  # the 2025-26 school year is not complete at delivery

PUBLIC_SCHOOL_SHARE = 0.975  # the rest grew up elsewhere or in private school: no SDE diploma
CTECS_SHARE = 0.06
CROSSOVER_TARGET = {"child_welfare_first": 0.90, "juvenile_justice_first": 0.09, "same_time": 0.01}


@dataclass
class SchoolCareer:
    """Each person's real schooling, wherever it happened (arrays indexed by person)."""

    diploma: np.ndarray  # datetime64[D]: high school diploma, CT public or not (NaT: none by 2025)
    public: np.ndarray  # bool: went to a Connecticut public school
    first_fall: np.ndarray  # int: FallOfYear of kindergarten
    last_fall: np.ndarray  # int: FallOfYear of the last school year

    def enrolled(self, person: np.ndarray, report_year: np.ndarray) -> np.ndarray:
        """In school (any school) in the school year that ends in `report_year`."""
        fall = np.asarray(report_year) - 1
        return (self.first_fall[person] <= fall) & (fall <= self.last_fall[person])


@dataclass
class Histories:
    """Analytical rows per agency plus the person-level facts the identifiers need.

    `events` is keyed by agency code, or by "AGENCY:PART" where an agency's file mixes record
    types of very different shape (DOL wages and apprenticeships), so tens of millions of
    wage rows do not carry empty apprenticeship columns in memory.
    """

    events: dict[str, pd.DataFrame]
    sasid: np.ndarray  # object: 10-digit SASID or None
    high_school: np.ndarray  # object: 6-character HighSchoolCode or None
    career: SchoolCareer  # real school careers, public or not: truth needs what no file shows

    def parts(self, agency: str) -> dict[str, pd.DataFrame]:
        """All of one agency's row sets, in file order."""
        return {key: frame for key, frame in self.events.items() if key.split(":")[0] == agency}


def _frame(person_index: np.ndarray, as_of: np.ndarray, **columns) -> pd.DataFrame:
    frame = pd.DataFrame({"person_index": person_index, **columns})
    frame["as_of"] = as_of
    return frame


def _windowed(agency: str, frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    """Keep rows inside the agency's data window and up to the end of 2025."""
    d = frame[date_column].to_numpy().astype("datetime64[D]")
    return frame[(d >= WINDOW_START[agency]) & (d <= LAST_DAY)].reset_index(drop=True)


def _open_end(end: np.ndarray) -> np.ndarray:
    """End dates after 2025 are not known yet at delivery: the spell is still open."""
    return np.where(end <= LAST_DAY, end, np.datetime64("NaT"))


def _codes(rng: np.random.Generator, size: int, values, weights=None) -> np.ndarray:
    values = np.asarray(values, dtype=object)
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    return values[rng.choice(len(values), size=size, p=p)]


# ---------------------------------------------------------------- school (SDE, CTECS)

@dataclass
class Schooling:
    sde: pd.DataFrame
    ctecs: pd.DataFrame
    graduation: np.ndarray  # datetime64[D]: the SDE GraduationDate delivered (NaT if none in the window)
    diploma: np.ndarray  # datetime64[D]: when the person really finished high school (public or private)
    dropout: np.ndarray
    sasid: np.ndarray
    high_school: np.ndarray
    public: np.ndarray  # bool: went to a Connecticut public school (the rest: private, home or out of state)
    first_fall: np.ndarray  # int: FallOfYear of kindergarten
    last_fall: np.ndarray  # int: FallOfYear of the last school year, wherever the person went to school


def _high_schools(rng: np.random.Generator, persons: pd.DataFrame) -> np.ndarray:
    """A six-character HighSchoolCode: town code + '1' + school number (one per ~45,000 residents)."""
    population = towns()["population"].to_numpy()[persons["town_index"].to_numpy()]
    number = (rng.random(len(persons)) * np.maximum(1, population // 45_000)).astype(np.int64) + 1
    return persons["town_code"].to_numpy(dtype=object) + "1" + zero_padded(number, 2)


def schooling(rng: np.random.Generator, persons: pd.DataFrame) -> Schooling:
    """K-12 careers: one SDE row per student per school year, CTECS rows for its students."""
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    k_fall = year_of(birth) + 5  # Connecticut's January 1 kindergarten cut-off
    public = rng.random(n) < PUBLIC_SCHOOL_SHARE
    repeats = rng.random(n) < sigmoid(-3.0 + 0.9 * risk)
    repeat_grade = rng.integers(1, 10, size=n)
    # Youth schooled outside CT public schools drop out at the same risk-driven rate: their
    # diploma is real or missing, only no Connecticut record shows which.
    dropout = rng.random(n) < sigmoid(-3.8 + 1.35 * risk)
    last_grade = np.where(dropout, _codes(rng, n, [9, 10, 11, 12], [0.15, 0.3, 0.35, 0.2]).astype(np.int64), 12)
    has_prek = rng.random(n) < 0.15
    grad_day = rng.integers(10, 26, n)
    diploma = dates(k_fall + 13 + repeats, 6, grad_day)
    diploma = np.where(~dropout & (diploma <= LAST_DAY), diploma, np.datetime64("NaT"))
    rows = np.where(public, last_grade + 1 + repeats + has_prek, 0)

    p, t = expand(rows)
    t = t - has_prek[p]  # PK is year -1
    grade = t - (repeats[p] & (t > repeat_grade[p]))
    fall = k_fall[p] + t
    keep = (fall >= 2006) & (fall <= LAST_FALL)
    p, t, grade, fall = p[keep], t[keep], grade[keep], fall[keep]
    m = len(p)
    hs = grade >= 9
    row_risk = risk[p] + rng.normal(0, 0.6, m)
    covid = np.isin(fall, [2020, 2021])

    chronic = rng.random(m) < sigmoid(-2.0 + 0.95 * row_risk + 0.45 * covid + 0.3 * hs)
    membership = np.where(rng.random(m) < 0.12, rng.integers(60, 181, m), 180)
    absent_rate = np.where(chronic, rng.uniform(0.10, 0.35, m), rng.uniform(0.0, 0.095, m))
    absent = np.where(chronic, np.ceil(absent_rate * membership), np.floor(absent_rate * membership))
    attendance = (membership - absent).astype(np.int64)
    older = grade >= 6
    iss = rng.poisson(np.exp(-3.3 + 0.9 * row_risk) * np.where(older, 1.0, 0.3))
    oss = rng.poisson(np.exp(-3.8 + 0.9 * row_risk) * np.where(older, 1.0, 0.3))
    expelled = (rng.random(m) < sigmoid(-7.5 + 1.2 * row_risk)) & older
    last_row = t == (rows[p] - 1 - has_prek[p])
    credits = np.clip(rng.normal(6.6 - 1.6 * np.maximum(row_risk - 0.6, 0), 0.7), 0, 8)
    credits = np.where(dropout[p] & last_row, credits * 0.4, credits)
    credits = np.where(hs, np.round(credits * 2) / 2, np.nan)
    graduates_now = last_row & (grade == 12) & ~dropout[p]
    grad_date = np.where(graduates_now, dates(fall + 1, 6, grad_day[p]), np.datetime64("NaT"))

    high_school = _high_schools(rng, persons)
    in_ctecs = public & (rng.random(n) < CTECS_SHARE) & (risk < 1.2)
    ctecs_codes = np.array([f"91{k:04d}" for k in range(1, 18)], dtype=object)
    high_school = np.where(in_ctecs, ctecs_codes[rng.integers(0, 17, n)], high_school)
    school_code = np.where(hs, high_school[p],
                           persons["town_code"].to_numpy()[p] + np.where(grade >= 6, "2", "3") + "01")
    sde = _frame(
        p, dates(fall, 10, 1),
        FallOfYear=fall,
        ReportingDistrictCode=persons["town_code"].to_numpy()[p] + "0011",
        SchoolCode=school_code,
        GradeLevelCode=np.where(grade < 0, "PK", np.where(grade == 0, "K", zero_padded(grade, 2))),
        **_subgroup_flags(rng, persons, p, grade),
        AttendanceDays=attendance,
        MembershipDays=membership,
        CreditsEarned=credits,
        ISSCount=iss,
        OSSCount=oss,
        EXPCount=expelled.astype(np.int64),
        GraduationDate=grad_date,
    )
    graduation = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    graduation[p[graduates_now]] = grad_date[graduates_now]

    sasid = np.full(n, None, dtype=object)
    enrolled = np.unique(p)
    sasid[enrolled] = zero_padded(rng.choice(9_000_000_000, size=len(enrolled), replace=False), 10)
    ever_hs = np.zeros(n, bool)
    ever_hs[p[hs]] = True
    high_school = np.where(ever_hs, high_school, None)

    ctecs_rows = hs & in_ctecs[p] & (fall >= 2009)
    c = np.flatnonzero(ctecs_rows)
    programs = ["Automotive Technology", "Carpentry", "Culinary Arts", "Electrical", "Health Technology",
                "Information Technology", "Manufacturing Technology", "Plumbing and Heating", "Hairdressing"]
    earned_credential = (grade[c] == 12) & (rng.random(len(c)) < 0.5)
    ctecs = _frame(
        p[c], dates(fall[c], 10, 1),
        FallOfYear=fall[c],
        Enrollment_SchoolID=high_school[p[c]],
        Grade_Level=grade[c],
        Program=_codes(rng, len(c), programs),
        EarnedCrHrs=credits[c],
        Absences=membership[c] - attendance[c],
        Credential=np.where(earned_credential, _codes(rng, len(c), ["OSHA 10", "ServSafe", "ASE Entry", "CNA", "EPA 608"]), None),
        Credentialdate=np.where(earned_credential, dates(fall[c] + 1, 5, rng.integers(1, 29, len(c))), np.datetime64("NaT")),
    )
    return Schooling(sde, ctecs, graduation, diploma, dropout, sasid, high_school, public, k_fall,
                     k_fall + last_grade + repeats)


def _spell_in_grades(rng: np.random.Generator, ever: np.ndarray, entry_weights: dict[int, float],
                     stays: float, years: tuple[int, int], p: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """A person trait held over a run of grades: from an entry grade until an exit grade.

    `ever` marks who ever holds it; the entry grade is drawn from `entry_weights` (grade: weight,
    PK = -1); a share `stays` keep it to the end of school, the others hold it for a number of
    years uniform in `years`. Returns the flag for each student-year row (person `p`, `grade`).
    """
    n = len(ever)
    entry = _codes(rng, n, list(entry_weights), list(entry_weights.values())).astype(np.int64)
    length = np.where(rng.random(n) < stays, 99, rng.integers(years[0], years[1] + 1, n))
    return (ever[p] & (grade >= entry[p]) & (grade < entry[p] + length[p])).astype(np.int8)


def _subgroup_flags(rng: np.random.Generator, persons: pd.DataFrame, p: np.ndarray, grade: np.ndarray) -> dict:
    """SDE subgroup flags as persistent traits with entry and exit, not fresh draws each year.

    Targets (share of students flagged in a school year; see p20_platform/data/README.md):
    students with disabilities (IEP) ~16%, English learners ~9%, free/reduced-price meals ~40%,
    homeless (McKinney-Vento) ~1%.
    """
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    poverty = persons["poverty"].to_numpy()
    early = {-1: 2, 0: 6, 1: 5, 2: 4, 3: 4, 4: 3, 5: 2, 6: 2, 7: 1, 8: 1, 9: 1, 10: 0.5, 11: 0.3}
    disability = _spell_in_grades(rng, rng.random(n) < sigmoid(-1.28 + 0.5 * risk), early, 0.7, (2, 6), p, grade)
    language_minority = np.isin(persons["race"].to_numpy(), [1, 3, 4])  # Asian, Hispanic, MENA
    arrives = {-1: 3, 0: 10, 1: 2, 2: 1.5, 3: 1.5, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1.5, 10: 1, 11: 0.5}
    learner = _spell_in_grades(rng, rng.random(n) < np.where(language_minority, 0.6, 0.06), arrives, 0.15, (3, 8),
                               p, grade)
    near_poor = ~poverty & (rng.random(n) < 0.6)
    any_grade = {k: 1 for k in range(-1, 12)}
    spells = _spell_in_grades(rng, near_poor, any_grade, 0.4, (2, 8), p, grade)
    homeless = _spell_in_grades(rng, rng.random(n) < np.where(poverty, 0.25, 0.02), any_grade, 0.0, (1, 3), p, grade)
    return {
        "EnglishLearnerStatus": learner,
        "DisabilityStatus": disability,
        "FreeReducedLunchFlag": (poverty[p] | spells.astype(bool)).astype(np.int8),
        "HomelessnessStatusFlag": homeless,
    }


# ---------------------------------------------------------------- child welfare and juvenile justice

def child_welfare(rng: np.random.Generator, persons: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """DCF reports with allegations (some substantiated) and out-of-home placements.

    Returns the rows, each person's first child-welfare date (substantiated allegation or
    placement; NaT if none) and whether they were ever placed.
    """
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    involved = rng.random(n) < sigmoid(-3.0 + 1.1 * persons["poverty"].to_numpy() + 0.7 * risk)
    reports = np.where(involved, 1 + rng.poisson(0.8, n), 0)
    p, k = expand(reports)
    m = len(p)
    # First contact is often in infancy; later reports follow within a few years.
    first_age = np.where(rng.random(n) < 0.3, rng.uniform(0, 1.5, n), rng.uniform(0, 17.5, n))
    age = np.minimum(first_age[p] + np.where(k > 0, rng.uniform(0.2, 4.0, m) * k, 0), 17.9)
    received = at_age(birth[p], age)
    substantiated = (k == 0) & (rng.random(m) < 0.55) | (k > 0) & (rng.random(m) < 0.3)
    allegations = 1 + (rng.random(m) < 0.35)
    a, j = expand(allegations)
    report_id = rng.choice(90_000_000, size=m, replace=False) + 10_000_000
    allegation_rows = _frame(
        p[a], received[a],
        RecordType="ALLEGATION",
        REPORT_ID=report_id[a],
        REPORT_RECEIVED=received[a],
        ALLEGATION_ID=report_id[a] * 10 + j,
        AB_NEG_TYPE=_codes(rng, len(a), ["Physical Neglect", "Emotional Neglect", "Physical Abuse", "Sexual Abuse",
                                         "Emotional Abuse", "Medical Neglect", "Educational Neglect"],
                           [40, 15, 15, 6, 10, 6, 8]),
        SUBSTANTIATION=np.where(substantiated[a], "Substantiated", "Unsubstantiated"),
    )
    placed = substantiated & (rng.random(m) < 0.25 + 0.1 * (risk[p] > 1))
    q = np.flatnonzero(placed)
    start = received[q] + rng.integers(0, 45, len(q))
    end = start + np.round(rng.lognormal(np.log(330), 0.8, len(q))).astype(np.int64)
    end = np.minimum(end, at_age(birth[p[q]], 18.0))
    placement_rows = _frame(
        p[q], start,
        RecordType="PLACEMENT",
        EPISODE_ID=rng.choice(9_000_000, size=len(q), replace=False) + 1_000_000,
        PLACEMENT_START_DATE=start,
        PLACEMENT_END_DATE=_open_end(end),
        PLACEMENT_CATEGORY=_codes(rng, len(q), ["Foster Care", "Relative Care", "Congregate Care", "Independent Living"],
                                  [50, 30, 15, 5]),
    )
    rows = pd.concat([allegation_rows, placement_rows], ignore_index=True)
    rows = _windowed("DCF", rows, "as_of")
    first = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    by_person = child_welfare_first_dates(rows)
    first[by_person.index.to_numpy()] = by_person.to_numpy().astype("datetime64[D]")
    ever_placed = np.zeros(n, bool)
    ever_placed[rows.loc[rows["RecordType"] == "PLACEMENT", "person_index"].to_numpy()] = True
    return rows, first, ever_placed


def juvenile_justice(rng: np.random.Generator, persons: pd.DataFrame, first_cw: np.ndarray,
                     placed: np.ndarray) -> pd.DataFrame:
    """CSSD juvenile cases between the 10th and 18th birthdays.

    Youth with no child-welfare involvement get cases at a base rate. Among child-welfare
    youth, about 18% cross over (more often boys, Black and Hispanic youth, youth placed out
    of home), and the pathway (child welfare first, juvenile justice first, same time) is
    drawn at the study's shares with its timing: ~8 years from first child-welfare contact to
    first case, or ~1 year from first case to first substantiated allegation.
    """
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    male = persons["sex"].to_numpy() == "M"
    minority = np.isin(persons["race"].to_numpy(), [2, 3])
    has_cw = ~np.isnat(first_cw)
    cw_age = (first_cw - birth).astype(np.int64) / 365.25

    first_case_age = np.full(n, np.nan)
    plain = ~has_cw & (rng.random(n) < sigmoid(-4.3 + 0.8 * risk + 0.9 * male))
    first_case_age[plain] = 10 + 8 * rng.beta(3.0, 1.8, plain.sum())

    cross = has_cw & (rng.random(n) < sigmoid(-2.9 + 0.9 * male + 0.5 * minority + 0.8 * placed + 0.3 * risk))
    late = cross & (cw_age >= 10.5)
    share_late = late.sum() / max(cross.sum(), 1)
    u = rng.random(n)
    jj_first = late & (u < CROSSOVER_TARGET["juvenile_justice_first"] / max(share_late, 1e-9))
    same_time = late & ~jj_first & (u < (CROSSOVER_TARGET["juvenile_justice_first"] + CROSSOVER_TARGET["same_time"])
                                    / max(share_late, 1e-9))
    cw_first = cross & ~jj_first & ~same_time & (cw_age < 17.4)
    gap_back = np.clip(rng.gamma(2.0, 0.5, n), 0.1, None)
    first_case_age[jj_first] = np.maximum(cw_age - gap_back, 10.0)[jj_first]
    first_case_age[same_time] = (cw_age + rng.uniform(-0.07, 0.07, n))[same_time]
    low = np.maximum(10.0, cw_age + 0.15)
    first_case_age[cw_first] = np.clip(cw_age + rng.gamma(4.0, 2.0, n), low, 17.95)[cw_first]

    youth = np.flatnonzero(~np.isnan(first_case_age))
    cases = 1 + rng.poisson(0.5, len(youth))
    y, k = expand(cases)
    person = youth[y]
    age = first_case_age[person] + np.where(k > 0, rng.uniform(0.2, 1.5, len(y)) * k, 0)
    keep = age < 18
    person, age = person[keep], age[keep]
    start = at_age(birth[person], age)
    m = len(person)
    end = start + rng.integers(30, 540, m)
    statutes = ["53a-125b", "53a-61", "53a-117a", "53a-103", "53a-182", "21a-279", "53a-60", "53a-133", "46b-120"]
    rows = _frame(
        person, start,
        CaseType=_codes(rng, m, ["Delinquency", "FWSN", "YIC"], [80, 12, 8]),
        CaseStartDate=start,
        CaseEndDate=_open_end(end),
        MostSeriousStatuteNum=_codes(rng, m, statutes),
        MostSeriousDisposition=np.where(end > LAST_DAY, "Pending", _codes(
            rng, m, ["Nolle", "Dismissed", "Probation", "Committed", "Non-Judicial"], [15, 15, 35, 5, 30])),
        DetentionStatus=(rng.random(m) < 0.15).astype(np.int8),
        CourtCode=_codes(rng, m, ["JM01", "JM02", "JM03", "JM04", "JM05", "JM06", "JM07", "JM08", "JM09",
                                  "JM10", "JM11", "JM12"]),
    )
    return _windowed("CSSD", rows, "CaseStartDate")


# ---------------------------------------------------------------- early care, college, aid

def early_care(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """OEC: Care 4 Kids subsidies and home visiting for poor families, pre-K at 3–4."""
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    poverty = persons["poverty"].to_numpy()
    frames = []
    for record_type, chosen, start_age, length_days in (
        ("CARE4KIDS", poverty & (rng.random(n) < 0.5), rng.uniform(0.2, 4.5, n), rng.integers(120, 900, n)),
        ("HOMEVISITING", poverty & (rng.random(n) < 0.15), rng.uniform(0.0, 0.5, n), rng.integers(180, 720, n)),
        ("PREK", rng.random(n) < 0.35, np.full(n, 3.7), rng.integers(250, 290, n)),
    ):
        i = np.flatnonzero(chosen)
        start = at_age(birth[i], start_age[i])
        end = start + length_days[i]
        frames.append(_frame(i, start, RecordType=record_type, EnrollmentStartDate=start, EnrollmentEndDate=_open_end(end)))
    rows = pd.concat(frames, ignore_index=True)
    rows = _windowed("OEC", rows, "EnrollmentStartDate")
    m = len(rows)
    rows["EnrollmentId"] = rng.choice(90_000_000, size=m, replace=False) + 10_000_000
    rows["FacilityCode"] = "F" + persons["town_code"].to_numpy(dtype=object)[rows["person_index"]] + zero_padded(
        rng.integers(1, 60, m), 4)
    return rows


@dataclass
class College:
    terms: dict[str, pd.DataFrame]  # CSCU, UConn, CCIC
    aid: pd.DataFrame  # OHE


def college(rng: np.random.Generator, persons: pd.DataFrame, school: Schooling) -> College:
    """Fall and spring terms at CSCU, UConn or a CCIC college, degrees, and OHE aid."""
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    graduated = ~np.isnat(school.diploma)
    finished = year_of(school.diploma)
    goes = graduated & (rng.random(n) < sigmoid(0.7 - 1.0 * risk))
    start_fall = finished + np.where(rng.random(n) < 0.8, 0, rng.integers(1, 4, n))
    sector = _codes(rng, n, ["CSCU", "UConn", "CCIC"], [50, 20, 30])
    sector = np.where((sector == "UConn") & (risk > 0.8), "CSCU", sector)
    years = np.where(sector == "CSCU", rng.integers(1, 5, n), rng.integers(2, 6, n))
    degree = rng.random(n) < np.where(sector == "CSCU", 0.45, 0.75)
    people = np.flatnonzero(goes & (start_fall <= 2025))
    y, k = expand(years[people])
    person = people[y]
    academic_year = start_fall[person] + k
    t, season = expand(np.full(len(person), 2))  # FA then SP
    person, academic_year = person[t], academic_year[t]
    term_year = academic_year + season
    term = np.where(season == 0, "FA", "SP")
    last_term = (k[t] == years[person] - 1) & (season == 1)
    graduation = np.where(last_term & degree[person], dates(term_year, 5, 20), np.datetime64("NaT"))
    keep = term_year * 10 + season <= 20250  # 2025FA is the last term delivered
    person, term_year, term, academic_year, graduation, season = (
        v[keep] for v in (person, term_year, term, academic_year, graduation, season))
    term_code = np.char.add(term_year.astype(str), term.astype(str))
    term_start = dates(term_year, np.where(season == 0, 9, 1), 1)
    full_time = rng.random(n) < sigmoid(1.0 - 0.8 * risk)
    degree_codes = {"CSCU": ["AA", "AS", "BA", "BS"], "UConn": ["BA", "BS", "BSN"], "CCIC": ["BA", "BS", "BFA"]}
    institutions = {"CSCU": ["CTST", "CCSU", "SCSU", "ECSU", "WCSU"], "UConn": ["Storrs", "Hartford", "Stamford", "Waterbury"],
                    "CCIC": ["Yale University", "Wesleyan University", "Fairfield University", "Quinnipiac University",
                             "University of Hartford", "Sacred Heart University", "Trinity College"]}
    school_of = {s: rng.integers(0, len(v), n) for s, v in institutions.items()}
    terms = {}
    for s in ("CSCU", "UConn", "CCIC"):
        i = np.flatnonzero(sector[person] == s)
        who = person[i]
        names = np.asarray(institutions[s], dtype=object)[school_of[s][who]]
        grad = graduation[i]
        awarded = ~np.isnat(grad)
        degree_code = np.where(awarded, _codes(rng, len(i), degree_codes[s]), None)
        ft = full_time[who]
        common = dict(person_index=who, as_of=term_start[i])
        if s == "CSCU":
            cols = dict(InstitutionCode=names, TermCode=term_code[i], EnrollmentStatus=np.where(ft, "FT", "PT"),
                        DegreeCode=degree_code, GraduationDate=grad)
        elif s == "UConn":
            cols = dict(CTERM_TERM_CD=term_code[i], Campus=names, FullPart=np.where(ft, "F", "P"),
                        DegreeCode=degree_code, GraduationDate=grad)
        else:
            cols = dict(Institution=names, AcademicTermDesignator=term_code[i],
                        PartTimeFullTimeStatus=np.where(ft, "FT", "PT"), DegreeAwarded1=degree_code, DegreeDate1=grad)
        frame = _frame(common["person_index"], common["as_of"], **cols)
        terms[s] = _windowed(s, frame, "as_of")
    aid = _aid(rng, persons, person, academic_year, season, sector, full_time)
    return College(terms, aid)


def _aid(rng, persons, person, academic_year, season, sector, full_time) -> pd.DataFrame:
    """OHE: one award row per aided student per academic year (fall terms only)."""
    fall = season == 0
    poverty = persons["poverty"].to_numpy()[person[fall]]
    aided = rng.random(fall.sum()) < np.where(poverty, 0.7, 0.2)
    who = person[fall][aided]
    year = academic_year[fall][aided]
    pov = persons["poverty"].to_numpy()[who]
    m = len(who)
    school_codes = {"CSCU": "001378", "UConn": "001417", "CCIC": "001426"}
    frame = _frame(
        who, dates(year, 8, 1),
        AcademicYear=year,
        FederalSchoolCode=pd.Series(sector[who]).map(school_codes).to_numpy(),
        EnrollmentStatusFall=np.where(full_time[who], "FT", "PT"),
        FAFSAFiled="Y",
        PellGrantAward=np.where(pov, np.round(rng.uniform(1500, 7395, m), 0), 0.0),
        RobertaWillisNeedBasedAward=np.where(pov & (rng.random(m) < 0.6), np.round(rng.uniform(500, 4500, m), 0), 0.0),
    )
    return _windowed("OHE", frame, "as_of")


# ---------------------------------------------------------------- adults: prison, work, services

def incarceration(rng: np.random.Generator, persons: pd.DataFrame, juvenile: pd.DataFrame,
                  school: Schooling) -> pd.DataFrame:
    """DOC admissions from age 18: juvenile justice, dropout and risk raise the chance."""
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    had_case = np.zeros(n, bool)
    had_case[juvenile["person_index"].to_numpy()] = True
    male = persons["sex"].to_numpy() == "M"
    ever = rng.random(n) < sigmoid(-5.6 + 0.9 * risk + 1.4 * had_case + 0.8 * school.dropout + 1.6 * male)
    people = np.flatnonzero(ever)
    spells = 1 + np.minimum(rng.poisson(0.6, len(people)), 2)
    s, k = expand(spells)
    person = people[s]
    m = len(person)
    first_age = 18 + rng.gamma(1.6, 3.5, len(people))
    age = first_age[s] + _within_cumsum(np.where(k > 0, rng.uniform(1.0, 4.0, m), 0.0), k)
    admitted = at_age(birth[person], age)
    stay = np.round(rng.lognormal(np.log(180), 1.0, m)).astype(np.int64) + 1
    released = admitted + stay
    sentenced = rng.random(m) < 0.7
    rows = _frame(
        person, admitted,
        LatestDOCAdmissionDate=admitted,
        MovementDate=_open_end(released),
        LastMovementCode=np.where(released > LAST_DAY, "ADMITTED", _codes(rng, m, ["RELEASED", "PAROLED"], [70, 30])),
        Facility=_codes(rng, m, ["HARTFORD CC", "NEW HAVEN CC", "BRIDGEPORT CC", "CORRIGAN CI", "MACDOUGALL CI",
                                 "OSBORN CI", "YORK CI", "MANSON YI", "CHESHIRE CI"]),
        LegalStatus=np.where(sentenced, "S", _codes(rng, m, ["U", "A"], [85, 15])),
        Offense=rng.integers(1000, 9999, m),
        MaximumSentLength=np.where(sentenced, stay + rng.integers(0, 720, m), 0),
    )
    return _windowed("DOC", rows, "LatestDOCAdmissionDate")


def _within_cumsum(values: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting wherever `ordinal` is 0 (rows grouped per owner, in order)."""
    total = np.cumsum(values)
    group_start = np.maximum.accumulate(np.where(ordinal == 0, np.arange(len(values)), 0))
    return total - total[group_start] + values[group_start]


def _years_covered(frame: pd.DataFrame, start: str, end: str, n: int, years: range) -> np.ndarray:
    """Boolean (person × year) matrix: a spell from `start` to `end` (open = still going) overlaps the year."""
    out = np.zeros((n, len(years)), bool)
    if frame.empty:
        return out
    first = year_of(frame[start].to_numpy().astype("datetime64[D]"))
    last_date = frame[end].to_numpy().astype("datetime64[D]")
    last = np.where(np.isnat(last_date), years[-1], year_of(last_date))
    person = frame["person_index"].to_numpy()
    for column, year in enumerate(years):
        covers = (first <= year) & (last >= year)
        out[person[covers], column] = True
    return out


def apprenticeships(rng: np.random.Generator, persons: pd.DataFrame, school: Schooling) -> pd.DataFrame:
    """DOL registered apprenticeships, mostly young men with a diploma."""
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    male = persons["sex"].to_numpy() == "M"
    chosen = rng.random(n) < np.where(male, 0.03, 0.005) * np.where(np.isnat(school.diploma), 0.4, 1.0)
    i = np.flatnonzero(chosen)
    enrolled = at_age(birth[i], rng.uniform(18, 29, len(i)))
    outcome = rng.random(len(i))
    completed = np.where(outcome < 0.5, enrolled + rng.integers(3 * 365, 4 * 365, len(i)), np.datetime64("NaT"))
    terminated = np.where((outcome >= 0.5) & (outcome < 0.8), enrolled + rng.integers(90, 700, len(i)),
                          np.datetime64("NaT"))
    rows = _frame(
        i, enrolled,
        RecordType="APPRENTICESHIP",
        Apprentice_Trade=_codes(rng, len(i), [101, 102, 205, 310, 412, 520, 611]).astype(np.int64),
        Apprentice_EnrolledDate=enrolled,
        Apprentice_CompletedDate=_open_end(completed.astype("datetime64[D]")),
        Apprentice_TerminatedDate=_open_end(terminated.astype("datetime64[D]")),
    )
    return _windowed("DOL", rows, "Apprentice_EnrolledDate")


def training(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """OWS workforce training for adults, more often for those with higher risk."""
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    chosen = rng.random(n) < sigmoid(-3.6 + 0.5 * persons["risk"].to_numpy(np.float64))
    i = np.flatnonzero(chosen)
    start = at_age(birth[i], rng.uniform(18, 40, len(i)))
    exit_date = start + rng.integers(30, 270, len(i))
    credential = rng.random(len(i)) < 0.55
    rows = _frame(
        i, start,
        ProgramName=_codes(rng, len(i), ["Manufacturing Pipeline Initiative", "CNA Training", "CDL Class A",
                                         "IT Help Desk Bootcamp", "Pre-Apprenticeship Construction", "Adult Education GED",
                                         "Customer Service Academy"]),
        ProgramStartDate=start,
        ProgramExitDate=_open_end(exit_date),
        CredentialEarned=np.where(credential, "Y", "N"),
        CredentialType=np.where(credential, _codes(rng, len(i), ["Industry-recognized", "Certificate", "License"]), None),
    )
    return _windowed("OWS", rows, "ProgramStartDate")


NAICS = ["722513", "445110", "452319", "622110", "611110", "524113", "336411", "236118", "541511",
         "561320", "623110", "493110", "621111", "921190", "812112", "531110"]
NAICS_WEIGHTS = [12, 10, 8, 9, 8, 5, 4, 5, 5, 7, 6, 5, 6, 4, 3, 3]


def wages(rng: np.random.Generator, persons: pd.DataFrame, school: Schooling, college_terms: dict[str, pd.DataFrame],
          prison: pd.DataFrame) -> pd.DataFrame:
    """DOL UI quarterly wages, 2010Q1–2025Q4, from age 16.

    Employment depends on age, schooling (in school, in college, diploma or not), risk and
    incarceration (a year behind bars mostly means no covered wages).
    """
    n = len(persons)
    risk = persons["risk"].to_numpy(np.float64)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    years = UI_WAGE_YEARS
    in_college = np.zeros((n, len(years)), bool)
    for sector, term_column in TERM_COLUMNS.items():
        terms = college_terms[sector]
        term_year = terms[term_column].str.slice(0, 4).astype(int).to_numpy()
        ok = (term_year >= years[0]) & (term_year <= years[-1])
        in_college[terms["person_index"].to_numpy()[ok], term_year[ok] - years[0]] = True
    locked_up = _years_covered(prison, "LatestDOCAdmissionDate", "MovementDate", n, years)
    last_fall = school.sde.groupby("person_index")["FallOfYear"].max()
    last_k12 = np.full(n, -1)
    last_k12[last_fall.index.to_numpy()] = last_fall.to_numpy()
    industry_weights = np.asarray(NAICS_WEIGHTS, float) / np.sum(NAICS_WEIGHTS)
    frames = []
    for column, year in enumerate(years):
        age = age_on(birth, np.full(n, dates(year, 6, 30)))
        working_age = (age >= 16) & (age <= 50)
        in_school = last_k12 >= year - 1
        diploma = school.diploma <= dates(year, 6, 30)
        p = np.select(
            [in_school, in_college[:, column], age >= 27, diploma],
            [np.full(n, 0.35), np.full(n, 0.72), sigmoid(2.4 - 0.6 * risk), sigmoid(3.4 - 1.3 * risk)],
            default=sigmoid(1.3 - 0.6 * risk),
        )
        p = np.where(locked_up[:, column], p * 0.3, p)
        employed = working_age & (rng.random(n) < p)
        who = np.flatnonzero(employed)
        quarters = rng.random((len(who), 4)) < 0.82
        quarters[np.arange(len(who)), rng.integers(0, 4, len(who))] = True
        w, q = np.nonzero(quarters)
        person = who[w]
        annual = 9000 * np.exp(np.clip(age[person] - 16, 0, 14) * 0.11) * np.exp(-0.15 * risk[person])
        wage = np.round(annual / 4 * rng.lognormal(0, 0.35, len(person)), 2)
        industry = rng.choice(len(NAICS), size=len(who), p=industry_weights)[w]
        frames.append(_frame(person, dates(year, q * 3 + 1, 15),
                             RecordType=pd.Categorical.from_codes(np.zeros(len(person), np.int8), ["UI_WAGE"]),
                             Year=np.full(len(person), year, dtype=np.int16), Quarter=(q + 1).astype(np.int8),
                             Wage=wage, NAICS_Code=pd.Categorical.from_codes(industry, NAICS)))
    return pd.concat(frames, ignore_index=True)  # equal categories stay categorical: tens of millions of rows


# Yearly chance that a person with UI-covered wages in a year files an unemployment-insurance
# claim that year, by age; recession and pandemic years multiply it (see p20_platform/data/README.md).
UI_CLAIM_RATE = {"under_25": 0.03, "25_and_over": 0.06}
UI_CLAIM_YEAR_FACTOR = {2010: 1.5, 2011: 1.3, 2020: 4.0, 2021: 1.8}


def ui_claims(rng: np.random.Generator, persons: pd.DataFrame, wage_rows: pd.DataFrame,
              bridge_rate: float = 1.0) -> pd.DataFrame:
    """DOL unemployment-insurance claims: a claim needs wages in the year it is filed.

    Claim records carry the claimant's date of birth (DOL verifies identity on it), so they are
    one of the bridges that give a wage SSN a name and DOB. `bridge_rate` multiplies the yearly
    claim rate (capped at 0.9): the synthetic population's knob for how much of the wage file
    can be linked. Claims change no one's employment or status.
    """
    key = np.unique(wage_rows["person_index"].to_numpy(np.int64) * 10_000 + wage_rows["Year"].to_numpy(np.int64))
    person, year = key // 10_000, key % 10_000
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")[person]
    age = age_on(birth, dates(year, 6, 30))
    rate = np.where(age < 25, UI_CLAIM_RATE["under_25"], UI_CLAIM_RATE["25_and_over"])
    rate = rate * pd.Series(year).map(UI_CLAIM_YEAR_FACTOR).fillna(1.0).to_numpy()
    rate = rate * np.exp(0.2 * persons["risk"].to_numpy(np.float64)[person])
    claimed = rng.random(len(key)) < np.minimum(rate * bridge_rate, 0.9)
    effective = uniform_dates(rng, dates(year[claimed], 1, 1), dates(year[claimed], 12, 31))
    rows = _frame(person[claimed], effective, RecordType="UI_CLAIM", Claim_EffectiveDate=effective)
    return _windowed("DOL", rows, "Claim_EffectiveDate")


def _spells(rng: np.random.Generator, who: np.ndarray, counts: np.ndarray, low: np.ndarray, high: np.ndarray,
            mean_days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spells for each chosen person: (person index, start, end), starts uniform in [low, high]."""
    s, _ = expand(counts)
    person = who[s]
    start = uniform_dates(rng, low[s], high[s])
    end = start + np.round(rng.exponential(mean_days, len(s))).astype(np.int64) + 28
    return person, start, end


def benefits(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """DSS SNAP, TANF and Medicaid spells, concentrated in poor households."""
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    poverty = persons["poverty"].to_numpy()
    counts = rng.poisson(np.where(poverty, 2.2, 0.25) * np.exp(0.2 * persons["risk"].to_numpy(np.float64)))
    who = np.flatnonzero(counts)
    low = np.maximum(birth[who], WINDOW_START["DSS"])
    person, start, end = _spells(rng, who, counts[who], low, np.full(len(who), LAST_DAY), 600)
    m = len(person)
    rows = _frame(
        person, start,
        Program=_codes(rng, m, ["MEDICAID", "SNAP", "TANF"], [55, 35, 10]),
        EligibilityBeginDate=start,
        EligibilityEndDate=_open_end(end),
        HouseholdSize=1 + rng.poisson(2.0, m),
    )
    return _windowed("DSS", rows, "EligibilityBeginDate")


def behavioral_health(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """DMHAS mental health and substance use episodes for adults."""
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    counts = np.where(rng.random(n) < sigmoid(-3.4 + 0.8 * persons["risk"].to_numpy(np.float64)),
                      1 + rng.poisson(0.7, n), 0)
    who = np.flatnonzero(counts)
    low = np.maximum(at_age(birth[who], 18), WINDOW_START["DMHAS"])
    person, start, end = _spells(rng, who, counts[who], low, np.full(len(who), LAST_DAY), 150)
    m = len(person)
    rows = _frame(
        person, start,
        ProviderID=rng.integers(100, 999, m),
        ServiceType=_codes(rng, m, ["MH", "SUD"], [55, 45]),
        AdmissionDate=start,
        DischargeDate=_open_end(end),
        DischargeReason=np.where(end <= LAST_DAY, _codes(rng, m, [1, 2, 3, 4, 5, 9], [40, 20, 15, 10, 10, 5]), None),
        EmploymentStatus=_codes(rng, m, [1, 2, 3, 4, 9], [30, 35, 20, 10, 5]),
    )
    return _windowed("DMHAS", rows, "AdmissionDate")


def homelessness(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    """CCEH HMIS enrolments: families with children and young adults, driven by poverty and risk."""
    n = len(persons)
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    chance = sigmoid(-5.0 + 1.4 * persons["poverty"].to_numpy() + 0.7 * persons["risk"].to_numpy(np.float64))
    counts = np.where(rng.random(n) < chance, 1 + rng.poisson(0.6, n), 0)
    who = np.flatnonzero(counts)
    low = np.maximum(birth[who], WINDOW_START["CCEH"])
    person, start, end = _spells(rng, who, counts[who], low, np.full(len(who), LAST_DAY), 90)
    m = len(person)
    child = age_on(birth[person], start) < 18
    rows = _frame(
        person, start,
        ProjectType=_codes(rng, m, ["0", "1", "2", "3", "4", "13"], [15, 30, 15, 10, 10, 20]),
        ProjectStartDate=start,
        ProjectExitDate=_open_end(end),
        ExitDestination=np.where(end <= LAST_DAY, _codes(rng, m, [101, 116, 204, 215, 302, 410, 435], None), None),
        RelationshipToHoH=np.where(child, 2, np.where(rng.random(m) < 0.8, 1, 3)),
        VeteranStatus=np.where(child, 99, np.where(rng.random(m) < 0.05, 1, 0)),
    )
    return _windowed("CCEH", rows, "ProjectStartDate")


def build_histories(rng_for, persons: pd.DataFrame, bridge_rate: float = 1.0) -> Histories:
    """Every agency's rows, in dependency order. `rng_for(name)` gives each stage its own stream.

    `bridge_rate` scales the rate of DOL's DOB-bearing UI claims (see `ui_claims`).
    """
    school = schooling(rng_for("school"), persons)
    dcf, first_cw, placed = child_welfare(rng_for("dcf"), persons)
    cssd = juvenile_justice(rng_for("cssd"), persons, first_cw, placed)
    colleges = college(rng_for("college"), persons, school)
    doc = incarceration(rng_for("doc"), persons, cssd, school)
    wage_rows = wages(rng_for("wages"), persons, school, colleges.terms, doc)
    events = {
        "DOL:UI_WAGE": wage_rows,
        "DOL:APPRENTICESHIP": apprenticeships(rng_for("apprenticeship"), persons, school),
        "DOL:UI_CLAIM": ui_claims(rng_for("ui_claims"), persons, wage_rows, bridge_rate),
        "SDE": school.sde, "CTECS": school.ctecs, "DOC": doc, "DCF": dcf,
        "DMHAS": behavioral_health(rng_for("dmhas"), persons), "DSS": benefits(rng_for("dss"), persons),
        "OEC": early_care(rng_for("oec"), persons), "OHE": colleges.aid, "OWS": training(rng_for("ows"), persons),
        "CCIC": colleges.terms["CCIC"], "CSCU": colleges.terms["CSCU"], "UConn": colleges.terms["UConn"],
        "CCEH": homelessness(rng_for("cceh"), persons), "CSSD": cssd,
    }
    # Pre-K children in public programmes get their SASID at pre-K.
    sasid = school.sasid.copy()
    prek = events["OEC"].loc[events["OEC"]["RecordType"] == "PREK", "person_index"].unique()
    missing = prek[pd.isna(sasid[prek])]
    sasid[missing] = (9_000_000_000 + rng_for("prek_sasid").choice(
        999_999_999, size=len(missing), replace=False)).astype(str)
    career = SchoolCareer(school.diploma, school.public, school.first_fall, school.last_fall)
    return Histories(events, sasid, school.high_school, career)
