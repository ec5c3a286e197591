"""Linkage fixtures over the session's `hub_home` and `indexed_home` (tests/conftest.py: the matching files
loaded into the hub by the real feed loaders, and one probabilistic index built from it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from p20_platform.linkage import read_matching_files, standardise_records
from p20_platform.linkage.truth_scores import load_truth
from p20_platform.settings import paths


@pytest.fixture
def indexed_copy(indexed_home: Path, tmp_path: Path) -> Path:
    """A writable copy of `indexed_home` for tests that rebuild or add deliveries. The directory (a Path; `paths()` of it is the Paths)."""
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    return home


@pytest.fixture(scope="session")
def synth_records(synth_home: Path) -> pd.DataFrame:
    """The standardised record table of every matching file the generator wrote."""
    return standardise_records(read_matching_files(sorted(paths(synth_home).landing.glob("*/*.matching"))))


@pytest.fixture(scope="session")
def synth_truth(synth_home: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return load_truth(paths(synth_home))
