"""Requests validated on load, deadlines counted in Connecticut business days, logs that refuse editing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from p20_platform.governance.deadlines import destruction_deadline
from p20_platform.governance.logs import MATCH_LOG, append, broken_entries, read_log
from p20_platform.governance.requests import RequestError, load_request, load_requests
from p20_platform.registry import AGENCIES, AGENCY_CODES

from request_files import file_request, request_yaml


def test_the_repository_requests_are_the_two_statutory_analyses():
    filed = load_requests()
    assert set(filed) >= {"000", "001"}
    annual, crossover = filed["000"].request, filed["001"].request
    assert annual.approved and crossover.approved
    assert set(annual.agencies) == set(AGENCY_CODES)  # every demo delivery is filed under 000
    for feed in AGENCIES:  # a new registry element needs the board's approval here, or its deliveries are refused
        unapproved = set(feed.analytical_columns) - {"FakeID"} - set(annual.agencies[feed.code].elements)
        assert not unapproved, f"requests/000.yaml does not approve {feed.code} {sorted(unapproved)}"
    assert {"DCF", "CSSD"} <= set(crossover.agencies)
    assert crossover.agencies["CSSD"].legal_framework == "Juvenile records (C.G.S. 46b-124)"
    assert "42 CFR Part 2" in crossover.agencies["DMHAS"].legal_framework
    assert [p.asset for p in annual.publications] == ["report/annual_report"]


@pytest.mark.parametrize("change, named", [
    ({"agencies": {"DCF": {"legal_framework": "Child welfare (Title IV-E and IV-B, CAPTA)",
                           "elements": ["SUBSTANTIATION", "FavouriteColour"]}}}, "'FavouriteColour'"),
    ({"agencies": {"DCF": {"legal_framework": "Education (FERPA)", "elements": ["SUBSTANTIATION"]}}},
     "falls under ('Child welfare"),
    ({"agencies": {"NOPE": {"legal_framework": "x", "elements": ["a"]}}}, "unknown agencies ['NOPE']"),
    ({"type": "urgent"}, "type"),
    ({"board": {"decision": "approved"}}, "board decision date"),
])
def test_a_bad_request_fails_on_load_naming_what_is_wrong(tmp_path: Path, change: dict, named: str):
    path = file_request(tmp_path, request_yaml("050", {"DCF": ["SUBSTANTIATION"]}, **change))
    with pytest.raises(RequestError, match="050.yaml") as error:
        load_request(path)
    assert named in str(error.value)


def test_unit_level_wage_data_goes_only_to_state_employees(tmp_path: Path):
    outsider = file_request(tmp_path, request_yaml("051", {"DOL": ["RecordType", "Wage"]}))
    with pytest.raises(RequestError, match=r"unit-level wage data \(Wage\) may go only to state employees"):
        load_request(outsider)
    insider = request_yaml("052", {"DOL": ["RecordType", "Wage"]})
    insider["recipients"][0]["state_employee"] = True
    assert load_request(file_request(tmp_path, insider)).request.agencies["DOL"].elements == ("RecordType", "Wage")


def test_deadlines_count_connecticut_business_days_or_24_hours_with_ccic():
    thursday = dt.datetime(2026, 2, 5, 14, 30)  # Lincoln's Birthday (Thu 12 Feb) is a CT state holiday
    assert destruction_deadline(thursday, includes_ccic=False) == dt.datetime(2026, 2, 13, 14, 30)
    friday_before_easter = dt.datetime(2026, 3, 30, 9)  # Good Friday, 3 April 2026
    assert destruction_deadline(friday_before_easter, includes_ccic=False) == dt.datetime(2026, 4, 7, 9)
    assert destruction_deadline(thursday, includes_ccic=True) == dt.datetime(2026, 2, 6, 14, 30)


def test_the_logs_are_append_only_an_edit_breaks_the_chain(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as warehouse:
        append(warehouse, MATCH_LOG, [{"request": "050", "event": "received", "file_name": "DCF.050.01_15_2026.matching"},
                                      {"request": "050", "event": "matched", "file_name": "DCF.050.01_15_2026.matching",
                                       "detail": {"destroy_by": "2026-01-22T10:00:00"}}], run_id="r1")
        append(warehouse, MATCH_LOG, [{"request": "050", "event": "destroyed"}], run_id="r2")
        assert broken_entries(warehouse, MATCH_LOG) == [] and list(read_log(warehouse, MATCH_LOG)["seq"]) == [1, 2, 3]
        with pytest.raises(ValueError, match="no such columns"):
            append(warehouse, MATCH_LOG, [{"ssn": "x"}], run_id="r3")
        warehouse.execute("UPDATE governance.match_log SET match_date = '2026-01-01' WHERE seq = 2").fetchall()
        assert broken_entries(warehouse, MATCH_LOG) == [2]


def test_an_approval_covers_the_build_the_reviewer_saw_not_a_rebuild(tmp_path: Path):
    from p20_platform.governance.review import build_id, record_approval, review

    request = load_request(file_request(tmp_path, request_yaml("053", {"DCF": ["SUBSTANTIATION"],
                                                                       "CSSD": ["CaseType"]}))).request
    document = tmp_path / "summary.csv"
    document.write_text("agency,persons\nDCF,120\n")
    seen = build_id([document])
    record_approval(request, "dcf", seen, "DCF reviewer", folder=tmp_path)
    record_approval(request, "CSSD", seen, "CSSD reviewer", folder=tmp_path)
    assert review(request, seen, tmp_path).cleared
    document.write_text("agency,persons\nDCF,121\n")  # rebuilt with other numbers
    rebuilt = review(request, build_id([document]), tmp_path)
    assert not rebuilt.cleared and rebuilt.waiting_for == ("DCF", "CSSD")
    with pytest.raises(ValueError, match="uses no DOL data"):
        record_approval(request, "DOL", seen, "DOL reviewer", folder=tmp_path)
