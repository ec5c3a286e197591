"""How many disconnected youth-years the index's own doubts about its links make too many.

The index joins two records when Splink's match probability reaches the threshold; below it they
stay apart even when the model thinks they may well be one person (a married surname and a typo in
the date of birth, a school record and a shelter record with nothing else in common). Two errors
follow, and the estimate of the undecided youth-years cannot see either:

- a split person enters the youth population twice. If either half looks disconnected, the count
  is too high: a half with no activity is counted although the other half shows the person at work
  or in school, and two jobless halves are counted as two youth. For a pair of youth entries with
  probability p of being one person, and probabilities d_a and d_b that each counts as
  disconnected, the expected excess is p x (d_a + d_b - d_ab): counted d_a + d_b when apart, d_ab
  when one person. d_ab is the status of the person the two halves make (`merged_disconnected`):
  a diploma or a job either half shows is the person's, and a half that carries an SSN settles
  employment for both (the wages of that SSN are all there are). It is not d_a x d_b: the halves
  are one person's records, not two independent youth. Measured on the true split pairs of a 1.2M
  home: d_a x d_b put 839 of the 2,964 disconnected people in 2016 (the typical pair a school
  entry with a diploma and no SSN, whose job is an estimate, and an unemployment claim whose SSN
  shows no wages), d_ab 3,057. Each entry carries the share of the excess its own d brings, so
  that every breakdown subtracts what its own rows contribute;
- a job left apart: a youth the data count as disconnected for want of a job (their status
  decided, not estimated; a diploma held) whose entry may be one person with a wage-only entry paid
  that year was, with that probability, at work and connected. (A youth without a diploma is
  disconnected at work or not.) (An undecided youth's wage-only namesakes are already weighed by the estimate.)

Measured against truth on the `bench.estimate` homes, these errors made the decided disconnected
counts 2-6% too high; the correction took 2-4 points of it off (see the README).

Nothing is linked: the scored pairs the index kept below the threshold (`mpi.pairs`, probabilistic
and pet-bloom) are read in the hub and only per-youth-year expectations leave it, the practice the
linkage-error literature recommends (GUILD: pass match probabilities on to the analysis). An entry
with several candidate partners adds them up, capped at its own count; two record pairs between the
same two entries count once, at their highest probability (they are evidence about one question).
Halves that no blocking rule brought together (an unemployment claim under a married surname and a
misspelt or missing first name beside the school records) are never scored: youth entries never at
school that share a birth date with a student come in with the share of such pairs that chance does
not explain (`birth_date_pairs`).
Strategies that keep no scored pairs (deterministic, PET keys) get no correction.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from p20_platform.estimation.unseen import WAGE_AGENCY, among, status_rests_on_wages
from p20_platform.registry import SCHOOL_AGENCIES

DISCONNECTED = ("disconnected_moderate", "disconnected_severe")
COLUMNS = ["p20_id", "report_year", "disconnected_overcount", "overcount_variance"]
# what `merged_disconnected` reads of each half (see `disconnected_probabilities`)
MERGE_COLUMNS = ["diploma", "diploma_known", "active", "active_known", "incarcerated"]
# Birth dates this many days either side of a youth's: how many entries share a birth date by chance.
CHANCE_SHIFTS = tuple(days for days in range(-7, 8) if days)


def entry_pairs(pairs: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Scored record pairs the index left in two entries, one row per pair of entries (a < b), ordered.

    Joined in DuckDB: pandas mapped the record ids through arrays of Python strings, the estimate's peak
    memory at 1.2M persons."""
    return duckdb.sql("""
        SELECT least(l.p20_id, r.p20_id) AS a, greatest(l.p20_id, r.p20_id) AS b, max(p.match_probability) AS p
        FROM pairs AS p
        JOIN crosswalk AS l ON l.record_id = p.record_id_l
        JOIN crosswalk AS r ON r.record_id = p.record_id_r
        WHERE l.p20_id <> r.p20_id AND p.match_probability IS NOT NULL
        GROUP BY ALL ORDER BY a, b""").to_arrow_table().to_pandas()


