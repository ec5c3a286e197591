"""The master person index in the hub: full rebuilds, stable ids, incremental deliveries, no PII out."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from p20_platform.feeds import load_feed
from p20_platform.linkage.hub import rebuild_index, update_index
from p20_platform.linkage.pet_key import create_demo_key
from p20_platform.linkage.probabilistic import person_clusters
from p20_platform.linkage.truth_scores import pairwise_scores
from p20_platform.settings import paths


def _table(database: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql(sql).df()


def _crosswalk(home: Path) -> pd.DataFrame:
    return _table(paths(home).hub_db, "SELECT record_id, agency, FakeID, p20_id FROM mpi.crosswalk")


def test_published_crosswalk_is_pseudonymous_and_covers_every_record(indexed_home):
    published = _table(paths(indexed_home).warehouse_db, "SELECT * FROM mpi.crosswalk")
    assert list(published.columns) == ["agency", "FakeID", "p20_id"]
    hub = _crosswalk(indexed_home)
    assert len(published) == len(hub) and published["p20_id"].nunique() == hub["p20_id"].nunique()
    records = _table(paths(indexed_home).hub_db, "SELECT first_name, last_name, dob, ssn FROM mpi.records")
    identifiers = set(records.stack().dropna().astype(str))
    assert not identifiers & set(published.astype(str).stack())


def test_rebuild_reuses_the_stored_model_and_keeps_every_id(indexed_copy):
    before = _crosswalk(indexed_copy)
    build = rebuild_index(paths(indexed_copy), "probabilistic")
    assert not build.model_trained and build.records == len(before)
    after = _crosswalk(indexed_copy)
    assert before.merge(after, on="record_id").eval("p20_id_x == p20_id_y").all()


def test_other_strategy_rebuild_keeps_most_ids(indexed_copy):
    before = _crosswalk(indexed_copy)
    build = rebuild_index(paths(indexed_copy), "deterministic")
    after = _crosswalk(indexed_copy)
    kept = before.merge(after, on="record_id").eval("p20_id_x == p20_id_y").mean()
    assert build.strategy == "deterministic" and kept > 0.9


def _with_fresh_fakeids(source: Path, target: Path) -> tuple[list[str], int]:
    """`source` written to `target` with every FakeID given an "N" prefix; the renamed rows and the FakeID column."""
    rows = source.read_text(encoding="utf-8").splitlines()
    fake = rows[0].split("\t").index("FakeID")
    renamed = ["\t".join(["N" + v if i == fake else v for i, v in enumerate(r.split("\t"))]) for r in rows[1:]]
    target.write_text("\n".join([rows[0], *renamed]) + "\n", encoding="utf-8")
    return renamed, fake


def test_incremental_delivery_matches_a_full_rebuild(indexed_copy):
    """DOC sends a new delivery (same people, fresh FakeIDs); only it is scored, and the index equals
    the one a full rebuild gives, with the unchanged people keeping their ids."""
    home = paths(indexed_copy)
    old_file = next((home.landing / "DOC").glob("*.matching"))
    new_file = home.landing / "DOC" / "DOC.000.02_15_2026.matching"
    renamed, fake = _with_fresh_fakeids(old_file, new_file)
    # its pair's other file, under the same fresh FakeIDs: the pair becomes current together, and an analytical
    # file keyed by FakeIDs its matching file does not hold would keep the matching file from loading
    _with_fresh_fakeids(old_file.with_suffix(".analytical"), new_file.with_suffix(".analytical"))
    assert [d.status for d in load_feed(home, ("DOC", "matching"))] == ["loaded"]
    before = _crosswalk(indexed_copy)

    build = update_index(paths(indexed_copy))
    incremental = _crosswalk(indexed_copy)
    assert build.incremental and build.records_scored == len(renamed) < build.records
    assert set(incremental.loc[incremental["agency"] == "DOC", "FakeID"]) == {r.split("\t")[fake] for r in renamed}
    # only the persons the delivery reaches were clustered again: the same persons as clustering every stored pair
    reclustered = person_clusters(_table(home.hub_db, "SELECT * FROM mpi.records"), _table(
        home.hub_db, "SELECT * FROM mpi.pairs"))
    same = pairwise_scores(incremental.rename(columns={"p20_id": "cluster_id"}),
                           reclustered.rename(columns={"cluster_id": "person_id"}))
    assert same["pairwise_precision"] == same["pairwise_recall"] == 1.0
    published = _table(home.warehouse_db, "SELECT agency, FakeID, p20_id FROM mpi.crosswalk")
    assert published.sort_values(["agency", "FakeID"], ignore_index=True).equals(
        incremental[["agency", "FakeID", "p20_id"]].sort_values(["agency", "FakeID"], ignore_index=True))

    rebuild_index(paths(indexed_copy), "probabilistic")
    full = _crosswalk(indexed_copy)
    agreement = pairwise_scores(incremental.rename(columns={"p20_id": "cluster_id"}),
                                full.rename(columns={"p20_id": "person_id"}))
    assert agreement["pairwise_f1"] >= 0.999
    unchanged = before[before["agency"] != "DOC"].merge(incremental, on="record_id")
    assert unchanged.eval("p20_id_x == p20_id_y").mean() > 0.99


def test_published_person_attributes_follow_the_majority_and_hold_no_date_of_birth():
    from p20_platform.linkage.hub import person_attributes

    records = pd.DataFrame({
        "record_id": ["a", "b", "c", "d", "e", "f"],
        "agency": ["SDE", "DCF", "DSS", "DOL", "SDE", "SDE"],
        "dob": ["2004-08-02", "2004-08-02", "2004-02-08", None, "1999-06-30", "2001-01-01"],
        "gender": ["F", None, "M", None, "M", None],
        "ssn": [None, None, "078051121", None, None, None],
    })
    ids = pd.DataFrame({"record_id": ["a", "b", "c", "d", "e", "f"], "p20_id": ["P1", "P1", "P1", "P2", "P3", "P4"]})
    persons = person_attributes(records, ids).set_index("p20_id")
    assert list(persons.columns) == ["birth_year", "born_by_june_30", "sex", "wage_linkable"]
    assert persons.loc["P1", "birth_year"] == 2004 and not persons.loc["P1", "born_by_june_30"]
    assert persons.loc["P1", "sex"] == "F"  # one vote each: the tie goes to the earliest value
    assert pd.isna(persons.loc["P2", "birth_year"]) and pd.isna(persons.loc["P2", "sex"])
    assert persons.loc["P3", "born_by_june_30"] and persons.loc["P3", "birth_year"] == 1999
    # one SSN anywhere in the entry, or a wage record itself, is what lets wages link
    assert persons["wage_linkable"].to_dict() == {"P1": True, "P2": True, "P3": False, "P4": False}
    assert not set(persons.astype(str).stack()) & {"078051121"}


def _published_wage_linkable(home: Path) -> pd.Series:
    persons = _table(paths(home).warehouse_db, "SELECT p20_id, wage_linkable FROM mpi.persons")
    return persons.set_index("p20_id")["wage_linkable"].astype(bool).sort_index()


def _hub_wage_linkable(home: Path) -> pd.Series:
    """From the hub's own tables: does any record of the entry hold an SSN or come from DOL."""
    entries = _table(paths(home).hub_db, """
        SELECT crosswalk.p20_id, bool_or(records.ssn IS NOT NULL OR records.agency = 'DOL') AS wage_linkable
        FROM mpi.records AS records JOIN mpi.crosswalk AS crosswalk USING (record_id)
        GROUP BY crosswalk.p20_id""")
    return entries.set_index("p20_id")["wage_linkable"].astype(bool).sort_index()


