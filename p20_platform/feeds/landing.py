"""Which feed owns each file in landing/, and reading a landing file safely: loaders, assets and sensor share this.

A file directly inside `landing/<AGENCY>/` belongs to that agency: to its matching feed when the
name ends in `.matching`, otherwise to its analytical feed, so a stray or misnamed file is still
archived and reported by some asset rather than ignored. Anything else is unclaimed.

Only regular files that really live under landing/ are ever read. A symbolic link (to a file or an
agency folder), a hard link, a pipe, a socket or a device is listed (so it is reported and
recorded) but refused without reading a byte. A file is read only once it is stable: unchanged in
size and modification time for `P20_LANDING_SETTLE_SECONDS` (default 2 s), so an upload still in
progress is left for the next run instead of loading half a file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from p20_platform.feeds.naming import DeliveryRejected
from p20_platform.registry import AGENCY_CODES
from p20_platform.settings import Paths

Feed = tuple[str, str]  # (agency code, "matching" | "analytical")
FEEDS: tuple[Feed, ...] = tuple((code, content) for code in AGENCY_CODES for content in ("matching", "analytical"))
_FOLDER_AGENCY = {code.lower(): code for code in AGENCY_CODES}
SETTLE_SECONDS_VARIABLE = "P20_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 2.0
_SAFE_OPEN = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY  # never follow, never block on a pipe


def settle_seconds() -> float:
    """How long a landing file must stay unchanged before it is read."""
    return float(os.environ.get(SETTLE_SECONDS_VARIABLE, DEFAULT_SETTLE_SECONDS))


def _entries(folder: Path) -> list[Path]:
    """Every non-hidden entry below `folder` that is not a real folder, without following any link."""
    found = []
    with os.scandir(folder) as scan:
        for entry in scan:
            if entry.name.startswith("."):  # hidden: e.g. an upload in progress under a temporary name
                continue
            if entry.is_dir(follow_symlinks=False):
                found.extend(_entries(Path(entry.path)))
            else:
                found.append(Path(entry.path))
    return found


def landing_files(paths: Paths) -> list[Path]:
    """Every delivery-like entry under landing/: regular files, and links or special files to refuse."""
    if not paths.landing.is_dir() or paths.landing.is_symlink():
        return []
    return sorted(_entries(paths.landing))


def feed_of(paths: Paths, file: Path) -> Feed | None:
    """The feed that owns a landing file, or None when no agency folder holds it."""
    parts = file.relative_to(paths.landing).parts
    if len(parts) != 2 or parts[0].lower() not in _FOLDER_AGENCY:
        return None
    return _FOLDER_AGENCY[parts[0].lower()], "matching" if parts[1].endswith(".matching") else "analytical"


def files_of_feed(paths: Paths, feed: Feed | None) -> list[Path]:
    """The landing files one feed owns (None: the unclaimed ones)."""
    return [f for f in landing_files(paths) if feed_of(paths, f) == feed]


class StillArriving(Exception):
    """The file changed while it was read or within the settle interval: read it on a later run."""


def _refuse(file: Path, what: str) -> DeliveryRejected:
    return DeliveryRejected(file.name, f"{what}, so it was not read (only regular files inside landing/ are accepted)",
                            "copy the delivery itself into landing/<AGENCY>/ as a plain file, then remove this entry")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def read_landing_file(paths: Paths, file: Path, wait: bool = True) -> bytes:
    """The bytes of a landing file, read only if it is a regular file that really lives under landing/.

    Raises DeliveryRejected (without reading) for links and special files, and StillArriving when
    the file is younger than the settle interval and changes during it (or `wait` is False).
    """
    landing = paths.landing.resolve()
    if file.parent.resolve() != landing / file.parent.relative_to(paths.landing):
        raise _refuse(file, "its folder is reached through a symbolic link")
    try:
        descriptor = os.open(file, _SAFE_OPEN)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _refuse(file, "it is a symbolic link") from None
        raise DeliveryRejected(file.name, f"cannot be opened ({error.strerror})",
                               "check the file's permissions; the platform only reads it") from None
    with os.fdopen(descriptor, "rb") as handle:
        before = os.fstat(handle.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise _refuse(file, f"it is {_kind(before.st_mode)}")
        if before.st_nlink > 1:
            raise _refuse(file, "it is a hard link to a file that also lives elsewhere")
        age = time.time() - before.st_mtime
        if age < settle_seconds():
            if not wait:
                raise StillArriving(file.name)
            time.sleep(settle_seconds() - age)
        data = handle.read()
        after = os.fstat(handle.fileno())
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(data) != after.st_size:
        raise StillArriving(file.name)
    return data


@dataclass(frozen=True)
class Arrival:
    """A settled landing file and its checksum, as a scan found it (the run key is both)."""

    relative_path: str
    sha256: str
    feed: Feed | None

    @property
    def run_key(self) -> str:
        return f"{self.relative_path}@{self.sha256}"


def feed_key_path(feed: Feed | None) -> list[str]:
    """The asset key path of the asset that loads a feed (None: the unclaimed-files asset).

    `<AGENCY>/<AGENCY>_matching`: the lineage graph labels a node with the key's last part only, so
    the agency is named there too (`SDE_matching`, not thirty nodes reading `matching`)."""
    if feed is None:
        return ["feeds", "unclaimed_deliveries"]
    code, content = feed
    return [code, f"{code}_{content}"]


def unread_marker(paths: Paths, file: Path) -> str:
    """What stands in for the checksum of an entry refused without reading (a link or special file)."""
    return "unread:" + hashlib.sha256(str(file.relative_to(paths.landing)).encode()).hexdigest()[:16]


def landing_fingerprint(paths: Paths) -> str:
    """What landing/ holds, in one line: the file count and a digest of every file's path, size and
    modification time. Equal fingerprints: nothing was added, removed, replaced or touched."""
    files = landing_files(paths)
    digest = hashlib.sha256()
    for file in files:
        status = file.lstat()
        digest.update(f"{file.relative_to(paths.landing)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return f"{len(files)} landing files, fingerprint {digest.hexdigest()[:16]}"


def scan_landing(paths: Paths, seen: str | None) -> tuple[list[Arrival], str | None]:
    """Every landing file with its checksum, unless landing/ still has the fingerprint `seen`.

    Returns the arrivals and the fingerprint to remember. When anything changed, every settled file
    is hashed again (seconds even at statewide size, and only after a change); the caller drops bytes
    the archive already holds, and Dagster's run keys (file + checksum) drop a file already requested,
    so a touched but identical file requests nothing new. While a file is still settling, `seen` is
    kept, so the next scan looks again; a link or special file is an arrival (its feed records the
    refusal) but is never read.
    """
    fingerprint = landing_fingerprint(paths)
    if fingerprint == seen:
        return [], seen
    arrivals, settled = [], True
    for file in landing_files(paths):
        try:
            sha256 = hashlib.sha256(read_landing_file(paths, file, wait=False)).hexdigest()
        except StillArriving:
            settled = False
            continue
        except DeliveryRejected:
            sha256 = unread_marker(paths, file)
        arrivals.append(Arrival(str(file.relative_to(paths.landing)), sha256, feed_of(paths, file)))
    return arrivals, fingerprint if settled else seen
