"""The correction for persons the index left in two entries (p20_platform/estimation/splits.py)."""

from datetime import date, timedelta

import pandas as pd
import pytest

from p20_platform.estimation.splits import (CHANCE_SHIFTS, birth_date_pairs, disconnected_probabilities, entry_pairs, paid_entries, split_corrections,
                                            student_ids)

CROSSWALK = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
                          "p20_id": ["A", "A", "B", "B", "C", "D"]})


def _pairs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def _years(*rows: tuple[str, int, float]) -> pd.DataFrame:
    """Youth-years of graduates with their probability of counting as disconnected: 0 and 1 decided by
    the data (at work; an SSN with no wages), otherwise employment is an estimate."""
    years = pd.DataFrame(rows, columns=["p20_id", "report_year", "d"])
    decided = years["d"].isin([0.0, 1.0])
    return years.assign(decided=decided, job_connects=True, diploma=1.0, diploma_known=True, active=1.0 - years["d"],
                        active_known=decided, incarcerated=False)


def test_two_record_pairs_between_the_same_entries_are_one_question_and_pairs_inside_an_entry_none():
    pairs = _pairs(("r1", "r3", 0.4), ("r4", "r2", 0.7), ("r1", "r2", 0.99), ("r5", "r6", 0.2))
    found = entry_pairs(pairs, CROSSWALK)
    assert found.to_dict("records") == [{"a": "A", "b": "B", "p": 0.7}, {"a": "C", "b": "D", "p": 0.2}]


def test_two_entries_holding_different_student_ids_are_two_students_but_a_keystroke_apart_may_be_one():
    """A and B carry SASIDs far apart: two students, no correction. C's differs from D's by one swapped
    pair of digits (a mistyped id on another agency's record): it may be one person and stays a candidate."""
    records = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
                            "sasid": ["1111111111", None, "2222222222", None, "3333333344", "3333333434"]})
    students = student_ids(records, CROSSWALK)
    years = _years(("A", 2020, 1.0), ("B", 2020, 0.0), ("C", 2020, 1.0), ("D", 2020, 0.0))
    pairs = _pairs(("r1", "r3", 0.8), ("r5", "r6", 0.8))
    corrections = split_corrections(entry_pairs(pairs, CROSSWALK), years, students=students)
    assert corrections["p20_id"].tolist() == ["C"]
    assert split_corrections(entry_pairs(pairs, CROSSWALK), years)["p20_id"].tolist() == ["A", "C"]


def test_a_jobless_half_of_a_working_person_is_taken_off_whole_in_expectation():
    """A looks disconnected, B (the same person with probability 0.8) works: the count is 1 too high
    with probability 0.8, and it is A's row that carries it."""
    corrections = split_corrections(entry_pairs(_pairs(("r1", "r3", 0.8)), CROSSWALK), _years(("A", 2020, 1.0), ("B", 2020, 0.0)))
    assert corrections["p20_id"].tolist() == ["A"]
    assert corrections["disconnected_overcount"].iloc[0] == pytest.approx(0.8)
    assert corrections["overcount_variance"].iloc[0] == pytest.approx(0.8 * 0.2)


def test_two_jobless_halves_count_one_youth_too_many_shared_between_them():
    corrections = split_corrections(entry_pairs(_pairs(("r1", "r3", 0.6)), CROSSWALK), _years(("A", 2020, 1.0), ("B", 2020, 1.0)))
    assert corrections["disconnected_overcount"].tolist() == pytest.approx([0.3, 0.3])


def test_uncertain_statuses_weigh_in_and_years_pair_only_with_the_same_year():
    years = _years(("A", 2020, 0.5), ("B", 2020, 0.2), ("A", 2021, 1.0), ("C", 2021, 1.0), ("D", 2022, 1.0))
    pairs = _pairs(("r1", "r3", 0.5), ("r5", "r6", 0.9), ("r2", "r5", 0.1))
    corrections = split_corrections(entry_pairs(pairs, CROSSWALK), years).set_index(["p20_id", "report_year"])
    total_2020 = 0.5 * (0.5 + 0.2 - 0.2)  # p x (d_a + d_b - d_ab): one person's job, estimated twice, at the higher estimate
    assert corrections.loc[[("A", 2020), ("B", 2020)], "disconnected_overcount"].sum() == pytest.approx(total_2020)
    assert corrections.loc[("A", 2021), "disconnected_overcount"] == pytest.approx(0.05)  # A-C, both jobless
    assert ("D", 2022) not in corrections.index  # its partner C is no youth in 2022


