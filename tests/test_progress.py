"""Progress of a real Dagster run: one line per finished step, in order, with its time."""

from __future__ import annotations

import io
import re

import dagster as dg
from dagster._core.utils import make_new_run_id

from p20_platform.progress import PROGRESS_CONSOLE, StepProgress


@dg.asset
def upstream() -> int:
    return 1


@dg.asset
def downstream(upstream: int) -> int:
    if upstream:
        raise ValueError("a step that fails")
    return upstream


def test_each_finished_step_prints_one_line_with_its_time():
    job = dg.Definitions(assets=[upstream, downstream]).resolve_implicit_global_asset_job_def()
    out = io.StringIO()
    with dg.DagsterInstance.ephemeral() as instance:
        run_id = make_new_run_id()
        instance.add_event_listener(run_id, StepProgress(len(job.graph.node_dict), out))
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=PROGRESS_CONSOLE,
                                        run_id=run_id)
    assert not result.success
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"\[1/2\] done +upstream +\d+\.\d s +\(total 0:\d\d\)", lines[0])
    assert re.fullmatch(r"\[2/2\] FAILED +downstream +\d+\.\d s +\(total 0:\d\d\)", lines[1])
