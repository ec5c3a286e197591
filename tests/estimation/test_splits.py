"""The correction for persons the index left in two entries (p20_platform/estimation/splits.py)."""

from datetime import date, timedelta

import pandas as pd
import pytest

from p20_platform.estimation.splits import (birth_date_pairs, disconnected_probabilities, entry_pairs, paid_entries, split_corrections,
                                            student_ids)

CROSSWALK = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
                          "p20_id": ["A", "A", "B", "B", "C", "D"]})


def _pairs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "match_probability"])


def _years(*rows: tuple[str, int, float]) -> pd.DataFrame:
    """Youth-years with their probability of counting as disconnected; 0 and 1 are decided by the data."""
    years = pd.DataFrame(rows, columns=["p20_id", "report_year", "d"])
    return years.assign(decided=years["d"].isin([0.0, 1.0]), job_connects=True)


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
    total_2020 = 0.5 * (0.5 + 0.2 - 0.5 * 0.2)  # p x (d_a + d_b - d_a d_b)
    assert corrections.loc[[("A", 2020), ("B", 2020)], "disconnected_overcount"].sum() == pytest.approx(total_2020)
    assert corrections.loc[("A", 2021), "disconnected_overcount"] == pytest.approx(0.05)  # A-C, both jobless
    assert ("D", 2022) not in corrections.index  # its partner C is no youth in 2022


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
                                 "postsecondary": False, "training": False, "incarcerated": False})
    estimate = pd.DataFrame({"p20_id": ["C", "C"], "report_year": [2020, 2020], "replicate": [0, 1],
                             "p_disconnected": [0.3, 0.9]})
    rows = disconnected_probabilities(person_years, estimate)
    assert rows["d"].tolist() == [1.0, 0.0, 0.3] and rows["decided"].tolist() == [True, True, False]
    assert rows["job_connects"].tolist() == [False, False, True]  # a job connects only C, who holds a diploma


def _entries(*rows: tuple[str, str, str | None, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(p20_id, agency, first name, date of birth) per record: records and their crosswalk."""
    records = pd.DataFrame(rows, columns=["p20_id", "agency", "first_name", "dob"])
    records["record_id"] = [f"r{number}" for number in range(len(records))]
    return records.drop(columns="p20_id"), records[["record_id", "p20_id"]]


def test_same_day_pairs_beyond_those_born_days_apart_carry_the_excess_and_scored_pairs_keep_their_score():
    """A (an unemployment claim, never at school) shares T and a birthday with two students; each day a
    week either side of it one student with a T was born, the rate at which same-day Ts meet by chance:
    one of the two same-day students is A's other half in expectation (p 0.5 each). Students meeting
    students, and entries that are no youth, are no candidates."""
    shifted = [(f"S{days}", "SDE", "TARA", str(date(2000, 5, 15) + timedelta(days=days))) for days in range(-7, 8) if days]
    records, crosswalk = _entries(("A", "DOL", "TIIFANY", "2000-05-15"), ("B", "SDE", "TIFFANY", "2000-05-15"),
                                  ("C", "SDE", "TESSA", "2000-05-15"), *shifted, ("X", "DOL", "TOM", "2000-05-15"))
    youth = pd.Series(["A", "B", "C", *(row[0] for row in shifted)])
    no_scores = pd.DataFrame(columns=["a", "b", "p"])
    found = birth_date_pairs(records, crosswalk, youth, no_scores)
    assert found.to_dict("records") == [{"a": "A", "b": "B", "p": 0.5}, {"a": "A", "b": "C", "p": 0.5}]
    scored = pd.DataFrame({"a": ["A"], "b": ["B"], "p": [0.3]})
    assert birth_date_pairs(records, crosswalk, youth, scored).empty  # C alone is what chance brings


def test_a_birth_date_with_day_and_month_swapped_is_its_own_kind_of_evidence():
    """A's claim gives 2000-03-08, the student B's school 2000-08-03: a swap. One student with a T was born
    each day a week either side of the swapped date, and two on it: half of the swapped pairs are excess."""
    swapped = date(2000, 8, 3)
    shifted = [(f"S{days}", "SDE", "TARA", str(swapped + timedelta(days=days))) for days in range(-7, 8) if days]
    records, crosswalk = _entries(("A", "DOL", "TINA", "2000-03-08"), ("B", "SDE", "TINA", str(swapped)),
                                  ("C", "SDE", "TESS", str(swapped)), *shifted)
    youth = pd.Series(records.merge(crosswalk)["p20_id"].unique())
    found = birth_date_pairs(records, crosswalk, youth, pd.DataFrame(columns=["a", "b", "p"]))
    assert found.to_dict("records") == [{"a": "A", "b": "B", "p": 0.5}, {"a": "A", "b": "C", "p": 0.5}]
