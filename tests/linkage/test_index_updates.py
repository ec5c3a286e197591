"""The crosswalk asset links a new delivery incrementally (saved model, stable ids) and relinks in
full on demand; the index checks pass on a sound index and fail on a planted bad cluster."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from assets.mpi import FULL_RELINK_TAG, crosswalk, crosswalk_checks
from p20_platform.feeds import load_feed
from p20_platform.linkage.checks import (conflicting_entries, match_rate_drift, oversized_entries,
                                         stored_index_checks)
from p20_platform.linkage.truth_scores import pairwise_scores
from p20_platform.resources import DataHome
from p20_platform.settings import paths


def _hub(home: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(paths(home).hub_db), read_only=True) as connection:
        return connection.sql(sql).df()


def _with_fresh_fakeids(source: Path, target: Path) -> list[str]:
    """`source` written to `target` with every FakeID given an "N" prefix; returns the renamed rows."""
    rows = source.read_text(encoding="utf-8").splitlines()
    fake = rows[0].split("\t").index("FakeID")
    renamed = ["\t".join(["N" + v if i == fake else v for i, v in enumerate(r.split("\t"))]) for r in rows[1:]]
    target.write_text("\n".join([rows[0], *renamed]) + "\n", encoding="utf-8")
    return renamed


def _deliver_doc_again(home: Path) -> int:
    """DOC sends its people again under fresh FakeIDs; returns the number of records. Its pair's analytical file
    carries the same fresh FakeIDs: the pair becomes current together, and an analytical file keyed by FakeIDs its
    matching file does not hold would keep the matching file from loading."""
    landing = paths(home).landing / "DOC"
    renamed = _with_fresh_fakeids(next(landing.glob("*.matching")), landing / "DOC.000.02_15_2026.matching")
    _with_fresh_fakeids(next(landing.glob("*.analytical")), landing / "DOC.000.02_15_2026.analytical")
    assert [d.status for d in load_feed(paths(home), ("DOC", "matching"))] == ["loaded"]
    return len(renamed)


def _materialize(home: Path, tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    result = dg.materialize([crosswalk, crosswalk_checks], resources={"data_home": DataHome(home=str(home))},
                            tags=tags or {})
    assert result.success
    return result


def test_new_delivery_is_linked_incrementally_and_equals_a_full_relink(indexed_copy):
    before = _hub(indexed_copy, "SELECT record_id, agency, p20_id FROM mpi.crosswalk")
    delivered = _deliver_doc_again(indexed_copy)

    incremental = _materialize(indexed_copy).asset_materializations_for_node("mpi__crosswalk")[0].metadata
    assert incremental["incremental"].value is True and incremental["records_scored"].value == delivered
    after_delivery = _hub(indexed_copy, "SELECT record_id, agency, p20_id FROM mpi.crosswalk")
    unchanged = before[before["agency"] != "DOC"].merge(after_delivery, on="record_id")
    assert unchanged.eval("p20_id_x == p20_id_y").mean() > 0.99

    full = _materialize(indexed_copy, {FULL_RELINK_TAG: "true"}).asset_materializations_for_node(
        "mpi__crosswalk")[0].metadata
    assert full["incremental"].value is False and full["records_scored"].value == full["records"].value
    relinked = _hub(indexed_copy, "SELECT record_id, p20_id FROM mpi.crosswalk")
    agreement = pairwise_scores(after_delivery.rename(columns={"p20_id": "cluster_id"}),
                                relinked.rename(columns={"p20_id": "person_id"}))
    assert agreement["pairwise_f1"] >= 0.999
    assert isinstance(full["match_rate"].value, float) and full["match_rate"].value == round(full["match_rate"].value, 3)


def test_nothing_new_relinks_nothing_and_checks_pass(indexed_copy):
    result = _materialize(indexed_copy)
    build = result.asset_materializations_for_node("mpi__crosswalk")[0].metadata
    assert build["incremental"].value is True and build["records_scored"].value == 0
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"no_oversized_entries", "one_identity_per_entry", "match_rate_stable"}
    assert all(check.passed for check in checks.values())


def test_checks_fail_on_a_planted_bad_cluster(indexed_home):
    records = _hub(indexed_home, "SELECT * FROM mpi.records")
    index = _hub(indexed_home, "SELECT record_id, p20_id FROM mpi.crosswalk")
    assert oversized_entries(index).passed and conflicting_entries(records, index).passed

    # one entry swallows the records of 60 different entries holding SASIDs
    victims = index[index["record_id"].isin(records.loc[records["sasid"].notna(), "record_id"])]
    victims = victims.drop_duplicates("p20_id").head(60)["record_id"]
    planted = index.assign(p20_id=index["p20_id"].where(~index["record_id"].isin(victims), "PBAD"))
    oversized, conflicting = oversized_entries(planted), conflicting_entries(records, planted)
    assert not oversized.passed and oversized.metadata["examples"] == ["PBAD"]
    assert not conflicting.passed and conflicting.metadata["examples"] == ["PBAD"]
    assert conflicting.metadata["entries_several_sasid"] == 1

    builds = pd.DataFrame({"strategy": ["probabilistic", "deterministic", "probabilistic"],
                           "match_rate": [0.7468714448236633, 0.70, 0.70]})
    drift = match_rate_drift(builds)
    assert not drift.passed and drift.metadata == {"match_rate": 0.7, "previous_match_rate": 0.747, "drift": -0.047,
                                                   "max_drift": 0.02}
    assert match_rate_drift(builds.iloc[:2]).passed  # the first build of a strategy has nothing to compare with


def test_the_checks_on_the_stored_index_find_what_the_checks_on_every_record_find(indexed_copy):
    """`stored_index_checks` reads into pandas only the entries holding two values of an identifier; on a hub
    with a planted bad entry it finds what the checks over every record and entry find."""
    records = _hub(indexed_copy, "SELECT * FROM mpi.records")
    index = _hub(indexed_copy, "SELECT record_id, p20_id FROM mpi.crosswalk")
    victims = index[index["record_id"].isin(records.loc[records["sasid"].notna(), "record_id"])]
    victims = list(victims.drop_duplicates("p20_id").head(60)["record_id"])
    with duckdb.connect(str(paths(indexed_copy).hub_db)) as hub:
        hub.execute("UPDATE mpi.crosswalk SET p20_id = 'PBAD' WHERE list_contains(?, record_id)", [victims])
        stored = stored_index_checks(hub)
    planted = _hub(indexed_copy, "SELECT record_id, p20_id FROM mpi.crosswalk")
    assert stored["one_identity_per_entry"] == conflicting_entries(records, planted)
    assert stored["no_oversized_entries"] == oversized_entries(planted)
    assert not stored["one_identity_per_entry"].passed and "PBAD" in stored["one_identity_per_entry"].metadata["examples"]
