"""The immutable archive: every delivery's bytes, content-addressed by sha256, written before parsing.

Matching files hold identifiers, so the archive is owner-only like the hub store: folders 0700,
files 0400 (read-only evidence). `require_private_stores` refuses to run when either was opened up.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from p20_platform.settings import Paths

ARCHIVE_FILE_MODE, PRIVATE_FOLDER_MODE = 0o400, 0o700


class OpenStoreError(PermissionError):
    """An identifier store is readable by others: the message names it and the command that fixes it."""


def private_store_problems(paths: Paths) -> list[str]:
    """Each identifier store (hub.duckdb, its WAL, the archive and everything in it) others may read."""
    candidates = [paths.hub_db, paths.hub_db.with_name(paths.hub_db.name + ".wal")]
    if paths.archive.is_dir():
        candidates.append(paths.archive)
        for root, folders, files in os.walk(paths.archive):
            candidates += [Path(root) / name for name in (*folders, *files)]
    problems = []
    for path in candidates:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            problems.append(f"{path} ({mode:o})")
    return problems


def require_private_stores(paths: Paths) -> None:
    """Refuse to run while an identifier store is open to other users (as pet.key is refused)."""
    problems = private_store_problems(paths)
    if problems:
        shown = ", ".join(problems[:3]) + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise OpenStoreError(
            f"identifier stores are readable by other users: {shown}. They must be owner-only (files 0600, "
            f"archive files 0400, folders 0700). Fix: chmod 600 {paths.hub_db}*; "
            f"chmod -R go-rwx {paths.archive}; then run again")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_path(archive_root: Path, sha256: str) -> Path:
    return archive_root / "sha256" / sha256[:2] / sha256


def archive_bytes(archive_root: Path, data: bytes) -> tuple[str, Path]:
    """Store `data` under its checksum (once; never overwritten) and return (sha256, path).

    Written to a temporary name and renamed, so a crash never leaves a partial archive entry,
    then made read-only: the archive is evidence of exactly what an agency sent.
    """
    sha256 = sha256_of(data)
    target = archive_path(archive_root, sha256)
    if target.exists() and target.stat().st_size == len(data):
        return sha256, target
    archive_root.parent.mkdir(parents=True, exist_ok=True)
    for folder in (archive_root, archive_root / "sha256", target.parent):
        folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
    partial = target.with_name(f".{sha256}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    partial.chmod(ARCHIVE_FILE_MODE)
    os.replace(partial, target)
    return sha256, target
