"""Loading real deliveries into the hub and warehouse: archive, manifest, quarantine, currency, no-op reruns."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from feed_files import landed, redeliver, redeliver_pair, replace_field

from p20_platform.feeds import FEEDS, identifier_columns, load_feed, warehouse_identifier_columns
from p20_platform.feeds.archive import archive_path
from p20_platform.feeds.loaders import refuse_identifiers
from p20_platform.registry import AGENCIES, PII_FIELDS


def _query(database, sql, parameters=()):
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


def _manifest(paths, file_name):
    rows = _query(paths.warehouse_db, "SELECT status, reason, rows_read, rows_accepted, rows_quarantined, sha256 "
                  "FROM ops.deliveries WHERE file_name = ? ORDER BY load_seq", [file_name])
    return rows


def _load_all(paths):
    return {feed: load_feed(paths, feed) for feed in FEEDS}


def test_all_feeds_load_into_their_stores_and_a_rerun_is_a_no_op(home_paths):
    loaded = _load_all(home_paths)
    assert all(len(recorded) >= 1 and recorded[-1].status == "loaded" for recorded in loaded.values())

    for feed in AGENCIES:
        hub_columns = [c for (c,) in _query(home_paths.hub_db,
                       "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'matching' "
                       "AND table_name = ? ORDER BY column_index", [feed.code.lower()])]
        assert hub_columns == [*feed.matching_fields, "source_file", "delivery_sha256"]
        delivery = loaded[(feed.code, "matching")][-1]
        hub_rows = _query(home_paths.hub_db, f"SELECT count(*), count(DISTINCT delivery_sha256) "
                          f"FROM matching.{feed.code.lower()}")[0]
        assert hub_rows == (delivery.rows_accepted, 1)

    types = dict(_query(home_paths.warehouse_db, "SELECT column_name, data_type FROM duckdb_columns() "
                        "WHERE schema_name = 'raw_sde' AND table_name = 'analytical'"))
    assert types["FallOfYear"] == "BIGINT" and types["CreditsEarned"] == "DOUBLE"
    assert types["GraduationDate"] == "DATE" and types["FakeID"] == "VARCHAR"
    assert warehouse_identifier_columns(home_paths) == []
    warehouse_columns = {c.lower() for (c,) in _query(home_paths.warehouse_db,
                                                      "SELECT column_name FROM duckdb_columns()")}
    assert not warehouse_columns & {f.lower() for f in PII_FIELDS}

    manifest_rows = _query(home_paths.warehouse_db, "SELECT count(*) FROM ops.deliveries")[0][0]
    assert _load_all(home_paths) == {feed: [] for feed in FEEDS}
    assert _query(home_paths.warehouse_db, "SELECT count(*) FROM ops.deliveries")[0][0] == manifest_rows


def test_landing_files_stay_byte_identical_and_the_archive_holds_them(home_paths):
    path = landed(home_paths.home_dir, "DOL", "matching")
    before = path.read_bytes()
    stat_before = path.stat()
    [delivery] = load_feed(home_paths, ("DOL", "matching"))

    assert path.read_bytes() == before and path.stat().st_mtime_ns == stat_before.st_mtime_ns
    sha = hashlib.sha256(before).hexdigest()
    archived = archive_path(home_paths.archive, sha)
    assert delivery.sha256 == sha and home_paths.home_dir / delivery.archive_path == archived
    assert archived.read_bytes() == before
    assert not archived.stat().st_mode & 0o222  # read-only


def test_bad_rows_are_quarantined_with_original_values_and_good_rows_load(home_paths):
    path = landed(home_paths.home_dir, "DOL", "matching")
    load_feed(home_paths, ("DOL", "matching"))
    clean_rows = _query(home_paths.hub_db, "SELECT count(*) FROM matching.dol")[0][0]
    data = replace_field(path.read_bytes(), 2, "SSN", "12345678")
    data = replace_field(data, 4, "FakeID", data.decode().split("\n")[2].split("\t")[-1])  # line 4 repeats line 3
    fixed = redeliver_pair(path, data)

    [delivery] = load_feed(home_paths, ("DOL", "matching"))
    assert delivery.file_name == fixed.name and delivery.status == "loaded"
    assert delivery.rows_quarantined >= 3 and delivery.rows_accepted == clean_rows - delivery.rows_quarantined
    assert _query(home_paths.hub_db, "SELECT count(*), min(source_file) FROM matching.dol")[0] == (
        delivery.rows_accepted, fixed.name)
    quarantined = dict(_query(home_paths.hub_db, "SELECT line_number, SSN FROM quarantine.dol_matching "
                              "WHERE source_file = ?", [fixed.name]))
    assert quarantined[2] == "12345678" and {3, 4} <= set(quarantined)
    rules = _query(home_paths.hub_db, "SELECT failed_rules FROM quarantine.dol_matching WHERE line_number = 2 "
                   "AND source_file = ?", [fixed.name])[0][0]
    assert "SSN: format [0-9]{9}" in rules
    # quarantine of matching rows stays in the hub: the warehouse has no copy of them
    assert not _query(home_paths.warehouse_db, "SELECT * FROM duckdb_tables() WHERE table_name LIKE '%dol_matching%'")


@pytest.mark.parametrize("corruption", ["truncated", "missing column", "non-UTF-8", "wrong delimiter"])
def test_a_rejected_delivery_leaves_the_previous_one_current(home_paths, corruption):
    path = landed(home_paths.home_dir, "SDE", "analytical")
    load_feed(home_paths, ("SDE", "analytical"))
    before = _query(home_paths.warehouse_db, "SELECT count(*), min(source_file) FROM raw_sde.analytical")
    data = path.read_bytes()
    broken = {"truncated": data[:-40], "missing column": data.replace(b"FallOfYear", b"Fall", 1),
              "non-UTF-8": data[:200] + b"\x92" + data[200:],
              "wrong delimiter": data.replace(b"\t", b";")}[corruption]
    bad = redeliver(path, broken)

    [delivery] = load_feed(home_paths, ("SDE", "analytical"))
    assert delivery.file_name == bad.name and delivery.status == "rejected"
    assert bad.name in delivery.reason and "Fix:" in delivery.reason
    assert _query(home_paths.warehouse_db, "SELECT count(*), min(source_file) FROM raw_sde.analytical") == before
    assert archive_path(home_paths.archive, delivery.sha256).read_bytes() == broken
    assert bad.read_bytes() == broken


def test_versions_duplicates_and_late_older_deliveries(home_paths):
    path = landed(home_paths.home_dir, "CSSD", "analytical")
    data = path.read_bytes()
    one_more_record = data + data.split(b"\n")[1] + b"\n"
    load_feed(home_paths, ("CSSD", "analytical"))

    path.write_bytes(one_more_record)
    [new_version] = load_feed(home_paths, ("CSSD", "analytical"))   # same name, other bytes: a new version
    assert new_version.status == "loaded" and new_version.sha256 != hashlib.sha256(data).hexdigest()
    assert archive_path(home_paths.archive, hashlib.sha256(data).hexdigest()).read_bytes() == data

    copy = redeliver(path, path.read_bytes(), days_later=3)
    [duplicate] = load_feed(home_paths, ("CSSD", "analytical"))      # same bytes under a new name
    assert duplicate.file_name == copy.name and duplicate.status == "duplicate"
    assert path.name in duplicate.reason

    older = redeliver(path, data, days_later=-30)
    [late] = load_feed(home_paths, ("CSSD", "analytical"))
    assert late.file_name == older.name and late.status == "duplicate"  # bytes of the first delivery
    older.write_bytes(one_more_record + data.split(b"\n")[2] + b"\n")
    [late] = load_feed(home_paths, ("CSSD", "analytical"))
    assert late.status == "superseded"
    assert _query(home_paths.warehouse_db, "SELECT DISTINCT source_file FROM raw_cssd.analytical") == [(path.name,)]


def test_files_outside_agency_folders_are_archived_and_rejected(home_paths):
    stray = home_paths.landing / "DOL.000.01_15_2024.matching"
    stray.write_bytes(landed(home_paths.home_dir, "DOL", "matching").read_bytes())
    [delivery] = load_feed(home_paths, None)
    assert delivery.status == "rejected" and "not inside an agency's landing folder" in delivery.reason
    assert archive_path(home_paths.archive, delivery.sha256).exists()


def test_warehouse_refuses_identifier_columns():
    assert identifier_columns(["FakeID", "SSN", "last_name", "raw_x.t.DOB", "Wage", "Gender"]) == [
        "SSN", "last_name", "raw_x.t.DOB"]
    with pytest.raises(ValueError, match="SSN"):
        refuse_identifiers("DOL", ["FakeID", "SSN", "Wage"])
