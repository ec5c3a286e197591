"""Fixtures for the feed tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from p20_platform.settings import Paths, paths


@pytest.fixture
def home_paths(fresh_home: Path) -> Paths:
    """The stores of a writable copy of the small synthetic population: `fresh_home` as a Paths."""
    return paths(fresh_home)

