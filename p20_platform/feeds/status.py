"""What a feed looks like now: its current and latest deliveries and safe summaries of its table.

These feed the Dagster metadata and asset checks, so nothing here returns an identifier value:
matching tables are summarised by counts and fill rates only, and analytical previews leave out
free-text columns (towns, programme names), where a name typed into the wrong field would show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb
import pandas as pd

from p20_platform.feeds import manifest
from p20_platform.feeds.landing import Feed
from p20_platform.feeds.loaders import analytical_schema, identifier_columns, matching_table
from p20_platform.feeds.stores import connect, quote, table_exists
from p20_platform.registry import agency
from p20_platform.settings import Paths

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class FeedStatus:
    """A feed's state after a load."""

    feed: Feed
    current: manifest.Delivery | None  # whose rows the feed table holds
    latest: manifest.Delivery | None  # the newest arrival that was not a byte-for-byte duplicate
    table_rows: int
    fill_rates: dict[str, float]  # share of non-empty values per column of the feed table
    preview: pd.DataFrame | None  # analytical feeds only, without free-text columns; matching feeds never
    # Rejected or held deliveries whose file is still in landing/ (the newest record of each path):
    # removing the file, or sending a good one under its name, clears them.
    open_problems: tuple[manifest.Delivery, ...] = ()


def held_feeds(paths: Paths) -> set[Feed]:
    """Feeds with a held delivery still in landing/, from the published manifest (never the warehouse, which a
    run may be writing): the landing sensor loads a held file's feed again when its partner arrives."""
    if not paths.published_manifest.exists():
        return set()
    with duckdb.connect() as reader:
        rows = reader.execute("SELECT landing_path, agency, content FROM read_parquet(?) WHERE agency IS NOT NULL "
                              "QUALIFY status = 'held' AND row_number() OVER (PARTITION BY landing_path "
                              "ORDER BY load_seq DESC) = 1", [str(paths.published_manifest)]).fetchall()
    return {(code, content) for path, code, content in rows if os.path.lexists(paths.landing / path)}


def _feed_table(feed: Feed) -> str:
    code, content = feed
    return matching_table(code) if content == "matching" else f"{analytical_schema(code)}.analytical"


def feed_status(paths: Paths, feed: Feed) -> FeedStatus:
    code, content = feed
    with connect(paths.warehouse_db) as warehouse:
        manifest.ensure_manifest(warehouse)
        current = manifest.current_delivery(warehouse, code, content)
        history = manifest.feed_history(warehouse, code, content)
    arrivals = [d for d in history if d.status != "duplicate"]
    newest_by_path = {d.landing_path: d for d in history}
    problems = tuple(d for path, d in newest_by_path.items() if d.status in ("rejected", "held")
                     and path is not None and os.path.lexists(paths.landing / path))
    columns = agency(code).matching_fields if content == "matching" else agency(code).analytical_columns
    store = paths.hub_db if content == "matching" else paths.warehouse_db
    table = _feed_table(feed)
    rows, fill_rates, preview = 0, {}, None
    if store.exists():
        with connect(store) as connection:
            if table_exists(connection, *table.split(".")):
                counts = connection.execute(
                    f"SELECT count(*), {', '.join(f'count({quote(c)})' for c in columns)} FROM {table}").fetchone()
                rows = counts[0]
                fill_rates = {c: round(n / rows, 4) if rows else 0.0 for c, n in zip(columns, counts[1:])}
                if content == "analytical":
                    shown = ", ".join(quote(e.name) for e in agency(code).analytical if e.kind != "string")
                    preview = connection.execute(f"SELECT {shown} FROM {table} LIMIT {PREVIEW_ROWS}").df()
    return FeedStatus(feed, current, arrivals[-1] if arrivals else None, rows, fill_rates, preview, problems)


def fakeid_problems(paths: Paths, agency_code: str) -> dict[str, int]:
    """Duplicated or missing FakeIDs in the hub's current matching table (both must be zero)."""
    table = matching_table(agency_code)
    if not paths.hub_db.exists():
        return {"rows": 0, "duplicated_fakeids": 0, "missing_fakeids": 0}
    with connect(paths.hub_db) as hub:
        if not table_exists(hub, *table.split(".")):
            return {"rows": 0, "duplicated_fakeids": 0, "missing_fakeids": 0}
        rows, distinct, missing = hub.execute(
            f'SELECT count(*), count(DISTINCT "FakeID"), count(*) - count("FakeID") FROM {table}').fetchone()
    return {"rows": rows, "duplicated_fakeids": rows - missing - distinct, "missing_fakeids": missing}


def warehouse_identifier_columns(paths: Paths) -> list[str]:
    """Every warehouse column, in any schema, whose name is a personal identifier."""
    if not paths.warehouse_db.exists():
        return []
    with connect(paths.warehouse_db) as warehouse:
        columns = warehouse.execute("SELECT schema_name || '.' || table_name || '.' || column_name "
                                    "FROM duckdb_columns() WHERE database_name = current_database() ORDER BY 1").fetchall()
    return identifier_columns([c for (c,) in columns])
