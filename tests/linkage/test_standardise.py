"""Standardisation: every invalid value counts as missing; valid ones come out in one canonical form."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from p20_platform.linkage import STANDARD_COLUMNS, standardise_records

TODAY = dt.date(2026, 1, 15)


def _standardise(**fields: str) -> pd.Series:
    row = {"FakeID": "F1", "agency": "SDE", "source_file": "SDE.000.01_15_2026.matching", **fields}
    return standardise_records(pd.DataFrame([row]), today=TODAY).iloc[0]


def test_output_has_exactly_the_agreed_columns_even_from_a_minimal_file():
    records = standardise_records(pd.DataFrame({"FakeID": ["a"], "agency": ["X"], "source_file": ["x.txt"]}))
    assert tuple(records.columns) == STANDARD_COLUMNS
    assert records.loc[0, "record_id"] == "x.txt|a"
    assert records.drop(columns=["record_id", "agency", "source_file", "FakeID"]).isna().all(axis=None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("O'Brien-Smith", "OBRIEN SMITH"),
    ("  josé   maría ", "JOSE MARIA"),
    ("Ølsen", "OLSEN"),
    ("Strauß", "STRAUSS"),
    ("St. John", "ST JOHN"),
    ("Nguyễn", "NGUYEN"),
    ("UNKNOWN", None),
    ("", None),
    ("---", None),
])
def test_names_are_upper_ascii_words_separated_by_single_spaces(raw, expected):
    value = _standardise(LastName=raw)["last_name"]
    assert (pd.isna(value) and expected is None) or value == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("20050314", "2005-03-14"),
    ("2005-03-14", "2005-03-14"),
    ("03/14/2005", "2005-03-14"),
    ("20050230", None),   # impossible date
    ("19000101", None),   # placeholder
    ("19010101", None),   # placeholder
    ("18500607", None),   # before any living person
    ("20300101", None),   # in the future
    ("2005031", None),    # truncated
    ("", None),
])
def test_dob_is_iso_or_missing(raw, expected):
    value = _standardise(DOB=raw)["dob"]
    assert (pd.isna(value) and expected is None) or value == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("012345678", "012345678"),
    ("123-45-6780", "123456780"),
    ("000123456", None),    # area 000
    ("666123456", None),    # area 666
    ("912345678", None),    # area 9xx
    ("123004567", None),    # group 00
    ("123450000", None),    # serial 0000
    ("123456789", None),    # known fake
    ("111111111", None),    # repeated digit
    ("12345678", None),     # wrong length
    ("12345678X", None),    # non-digit
])
def test_ssn_is_nine_valid_digits_or_missing(raw, expected):
    value = _standardise(SSN=raw)["ssn"]
    assert (pd.isna(value) and expected is None) or value == expected


@pytest.mark.parametrize(("field", "raw", "column", "expected"), [
    ("Gender", "m", "gender", "M"),
    ("Gender", "Female", "gender", "F"),
    ("Gender", "U", "gender", None),
    ("SASID", "0012345678", "sasid", "0012345678"),
    ("SASID", "0000000000", "sasid", None),
    ("SASID", "12AB", "sasid", None),
    ("HighSchoolCode", "ab1234", "high_school_code", "AB1234"),
    ("HighSchoolCode", "AB12", "high_school_code", None),
])
def test_codes_are_canonical_or_missing(field, raw, column, expected):
    value = _standardise(**{field: raw})[column]
    assert (pd.isna(value) and expected is None) or value == expected


def test_wage_first_initial_is_kept_as_an_initial():
    assert _standardise(FirstName="j.")["first_name"] == "J"


def test_record_with_an_invalid_identifier_keeps_its_other_fields():
    record = _standardise(SSN="000000000", LastName="Rivera", DOB="19990101")
    assert pd.isna(record["ssn"]) and record["last_name"] == "RIVERA" and record["dob"] == "1999-01-01"


def test_missing_or_repeated_fake_ids_are_refused_with_the_file_named():
    rows = pd.DataFrame({"FakeID": ["A", "A"], "agency": "SDE", "source_file": "SDE.000.01_15_2026.matching"})
    with pytest.raises(ValueError, match="share a FakeID.*SDE.000.01_15_2026.matching"):
        standardise_records(rows)
    with pytest.raises(ValueError, match="no FakeID"):
        standardise_records(rows.assign(FakeID=["A", " "]))
    with pytest.raises(ValueError, match="source_file"):
        standardise_records(rows.drop(columns="source_file"))
