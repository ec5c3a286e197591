"""Matching files that are never matched (rejected, duplicate, superseded, replaced before their match) are destroyed
on their deadline too, by the scheduled destruction asset, on a clock the test sets; the current delivery stays.

One agency's matching files only (the synthetic DCF file and variants of it), loaded by the real loaders: no index
build, so the current delivery is never matched and must survive any clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from assets.governance import destruction
from p20_platform.feeds import load_feed
from p20_platform.feeds.archive import archive_path
from p20_platform.governance.deadlines import add_business_days
from p20_platform.governance.destruction import (OVERTAKEN, REAPPEARED, REPLACED, RETIRED_REASONS, at_risk, destroy_due,
                                                 outstanding)
from p20_platform.governance.logs import MATCH_LOG, REQUEST_LOG, identifier_hits, read_log
from p20_platform.governance.matches import log_matching_inputs
from p20_platform.governance.requests import load_requests
from p20_platform.resources import DataHome
from p20_platform.settings import paths
from request_files import file_request, request_yaml

FEED = ("DCF", "matching")


def variant(source: Path, target: Path, drop_line: int | None = None, bad_dob: bool = False) -> Path:
    """The synthetic DCF matching file under another name; one record left out, or one DOB made impossible."""
    lines = source.read_text(encoding="utf-8").split("\n")
    if bad_dob:
        fields = lines[1].split("\t")
        fields[lines[0].split("\t").index("DOB")] = "19991399"
        lines[1] = "\t".join(fields)
    if drop_line is not None:
        del lines[drop_line]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def with_partner(matching: Path, source: Path) -> Path:
    """Send the matching file's analytical partner too (the synthetic DCF analytical file under the same request and
    date), consistent with it: only the rows of the matching file's FakeIDs, and values only in the element the tests'
    requests approve for DCF (RecordType; the layout keeps the other columns, empty). The pair becomes current together:
    a matching file whose partner has not arrived, or would be rejected or held, is held, not loaded."""
    lines = matching.read_text(encoding="utf-8").split("\n")
    fake_ids = {line.split("\t")[lines[0].split("\t").index("FakeID")] for line in lines[1:] if line}
    header, *rows = next(source.parent.glob("*.analytical")).read_text(encoding="utf-8").split("\n")
    columns = header.split("\t")
    kept = [i for i, c in enumerate(columns) if c in ("FakeID", "RecordType")]
    rows = [row.split("\t") for row in rows if row]
    partner = ["\t".join(v if i in kept else "" for i, v in enumerate(row)) for row in rows
               if row[columns.index("FakeID")] in fake_ids]
    matching.with_suffix(".analytical").write_text("\n".join([header, *partner]) + "\n", encoding="utf-8")
    return matching


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_never_matched_are_destroyed_on_their_deadline_and_the_current_delivery_is_kept(
        synth_home: Path, tmp_path: Path, requests_dir: Path):
    file_request(requests_dir, request_yaml("014", {"DCF": ["RecordType"]}))
    file_request(requests_dir, request_yaml("017", {"DCF": ["RecordType"], "CCIC": ["Institution"]}))
    home = paths(tmp_path / "home")
    [source] = (synth_home / "landing" / "DCF").glob("*.matching")
    landing = home.agency_landing("DCF")

    first = with_partner(variant(source, landing / "DCF.014.01_31_2024.matching"), source)
    assert [d.status for d in load_feed(home, FEED)] == ["loaded"]
    duplicate = variant(source, landing / "DCF.017.02_01_2024.matching")  # CCIC in its request: 24 hours
    rejected = variant(source, landing / "DCF.099.01_31_2024.matching", drop_line=2)  # no request 099
    older = variant(source, landing / "DCF.014.12_31_2023.matching", drop_line=3, bad_dob=True)
    assert sorted(d.status for d in load_feed(home, FEED)) == ["duplicate", "rejected", "superseded"]
    current = with_partner(variant(source, landing / "DCF.014.03_31_2024.matching", drop_line=4), source)
    assert [d.status for d in load_feed(home, FEED)] == ["loaded"]  # the first delivery is replaced before any match
    copy_of_current = variant(source, landing / "DCF.014.04_01_2024.matching", drop_line=4)
    assert [d.status for d in load_feed(home, FEED)] == ["duplicate"]
    gone = [first, duplicate, rejected, older, copy_of_current]

    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        arrived = dict(warehouse.execute("SELECT file_name, loaded_at FROM ops.deliveries").fetchall())
    due = {item.file_name: item for item in outstanding(home)}
    assert set(due) == {f.name for f in gone}  # the current delivery is not outstanding: it waits for its match
    assert due[first.name].reason == REPLACED and due[first.name].counted_from == arrived[current.name]
    assert due[older.name].reason == RETIRED_REASONS["superseded"]
    assert due[rejected.name].reason == RETIRED_REASONS["rejected"]
    assert due[duplicate.name].destroy_by == arrived[duplicate.name] + dt.timedelta(hours=24)
    assert due[rejected.name].destroy_by == add_business_days(arrived[rejected.name], 5)

    # The match log shows each one as not matched, with why and by when; no identifier value in it.
    assert log_matching_inputs(home, load_requests(), "test")["not_matched"] == 5
    assert log_matching_inputs(home, load_requests(), "test")["not_matched"] == 0
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        logged = read_log(warehouse, MATCH_LOG)
    not_matched = logged[logged["event"] == "not matched"]
    assert {json.loads(d)["destroy_by"] for d in not_matched["detail"]} == {i.destroy_by.isoformat() for i in due.values()}
    assert set(logged.loc[logged["event"] == "received", "file_name"]) == {f.name for f in [*gone, current]}

    def destroy_at(moment: dt.datetime) -> dg.ExecuteInProcessResult:
        return dg.materialize([destruction], resources={"data_home": DataHome(home=str(home.home_dir))}, run_config={
            "ops": {"governance__destruction": {"config": {"as_of": moment.isoformat()}}}})

    # Before the earliest deadline (24 hours) comes within the margin: nothing goes, nothing is at risk.
    early = destroy_at(min(arrived.values()) + dt.timedelta(hours=12))
    assert early.asset_materializations_for_node("governance__destruction")[0].metadata["destroyed_now"].value == 0
    assert all(f.exists() for f in [*gone, current]) and early.get_asset_check_evaluations()[0].passed
    # The "about to be missed" check sees them: within the margin of a deadline, a file is at risk.
    ccic = due[duplicate.name].destroy_by
    assert [i.file_name for i in at_risk(home, ccic - dt.timedelta(hours=1))] == [duplicate.name]
    first_pass = destroy_at(ccic - dt.timedelta(hours=1))
    assert first_pass.asset_materializations_for_node("governance__destruction")[0].metadata["destroyed_files"].value \
        == [duplicate.name]
    assert not duplicate.exists() and all(f.exists() for f in [first, rejected, older, copy_of_current, current])
    last = max(item.destroy_by for item in due.values())
    assert {i.file_name for i in at_risk(home, last - dt.timedelta(hours=1))} == set(due) - {duplicate.name}

    on_time = destroy_at(last - dt.timedelta(hours=1))
    assert on_time.asset_materializations_for_node("governance__destruction")[0].metadata["destroyed_now"].value == 4
    assert on_time.get_asset_check_evaluations()[0].passed
    assert not any(f.exists() for f in gone) and current.exists()
    assert archive_path(home.archive, sha256(current)).exists()  # shared with its duplicate, kept with it
    for retired in (first, rejected, older):
        assert not archive_path(home.archive, due[retired.name].sha256).exists()
    with duckdb.connect(str(home.hub_db), read_only=True) as hub:
        quarantined = hub.execute("SELECT DISTINCT source_file FROM quarantine.dcf_matching").fetchall()
        assert older.name not in {name for (name,) in quarantined}  # its impossible DOB row is gone too
        assert hub.execute("SELECT DISTINCT source_file FROM matching.dcf").fetchall() == [(current.name,)]
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        certificates = {row["file_name"]: json.loads(row["detail"]) for row in read_log(warehouse, MATCH_LOG)
                        .query("event == 'destroyed'").to_dict("records")}
    assert set(certificates) == set(due) and not any(c["late"] for c in certificates.values())
    assert {c["reason"] for c in certificates.values()} == {REPLACED, *RETIRED_REASONS.values()}
    assert [item["what"] for item in certificates[copy_of_current.name]["destroyed"]] == ["landing copy",
                                                                                          "archive copy kept"]
    assert {item["what"] for item in certificates[older.name]["destroyed"]} == {
        "landing copy", "archive copy", "hub quarantined identifier rows"}

    # A year on, the current delivery, never matched, is still there: the platform needs it for its match.
    later = destroy_at(last + dt.timedelta(days=365))
    assert later.asset_materializations_for_node("governance__destruction")[0].metadata["destroyed_now"].value == 0
    assert current.exists() and later.get_asset_check_evaluations()[0].passed and not outstanding(home)

    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse, \
            duckdb.connect(str(home.hub_db), read_only=True) as hub:
        assert not any(identifier_hits(warehouse, hub, MATCH_LOG).values())
        assert not any(identifier_hits(warehouse, hub, REQUEST_LOG).values())


def test_a_held_delivery_is_kept_until_a_newer_delivery_overtakes_it(synth_home: Path, tmp_path: Path,
                                                                     requests_dir: Path):
    file_request(requests_dir, request_yaml("014", {"DCF": ["RecordType"]}))
    home = paths(tmp_path / "home")
    [source] = (synth_home / "landing" / "DCF").glob("*.matching")
    landing = home.agency_landing("DCF")
    with_partner(variant(source, landing / "DCF.014.01_31_2024.matching"), source)
    load_feed(home, FEED)
    lines = source.read_text(encoding="utf-8").split("\n")
    held = landing / "DCF.014.03_31_2024.matching"
    held.write_text("\n".join(lines[: len(lines) // 4]) + "\n", encoding="utf-8")  # a quarter of the rows: held
    assert [d.status for d in load_feed(home, FEED)] == ["held"]
    assert not outstanding(home)  # it may still be confirmed and become current

    newer = with_partner(variant(source, landing / "DCF.014.06_30_2024.matching", drop_line=2), source)
    assert [d.status for d in load_feed(home, FEED)] == ["loaded"]
    due = {item.file_name: item for item in outstanding(home)}
    assert due[held.name].reason == OVERTAKEN and newer.name not in due
    with duckdb.connect(str(home.warehouse_db), read_only=True) as warehouse:
        [(arrived,)] = warehouse.execute("SELECT loaded_at FROM ops.deliveries WHERE file_name = ?",
                                         [newer.name]).fetchall()
    assert due[held.name].counted_from == arrived
    assert destroy_due(home, "test", due[held.name].destroy_by - dt.timedelta(hours=1))["file_name"].tolist() == [
        "DCF.014.01_31_2024.matching", held.name]
    assert not held.exists() and newer.exists()


def test_a_matching_file_dropped_outside_any_agency_folder_is_destroyed_within_24_hours_when_it_is_ccic(
        synth_home: Path, tmp_path: Path, requests_dir: Path):
    home = paths(tmp_path / "home")
    [source] = (synth_home / "landing" / "CCIC").glob("*.matching")
    stray = variant(source, home.landing / source.name)
    [refused] = load_feed(home, None)
    assert refused.status == "rejected" and refused.agency is None
    [item] = outstanding(home)
    assert item.destroy_by == refused.loaded_at + dt.timedelta(hours=24) and item.landing_path == stray.name
    assert destroy_due(home, "test", item.destroy_by - dt.timedelta(hours=1))["file_name"].tolist() == [stray.name]
    assert not stray.exists() and not archive_path(home.archive, item.sha256).exists()

    # Dropped again, the same file is archived again before the loader sees it was recorded: due again at once.
    variant(source, home.landing / source.name)
    assert load_feed(home, None) == [] and archive_path(home.archive, item.sha256).exists()
    [again] = outstanding(home)
    assert again.reason.endswith(REAPPEARED) and again.destroy_by == item.destroy_by
    later = item.destroy_by + dt.timedelta(days=3)
    assert destroy_due(home, "test", later)["file_name"].tolist() == [stray.name]
    assert not stray.exists() and not archive_path(home.archive, item.sha256).exists() and not outstanding(home)
