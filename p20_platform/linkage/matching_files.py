"""Reading P20 WIN matching files exactly as agencies send them (for `p20 link` on any files)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from p20_platform.registry import AGENCY_CODES, FILE_NAME_PATTERN, MATCHING_FIELDS

_FIELD_BY_LOWER = {f.lower(): f for f in MATCHING_FIELDS}


def agency_of_file(path: Path) -> str:
    """The agency code from a conforming file name, else the file name itself (a one-off source)."""
    match = re.fullmatch(FILE_NAME_PATTERN, path.name)
    if match is None:
        return path.name
    code = match["agency"]
    return next((known for known in AGENCY_CODES if known.lower() == code.lower()), code)


def read_matching_file(path: Path) -> pd.DataFrame:
    """One tab-delimited matching file as text columns, plus `agency` and `source_file`."""
    if not path.is_file():
        raise FileNotFoundError(f"matching file {path} does not exist")
    if path.stat().st_size == 0:
        raise ValueError(f"matching file {path.name} is empty; expected a header row naming its fields")
    connection = duckdb.connect()
    try:
        rows = connection.sql(
            "SELECT * FROM read_csv(?, delim='\t', quote='', escape='', header=true, all_varchar=true,"
            " auto_detect=false, columns=?)",
            params=[str(path), _header_columns(path)],
        ).df()
    except duckdb.Error as error:
        raise ValueError(f"matching file {path.name} is not a readable tab-delimited file: {error}") from error
    finally:
        connection.close()
    rows = rows.rename(columns=lambda c: _FIELD_BY_LOWER[c.strip().lower()])
    if "FakeID" not in rows.columns:
        raise ValueError(f"matching file {path.name} has no FakeID column; header must include FakeID")
    rows = rows.replace({"": pd.NA})
    return rows.assign(agency=agency_of_file(path), source_file=path.name)


def _header_columns(path: Path) -> dict[str, str]:
    """The header's fields (all VARCHAR), rejecting any that is not a matching field."""
    with path.open(encoding="utf-8", errors="strict") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
    unknown = [c for c in header if c.strip().lower() not in _FIELD_BY_LOWER]
    if unknown:
        raise ValueError(f"matching file {path.name} has column(s) {unknown} that are not matching fields "
                         f"({', '.join(MATCHING_FIELDS)}); is it an analytical file?")
    return {column: "VARCHAR" for column in header}


def read_matching_files(paths: list[Path]) -> pd.DataFrame:
    """Every file's rows stacked; fields a file lacks are missing (NA) for its rows."""
    if not paths:
        raise ValueError("no matching files given")
    names = [Path(p).name for p in paths]
    if len(set(names)) != len(names):
        raise ValueError("two matching files share a file name; the crosswalk keys records by file name")
    frames = [read_matching_file(Path(p)) for p in paths]
    return pd.concat(frames, ignore_index=True)