def test_one_half_settles_what_the_other_can_only_estimate():
    """The common split: A is a school entry with a diploma and no SSN (its job an estimate, 0.3
    disconnected), B an unemployment claim whose SSN shows no wages that year (decided disconnected,
    diploma unknown). As one person they are a graduate without a job: disconnected, so the pair counts
    only A's 0.3 too many (the halves are no independent youth: 0.3 x 1 would have taken off 1). Had B's
    SSN shown wages (B connected, its diploma the estimate), the one person would be connected."""
    halves = pd.DataFrame({"p20_id": ["A", "B"], "report_year": 2020, "d": [0.3, 1.0], "decided": [False, True],
                           "job_connects": True, "diploma": [1.0, float("nan")], "diploma_known": [True, False],
                           "active": [0.7, 0.0], "active_known": [False, True], "incarcerated": False})
    pairs = entry_pairs(_pairs(("r1", "r3", 1.0)), CROSSWALK)
    assert split_corrections(pairs, halves)["disconnected_overcount"].sum() == pytest.approx(0.3)
    at_work = halves.assign(d=[0.3, 0.4], decided=False, diploma=[1.0, 0.6], active=[0.7, 1.0], active_known=[False, True])
    assert split_corrections(pairs, at_work)["disconnected_overcount"].sum() == pytest.approx(0.7)


def test_an_entry_never_loses_more_than_it_counts():
    pairs = _pairs(("r1", "r3", 0.9), ("r1", "r5", 0.9), ("r1", "r6", 0.9))
    corrections = split_corrections(entry_pairs(pairs, CROSSWALK), _years(("A", 2020, 1.0), ("B", 2020, 0.0), ("C", 2020, 0.0),
                                                              ("D", 2020, 0.0)))
    assert corrections.set_index("p20_id").loc["A", "disconnected_overcount"] == pytest.approx(1.0)


def test_a_job_on_a_wage_entry_left_apart_weighs_against_a_decided_jobless_year_only():
    """C (wage records only, paid in 2020 and 2021) may be A in 2020 (p 0.3) and B in 2021 (p 0.6);
    a second wage entry D may also be A (p 0.5): A was at work in 2020 unless neither is A. B's 2021
    status is an estimate, whose namesakes the estimate has weighed already: no correction."""
    paid = pd.DataFrame({"p20_id": ["C", "C", "D"], "report_year": [2020, 2021, 2020]})
    pairs = _pairs(("r1", "r5", 0.3), ("r3", "r5", 0.6), ("r6", "r2", 0.5))
    corrections = split_corrections(entry_pairs(pairs, CROSSWALK), _years(("A", 2020, 1.0), ("B", 2021, 0.4)), paid)
    assert corrections["p20_id"].tolist() == ["A"]
    assert corrections["disconnected_overcount"].iloc[0] == pytest.approx(1 - 0.7 * 0.5)
    assert split_corrections(entry_pairs(pairs, CROSSWALK), _years(("A", 2020, 0.0)), paid).empty  # counted at work already


def test_a_job_left_apart_does_not_connect_a_youth_without_a_diploma():
    """A dropout at work is still disconnected (moderately): a wage entry that may be theirs takes nothing off."""
    paid = pd.DataFrame({"p20_id": ["C"], "report_year": [2020]})
    dropout = _years(("A", 2020, 1.0)).assign(job_connects=False)
    assert split_corrections(entry_pairs(_pairs(("r1", "r5", 0.9)), CROSSWALK), dropout, paid).empty
    assert not split_corrections(entry_pairs(_pairs(("r1", "r5", 0.9)), CROSSWALK), _years(("A", 2020, 1.0)), paid).empty


def test_wage_entries_are_paid_in_the_years_of_their_wage_records():
    records = pd.DataFrame({"record_id": ["r1", "r5", "r6"], "agency": ["SDE", "DOL", "DOL"], "FakeID": [7, 8, 9]})
    wage_years = pd.DataFrame({"FakeID": ["7", "8", "8", "9"], "year": [2019, 2020, 2021, 2020]})
    paid = paid_entries(records, CROSSWALK, wage_years)
    assert sorted(map(tuple, paid.to_numpy())) == [("C", 2020), ("C", 2021), ("D", 2020)]


def test_no_pair_no_correction_and_decided_rows_count_zero_or_one():
    assert split_corrections(entry_pairs(_pairs(), CROSSWALK), _years(("A", 2020, 1.0))).empty
    person_years = pd.DataFrame({"p20_id": ["A", "B", "C"], "report_year": [2020] * 3,
                                 "status": ["disconnected_severe", "connected", "disconnected_moderate"],
                                 "enrolled_k12": False, "has_diploma": [False, True, True], "diploma_status": "known",
                                 "presumed_in_school_elsewhere": False, "employed": [False, True, False],
                                 "postsecondary": False, "training": False, "incarcerated": False,
                                 "wage_linkable": [True, True, False]})
    estimate = pd.DataFrame({"p20_id": ["C", "C"], "report_year": [2020, 2020], "replicate": [0, 1],
                             "p_disconnected": [0.3, 0.9], "p_diploma": [1.0, 1.0], "p_employed_unseen": [0.7, 0.1]})
    rows = disconnected_probabilities(person_years, estimate)
    assert rows["d"].tolist() == [1.0, 0.0, 0.3] and rows["decided"].tolist() == [True, True, False]
    assert rows["job_connects"].tolist() == [False, False, True]  # a job connects only C, who holds a diploma
    # the parts a merger reads: A's SSN shows no job, B works, C's job is the estimate's
    assert rows["active"].tolist() == [0.0, 1.0, 0.7] and rows["active_known"].tolist() == [True, True, False]
    assert rows["diploma"].tolist() == [0.0, 1.0, 1.0] and rows["diploma_known"].all()


