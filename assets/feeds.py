"""Agency feeds as Dagster assets: `<AGENCY>/<AGENCY>_matching` and `<AGENCY>/<AGENCY>_analytical`.

Generated from the registry by one factory; each asset is a thin wrapper over `p20_platform.feeds`.
Metadata and check results carry counts, rules, line numbers and fill rates, never identifier
values: matching files hold PII and Dagster's event log is not the hub.
"""

from __future__ import annotations

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetChecksDefinition, AssetKey, AssetsDefinition,
                     DataVersion, MaterializeResult, MetadataValue, asset, asset_check)

from assets.owners import OPERATING_GROUP, agency_owner
from p20_platform.feeds import (FEEDS, Feed, FeedStatus, analytical_schema, fakeid_problems, feed_key_path,
                                feed_status, load_feed, warehouse_identifier_columns)
from p20_platform.feeds.manifest import Delivery
from p20_platform.registry import agency
from p20_platform.resources import DataHome

# Every asset or check that opens a DuckDB file shares this pool (instance limit 1: one writer).
DUCKDB_POOL = "duckdb_writer"
GROUP = "feeds"
TOP_RULES = 5


def _top_rules(delivery: Delivery) -> MetadataValue:
    """The most-failed contract rules with row counts and example line numbers (never values)."""
    return MetadataValue.json(dict(list(delivery.rule_failures.items())[:TOP_RULES]))


def _delivery_metadata(status: FeedStatus) -> dict[str, object]:
    latest, current = status.latest, status.current
    metadata: dict[str, object] = {
        "dagster/row_count": status.table_rows,
        "current_file": current.file_name if current else "none",
        "current_sha256": current.sha256 if current else "none",
        "fill_rates": MetadataValue.json(status.fill_rates),
    }
    if latest is not None:
        metadata |= {
            "file": latest.file_name, "checksum": latest.sha256, "status": latest.status,
            "reason": latest.reason or "", "rows_read": latest.rows_read or 0,
            "rows_accepted": latest.rows_accepted or 0, "rows_quarantined": latest.rows_quarantined or 0,
            "top_failing_rules": _top_rules(latest),
        }
    if status.preview is not None:
        metadata["preview"] = MetadataValue.md(status.preview.to_markdown(index=False))
    return metadata


def feed_asset(feed: Feed | None) -> AssetsDefinition:
    """The asset that loads one feed's new landing files (or the files outside agency folders)."""
    key = AssetKey(feed_key_path(feed))
    if feed is None:
        description = "Landing files outside any agency folder: archived and recorded as rejected, never lost."
    else:
        description = f"{agency(feed[0]).name}: current {feed[1]} delivery, loaded from landing/{feed[0]}/."

    # An agency's analytical file is checked against the FakeIDs of its loaded matching file: load that first.
    deps = [AssetKey(feed_key_path((feed[0], "matching")))] if feed is not None and feed[1] == "analytical" else []

    @asset(key=key, group_name=GROUP, kinds={"duckdb"}, pool=DUCKDB_POOL, description=description, deps=deps,
           tags={"agency": feed[0] if feed else "none"}, owners=[agency_owner(feed[0]) if feed else OPERATING_GROUP])
    def load(context, data_home: DataHome) -> MaterializeResult:
        recorded = load_feed(data_home.paths, feed, data_home.partner_checks)
        for delivery in recorded:
            context.log.info(f"{delivery.file_name}: {delivery.status}. {delivery.reason or ''}")
        metadata = {"new_deliveries": len(recorded)}
        if feed is None:
            metadata["rejected_files"] = MetadataValue.json([d.file_name for d in recorded])
            return MaterializeResult(metadata=metadata)
        metadata |= _delivery_metadata(feed_status(data_home.paths, feed))
        # The data version is the delivery the table holds: a rejected, duplicate or superseded
        # delivery leaves it as it was, so nothing downstream rebuilds (assets/automation.py).
        return MaterializeResult(metadata=metadata, data_version=DataVersion(metadata["current_sha256"]))

    return load