def birth_date_pairs(records: pd.DataFrame, crosswalk: pd.DataFrame, youth: pd.Series) -> pd.DataFrame:
    """Youth entries never seen in a school paired with school entries born the same day whom no
    blocking rule of the index could have compared (a, b, p: one row per pair of entries, a < b).

    A youth with no school record is either someone schooled outside Connecticut or the other half of
    a student the index split: typically an unemployment claim (SSN, date of birth, married surname)
    whose first name is missing or spelt otherwise than at school, so no blocking rule brought the two
    together (measured on 10,000-person homes before this: such halves were 24 of 42 split persons
    among the youth and added 2-8 disconnected youth a year). Nothing here says which pairs are one
    person. How many are: same-day pairs beyond those born a few days apart (`CHANCE_SHIFTS`), which
    can only meet by chance, counted per kind of first-name evidence (initials agree, or one side has
    none; pairs whose initials disagree are left out: at 1.2M persons 1.1 million such same-day pairs
    held 68 split persons, and a 1% flaw in the chance rate would have made thousands) and per kind of
    date (the same, or day and month swapped: a clerk's slip the PSI-link cascade also tries); each
    same-day pair of a kind carries that kind's share of the excess.
    Pairs sharing what a blocking rule compares (`probabilistic.settings`: a name, a surname's first two
    letters, an SSN's part, a SASID...) are left out on every day alike: on the same day the index scored
    them (they are in `mpi.pairs` or were clearly two people, as twins are), and leaving them in only on
    the days around it would count chance pairs there that the same day has not (measured at 1.2M
    persons: more such pairs a few days apart than on the same day).
    """
    entries = records[["record_id", "agency", "first_name", "last_name", "dob", "ssn", "sasid"]].merge(
        crosswalk[["record_id", "p20_id"]])
    entries = entries[among(entries["p20_id"], youth) & entries["dob"].notna()]
    return duckdb.sql(f"""
        WITH kept AS (
            SELECT p20_id, CAST(dob AS DATE) AS dob, left(first_name, 1) AS initial,
                   -- what the index's blocking rules compare whatever the date, and beside an equal date
                   ['f' || first_name || ' ' || last_name, 's' || ssn, 'a' || sasid] AS any_day_keys,
                   ['n' || first_name, 'n' || last_name, 'l' || left(last_name, 2),
                    'k' || left(first_name, 2) || left(last_name, 1), 'p' || left(ssn, 5), 'q' || right(ssn, 4)]
                       AS same_day_keys,
                   bool_or(agency IN {SCHOOL_AGENCIES}) OVER (PARTITION BY p20_id) AS schooled
            FROM entries),
        sides AS (
            SELECT p20_id, schooled, dob,
                   coalesce(list(DISTINCT initial) FILTER (WHERE initial IS NOT NULL), []) AS initials,
                   list_filter(list_distinct(flatten(list(any_day_keys))), lambda key: key IS NOT NULL) AS any_day,
                   list_filter(list_distinct(flatten(list(same_day_keys))), lambda key: key IS NOT NULL) AS same_day
            FROM kept GROUP BY ALL),
        schooled AS (SELECT p20_id AS s, dob, initials, any_day || same_day AS keys FROM sides WHERE schooled),
        unschooled AS (
            SELECT p20_id, initials, dob AS born, false AS swapped, any_day || same_day AS keys
            FROM sides WHERE NOT schooled
            UNION ALL
            SELECT p20_id, initials, make_date(year(dob), day(dob), month(dob)), true, any_day
            FROM sides WHERE NOT schooled AND day(dob) <= 12 AND day(dob) <> month(dob)),
        shifts AS (SELECT unnest([0, {", ".join(map(str, CHANCE_SHIFTS))}]) AS days),
        -- one row per unschooled side (o, swapped, born) and day it is compared on
        looked AS (
            SELECT p20_id AS o, swapped, born, days, born + days AS dob, initials, keys
            FROM unschooled CROSS JOIN shifts),
        -- sides born on the looked-at day whose initials agree, or one has none (equality joins on the day, not a
        -- comparison of lists per pair: at 1.2M persons that took minutes)
        dated AS (
            SELECT DISTINCT o, swapped, born, days, s, false AS initial_missing
            FROM (SELECT o, swapped, born, days, dob, unnest(initials) AS initial FROM looked)
            JOIN (SELECT s, dob, unnest(initials) AS initial FROM schooled) USING (dob, initial)
            UNION ALL
            SELECT o, swapped, born, days, s, true
            FROM looked JOIN schooled USING (dob) WHERE len(looked.initials) = 0 OR len(schooled.initials) = 0),
        -- ... of whom these share a key that a blocking rule compares
        keyed AS (
            SELECT DISTINCT o, swapped, born, days, s
            FROM (SELECT o, swapped, born, days, dob, unnest(keys) AS key FROM looked)
            JOIN (SELECT s, dob, unnest(keys) AS key FROM schooled) USING (dob, key)),
        met AS (SELECT o, s, swapped, days, initial_missing FROM dated ANTI JOIN keyed USING (o, swapped, born, days, s)),
        chance AS (
            SELECT swapped, initial_missing, count(*) / {len(CHANCE_SHIFTS)} AS pairs
            FROM met WHERE days <> 0 GROUP BY ALL),
        same_day AS (
            SELECT least(o, s) AS a, greatest(o, s) AS b, swapped, bool_or(initial_missing) AS initial_missing
            FROM met WHERE days = 0 GROUP BY ALL),
        excess AS (
            SELECT swapped, initial_missing, greatest(0, 1 - coalesce(any_value(chance.pairs), 0) / count(*)) AS p
            FROM same_day LEFT JOIN chance USING (swapped, initial_missing) GROUP BY ALL)
        SELECT a, b, max(p) AS p FROM same_day JOIN excess USING (swapped, initial_missing)
        WHERE p > 0 GROUP BY a, b ORDER BY a, b
    """).df()


