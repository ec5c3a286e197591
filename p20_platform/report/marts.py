"""Reading the marts from the published read-only copy, never the warehouse a writer may hold."""

from __future__ import annotations

import pandas as pd

from p20_platform import build_info
from p20_platform.build_info import BuildInfo
from p20_platform.feeds.stores import connect
from p20_platform.settings import Paths
from p20_platform.transform import PUBLISHED_DATABASE


def read_mart(home: Paths, mart: str) -> pd.DataFrame:
    """One mart as a DataFrame from `published/p20_marts.duckdb` (written by `marts/published`)."""
    with _published(home) as connection:
        return connection.execute(f"SELECT * FROM marts.{mart}").df()


def read_build_info(home: Paths) -> BuildInfo:
    """Which build the published marts hold (`marts.build_info`)."""
    with _published(home) as connection:
        return build_info.read(connection)


def _published(home: Paths):
    database = home.published / PUBLISHED_DATABASE
    if not database.is_file():
        raise FileNotFoundError(f"no published marts at {database}; materialize marts/published first")
    return connect(database, read_only=True)
