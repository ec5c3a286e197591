"""Backups of a data home: consistent snapshots of both stores, the archive and the PET key.

A snapshot holds a read-only connection on the hub store and on the warehouse at once while it
copies them: DuckDB lets no writer in while a reader holds the file, so the two copies show the
same moment (no load, index build or dbt run half in one and not the other). The archive is
content-addressed and append-only, so copying it as it stands is consistent too. Landing files are
the agencies'; the Dagster run history is not state; reports are rebuilt from the marts, except what
was released: a released document is what the public saw and is never silently revised (`report.publish`),
so the release state is backed up too: the ledger `reports/releases.json`, every document it lists as
released (the annual reports, the crossover brief, the dashboard's `dashboard/disconnected_youth_<year>.json`),
the earlier releases kept under `reports/<folder>/releases/` and the pending revisions under `report_releases/`.
Without it, the first run after a restore would publish its own rendering as release 1 and lose both what
was released and the check that a revision does not differ from it by 1-10.

Restoring into an empty home and running `p20 materialize` rebuilds the same marts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from p20_platform.feeds.archive import ARCHIVE_FILE_MODE, PRIVATE_FOLDER_MODE, require_private_stores
from p20_platform.feeds.stores import connect
from p20_platform.report.publish import RELEASES, SUPERSEDED_DIR
from p20_platform.settings import Paths

MANIFEST = "backup.json"
PET_KEY = "pet.key"
RELEASE_STATE = "release_state"  # the backup's folder for the release state, laid out as in the data home


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _copy_private(source: Path, target: Path, mode: int = 0o600) -> None:
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out, source.open("rb") as handle:
        shutil.copyfileobj(handle, out)
    os.chmod(target, mode)


def _copy_tree(source: Path, target: Path) -> int:
    """Copy a folder tree owner-only (folders 0700, files 0400); return the number of files."""
    copied = 0
    for root, _, files in os.walk(source):
        folder = target / Path(root).relative_to(source)
        folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
        for name in files:
            if not name.endswith(".partial"):  # an archive write a crash interrupted
                _copy_private(Path(root) / name, folder / name, ARCHIVE_FILE_MODE)
                copied += 1
    return copied


def _release_files(paths: Paths) -> list[Path]:
    """The release state's files, relative to the data home: the ledger, each document it lists, the earlier
    releases kept beside them and the pending revisions."""
    ledger = paths.reports / RELEASES
    if not ledger.is_file():
        return []
    listed = [paths.reports / document for document in json.loads(ledger.read_text(encoding="utf-8"))["documents"]]
    kept = [f for folder in paths.reports.glob("*/releases") for f in folder.rglob("*")]
    pending = list((paths.home_dir / SUPERSEDED_DIR).rglob("*"))
    return sorted({f.relative_to(paths.home_dir) for f in [ledger, *listed, *kept, *pending]
                   if f.is_file() and not f.name.endswith(".next")})  # `.next`: a write a crash interrupted


def _copy_keeping_mode(source: Path, target: Path, folder_mode: int) -> None:
    """Copy a release file with its permissions (public documents, 0444 kept releases, owner-only pending ones)."""
    target.parent.mkdir(mode=folder_mode, parents=True, exist_ok=True)
    _copy_private(source, target, stat.S_IMODE(source.stat().st_mode))


def backup(paths: Paths, out: Path) -> dict:
    """Write a snapshot of the data home's stores into the new folder `out`; return its manifest."""
    require_private_stores(paths)
    stores = [store for store in (paths.hub_db, paths.warehouse_db) if store.exists()]
    if not stores:
        raise BackupError(f"{paths.home_dir} has no hub store or warehouse to back up: run `p20 materialize` first")
    if out.exists():
        raise BackupError(f"{out} exists: give a new folder, a backup never overwrites another")
    out.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True)
    with ExitStack() as readers:  # every store held read-only at once: no writer between their copies
        for store in stores:
            readers.enter_context(connect(store, read_only=True))
        for store in stores:
            for part in (store, store.with_name(store.name + ".wal")):
                if part.exists():
                    _copy_private(part, out / part.name)
    archived = _copy_tree(paths.archive, out / "archive") if paths.archive.is_dir() else 0
    if (paths.home_dir / PET_KEY).exists():
        _copy_private(paths.home_dir / PET_KEY, out / PET_KEY)
    releases = {}
    for name in _release_files(paths):
        _copy_keeping_mode(paths.home_dir / name, out / RELEASE_STATE / name, PRIVATE_FOLDER_MODE)
        releases[str(name)] = _sha256(out / RELEASE_STATE / name)
    manifest = {"home": str(paths.home_dir), "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "archive_files": archived,
                "files": {f.name: _sha256(f) for f in sorted(out.iterdir()) if f.is_file()},
                "release_files": releases}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    os.chmod(out / MANIFEST, 0o600)
    return manifest


def restore(source: Path, paths: Paths) -> dict:
    """Put a backup into a data home that has no stores yet; checks every file against the manifest."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} is not a p20 backup ({error}): expected {MANIFEST} beside the stores") from None
    existing = [p for p in (paths.hub_db, paths.warehouse_db, paths.archive, paths.reports / RELEASES,
                            paths.home_dir / SUPERSEDED_DIR) if p.exists()]
    if existing:
        raise BackupError(f"{paths.home_dir} already holds {', '.join(map(str, existing))}: restore into a new, empty "
                          "data home (nothing is overwritten)")
    releases = manifest.get("release_files", {})  # none in a backup taken before releases were backed up
    for name, checksum in [*manifest["files"].items(), *((f"{RELEASE_STATE}/{n}", c) for n, c in releases.items())]:
        if _sha256(source / name) != checksum:
            raise BackupError(f"{source / name} does not match the backup's checksum: the backup is damaged")
    paths.home_dir.mkdir(parents=True, exist_ok=True)
    for name in manifest["files"]:
        _copy_private(source / name, paths.home_dir / name)
    for name in releases:  # reports/ as the publisher makes it; the pending revisions owner-only, as it keeps them
        _copy_keeping_mode(source / RELEASE_STATE / name, paths.home_dir / name,
                           PRIVATE_FOLDER_MODE if Path(name).parts[0] == SUPERSEDED_DIR else 0o777)
    if (source / "archive").is_dir():
        _copy_tree(source / "archive", paths.archive)
    require_private_stores(paths)
    return manifest
