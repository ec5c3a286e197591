"""One real Dagster run for every test of the published documents and pages: feeds (with the
demo's row-level faults) -> index -> linkage evaluation -> dbt -> published marts -> report,
brief and dashboard, on the small synthetic population (`report_run.build`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_run import build

from p20_platform.settings import paths


@pytest.fixture(scope="package")
def run(synth_home: Path, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("report_run") / "home"
    return paths(home), build(synth_home, home)
