"""What readers of `published/` see, for comparing a home's published copy with another's."""

from __future__ import annotations

import duckdb

from p20_platform.settings import Paths
from p20_platform.transform import COPY_ENTRIES, MART_TABLES, PUBLISHED_DATABASE


def published_tables(home: Paths) -> dict[str, tuple]:
    """Each table of the published copy, from the DuckDB file and from its Parquet file, as (rows, md5 of
    the sorted rows), and `build_info` without `built_at` (the build's clock). The analysts' paths must
    resolve into one copy folder (never a mix of two builds)."""
    published = home.published
    assert len({(published / entry).resolve().parent for entry in COPY_ENTRIES}) == 1
    sums: dict[str, tuple] = {}
    with duckdb.connect(str(published / PUBLISHED_DATABASE), read_only=True) as copy:
        for table in MART_TABLES:
            for source in (f"marts.{table}", f"'{published / 'parquet' / table}.parquet'"):
                sums[source.rsplit("/", 1)[-1].strip("'")] = copy.execute(
                    f"SELECT count(*), md5(string_agg(row, '|' ORDER BY row)) FROM "
                    f"(SELECT CAST(t AS VARCHAR) AS row FROM {source} AS t)").fetchone()
        sums["build_info"] = copy.execute("SELECT * EXCLUDE (built_at) FROM marts.build_info").fetchall()
    return sums
