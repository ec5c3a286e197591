"""The secret key shared by the agencies for privacy-preserving linkage (PET strategies).

Every agency encodes its identifiers with the same key before anything leaves the agency;
the hub only compares encodings and never needs the key. The key is read from the
environment or from a file readable by its owner only, and is never logged or echoed.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from p20_platform.settings import Paths, paths

KEY_ENV = "P20_PET_KEY"
KEY_FILE_ENV = "P20_PET_KEY_FILE"
KEY_FILE_NAME = "pet.key"
KEY_BYTES = 32  # HMAC-SHA256 wants at least its output size
MIN_KEY_BYTES = 16


class PetKeyError(RuntimeError):
    """No usable PET key; the message says where one was looked for (never the key itself)."""


def _parse_hex_key(text: str, origin: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise PetKeyError(f"the PET key in {origin} is not hexadecimal") from None
    if len(key) < MIN_KEY_BYTES:
        raise PetKeyError(f"the PET key in {origin} has {len(key)} bytes; at least {MIN_KEY_BYTES} are required")
    return key


def key_file_path(home: Paths | None = None) -> Path:
    """Where the key file is expected: `P20_PET_KEY_FILE`, else `<home>/pet.key`."""
    override = os.environ.get(KEY_FILE_ENV)
    return Path(override) if override else (home or paths()).home_dir / KEY_FILE_NAME


def load_pet_key(home: Paths | None = None) -> bytes:
    """The shared secret: `P20_PET_KEY` (hex) wins, else the key file (hex text)."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return _parse_hex_key(from_env, f"${KEY_ENV}")
    path = key_file_path(home)
    if not path.is_file():
        raise PetKeyError(
            f"no PET key: set ${KEY_ENV} (hex), point ${KEY_FILE_ENV} at a key file, "
            f"or run `p20 pet-key` to create a demo key in the data home (expected at {path})"
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PetKeyError(f"{path} is readable by others; restrict it with chmod 600")
    return _parse_hex_key(path.read_text(), str(path))


def create_demo_key(home: Paths | None = None) -> Path:
    """Write a fresh random key to `<home>/pet.key` (mode 0600); never overwrite one."""
    path = (home or paths()).home_dir / KEY_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: refuse to replace an existing key, which would orphan every encoding made with it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise PetKeyError(f"{path} already exists; refusing to overwrite a PET key") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path
