"""Contracts generated from the registry, run on real synthetic deliveries and corrupted copies of them."""

from __future__ import annotations

import pandera.pandas as pa
import pytest
from feed_files import landed, replace_field

from p20_platform.feeds import inspect_delivery
from p20_platform.feeds.contracts import contract
from p20_platform.registry import AGENCIES, agency


@pytest.mark.parametrize("content", ["matching", "analytical"])
def test_every_agency_gets_a_schema_naming_exactly_its_columns(content):
    for feed in AGENCIES:
        schema = contract(feed.code, content)
        expected = feed.matching_fields if content == "matching" else feed.analytical_columns
        assert isinstance(schema, pa.DataFrameSchema)
        assert tuple(schema.columns) == expected
        assert schema.columns["FakeID"].nullable is False
        assert schema.columns["FakeID"].unique is (content == "matching")


def test_real_deliveries_of_every_agency_pass_their_contracts(synth_home):
    for feed in AGENCIES:
        for content in ("matching", "analytical"):
            path = landed(synth_home, feed.code, content)
            inspection = inspect_delivery(path.name, path.read_bytes(), folder_agency=feed.code)
            assert inspection.rejection is None, inspection.rejection
            assert inspection.rows_read > 0
            share_quarantined = len(inspection.verdict.quarantined) / inspection.rows_read
            assert share_quarantined < 0.05, (path.name, inspection.verdict.rule_failures)


def _first_row_with(data: bytes, column: str) -> int:
    """File line number of the first record with a value in `column` (line 1 is the header)."""
    lines = data.decode().split("\n")
    index = lines[0].split("\t").index(column)
    return next(n for n, line in enumerate(lines[1:], start=2) if line and line.split("\t")[index])


@pytest.mark.parametrize(("code", "content", "column", "bad_value", "rule"), [
    ("DOC", "matching", "DOB", "20230230", "DOB: YYYYMMDD calendar date"),          # 30 February
    ("DOC", "matching", "DOB", "2023-01-05", "DOB: YYYYMMDD calendar date"),
    ("DOL", "matching", "SSN", "12345678", "SSN: format [0-9]{9}"),                 # leading zero lost
    ("DOL", "matching", "SSN", "12345678A", "SSN: format [0-9]{9}"),
    ("SDE", "matching", "SASID", "12345678901", "SASID: format [0-9]{1,10}"),
    ("SDE", "matching", "HighSchoolCode", "12345", "HighSchoolCode: format [0-9A-Z]{6}"),
    ("DCF", "matching", "Gender", "X", "Gender: one of M, F, U"),
    ("DCF", "matching", "FakeID", "", "FakeID: required value missing"),
    ("SDE", "analytical", "MembershipDays", "201", "MembershipDays: between 0 and 200"),
    ("SDE", "analytical", "CreditsEarned", "1,5", "CreditsEarned: decimal number"),
    ("SDE", "analytical", "GradeLevelCode", "9",
     "GradeLevelCode: one of PK, K, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10, 11, 12"),
    ("DOC", "analytical", "LatestDOCAdmissionDate", "", "LatestDOCAdmissionDate: required value missing"),
    ("CCIC", "analytical", "AcademicTermDesignator", "2019WI", "AcademicTermDesignator: format [0-9]{4}(FA|SP|SU)"),
    ("DOL", "analytical", "Quarter", "five", "Quarter: whole number"),
])
def test_a_bad_value_quarantines_only_its_row(synth_home, code, content, column, bad_value, rule):
    path = landed(synth_home, code, content)
    data = path.read_bytes()
    clean = inspect_delivery(path.name, data).verdict
    line = _first_row_with(data, column)
    verdict = inspect_delivery(path.name, replace_field(data, line, column, bad_value)).verdict

    assert len(verdict.quarantined) == len(clean.quarantined) + 1
    assert len(verdict.accepted) == len(clean.accepted) - 1
    row = verdict.quarantined.set_index("line_number").loc[line]
    assert rule in row["failed_rules"]
    assert row[column] == bad_value if bad_value else row[column] != row[column]  # empty is missing (NaN)
    assert line in verdict.rule_failures[rule]["example_lines"]


def test_every_row_sharing_a_duplicated_fakeid_is_quarantined(synth_home):
    path = landed(synth_home, "SDE", "matching")
    data = path.read_bytes()
    lines = data.decode().split("\n")
    fake_id = lines[1].split("\t")[-1]
    duplicated = replace_field(data, 3, "FakeID", fake_id)   # line 3 now repeats line 2's FakeID
    verdict = inspect_delivery(path.name, duplicated).verdict

    rule = "FakeID: must be unique in the file"
    assert verdict.rule_failures[rule]["rows"] == 2
    assert set(verdict.quarantined.loc[verdict.quarantined["FakeID"] == fake_id, "line_number"]) == {2, 3}
    assert fake_id not in set(verdict.accepted["FakeID"])
    assert verdict.accepted["FakeID"].is_unique
    assert len(verdict.accepted) + len(verdict.quarantined) == len(lines) - 2  # header and final line break


def test_leading_zeros_and_dates_survive_as_text(synth_home):
    path = landed(synth_home, "DOL", "matching")
    data = replace_field(path.read_bytes(), 2, "SSN", "000012345")
    verdict = inspect_delivery(path.name, data).verdict
    accepted = verdict.accepted.set_index("FakeID")
    fake_id = data.decode().split("\n")[1].split("\t")[-1]
    assert accepted.loc[fake_id, "SSN"] == "000012345"
    assert agency("DOL").matching_fields == tuple(verdict.accepted.columns)
