"""A request's life through real Dagster runs: file it, deliver under its number, link, extract, approve,
publish, and destroy the matching inputs on a clock the test sets.

It needs loads and an index of its own (its deliveries carry its own request number), so it builds a
small home of two agencies (the synthetic DCF and CSSD files, about 5,000 records) and links it
with the deterministic strategy: a few seconds, not a full build.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.feeds import feed_assets
from assets.governance import (destruction, log_checks, match_log, request_definitions, request_log,
                               standing_index_authority)
from assets.mpi import crosswalk
from p20_platform.cli import main
from p20_platform.feeds import load_feed
from p20_platform.feeds.archive import archive_path
from p20_platform.governance.destruction import at_risk
from p20_platform.governance.extracts import PSEUDONYM, build_extract
from p20_platform.governance.logs import MATCH_LOG, append, identifier_hits
from p20_platform.governance.matches import HUB
from p20_platform.governance.requests import load_request
from p20_platform.resources import DataHome
from p20_platform.settings import paths
from request_files import file_request, request_yaml

NUMBER = "014"
APPROVED = {"DCF": ["RecordType", "REPORT_RECEIVED", "SUBSTANTIATION", "PLACEMENT_START_DATE", "PLACEMENT_CATEGORY"],
            "CSSD": ["CaseType", "CaseStartDate"]}


def deliver(synth_home: Path, home: Path, code: str, number: str, approved: list[str] | None) -> dict[str, Path]:
    """The synthetic files of one agency sent under `number`; analytical columns outside `approved` left empty."""
    sent = {}
    for content in ("matching", "analytical"):
        [source] = sorted((synth_home / "landing" / code).glob(f"*.{content}"))
        lines = source.read_text(encoding="utf-8").split("\n")
        header = lines[0].split("\t")
        if content == "analytical" and approved is not None:
            keep = [c in ("FakeID", *approved) for c in header]
            lines = [lines[0]] + ["\t".join(v if k else "" for v, k in zip(line.split("\t"), keep)) if line else line
                                  for line in lines[1:]]
        target = home / "landing" / code / source.name.replace(".000.", f".{number}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines), encoding="utf-8")
        sent[content] = target
    return sent


def identifier_values(synth_home: Path) -> set[str]:
    """SSNs, SASIDs, DOBs and full names in the DCF and CSSD matching files."""
    values = set()
    for code in APPROVED:
        [source] = (synth_home / "landing" / code).glob("*.matching")
        frame = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
        for column in ("SSN", "SASID", "DOB"):
            if column in frame:
                values |= {v for v in frame[column] if len(v) >= 6}
        values |= {f"{first} {last}" for first, last in zip(frame["FirstName"], frame["LastName"]) if first and last}
    return values


def governance_text(home: Path) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        tables = [t for (t,) in warehouse.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'governance'").fetchall()]
        return "\n".join(warehouse.execute(f"SELECT * FROM governance.{t}").df().to_csv() for t in tables)


def event_text(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(str(event.event_specific_data) + (event.message or "") for event in result.all_events)


def review_of(result: dg.ExecuteInProcessResult) -> dict:
    [evaluation] = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                    and e.event_specific_data.check_name == "agency_review"]
    return {"passed": evaluation.passed, **{k: v.value for k, v in evaluation.metadata.items()}}


def test_a_request_from_filing_to_destruction(synth_home: Path, tmp_path: Path, requests_dir: Path):
    home = tmp_path / "home"
    file_request(requests_dir, request_yaml(NUMBER, APPROVED))
    filed = load_request(requests_dir / f"{NUMBER}.yaml")
    sent = {code: deliver(synth_home, home, code, NUMBER, approved) for code, approved in APPROVED.items()}
    lines = sent["DCF"]["matching"].read_text(encoding="utf-8").split("\n")
    fields = lines[1].split("\t")
    fields[lines[0].split("\t").index("DOB")] = "19991399"  # no such date: this row goes to quarantine
    sent["DCF"]["matching"].write_text("\n".join([lines[0], "\t".join(fields), *lines[2:]]), encoding="utf-8")
    resources = {"data_home": DataHome(home=str(home))}
    feeds = [a for a in feed_assets if a.key.path[0] in APPROVED]
    governance = request_definitions(filed)
    extract, review_check, disseminated = governance
    linking = {"ops": {"mpi__crosswalk": {"config": {"strategy": "deterministic"}}}}

    # Deliver, link, log, extract: publishing waits for both agencies' review.
    first = dg.materialize([*feeds, crosswalk, request_log, match_log, *log_checks, standing_index_authority,
                            *governance], resources=resources, run_config=linking, raise_on_error=False)
    built = {e.asset_key.to_user_string() for e in first.get_asset_materialization_events()}
    assert {"DCF/DCF_analytical", "CSSD/CSSD_matching", "mpi/crosswalk", "governance/match_log",
            f"governance/request_{NUMBER}/extract"} <= built
    assert f"governance/request_{NUMBER}/disseminated" not in built
    log_results = {(c.asset_key.path[-1], c.check_name): c.passed for c in first.get_asset_check_evaluations()
                   if c.check_name in ("append_only", "no_identifier_values")}
    assert len(log_results) == 4 and all(log_results.values())
    # The index keeps DCF and CSSD identifiers between builds: under the (demo) authority the repository declares.
    [authority] = [c for c in first.get_asset_check_evaluations() if c.check_name == "standing_index_authority"]
    assert authority.passed and authority.metadata["status"].value.startswith("DEMO AUTHORITY")
    assert set(authority.metadata["kept"].value) == {"DCF", "CSSD", "mpi"}
    assert review_of(first) | {"build": None} == {"passed": False, "request": NUMBER, "build": None,
                                                  "approved_by": [], "waiting_for": ["DCF", "CSSD"]}
    published = home / "published" / "requests" / NUMBER
    assert not published.exists()

    # The extract: approved elements only, a per-request pseudonym, nothing to join on across requests.
    for code, approved in APPROVED.items():
        extract_file = pd.read_parquet(home / "extracts" / NUMBER / f"{code}.parquet")
        assert list(extract_file.columns) == [PSEUDONYM, *approved] and len(extract_file) > 0
    other = build_extract(paths(home), load_request(file_request(
        requests_dir, request_yaml("015", {"DCF": ["SUBSTANTIATION"]}))).request)
    dcf_014 = set(pd.read_parquet(home / "extracts" / NUMBER / "DCF.parquet")[PSEUDONYM])
    dcf_015 = set(pd.read_parquet(other.files[0])[PSEUDONYM])
    assert len(dcf_014) == len(dcf_015) > 0 and not dcf_014 & dcf_015

    # An agency whose data the request does not use cannot approve it.
    assert main(["approve", NUMBER, "--agency", "DOL", "--home", str(home)]) == 1
    # One agency approves: still blocked. Both approve the same build: published.
    assert main(["approve", NUMBER, "--agency", "DCF", "--home", str(home), "--reviewer", "DCF reviewer"]) == 0
    again = dg.materialize(governance, resources=resources, raise_on_error=False)
    assert review_of(again)["waiting_for"] == ["CSSD"] and not published.exists()
    assert main(["approve", NUMBER, "--agency", "CSSD", "--home", str(home), "--reviewer", "CSSD reviewer"]) == 0
    approved_run = dg.materialize([*governance, request_log], resources=resources)
    assert review_of(approved_run)["approved_by"] == ["DCF", "CSSD"]
    summary = pd.read_csv(published / "persons_by_agency.csv", dtype=str)
    assert set(summary["agency"]) == {"DCF", "CSSD", "Total"}

    # The logs, as the manual lists them, filled by the assets.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        requests_logged = warehouse.execute("SELECT request, event FROM governance.request_log").fetchall()
        by_file = warehouse.execute("SELECT * FROM governance.match_log_by_file WHERE request = ? ORDER BY file_name",
                                    [NUMBER]).df()
        deadlines = [dt.datetime.fromisoformat(json.loads(d)["destroy_by"]) for (d,) in warehouse.execute(
            "SELECT detail FROM governance.match_log WHERE event = 'matched'").fetchall()]
    assert {(NUMBER, "filed"), (NUMBER, "agency approval"), (NUMBER, "published"),
            (None, "standing index authority")} <= set(requests_logged)
    assert sorted(by_file["file_name"]) == sorted(s["matching"].name for s in sent.values())
    assert by_file[["date_received", "match_date", "matrix_passed_on", "authorised_representative"]].notna().all().all()
    assert by_file["inputs_destroyed"].isna().all() and set(by_file["receiver"]) == {HUB}
    assert set(by_file["sender"]) == set(APPROVED)
    destroy_by = min(deadlines)  # no CCIC data: five Connecticut business days after the match
    assert dt.timedelta(days=5) <= destroy_by - dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=5)

    # The clock: a day before the deadline nothing goes; within the last pass's margin it is at risk and destroyed.
    def destroy_at(moment: dt.datetime) -> dg.ExecuteInProcessResult:
        return dg.materialize([destruction], resources=resources, run_config={
            "ops": {"governance__destruction": {"config": {"as_of": moment.isoformat()}}}})

    early = destroy_at(destroy_by - dt.timedelta(days=1))
    assert early.asset_materializations_for_node("governance__destruction")[0].metadata["destroyed_now"].value == 0
    assert all(s["matching"].exists() for s in sent.values())
    assert len(at_risk(paths(home), destroy_by - dt.timedelta(hours=1))) == 2
    on_time = destroy_at(destroy_by - dt.timedelta(hours=1))
    assert on_time.asset_materializations_for_node("governance__destruction")[0].metadata["destroyed_now"].value == 2
    assert all(check.passed for check in on_time.get_asset_check_evaluations())
    for code, files in sent.items():
        assert not files["matching"].exists() and files["analytical"].exists()  # only matching inputs go
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as hub:
        assert hub.execute("SELECT count(*) FROM quarantine.dcf_matching").fetchall() == [(0,)]
        # The standing index keeps its inputs (see p20_platform/governance/standing_index.py: what, on what authority).
        assert hub.execute("SELECT count(*) FROM matching.dcf").fetchall()[0][0] > 0
        assert hub.execute("SELECT count(*) FROM mpi.records").fetchall()[0][0] > 0
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        certificates = [json.loads(d) for (d,) in warehouse.execute(
            "SELECT detail FROM governance.match_log WHERE event = 'destroyed'").fetchall()]
        destroyed_dates = warehouse.execute("SELECT inputs_destroyed FROM governance.match_log_by_file "
                                            "WHERE request = ?", [NUMBER]).fetchall()
    for certificate in certificates:
        kinds = {item["what"] for item in certificate["destroyed"]}
        assert kinds == {"landing copy", "archive copy", "hub quarantined identifier rows"} and not certificate["late"]
        assert all(re.fullmatch(r"[0-9a-f]{64}", item["sha256"]) for item in certificate["destroyed"])
    assert sorted(item["rows"] for c in certificates for item in c["destroyed"] if "rows" in item) == [0, 1]
    assert all(d is not None for (d,) in destroyed_dates)
    assert not any(archive_path(home / "archive", c["destroyed"][1]["sha256"]).exists() for c in certificates)

    # No identifier value in any log, any run's events or anything published.
    identifiers = identifier_values(synth_home)
    logged = "\n".join([governance_text(home), *map(event_text, (first, again, approved_run, early, on_time)),
                        summary.to_csv()])
    assert identifiers and not [value for value in identifiers if value in logged]
    # The logs' own check would see one: an entry carrying an SSN is found.
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as hub:
        [(ssn,)] = hub.execute("SELECT SSN FROM matching.dcf WHERE SSN IS NOT NULL LIMIT 1").fetchall()
    with duckdb.connect(str(home / "warehouse.duckdb")) as warehouse:
        append(warehouse, MATCH_LOG, [{"request": NUMBER, "event": "note", "detail": {"oops": ssn}}], run_id="test")
        with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as hub:
            assert identifier_hits(warehouse, hub, MATCH_LOG)["ssn"] == 1


def test_a_delivery_outside_its_request_is_rejected_naming_the_element(synth_home: Path, tmp_path: Path,
                                                                       requests_dir: Path):
    home = tmp_path / "home"
    file_request(requests_dir, request_yaml("016", {"DCF": ["RecordType", "SUBSTANTIATION"], "CSSD": ["CaseType"]}))
    [analytical] = [deliver(synth_home, home, "DCF", "016", approved=None)["analytical"]]  # every column filled
    unfiled = deliver(synth_home, home, "CSSD", "099", approved=None)["analytical"]
    original = analytical.read_bytes()

    [refused] = load_feed(paths(home), ("DCF", "analytical"))
    assert refused.status == "rejected"
    assert "carries elements request 016 did not approve for DCF: REPORT_ID, REPORT_RECEIVED" in refused.reason
    assert "SUBSTANTIATION" not in refused.reason.split("approve for DCF:")[1].split(".")[0]
    assert analytical.read_bytes() == original  # the delivery is kept unchanged
    [unknown] = load_feed(paths(home), ("CSSD", "analytical"))
    assert unknown.status == "rejected" and "request 099 names no filed request" in unknown.reason
    assert unfiled.exists()

    # The same file, its unapproved columns left empty, is accepted.
    trimmed = deliver(synth_home, tmp_path / "agency", "DCF", "016", approved=["RecordType", "SUBSTANTIATION"])["analytical"]
    assert main(["validate", str(trimmed)]) == 0
    with pytest.raises(SystemExit):
        main(["approve"])  # the command names what it needs