def test_published_wage_linkable_says_whether_an_entry_holds_an_ssn_for_every_strategy(indexed_copy):
    """Only the flag leaves the hub; PET strategies, which link on keyed digests, publish the same thing."""
    def assert_published_flag_is_the_hubs() -> None:
        published = _published_wage_linkable(indexed_copy)
        assert published.equals(_hub_wage_linkable(indexed_copy))
        assert 0.5 < published.mean() < 1.0  # youth known only to education have no SSN

    assert_published_flag_is_the_hubs()
    create_demo_key(paths(indexed_copy))
    rebuild_index(paths(indexed_copy), "pet-keys")
    assert_published_flag_is_the_hubs()
    columns = _table(paths(indexed_copy).warehouse_db, "SELECT * FROM mpi.persons LIMIT 0").columns
    assert list(columns) == ["p20_id", "birth_year", "born_by_june_30", "sex", "wage_linkable"]


def test_people_new_to_an_agency_are_clustered_as_relinking_every_pair_would(indexed_copy):
    """DOC's delivery grows by people known to DCF but never to DOC: their new records link to entries
    that held no replaced record, and the index still equals a clustering of every stored pair."""
    home = paths(indexed_copy)
    with duckdb.connect(str(home.hub_db)) as hub:
        hub.execute("""
            INSERT INTO matching.doc BY NAME
            SELECT "LastName", "FirstName", "DOB", "Gender", "SSN", 'X' || "FakeID" AS "FakeID",
                   (SELECT any_value(source_file) FROM matching.doc) AS source_file, delivery_sha256
            FROM matching.dcf ORDER BY "FakeID" LIMIT 150""").fetchall()
    build = update_index(home)
    assert build.incremental and build.records_scored > 150
    crosswalk = _crosswalk(indexed_copy)
    joined = crosswalk[crosswalk["FakeID"].str.startswith("X")].merge(
        crosswalk[crosswalk["agency"] == "DCF"], on="p20_id", suffixes=("", "_dcf"))
    assert (joined["FakeID"] == "X" + joined["FakeID_dcf"]).sum() > 100  # most found their DCF record
    reclustered = person_clusters(_table(home.hub_db, "SELECT * FROM mpi.records"), _table(
        home.hub_db, "SELECT * FROM mpi.pairs"))
    same = pairwise_scores(crosswalk.rename(columns={"p20_id": "cluster_id"}),
                           reclustered.rename(columns={"cluster_id": "person_id"}))
    assert same["pairwise_precision"] == same["pairwise_recall"] == 1.0
