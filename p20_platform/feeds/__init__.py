"""Agency feeds: file names, file-level checks, contracts, the archive, the manifest and the loaders.

Plain functions over files and tables; the Dagster assets in `assets/feeds.py` are thin wrappers.
"""

from p20_platform.feeds.delivery_check import ValidationReport, inspect_delivery, validate_files
from p20_platform.feeds.landing import (FEEDS, Arrival, Feed, feed_key_path, feed_of, files_of_feed,
                                        landing_files, scan_landing)
from p20_platform.feeds.loaders import (analytical_schema, identifier_columns, load_delivery, load_feed,
                                        matching_table)
from p20_platform.feeds.naming import DeliveryName, DeliveryRejected, parse_delivery_name
from p20_platform.feeds.status import FeedStatus, fakeid_problems, feed_status, warehouse_identifier_columns

__all__ = ["FEEDS", "Arrival", "DeliveryName", "DeliveryRejected", "Feed", "FeedStatus", "ValidationReport",
           "analytical_schema", "fakeid_problems", "feed_key_path", "feed_of", "feed_status", "files_of_feed",
           "identifier_columns", "inspect_delivery", "landing_files", "load_delivery", "load_feed",
           "matching_table", "parse_delivery_name", "scan_landing", "validate_files",
           "warehouse_identifier_columns"]