def candidate_pairs(pairs: pd.DataFrame, records: pd.DataFrame, crosswalk: pd.DataFrame,
                    youth: pd.Series) -> pd.DataFrame:
    """Every pair of entries that may be one person (a, b, p; a < b): the index's scored pairs left in
    two entries (`entry_pairs`) and the pairs it never scored (`birth_date_pairs`), a pair found both
    ways at its higher probability."""
    found = pd.concat([entry_pairs(pairs, crosswalk), birth_date_pairs(records, crosswalk, youth)])
    return found.groupby(["a", "b"], as_index=False)["p"].max()


def student_ids(records: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """(p20_id, sasid): the state student ids each entry's records carry."""
    held = records.loc[records["sasid"].notna(), ["record_id", "sasid"]].merge(crosswalk[["record_id", "p20_id"]])
    return held[["p20_id", "sasid"]].drop_duplicates()


def two_students(candidates: pd.DataFrame, students: pd.DataFrame) -> np.ndarray:
    """Per entry pair: whether both entries carry state student ids and every one of a's is more than a
    keystroke from every one of b's. The education department issues one SASID per student, so such
    entries are two students whatever their names and birth dates say. Measured on a 1.2M home before
    this: record pairs whose SASIDs disagreed held 25,000 of the youth pairs' summed match probability
    and not one true pair (same first name and birth date, surname missing or different)."""
    near = duckdb.sql("""
        SELECT c.a, c.b, min(damerau_levenshtein(sa.sasid, sb.sasid)) <= 1 AS may_be_one
        FROM candidates AS c
        JOIN students AS sa ON sa.p20_id = c.a
        JOIN students AS sb ON sb.p20_id = c.b
        GROUP BY c.a, c.b""").df()
    flagged = candidates[["a", "b"]].merge(near, on=["a", "b"], how="left")["may_be_one"]
    return flagged.eq(False).to_numpy()


def _both_ways(candidates: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([candidates, candidates.rename(columns={"a": "b", "b": "a"})], ignore_index=True)


def _merged_part(both: pd.DataFrame, part: str) -> np.ndarray:
    """One part of the status (`diploma` or `active`) for the person two halves make: what a half knows
    wins over an estimate, a part either half holds is held; two estimates of it are estimates of one
    thing (the same namesakes' wages, the same missing diploma), so the larger counts."""
    known = [both[f"{part}_{side}"].where(both[f"{part}_known_{side}"]) for side in "ab"]
    estimates = np.fmax(both[f"{part}_a"], both[f"{part}_b"])
    return np.where(both[f"{part}_known_a"] | both[f"{part}_known_b"], np.fmax(*known), estimates)


def merged_disconnected(both: pd.DataFrame) -> np.ndarray:
    """P(disconnected) of the one person that halves a and b (the `disconnected_probabilities` columns,
    suffixed _a and _b) would be: none if either half is not disconnected (in school, or connected:
    one person's activity is the whole person's), disconnected if either is incarcerated, else
    disconnected unless they hold a diploma and are active. A part no half knows or estimates is as
    the status logic presumes it: a diploma held, no activity."""
    diploma = np.nan_to_num(_merged_part(both, "diploma"), nan=1.0)
    active = np.nan_to_num(_merged_part(both, "active"), nan=0.0)
    merged = np.where(both["incarcerated_a"] | both["incarcerated_b"], 1.0, 1.0 - diploma * active)
    return np.where((both["d_a"] == 0) | (both["d_b"] == 0), 0.0, merged)


def _side(youth: pd.DataFrame, side: str) -> pd.DataFrame:
    """`youth` as pair side `side` (a or b): its p20_id named `side`, its other columns suffixed."""
    return youth.rename(columns=lambda column: side if column == "p20_id"
                        else column if column == "report_year" else f"{column}_{side}")


def _halves_counted_twice(candidates: pd.DataFrame, youth: pd.DataFrame) -> pd.DataFrame:
    both = candidates.merge(_side(youth, "a"), on="a").merge(_side(youth, "b"), on=["b", "report_year"])
    apart = both["d_a"] + both["d_b"]
    excess = (apart - merged_disconnected(both)).clip(lower=0)
    per_d = excess / apart.where(apart > 0)
    return pd.concat([
        pd.DataFrame({"p20_id": both[side], "report_year": both["report_year"], "p": both["p"],
                      "share": (per_d * both[f"d_{side}"]).fillna(0.0)})
        for side in "ab"], ignore_index=True)


def _jobs_left_apart(candidates: pd.DataFrame, youth: pd.DataFrame, paid: pd.DataFrame) -> pd.DataFrame:
    counted = youth[youth["decided"] & youth["job_connects"] & (youth["d"] > 0)]
    partners = _both_ways(candidates).merge(counted.rename(columns={"p20_id": "a"}), on="a")
    partners = partners.merge(paid.rename(columns={"p20_id": "b"}), on=["b", "report_year"])
    partners = partners.merge(youth[["p20_id", "report_year"]].rename(columns={"p20_id": "b"}),
                              on=["b", "report_year"], how="left", indicator=True)
    partners = partners[partners["_merge"] == "left_only"]  # a partner who is a youth that year is a split half
    unpaid = (1 - partners["p"]).groupby([partners["a"], partners["report_year"]]).prod()
    at_work = (1 - unpaid).rename("p").reset_index().rename(columns={"a": "p20_id"})
    return at_work.merge(counted, on=["p20_id", "report_year"]).rename(columns={"d": "share"})


def split_corrections(candidates: pd.DataFrame, disconnected: pd.DataFrame, paid: pd.DataFrame | None = None,
                      students: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per youth-year: the disconnected count it adds in expectation through a split or a job left apart.

    `disconnected` holds p20_id, report_year, `d` (the probability the youth-year counts as
    disconnected: 0 or 1 where the data decide, the estimate where they do not), `decided`,
    `job_connects` (a job would make the youth connected: not so for one without a diploma, who is
    disconnected either way) and the parts of the status (`disconnected_probabilities`); `paid` the
    (p20_id, report_year) in which an entry has a paid wage record; `students` the entries' state student
    ids (`student_ids`): pairs of two students (`two_students`) are no candidates. `candidates` are entry pairs (a, b, p: `candidate_pairs`).
    """
    if students is not None:
        candidates = candidates[~two_students(candidates, students)]
    youth = disconnected[["p20_id", "report_year", "d", "decided", "job_connects"]]
    parts = [_halves_counted_twice(candidates, disconnected[["p20_id", "report_year", "d", *MERGE_COLUMNS]])]
    if paid is not None:
        parts.append(_jobs_left_apart(candidates, youth, paid)[["p20_id", "report_year", "p", "share"]])
    found = pd.concat(parts, ignore_index=True)
    found = found.assign(disconnected_overcount=found["p"] * found["share"],
                         overcount_variance=found["p"] * (1 - found["p"]) * found["share"] ** 2)
    per_year = found.groupby(["p20_id", "report_year"], as_index=False)[COLUMNS[2:]].sum()
    per_year = per_year.merge(youth[["p20_id", "report_year", "d"]], on=["p20_id", "report_year"])
    per_year["disconnected_overcount"] = per_year["disconnected_overcount"].clip(upper=per_year["d"])
    return (per_year.loc[per_year["disconnected_overcount"] > 0, COLUMNS]
            .sort_values(["p20_id", "report_year"], ignore_index=True))


def paid_entries(records: pd.DataFrame, crosswalk: pd.DataFrame, wage_years: pd.DataFrame) -> pd.DataFrame:
    """(p20_id, report_year) in which an entry holds a paid wage record."""
    wage_records = records.loc[records["agency"] == WAGE_AGENCY, ["record_id", "FakeID"]].astype({"FakeID": str})
    paid = (wage_records.merge(wage_years.astype({"FakeID": str}), on="FakeID")
            .merge(crosswalk[["record_id", "p20_id"]], on="record_id"))
    return paid[["p20_id", "year"]].drop_duplicates().rename(columns={"year": "report_year"})


def disconnected_probabilities(person_years: pd.DataFrame, probabilities: pd.DataFrame) -> pd.DataFrame:
    """Each youth-year's probability of counting as disconnected (`d`: decided rows 0/1, undecided the
    estimate), whether a job found would make it connected (`job_connects`: `status_rests_on_wages`),
    and the parts of its status a merger of two halves needs (`merged_disconnected`): `diploma` and
    `active` (in a job, college or training), each 1 or 0 where the records know it (`*_known`; an SSN
    makes employment known) or the estimate's probability where they do not (NaN: none), and
    `incarcerated`. Youth presumed in school elsewhere show no activity of their own."""
    point = probabilities.loc[probabilities["replicate"] == 0,
                              ["p20_id", "report_year", "p_disconnected", "p_diploma", "p_employed_unseen"]]
    rows = person_years[["p20_id", "report_year", "status", "has_diploma", "diploma_status", "employed",
                         "postsecondary", "training", "incarcerated", "wage_linkable", "presumed_in_school_elsewhere"]]
    rows = rows.assign(job_connects=status_rests_on_wages(person_years)).merge(point, on=["p20_id", "report_year"], how="left")
    diploma_known = rows["has_diploma"] | (rows["diploma_status"] != "unknown")
    seen_active = rows["employed"] | rows["postsecondary"] | rows["training"]
    employment_estimate = rows["p_employed_unseen"].where(~rows["presumed_in_school_elsewhere"])
    return rows.assign(
        d=rows["p_disconnected"].fillna(rows["status"].isin(DISCONNECTED).astype(float)),
        decided=rows["p_disconnected"].isna(),
        diploma=rows["has_diploma"].astype(float).where(diploma_known, rows["p_diploma"]), diploma_known=diploma_known,
        active=employment_estimate.fillna(rows["wage_linkable"].map({True: 0.0, False: np.nan})).mask(seen_active, 1.0),
        active_known=seen_active | rows["wage_linkable"],
    )[["p20_id", "report_year", "d", "decided", "job_connects", *MERGE_COLUMNS]]
