"""The mpi assets materialized by Dagster on the small synthetic population (feeds already loaded)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb

from assets.mpi import crosswalk, linkage_evaluation
from p20_platform.resources import DataHome
from p20_platform.settings import paths


def test_materializing_the_index_and_its_evaluation(hub_home: Path, tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(hub_home, home)
    monkeypatch.delenv("P20_PET_KEY", raising=False)
    monkeypatch.delenv("P20_PET_KEY_FILE", raising=False)
    result = dg.materialize([crosswalk, linkage_evaluation], resources={"data_home": DataHome(home=str(home))},
                            run_config={"ops": {"mpi__linkage_evaluation": {"config": {
                                "compare_with": ["deterministic", "probabilistic", "pet-keys"]}}}})
    assert result.success

    index = result.asset_materializations_for_node("mpi__crosswalk")[0].metadata
    assert index["strategy"].value == "probabilistic" and index["model_trained"].value is True
    assert 0.5 < index["match_rate"].value <= 1 and index["persons"].value < index["records"].value

    scores = result.asset_materializations_for_node("mpi__linkage_evaluation")[0].metadata
    assert scores["probabilistic/pairwise_precision"].value >= 0.99
    assert scores["deterministic/pairwise_recall"].value < scores["probabilistic/pairwise_recall"].value
    report = paths(home).reports / "linkage_evaluation.md"
    assert report.is_file() and "By subgroup" in report.read_text()
    # Without a shared key the PET strategy is reported as not evaluated, not silently dropped.
    assert "no PET key" in scores["not_evaluated"].value["pet-keys"]
    assert "Not evaluated: pet-keys" in report.read_text()

    with duckdb.connect(str(paths(home).hub_db), read_only=True) as hub:
        names = {v for (v,) in hub.sql("SELECT DISTINCT last_name FROM mpi.records WHERE length(last_name) > 3"
                                       ).fetchall()}
        review = hub.sql("SELECT count(*) FROM mpi.clerical_review").fetchall()[0][0]
    logged = " ".join(str(e.event_specific_data) + str(e.message) for e in result.all_events)
    assert review > 0
    assert not any(name in logged for name in names)
