"""`p20 materialize` killed (SIGKILL) and stopped (SIGTERM) while linkage runs, while the published copy
is written and while the report renders: the next run clears what the dead one left, says so, and the
run after the last kill succeeds with published tables equal to a clean run's; `published/` stays whole
throughout (the feed-load kill is tests/feeds/test_kill_during_load.py; the dbt kill, SIGKILL while `dbt build`
runs, is its own test on the same clean home).

One small home, one chain: each kill's successor is itself killed further on, so every run after a kill
must first get past what its predecessor left (slot, run, child processes) and reach its own kill point;
only the last run is let finish. Six full recoveries would take six full builds (about 4 min each here).
The kill moment is chosen from the run's own output: the step's STEP_START in its event log (linkage),
the new copy's folder appearing under `published/.marts/` (the publish step takes 0.3 s), or headless
Chromium printing one of the home's documents to PDF (report: the run's child process). The process is
frozen (SIGSTOP) the moment it is seen, checked to be still inside the step, then signalled. No run may
leave a Chromium or dbt process alive, nor a partly written file (`*.next`) that the next run does not
remove before it writes.

Slow (about 20 min on the shared 2-core machine, and the dbt kill's own test about 5.5 min more): `make test-slow`
runs them, `make test` does not.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from published_copy import published_tables

from p20_platform.run_control import IN_PROGRESS, PID_TAG, POOL
from p20_platform.settings import Paths, paths
from p20_platform.transform import CURRENT, VERSIONS

pytestmark = pytest.mark.slow

P20 = str(Path(sys.executable).with_name("p20"))
STOP_LIMIT_SECONDS = 10
CLEARED = "p20: cleared what an earlier run left"


def _materialize(home: Paths) -> subprocess.Popen:
    """`p20 materialize --force`: a copy of the clean home has nothing new, and every run here must build."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen([P20, "materialize", "--home", str(home.home_dir), "--force"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)


def _instance(home: Paths) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home.dagster_home))


def _run_of(instance: dg.DagsterInstance, pid: int) -> str | None:
    """The run the process `pid` started, once it has."""
    records = instance.get_run_records(dg.RunsFilter(tags={PID_TAG: str(pid)}), limit=1)
    return records[0].dagster_run.run_id if records else None


def _live_runs(instance: dg.DagsterInstance) -> list[str]:
    return [record.dagster_run.run_id for record in instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS))]


def _in_step(step_key: str) -> Callable[[Paths, dg.DagsterInstance, str, set[Path]], bool]:
    """The run has started `step_key` and not ended it (its event log)."""

    def inside(home: Paths, instance: dg.DagsterInstance, run_id: str, copies: set[Path]) -> bool:
        events = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
                                                    dg.DagsterEventType.STEP_FAILURE})
        kinds = {entry.dagster_event.event_type for entry in events if entry.step_key == step_key}
        return kinds == {dg.DagsterEventType.STEP_START}

    return inside


def _copies(home: Paths) -> set[Path]:
    return set((home.published / VERSIONS).iterdir())


def _writing_copy(home: Paths, instance: dg.DagsterInstance, run_id: str, copies: set[Path]) -> bool:
    """A copy folder the run made exists under published/.marts/ and published/marts does not link to it yet."""
    current = (home.published / CURRENT).resolve()
    return any(folder.resolve() != current for folder in _copies(home) - copies)


def _printing_pdf(home: Paths, instance: dg.DagsterInstance, run_id: str, copies: set[Path]) -> bool:
    """Headless Chromium is printing one of the home's documents (the report step's child process)."""
    return any("--print-to-pdf=" in command for command in _processes_naming(home))


def _building_dbt(home: Paths, instance: dg.DagsterInstance, run_id: str, copies: set[Path]) -> bool:
    """dbt is building the home's models (the dbt step's child process)."""
    return any(" build " in command and "dbt" in command for command in _processes_naming(home))


POINTS = {"linkage": _in_step("mpi__crosswalk"), "dbt": _building_dbt, "publish": _writing_copy,
          "report": _printing_pdf}


