"""Linkage fixtures: the small synthetic population's matching files loaded into the hub by the real
feed loaders, and one probabilistic index built from it (training once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from shared_homes import shared_dir

from p20_platform.feeds import FEEDS, load_feed
from p20_platform.linkage import read_matching_files, standardise_records
from p20_platform.linkage.evaluation import load_truth
from p20_platform.linkage.hub import rebuild_index
from p20_platform.settings import paths


@pytest.fixture(scope="session")
def hub_home(synth_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic home with every agency's matching delivery loaded into hub.duckdb."""
    def build(directory: Path) -> None:
        home = directory / "home"
        shutil.copytree(synth_home, home)
        for feed in FEEDS:
            if feed[1] == "matching":
                load_feed(paths(home), feed)

    return shared_dir(tmp_path_factory, "hub_home", build) / "home"


@pytest.fixture(scope="session")
def indexed_home(hub_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`hub_home` after one full probabilistic build of the master person index (read-only for tests)."""
    def build(directory: Path) -> None:
        shutil.copytree(hub_home, directory / "home")
        rebuild_index(directory / "home", "probabilistic")

    return shared_dir(tmp_path_factory, "indexed_home", build) / "home"


@pytest.fixture
def indexed_copy(indexed_home: Path, tmp_path: Path) -> Path:
    """A writable copy of `indexed_home` for tests that rebuild or add deliveries."""
    home = tmp_path / "home"
    shutil.copytree(indexed_home, home)
    return home


@pytest.fixture(scope="session")
def synth_records(synth_home: Path) -> pd.DataFrame:
    """The standardised record table of every matching file the generator wrote."""
    return standardise_records(read_matching_files(sorted(paths(synth_home).landing.glob("*/*.matching"))))


@pytest.fixture(scope="session")
def synth_truth(synth_home: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return load_truth(synth_home)