def feed_checks(feed: Feed) -> list[AssetChecksDefinition]:
    """Contract, currency and identity checks for one feed, evaluated on the stores after a load."""
    key = AssetKey(feed_key_path(feed))
    code, content = feed

    @asset_check(asset=key, name="contract", pool=DUCKDB_POOL,
                 description="The latest delivery met its pandera contract (rows quarantined, rules failed).")
    def contract(data_home: DataHome) -> AssetCheckResult:
        latest = feed_status(data_home.paths, feed).latest
        if latest is None:
            return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN,
                                    metadata={"problem": "no delivery has arrived yet"})
        return AssetCheckResult(
            passed=latest.status not in ("rejected", "held") and not latest.rows_quarantined,
            severity=AssetCheckSeverity.WARN,
            metadata={"file": latest.file_name, "status": latest.status, "reason": latest.reason or "",
                      "rows_quarantined": latest.rows_quarantined or 0, "rules_failed": len(latest.rule_failures),
                      "top_failing_rules": _top_rules(latest)})

    @asset_check(asset=key, name="current_delivery_accepted", pool=DUCKDB_POOL,
                 description="A current delivery exists and no rejected or held file waits in landing/. A WARN, "
                             "never an ERROR: one agency's bad file keeps only itself out, the previous delivery "
                             "stays current and every other agency's data flows on to the marts and the report.")
    def current_delivery_accepted(data_home: DataHome) -> AssetCheckResult:
        status = feed_status(data_home.paths, feed)
        return AssetCheckResult(
            passed=status.current is not None and not status.open_problems, severity=AssetCheckSeverity.WARN,
            metadata={"current_file": status.current.file_name if status.current else "none",
                      "latest_file": status.latest.file_name if status.latest else "none",
                      "waiting_in_landing": MetadataValue.json({d.landing_path: f"{d.status}: {d.reason}"
                                                                for d in status.open_problems})})

    @asset_check(asset=AssetKey(feed_key_path((code, "analytical"))), name="pair_delivered", pool=DUCKDB_POOL,
                 description="The agency's current matching and analytical deliveries are one pair (same request "
                             "and date): a matching file without its analytical partner, or the reverse, shows here.")
    def pair_delivered(data_home: DataHome) -> AssetCheckResult:
        matching = feed_status(data_home.paths, (code, "matching")).current
        analytical = feed_status(data_home.paths, (code, "analytical")).current
        paired = matching is not None and analytical is not None and (
            matching.request_number, matching.delivery_date) == (analytical.request_number, analytical.delivery_date)
        return AssetCheckResult(passed=paired, severity=AssetCheckSeverity.WARN,
                                metadata={"current_matching": matching.file_name if matching else "none",
                                          "current_analytical": analytical.file_name if analytical else "none"})

    if content == "matching":
        @asset_check(asset=key, name="fakeid_unique", blocking=True, pool=DUCKDB_POOL,
                     description="Every row of the hub table has a FakeID and no FakeID repeats.")
        def identity_check(data_home: DataHome) -> AssetCheckResult:
            problems = fakeid_problems(data_home.paths, code)
            return AssetCheckResult(passed=problems["duplicated_fakeids"] == 0 and problems["missing_fakeids"] == 0,
                                    metadata=problems)
    else:
        @asset_check(asset=key, name="no_identifier_columns", blocking=True, pool=DUCKDB_POOL,
                     description="No name, DOB, SSN or SASID column exists in this agency's warehouse schema.")
        def identity_check(data_home: DataHome) -> AssetCheckResult:
            schema = analytical_schema(code) + "."
            leaked = [c for c in warehouse_identifier_columns(data_home.paths) if c.startswith(schema)]
            return AssetCheckResult(passed=not leaked, metadata={"identifier_columns": MetadataValue.json(leaked)})

    pair = [pair_delivered] if content == "analytical" else []  # checked once both files of the agency loaded
    return [contract, current_delivery_accepted, *pair, identity_check]


feed_assets = [feed_asset(feed) for feed in (*FEEDS, None)]
feed_asset_checks = [check for feed in FEEDS for check in feed_checks(feed)]
