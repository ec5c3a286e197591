"""Which feed owns each file in landing/: the loaders, the assets and the sensor share this one rule.

A file directly inside `landing/<AGENCY>/` belongs to that agency: to its matching feed when the
name ends in `.matching`, otherwise to its analytical feed, so a stray or misnamed file is still
archived and reported by some asset rather than ignored. Anything else is unclaimed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from p20_platform.registry import AGENCY_CODES
from p20_platform.settings import Paths

Feed = tuple[str, str]  # (agency code, "matching" | "analytical")
FEEDS: tuple[Feed, ...] = tuple((code, content) for code in AGENCY_CODES for content in ("matching", "analytical"))
_FOLDER_AGENCY = {code.lower(): code for code in AGENCY_CODES}


def landing_files(paths: Paths) -> list[Path]:
    """Every delivery-like file under landing/ (hidden files, e.g. uploads in progress, excluded)."""
    if not paths.landing.is_dir():
        return []
    return sorted(p for p in paths.landing.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(paths.landing).parts))


def feed_of(paths: Paths, file: Path) -> Feed | None:
    """The feed that owns a landing file, or None when no agency folder holds it."""
    parts = file.relative_to(paths.landing).parts
    if len(parts) != 2 or parts[0].lower() not in _FOLDER_AGENCY:
        return None
    return _FOLDER_AGENCY[parts[0].lower()], "matching" if parts[1].endswith(".matching") else "analytical"


def files_of_feed(paths: Paths, feed: Feed | None) -> list[Path]:
    """The landing files one feed owns (None: the unclaimed ones)."""
    return [f for f in landing_files(paths) if feed_of(paths, f) == feed]


@dataclass(frozen=True)
class Arrival:
    """A landing file whose bytes the platform has not seen at this path before."""

    relative_path: str
    sha256: str
    feed: Feed | None

    @property
    def run_key(self) -> str:
        return f"{self.relative_path}@{self.sha256}"


def feed_key_path(feed: Feed | None) -> list[str]:
    """The asset key path of the asset that loads a feed (None: the unclaimed-files asset)."""
    return list(feed) if feed is not None else ["feeds", "unclaimed_deliveries"]


def scan_landing(paths: Paths, known: dict[str, list]) -> tuple[list[Arrival], dict[str, list]]:
    """New or changed landing files since `known` ({path: [size, mtime_ns, sha256]}); returns the new state.

    Size and modification time spare re-hashing unchanged files; the checksum decides, so a touched
    but identical file is not an arrival while a same-named file with other bytes is.
    """
    arrivals, state = [], {}
    for file in landing_files(paths):
        relative = str(file.relative_to(paths.landing))
        stat = file.stat()
        fingerprint = [stat.st_size, stat.st_mtime_ns]
        previous = known.get(relative)
        if previous is not None and previous[:2] == fingerprint:
            state[relative] = previous
            continue
        with file.open("rb") as handle:
            sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        state[relative] = [*fingerprint, sha256]
        if previous is None or previous[2] != sha256:
            arrivals.append(Arrival(relative, sha256, feed_of(paths, file)))
    return arrivals, state