def _entries(*rows: tuple[str, str, str | None, str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(p20_id, agency, first name, surname, date of birth) per record: records and their crosswalk."""
    records = pd.DataFrame(rows, columns=["p20_id", "agency", "first_name", "last_name", "dob"]).assign(ssn=None, sasid=None)
    records["record_id"] = [f"r{number}" for number in range(len(records))]
    return records.drop(columns="p20_id"), records[["record_id", "p20_id"]]


def _week_of_students(day: date, first_name: str = "TARA") -> list[tuple[str, str, str, str, str]]:
    """One student with `first_name` born on each day a week either side of `day`: the rate at which
    a youth born on `day` meets such a student by chance."""
    return [(f"S{days}", "SDE", first_name, f"NAME{days + 10}", str(day + timedelta(days=days)))
            for days in CHANCE_SHIFTS]


def test_same_day_pairs_beyond_those_born_days_apart_carry_the_excess():
    """A (an unemployment claim, never at school, married surname) shares T and a birthday with two
    students: against one a day by chance, one of the two is A's other half in expectation (p 0.5 each).
    Students meeting students, and entries that are no youth, are no candidates."""
    born = date(2000, 5, 15)
    records, crosswalk = _entries(("A", "DOL", "TIIFANY", "GREEN", str(born)), ("B", "SDE", "TIFFANY", "RASMUSSEN", str(born)),
                                  ("C", "SDE", "TESSA", "MORALES", str(born)), *_week_of_students(born),
                                  ("X", "DOL", "TOM", "KING", str(born)))
    youth = pd.Series(crosswalk["p20_id"].unique()).loc[lambda ids: ids != "X"]
    found = birth_date_pairs(records, crosswalk, youth)
    assert found.to_dict("records") == [{"a": "A", "b": "B", "p": 0.5}, {"a": "A", "b": "C", "p": 0.5}]


def test_pairs_a_blocking_rule_compares_are_left_out_on_every_day():
    """B shares the surname's first letters with A (a blocking rule scored them, or would have): no
    candidate, and the GREY students a few days off who share them are no chance pairs for A either:
    A-C (initials agree) stands alone in its kind; A-V (initials disagree) is no candidate. A missing
    first name (U) is a kind of its own: U meets one GREY student a day by chance and three students on
    its birthday."""
    born = date(2000, 5, 15)
    near = [(f"G{days}", "SDE", "TARA", "GREY", str(born + timedelta(days=days))) for days in CHANCE_SHIFTS]
    records, crosswalk = _entries(("A", "DOL", "TIIFANY", "GREEN", str(born)), ("B", "SDE", "TIFFANY", "GREENE", str(born)),
                                  ("C", "SDE", "TESSA", "MORALES", str(born)), *near,
                                  ("U", "DOL", None, "HUNT", str(born)), ("V", "SDE", "VANESSA", "JONES", str(born)))
    youth = pd.Series(crosswalk["p20_id"].unique())
    found = birth_date_pairs(records, crosswalk, youth)
    assert found.to_dict("records") == [{"a": "A", "b": "C", "p": 1.0}, {"a": "B", "b": "U", "p": pytest.approx(2 / 3)},
                                        {"a": "C", "b": "U", "p": pytest.approx(2 / 3)},
                                        {"a": "U", "b": "V", "p": pytest.approx(2 / 3)}]


def test_a_birth_date_with_day_and_month_swapped_is_its_own_kind_of_evidence():
    """A's claim gives 2000-03-08, the student B's school 2000-08-03: a swap. One student with a T was born
    each day a week either side of the swapped date, and two on it: half of the swapped pairs are excess."""
    swapped = date(2000, 8, 3)
    records, crosswalk = _entries(("A", "DOL", "TINA", "BANKS", "2000-03-08"), ("B", "SDE", "TINA", "WELLS", str(swapped)),
                                  ("C", "SDE", "TESS", "ORTIZ", str(swapped)), *_week_of_students(swapped))
    found = birth_date_pairs(records, crosswalk, pd.Series(crosswalk["p20_id"].unique()))
    assert found.to_dict("records") == [{"a": "A", "b": "B", "p": 0.5}, {"a": "A", "b": "C", "p": 0.5}]
