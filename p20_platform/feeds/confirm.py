"""`p20 confirm FILE`: accept a delivery held because its row count changed sharply.

The confirmation is recorded in the manifest (`ops.confirmations`: checksum, who, when); the next
load takes the held file as it is. Only the exact bytes that were held are confirmed: a file
changed after the hold is held again on its own.
"""

from __future__ import annotations

from pathlib import Path

from p20_platform.feeds import manifest
from p20_platform.feeds.stores import connect
from p20_platform.settings import Paths


class ConfirmError(Exception):
    """Nothing to confirm under that name; the message says what the manifest holds."""


def confirm_delivery(paths: Paths, file: str, confirmed_by: str) -> manifest.Delivery:
    """Record the confirmation of a held delivery (by file name or landing path); return its manifest row."""
    name = Path(file).name
    if not paths.warehouse_db.exists():
        raise ConfirmError(f"{paths.home_dir} has no warehouse yet: nothing has been held")
    with connect(paths.warehouse_db) as warehouse:
        manifest.ensure_manifest(warehouse)
        latest = manifest.latest_by_file(warehouse, name)
        if latest is None or latest.status != "held":
            state = f"its latest record is {latest.status}: {latest.reason}" if latest else "it was never delivered"
            raise ConfirmError(f"{name} is not held for confirmation ({state})")
        manifest.confirm(warehouse, latest, confirmed_by)
    return latest
