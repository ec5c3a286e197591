"""Fixtures for the governance tests: a request folder of their own (a copy of the repository's)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from p20_platform.governance.requests import REPOSITORY_REQUESTS


@pytest.fixture
def requests_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's requests (000, 001 and their demo approvals), used via $P20_REQUESTS."""
    folder = tmp_path / "requests"
    shutil.copytree(REPOSITORY_REQUESTS, folder)
    monkeypatch.setenv("P20_REQUESTS", str(folder))
    return folder
