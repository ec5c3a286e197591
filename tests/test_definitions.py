"""The code location as a whole: a snapshot of every asset, check, job, schedule and sensor, and a pure load.

A change to the graph shows up here as a diff of tests/snapshots/definitions.txt; after checking the
diff is intended, rewrite it with `P20_UPDATE_SNAPSHOT=1 pytest tests/test_definitions.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from p20_platform.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def describe() -> str:
    graph = defs.resolve_asset_graph()
    lines = [f"asset {key.to_user_string()} owners={','.join(graph.get(key).owners)}"
             f" automated={graph.get(key).automation_condition is not None}"
             for key in sorted(graph.get_all_asset_keys())]
    lines += [f"check {key.asset_key.to_user_string()}:{key.name}" for key in sorted(graph.asset_check_keys)]
    lines += [f"job {job.name}" for job in sorted(defs.resolve_all_job_defs(), key=lambda job: job.name)]
    lines += [f"schedule {s.name}" for s in sorted(defs.schedules or [], key=lambda s: s.name)]
    lines += [f"sensor {s.name}" for s in sorted(defs.sensors or [], key=lambda s: s.name)]
    return "\n".join(lines) + "\n"


def test_the_definitions_match_the_snapshot():
    current = describe()
    if os.environ.get("P20_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text(), "the code location changed: see the module docstring to update"


def test_every_asset_has_an_owner_and_every_check_a_description():
    graph = defs.resolve_asset_graph()
    assert all(graph.get(key).owners for key in graph.get_all_asset_keys())
    assert all(graph.get(key).description for key in graph.asset_check_keys)


# Dagster and dagster-dbt are imported first: Dagster's own import asks `file` about the interpreter.
LOAD = """
import os, subprocess
import dagster, dagster_dbt
before = dict(os.environ)
def refuse(self, *args, **kwargs):
    raise AssertionError(f"loading the code location started a process: {args[:1]}")
subprocess.Popen.__init__ = refuse
import p20_platform.definitions
assert dict(os.environ) == before, "loading the code location changed the environment"
"""


def test_loading_the_code_location_starts_no_process_and_leaves_the_environment_alone():
    env = {key: value for key, value in os.environ.items() if key not in {"P20_HOME", "DAGSTER_HOME"}}
    result = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True, env=env,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr[-2000:]
