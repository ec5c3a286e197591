"""Links between records -> persons (connected components), shared by every strategy."""

from __future__ import annotations

import pandas as pd
from splink import DuckDBAPI
from splink.clustering import cluster_pairwise_predictions_at_threshold


def connected_components(record_ids: pd.Series, links: pd.DataFrame) -> pd.DataFrame:
    """Resolve links transitively: DataFrame[record_id, cluster_id], one row per record.

    `links` holds `record_id_l`, `record_id_r` for pairs judged to be the same person; a
    record with no link is its own cluster. Uses Splink's DuckDB connected-components solver
    so millions of records cluster in seconds.
    """
    nodes = pd.DataFrame({"record_id": pd.Series(record_ids, dtype="string").to_numpy()})
    edges = links[["record_id_l", "record_id_r"]].astype("string")
    db_api = DuckDBAPI()
    try:
        clusters = cluster_pairwise_predictions_at_threshold(
            nodes, edges, db_api=db_api, node_id_column_name="record_id",
        ).as_pyarrow_table().to_pandas()  # Arrow: far faster than DuckDB's pandas conversion
    finally:
        db_api.duckdb_con.close()
    return clusters[["record_id", "cluster_id"]].astype("string").reset_index(drop=True)
