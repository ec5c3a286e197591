"""The standing index's authority as code: declared in requests/standing_index.yaml, validated on load, logged in the
request log when it changes, and a failing check, in plain words, when the hub keeps identifiers under none.

A home holding one agency's matching rows (the synthetic DCF file, loaded by the real loader); the check runs in a
real Dagster run of its own (the index is not built: the check reads what the hub holds).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from assets.governance import standing_index_authority
from assets.mpi import crosswalk
from p20_platform.cli import main
from p20_platform.feeds import load_feed
from p20_platform.governance.logs import REQUEST_LOG, read_log
from p20_platform.governance.matches import log_requests
from p20_platform.governance.requests import RequestError, load_requests
from p20_platform.governance.standing_index import FILE_NAME, authority_status, load_authority
from p20_platform.registry import AGENCY_CODES
from p20_platform.resources import DataHome
from p20_platform.settings import paths


@pytest.fixture
def dcf_home(synth_home: Path, tmp_path: Path) -> Path:
    """A data home holding only DCF's delivery, its matching file loaded into the hub. The directory (a Path; `paths()` of it is the Paths)."""
    home = tmp_path / "home"
    (home / "landing" / "DCF").mkdir(parents=True)
    for source in (synth_home / "landing" / "DCF").iterdir():  # the pair: a matching file alone is held
        shutil.copy(source, home / "landing" / "DCF" / source.name)
    assert [d.status for d in load_feed(paths(home), ("DCF", "matching"))] == ["loaded"]
    return home


def check(home: Path) -> dg.AssetCheckEvaluation:
    result = dg.materialize([crosswalk, standing_index_authority], selection=dg.AssetSelection.checks(
        standing_index_authority), resources={"data_home": DataHome(home=str(home))}, raise_on_error=False)
    assert not result.get_asset_materialization_events()  # the check alone: no index built
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def declare(folder: Path, **changes) -> None:
    path = folder / FILE_NAME
    path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()) | changes))


def test_the_repository_declares_a_demo_authority_for_every_agency():
    filed = load_authority()
    assert filed is not None and filed.authority.demo and filed.authority.keep
    assert filed.authority.authority.decision == "approved" and "DEMO" in filed.authority.authority.reference
    assert set(filed.authority.agencies) == set(AGENCY_CODES)  # every demo delivery's identifiers are covered


def test_identifiers_kept_under_no_authority_fail_the_check_loudly(dcf_home: Path, requests_dir: Path):
    home = paths(dcf_home)
    demo = check(dcf_home)  # the repository's demo declaration covers DCF: passes, and says it is a demo
    assert demo.passed and demo.metadata["status"].value.startswith("DEMO AUTHORITY")
    assert "matching.dcf" in demo.metadata["status"].value

    (requests_dir / FILE_NAME).rename(requests_dir / "kept_aside.yaml")
    missing = check(dcf_home)
    assert not missing.passed and missing.severity == dg.AssetCheckSeverity.ERROR
    assert missing.metadata["status"].value.startswith("NO AUTHORITY DECLARED: the hub keeps identifiers between "
                                                       "builds: matching.dcf (agencies DCF)")
    assert main(["requests"]) == 0  # the requests themselves are fine; the command says what is missing

    (requests_dir / "kept_aside.yaml").rename(requests_dir / FILE_NAME)
    declare(requests_dir, agencies=["SDE", "DOL"])
    assert "NO AUTHORITY for DCF" in authority_status(home).message
    declare(requests_dir, agencies=["DCF"], authority={"body": "P20 WIN Data Governing Board", "reference": "minutes",
                                                       "decision": "denied", "date": "2026-03-01"})
    denied = authority_status(home)
    assert not denied.passed and "is denied" in denied.message
    declare(requests_dir, authority={"body": "Board", "reference": "minutes", "decision": "approved",
                                     "date": "2026-03-01"}, review_by="2026-06-30")
    assert authority_status(home, today=dt.date(2026, 6, 30)).passed
    assert "AUTHORITY LAPSED" in authority_status(home, today=dt.date(2026, 7, 1)).message
    declare(requests_dir, keep=False)
    assert "decided the hub must not keep it" in authority_status(home, today=dt.date(2026, 5, 1)).message

    # An empty hub keeps nothing: no authority needed.
    (requests_dir / FILE_NAME).unlink()
    assert authority_status(paths(dcf_home.parent / "empty")).passed


@pytest.mark.parametrize("change, problem", [
    ({"agencies": ["XYZ"]}, "unknown agencies"),
    ({"authority": {"body": "Board", "reference": "minutes", "decision": "approved"}}, "needs its date"),
    ({"kept_forever": True}, "kept_forever"),
    ({"agencies": []}, "agencies"),
])
def test_a_malformed_declaration_is_refused_on_load_naming_the_problem(requests_dir: Path, change: dict,
                                                                        problem: str, tmp_path: Path):
    declare(requests_dir, **change)
    with pytest.raises(RequestError, match=problem):
        load_authority()
    assert main(["requests"]) == 1


def test_the_request_log_records_the_authority_when_it_changes(dcf_home: Path, requests_dir: Path):
    home = paths(dcf_home)
    assert log_requests(home, load_requests(), "first")["standing_index_authority"] == 1
    assert log_requests(home, load_requests(), "again")["standing_index_authority"] == 0
    (requests_dir / FILE_NAME).unlink()
    assert log_requests(home, load_requests(), "withdrawn")["standing_index_authority"] == 1
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        logged = read_log(warehouse, REQUEST_LOG)
    entries = logged[logged["event"] == "standing index authority"]
    assert list(entries["board_decision"]) == ["approved", "none declared"]
    assert "DEMO" in entries["detail"].iloc[0] and entries["agencies"].iloc[0].split(",")[:2] == ["DOL", "SDE"]
