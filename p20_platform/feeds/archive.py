"""The immutable archive: every delivery's bytes, content-addressed by sha256, written before parsing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


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
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{sha256}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.chmod(0o444)
    os.replace(partial, target)
    return sha256, target