def _kill_at(home: Paths, point: str, signum: int) -> str:
    """Start `p20 materialize`, signal it inside `point`; return its output."""
    copies, child = _copies(home), _materialize(home)
    inside, deadline = POINTS[point], time.monotonic() + 900
    with _instance(home) as instance:
        while True:
            assert child.poll() is None and time.monotonic() < deadline, f"the run never reached {point}"
            run_id = _run_of(instance, child.pid)
            if run_id is not None and inside(home, instance, run_id, copies):
                child.send_signal(signal.SIGSTOP)
                if inside(home, instance, run_id, copies):  # frozen inside the step
                    break
                child.send_signal(signal.SIGCONT)
            time.sleep(0.002 if point == "publish" else 0.05)
    began = time.monotonic()
    child.send_signal(signum)
    child.send_signal(signal.SIGCONT)
    output = child.communicate(timeout=STOP_LIMIT_SECONDS + 50)[0]
    if signum == signal.SIGTERM:
        assert time.monotonic() - began < STOP_LIMIT_SECONDS and child.returncode == 143, output
        assert "stopped by SIGTERM" in output, output
        with _instance(home) as instance:  # a stopped run leaves nothing for the next to clear
            assert _live_runs(instance) == []
            assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0
    else:
        assert child.returncode == -signal.SIGKILL
    return output


@pytest.fixture(scope="module")
def clean(synth_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """One clean `p20 materialize` of the small population: the reference and the home the chain starts from."""
    home = paths(tmp_path_factory.mktemp("kill_points") / "clean")
    shutil.copytree(synth_home, home.home_dir)
    child = _materialize(home)
    output = child.communicate()[0]
    assert child.returncode == 0, output[-3000:]
    return home


def test_runs_killed_at_linkage_publish_and_report_leave_nothing_the_next_run_does_not_clear(clean, tmp_path):
    home = paths(tmp_path / "home")
    shutil.copytree(clean.home_dir, home.home_dir, symlinks=True)
    reference = published_tables(clean)
    chain = [("linkage", signal.SIGTERM), ("publish", signal.SIGKILL), ("report", signal.SIGTERM),
             ("linkage", signal.SIGKILL), ("publish", signal.SIGTERM), ("report", signal.SIGKILL)]
    previous = None
    for point, signum in chain:
        output = _kill_at(home, point, signum)
        assert published_tables(home) == reference, f"published/ changed by the run killed at {point}"
        if point == "linkage":  # this run began by removing what its predecessor left half written
            assert not _scratch(home), output[:2000]
        if previous == signal.SIGKILL:  # the run that just died had first cleared its killed predecessor
            assert CLEARED in output and "marked failed 1 run(s)" in output, output[:2000]
        previous = signum

    last = _materialize(home)
    output = last.communicate()[0]
    assert last.returncode == 0, output[-3000:]
    assert CLEARED in output and "marked failed 1 run(s)" in output, output[:2000]
    assert published_tables(home) == reference
    assert len(_copies(home)) == 2  # the current copy and the one it replaced; the killed runs' folders are gone
    assert not _processes_naming(home)  # no child of a killed run (dbt, Chromium) outlives the chain
    assert not _scratch(home)


def test_a_run_killed_while_dbt_builds_is_cleared_by_the_next_run_which_equals_a_clean_one(clean, tmp_path):
    """The dbt point: SIGKILL while `dbt build` runs (dbt, not started with die_with_parent, may outlive it holding
    the warehouse); the next run marks the dead run failed, frees its slot, ends what is left of its dbt, says so,
    and publishes the same tables as a clean run, with no process of the home left. About 5.5 min on top of the
    clean run (323 s on the shared 2-core machine at a load average near 3)."""
    home = paths(tmp_path / "home")
    shutil.copytree(clean.home_dir, home.home_dir, symlinks=True)
    reference = published_tables(clean)
    _kill_at(home, "dbt", signal.SIGKILL)
    assert published_tables(home) == reference
    last = _materialize(home)
    output = last.communicate()[0]
    assert last.returncode == 0, output[-3000:]
    assert CLEARED in output and "marked failed 1 run(s)" in output, output[:2000]
    assert published_tables(home) == reference
    assert not _processes_naming(home) and not _scratch(home)


def _scratch(home: Paths) -> list[Path]:
    """Partly written files (each writer's `*.next` before its rename) under reports/ and published/."""
    return [*home.reports.rglob("*.next"), *home.published.rglob("*.next")]


def _processes_naming(home: Paths) -> list[str]:
    """Command lines of live processes that name the home (dbt's --vars, Chromium's file:// URL, ...)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
        except OSError:
            continue
        if str(home.home_dir) in command and int(pid) != os.getpid():
            found.append(command)
    return found
