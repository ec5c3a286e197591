"""The Spark engine (`P20_ENGINE=spark`, local mode) end to end on the small population, next to DuckDB.

The DuckDB side is the session's build of the real index (`estimated_home`, tests/conftest.py: the
model trained and scored on DuckDB, the dbt models with the disconnected estimate between them),
published here. The Spark side starts from the same home before its estimate (`linked_home`: same
stored model, same prior p20_ids, the analytical feeds loaded), rebuilds the index scoring on Spark,
then Dagster builds the dbt models (not their tests: those ran on the DuckDB side), the estimate
between them and the published copy. The crosswalk must be as good against truth, and the marts
the same row for row.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.estimation import undecided_status
from assets.marts import DBT_ASSETS, published_marts
from p20_platform.linkage.hub import read_table, rebuild_index
from p20_platform.linkage.truth_scores import load_truth, pairwise_scores
from p20_platform.resources import DataHome
from p20_platform.settings import Paths, paths
from p20_platform.transform import MART_TABLES


def _materialize(home: Path, assets: list, selection: dg.AssetSelection | None = None) -> None:
    result = dg.materialize(assets, resources={"data_home": DataHome(home=str(home))}, raise_on_error=False,
                            selection=selection)
    assert result.success


def _on_duckdb(estimated_home: Paths, home: Path) -> Path:
    """A copy of the session's DuckDB build, published by Dagster (the shared home stays unchanged)."""
    shutil.copytree(estimated_home.home_dir, home)
    _materialize(home, [published_marts])
    return home


def _on_spark(linked_home: Paths, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(linked_home.home_dir, home)
    with monkeypatch.context() as env:
        env.setenv("P20_ENGINE", "spark")
        build = rebuild_index(paths(home), "probabilistic")
    assert not build.model_trained  # the stored model, scored on Spark
    # The models only: their dbt tests ran on the DuckDB side's build of the same deliveries (`estimated_home`),
    # and the marts are compared with it row for row below.
    _materialize(home, [*DBT_ASSETS, undecided_status, published_marts], dg.AssetSelection.all().without_checks())
    return home


def _crosswalk(home: Path):
    with duckdb.connect(str(paths(home).hub_db), read_only=True) as hub:
        return read_table(hub, "mpi", "crosswalk")[["record_id", "p20_id"]]


def test_spark_links_as_well_as_duckdb_and_gives_the_same_marts(linked_home: Paths, estimated_home: Paths,
                                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    duck = _on_duckdb(estimated_home, tmp_path / "duckdb")
    spark = _on_spark(linked_home, tmp_path / "spark", monkeypatch)

    truth, _ = load_truth(paths(duck))
    duck_links, spark_links = _crosswalk(duck), _crosswalk(spark)
    as_clusters = {"p20_id": "cluster_id"}
    duck_scores = pairwise_scores(duck_links.rename(columns=as_clusters), truth)
    spark_scores = pairwise_scores(spark_links.rename(columns=as_clusters), truth)
    assert duck_scores["pairwise_precision"] > 0.99 and duck_scores["pairwise_recall"] > 0.8
    assert spark_scores == pytest.approx(duck_scores, abs=1e-3)
    same = duck_links.merge(spark_links, on=["record_id", "p20_id"])
    assert len(same) == len(duck_links) == len(spark_links)  # every record in the same person, same id

    for mart in MART_TABLES:
        tables = [paths(home).published / "parquet" / f"{mart}.parquet" for home in (duck, spark)]
        with duckdb.connect() as connection:
            rows = connection.execute(f"SELECT count(*) FROM '{tables[0]}'").fetchall()[0][0]
            differing = connection.execute(
                f"SELECT count(*) FROM ((FROM '{tables[0]}' EXCEPT ALL FROM '{tables[1]}') UNION ALL "
                f"(FROM '{tables[1]}' EXCEPT ALL FROM '{tables[0]}'))").fetchall()[0][0]
        assert rows > 0 and differing == 0, mart

    # The published Parquet marts are what a Spark cluster reads: the same rows there.
    from p20_platform.linkage.backend import spark_session

    counts = paths(spark).published / "parquet" / "disconnected_youth_counts.parquet"
    with duckdb.connect() as connection:
        assert spark_session().read.parquet(str(counts)).count() == connection.execute(
            f"SELECT count(*) FROM '{counts}'").fetchall()[0][0]
