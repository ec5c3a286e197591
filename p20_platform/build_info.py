"""What a published build holds: when it was built, from which code, from which deliveries.

`marts.build_info` (one row) sits in the published database beside the marts, so an analyst
can tell which build, code version and data vintage a copy holds; the documents print the
same row (vintage, build date, and a notice when the data are synthetic).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb

from p20_platform.settings import Paths

TABLE = "marts.build_info"
_REPOSITORY = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildInfo:
    built_at: datetime  # UTC
    code_version: str
    data_vintage: date | None  # the latest delivery date among the loaded deliveries
    deliveries: tuple[str, ...]  # file names of the current (loaded) deliveries
    synthetic: bool  # built from the synthetic population (its ground truth sits in the data home)

    @property
    def build_date(self) -> str:
        return f"{self.built_at:%d %B %Y}".lstrip("0")

    @property
    def vintage(self) -> str:
        return "no deliveries" if self.data_vintage is None else f"{self.data_vintage:%d %B %Y}".lstrip("0")


def code_version() -> str:
    """The git commit of the code (with '+changes' when the work tree differs), else the package version."""
    try:
        commit = subprocess.run(["git", "-C", str(_REPOSITORY), "describe", "--always", "--dirty=+changes"],
                                capture_output=True, text=True, check=True, timeout=10).stdout.strip()
        return f"git {commit}"
    except (OSError, subprocess.SubprocessError):
        try:
            return f"p20-platform {version('p20-platform')}"
        except PackageNotFoundError:
            return "unknown"


def collect(home: Paths, connection: duckdb.DuckDBPyConnection, catalog: str) -> BuildInfo:
    """The build's facts; the delivery manifest (`ops.deliveries`) is read from the attached `catalog`."""
    has_manifest = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'ops' "
        "AND table_name = 'deliveries'", [catalog]).fetchone()[0]
    current = connection.execute(
        f"SELECT file_name, delivery_date FROM {catalog}.ops.deliveries WHERE status = 'loaded' ORDER BY file_name"
    ).fetchall() if has_manifest else []
    dates = [d for _, d in current if d is not None]
    return BuildInfo(built_at=datetime.now(UTC).replace(microsecond=0), code_version=code_version(),
                     data_vintage=max(dates) if dates else None, deliveries=tuple(f for f, _ in current),
                     synthetic=home.truth.is_dir())


def write(connection: duckdb.DuckDBPyConnection, info: BuildInfo) -> None:
    """Replace `marts.build_info` with `info` (one row)."""
    connection.execute(f"CREATE OR REPLACE TABLE {TABLE} (built_at TIMESTAMP, code_version VARCHAR, "
                       "data_vintage DATE, deliveries VARCHAR[], synthetic BOOLEAN)")
    connection.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
                       [info.built_at.replace(tzinfo=None), info.code_version, info.data_vintage,
                        list(info.deliveries), info.synthetic])


def read(connection: duckdb.DuckDBPyConnection) -> BuildInfo:
    """The build info of a published database."""
    row = connection.execute(f"SELECT built_at, code_version, data_vintage, deliveries, synthetic FROM {TABLE}"
                             ).fetchone()
    if row is None:
        raise ValueError(f"{TABLE} is empty")
    built_at, code, vintage, deliveries, synthetic = row
    return BuildInfo(built_at=built_at.replace(tzinfo=UTC), code_version=code, data_vintage=vintage,
                     deliveries=tuple(deliveries), synthetic=bool(synthetic))
