"""The instance's dagster.yaml: run monitoring on for new and existing data homes, edits kept."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from p20_platform.pipeline import prepare_environment
from p20_platform.settings import paths

OLD_CONFIG = """\
# Written by p20_platform.pipeline; edit freely, it is not overwritten.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: true
"""


@pytest.mark.parametrize("existing", [None, OLD_CONFIG], ids=["new home", "home made before run monitoring"])
def test_the_instance_monitors_runs_and_keeps_what_an_operator_set(tmp_path: Path, monkeypatch, existing):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # prepare_environment sets both; monkeypatch restores them
    monkeypatch.delenv("P20_HOME", raising=False)
    home = paths(tmp_path / "home")
    if existing is not None:
        home.dagster_home.mkdir(parents=True)
        (home.dagster_home / "dagster.yaml").write_text(existing)

    dagster_home = prepare_environment(home)
    written = (dagster_home / "dagster.yaml").read_text()
    assert prepare_environment(home) == dagster_home and (dagster_home / "dagster.yaml").read_text() == written

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert instance.run_monitoring_enabled
        # The default run launcher cannot resume a run; any other value makes Dagster refuse the config.
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert instance.get_settings("telemetry")["enabled"] is (existing is not None)  # an operator's edit stays
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
