"""Progress of a real Dagster run: one line per finished step, in order, with its time."""

from __future__ import annotations

import io
import re

import dagster as dg
from dagster._core.utils import make_new_run_id

from p20_platform.progress import PROGRESS_CONSOLE, StepProgress, dbt_summary


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


def test_dbt_routine_lines_are_dropped_and_its_tally_and_failures_kept(capsys):
    with dbt_summary():
        for line in ("Running with dbt=1.11.16", "12:00:01  Registered adapter: duckdb=1.11.1",
                     "105 of 244 START test not_null_x ........ [RUN]",
                     "105 of 244 PASS not_null_x ........ [\x1b[32mPASS\x1b[0m in 0.03s]",
                     "7 of 244 FAIL 3 unique_x ........ [FAIL 3 in 0.10s]", "",
                     "Done. PASS=243 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=244"):
            print(line)
    assert capsys.readouterr().out.splitlines() == ["7 of 244 FAIL 3 unique_x ........ [FAIL 3 in 0.10s]",
                                                    "Done. PASS=243 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=244"]
