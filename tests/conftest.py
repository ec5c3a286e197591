"""Shared fixtures: one small synthetic population per test session, never mocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Files the tests write are complete when written: read them at once instead of waiting the landing
# settle interval (tests/feeds/test_hostile_landing.py sets it where waiting is what it tests).
os.environ.setdefault("P20_LANDING_SETTLE_SECONDS", "0")

SMALL_PERSONS = 3_000
SMALL_SEED = 11


@pytest.fixture(scope="session")
def synth_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home holding landing/ and truth/ for a small population (read-only for tests)."""
    from p20_platform.synth import generate

    home = tmp_path_factory.mktemp("p20_home")
    generate(persons=SMALL_PERSONS, seed=SMALL_SEED, out=home, progress=False)
    return home


@pytest.fixture
def fresh_home(synth_home: Path, tmp_path: Path) -> Path:
    """A writable copy of the small population's data home, for tests that load or mutate."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(synth_home, home)
    return home
