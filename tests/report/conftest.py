"""One real Dagster run for every test of the published documents and pages: feeds (with the
demo's row-level faults) -> index -> linkage evaluation -> dbt -> published marts -> report,
brief and dashboard, on the small synthetic population."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import materialize

from assets.estimation import undecided_status
from assets.feeds import feed_assets
from assets.marts import p20_dbt_models, published_marts
from assets.mpi import crosswalk, linkage_evaluation
from assets.report import annual_report, crossover_brief
from p20_platform.linkage.pet_key import create_demo_key
from p20_platform.resources import DataHome
from p20_platform.settings import paths
from p20_platform.synth.faults import add_demo_faults


@pytest.fixture(scope="package")
def run(synth_home: Path, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("report_run") / "home"
    shutil.copytree(synth_home, home)
    add_demo_faults(home, seed=1)
    create_demo_key(home)
    feeds = [a for a in feed_assets if a.key.path[-1] in ("matching", "analytical")]
    result = materialize(
        [*feeds, crosswalk, linkage_evaluation, p20_dbt_models, undecided_status, published_marts, annual_report,
         crossover_brief],
        resources={"data_home": DataHome(home=str(home))}, raise_on_error=False,
        run_config={"ops": {"mpi__crosswalk": {"config": {"strategy": "deterministic"}},
                            "mpi__linkage_evaluation": {"config": {"compare_with": ["pet-keys"]}}}})
    return paths(home), result
