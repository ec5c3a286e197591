"""Run control on a real Dagster instance and real processes: stops end runs cleanly, dead runs never block.

The runs here are small jobs in the platform's `duckdb_writer` pool, executed the way `p20
materialize` executes the whole platform (`execute_stoppable`), in a child process that the test
signals, so no full build is needed to stop one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from p20_platform.pipeline import write_instance_config
from p20_platform.run_control import (HOST_TAG, PID_START_TAG, PID_TAG, POOL, _process_start, clear_leftovers,
                                      orphaned_dbt)
from p20_platform.settings import paths

STOP_LIMIT_SECONDS = 10

# A job whose one step writes DuckDB in the writers' pool and runs a query that takes minutes.
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    import dagster as dg
    from dagster import DagsterInstance
    from p20_platform.feeds.stores import connect
    from p20_platform.run_control import execute_stoppable

    home = Path(sys.argv[1])

    @dg.op(pool="duckdb_writer")
    def long_query():
        with connect(home / "warehouse.duckdb") as warehouse:
            (home / "started").write_text("yes")
            warehouse.execute("SELECT count(*) FROM range(4000000000) a WHERE hash(a.range) % 7 = 3").fetchall()

    @dg.job
    def writer():
        long_query()

    with DagsterInstance.get() as instance:
        result, stopped_by = execute_stoppable(writer, instance)
    print("stopped_by", stopped_by, "success", result.success, flush=True)
""")


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch) -> Path:
    """A Dagster instance directory (DAGSTER_HOME, a Path), not a data home."""
    home = tmp_path / "dagster"
    home.mkdir()
    write_instance_config(home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _start_child(tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=os.environ.copy())


def _wait_for(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.2)


def _stop(child: subprocess.Popen, signum: int) -> float:
    began = time.monotonic()
    child.send_signal(signum)
    try:
        child.wait(timeout=STOP_LIMIT_SECONDS + 20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    return time.monotonic() - began


def _the_run(instance: dg.DagsterInstance) -> dg.DagsterRun:
    records = instance.get_run_records(dg.RunsFilter(job_name="writer"))
    assert len(records) == 1, [(r.dagster_run.job_name, r.dagster_run.status) for r in instance.get_run_records()]
    [record] = records
    return record.dagster_run


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_interrupts_the_running_query_fails_the_run_and_frees_its_slot(dagster_home, tmp_path, signum):
    child = _start_child(tmp_path)
    _wait_for(tmp_path / "started")
    time.sleep(1)
    took = _stop(child, signum)
    output = child.stdout.read()
    assert took < STOP_LIMIT_SECONDS, output
    assert child.returncode != 0 or "success False" in output, output
    with dg.DagsterInstance.get() as instance:
        assert _the_run(instance).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0


def test_a_stop_while_waiting_for_the_pool_ends_the_run_too(dagster_home, tmp_path):
    """The spin of issue 13: a step waiting for a slot ignored SIGTERM; now the run ends within the limit."""
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        holder = instance.create_run_for_job(_noop_job(), status=dg.DagsterRunStatus.STARTED, tags=_tags_of(os.getpid()))
        instance.event_log_storage.claim_concurrency_slot(POOL, holder.run_id, "busy")
    child = _start_child(tmp_path)
    deadline = time.monotonic() + 120
    while not _pool(lambda info: {step.run_id for step in info.pending_steps} - {holder.run_id}):
        assert time.monotonic() < deadline and child.poll() is None, "the step never queued for the slot"
        time.sleep(0.5)
    time.sleep(2)  # the step is now waiting for the slot the live run holds
    assert not (tmp_path / "started").exists()
    took = _stop(child, signal.SIGTERM)
    output = child.stdout.read()
    assert took < STOP_LIMIT_SECONDS, output
    with dg.DagsterInstance.get() as instance:
        assert _the_run(instance).status == dg.DagsterRunStatus.FAILURE, output
        info = instance.event_log_storage.get_concurrency_info(POOL)
        assert info.active_run_ids == {holder.run_id}
        assert {step.run_id for step in info.pending_steps} == {holder.run_id}


def _pool(read):
    with dg.DagsterInstance.get() as instance:
        return read(instance.event_log_storage.get_concurrency_info(POOL))


def _noop_job() -> dg.JobDefinition:
    @dg.op
    def nothing():
        return None

    @dg.job(name="holder")
    def holder():
        nothing()

    return holder


def _tags_of(pid: int) -> dict[str, str]:
    return {PID_TAG: str(pid), PID_START_TAG: _process_start(pid) or "", HOST_TAG: socket.gethostname()}


def test_a_new_run_clears_what_a_dead_run_left_and_says_so(dagster_home, tmp_path):
    home = paths(tmp_path / "home")
    gone = subprocess.Popen(["sleep", "60"])
    dead_tags = _tags_of(gone.pid)
    gone.kill()
    gone.wait()
    # A dbt build of this home whose parent died: double-forked, so it is reparented away from us.
    dbt_vars = json.dumps({"p20_home": str(home.home_dir)})
    subprocess.run(["bash", "-c", f"(exec -a dbt {sys.executable} -c 'import time; time.sleep(120)' build --vars '{dbt_vars}' "
                    ">/dev/null 2>&1 &)"], check=True)
    deadline = time.monotonic() + 10
    while not orphaned_dbt(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    [orphan] = orphaned_dbt(home)

    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots(POOL, 3)
        dead = instance.create_run_for_job(_noop_job(), status=dg.DagsterRunStatus.STARTED, tags=dead_tags)
        live = instance.create_run_for_job(_noop_job(), status=dg.DagsterRunStatus.STARTED, tags=_tags_of(os.getpid()))
        finished = instance.create_run_for_job(_noop_job(), status=dg.DagsterRunStatus.SUCCESS)
        for run in (dead, live, finished):
            storage.claim_concurrency_slot(POOL, run.run_id, "step")

        leftovers = clear_leftovers(instance, home)
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(live.run_id).status == dg.DagsterRunStatus.STARTED
        assert storage.get_concurrency_info(POOL).active_run_ids == {live.run_id}
        assert leftovers.ended_dbt == [orphan] and _process_start(orphan) is None
        text = leftovers.describe()
        assert text.count("\n") == 1 and text.startswith("p20: cleared what an earlier run left")
        assert dead.run_id[:8] in text and finished.run_id[:8] in text and str(orphan) in text
        assert f"held by live run(s) {live.run_id[:8]}" in text

        assert clear_leftovers(instance, home).describe().startswith("p20: waiting")  # nothing left to clear


def test_the_dead_runs_sensor_fails_a_dead_run_and_frees_its_slot_between_runs(dagster_home, tmp_path):
    """What runs `dagster dev`'s daemon when no run starts: its queue holds every run of the pool back while a dead
    run claims the one slot, so the clearing a starting run does would never come."""
    from schedules.sensors import dead_runs

    from p20_platform.resources import DataHome

    gone = subprocess.Popen(["sleep", "60"])
    dead_tags = _tags_of(gone.pid)
    gone.kill()
    gone.wait()
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        dead = instance.create_run_for_job(_noop_job(), status=dg.DagsterRunStatus.STARTED, tags=dead_tags)
        instance.event_log_storage.claim_concurrency_slot(POOL, dead.run_id, "step")
        context = dg.build_sensor_context(instance=instance, resources={"data_home": DataHome(home=str(tmp_path))})
        said = dead_runs(context).skip_message
        assert f"marked failed 1 run(s) whose process is gone ({dead.run_id[:8]})" in said, said
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0
        assert dead_runs(context).skip_message == "no run left anything to clear"


# A job started without `p20 materialize` (as `dagster dev`'s run worker or `dagster job execute` start one):
# its one step holds the writers' pool until the process is killed.
OUTSIDE_JOB = textwrap.dedent("""
    import time
    import dagster as dg
    from p20_platform.resources import DataHome

    @dg.op(pool="duckdb_writer")
    def hold_the_pool(data_home: DataHome):
        (data_home.paths.home_dir / "started").write_text("yes")
        time.sleep(600)

    @dg.job(resource_defs={"data_home": DataHome()}, executor_def=dg.in_process_executor)  # as the platform's
    def outside():
        hold_the_pool()

    @dg.op(pool="duckdb_writer")
    def write_quickly(data_home: DataHome):
        (data_home.paths.home_dir / "written").write_text("yes")

    @dg.job(resource_defs={"data_home": DataHome()}, executor_def=dg.in_process_executor)
    def next_run():
        write_quickly()

    defs = dg.Definitions(jobs=[outside, next_run])
""")


def test_a_run_started_outside_p20_is_tagged_with_its_process_and_cleared_by_the_next_run_once_dead(
        dagster_home, tmp_path):
    """As `dagster dev`'s run worker executes a UI-started run (the `data_home` resource tags it); the next run,
    started the same way, clears the dead one before it waits for the pool (limit 1): without that it would wait
    for good."""
    script = tmp_path / "outside.py"
    script.write_text(OUTSIDE_JOB)

    def execute(job: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "job", "execute", "-f", str(script),
                                 "-j", job], env={**os.environ, "P20_HOME": str(tmp_path)}, **kwargs)

    child = execute("outside", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(tmp_path / "started")
    finally:
        child.kill()
        child.wait()
    with dg.DagsterInstance.get() as instance:
        [record] = instance.get_run_records(dg.RunsFilter(job_name="outside"))
        assert record.dagster_run.tags[PID_TAG] == str(child.pid)
        assert record.dagster_run.status == dg.DagsterRunStatus.STARTED  # what the kill left
        assert instance.event_log_storage.get_concurrency_info(POOL).active_run_ids == {record.dagster_run.run_id}

    following = execute("next_run", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = following.communicate(timeout=180)[0]
    assert following.returncode == 0 and (tmp_path / "written").exists(), output[-3000:]
    assert f"marked failed 1 run(s) whose process is gone ({record.dagster_run.run_id[:8]})" in output
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(record.dagster_run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0


# The same two jobs as `dagster dev` (`make ui`) serves them, beside the platform's dead-run sensor.
UI_JOBS = OUTSIDE_JOB + textwrap.dedent("""
    from schedules.sensors import dead_runs

    defs = dg.Definitions(jobs=[outside, next_run], sensors=[dead_runs], resources={"data_home": DataHome()})
""")
DEV_DEADLINE_SECONDS = 600  # a guard against a hang, not a speed target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _dagster_dev(script: Path, env: dict[str, str]):
    """`dagster dev` on the script, in a process group of its own; yields its GraphQL client and the process."""
    from dagster_graphql import DagsterGraphQLClient

    port = _free_port()
    dev = subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "dev", "-f", str(script), "-h",
                            "127.0.0.1", "-p", str(port)], env=env, cwd=script.parent, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield DagsterGraphQLClient("127.0.0.1", port_number=port), dev
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGTERM)
            dev.wait(timeout=60)


def _launch(client, job: str) -> str:
    """Launch `job` as the UI's Launch button does, once the webserver and code location are up."""
    from dagster_graphql import DagsterGraphQLClientError

    deadline = time.monotonic() + DEV_DEADLINE_SECONDS
    while True:
        try:
            return client.submit_job_execution(job, repository_location_name="ui_jobs.py",
                                               repository_name="__repository__")
        except (DagsterGraphQLClientError, OSError, ValueError):  # not serving yet
            assert time.monotonic() < deadline, "dagster dev never served the jobs"
            time.sleep(1)


def _ended(client, run_id: str) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + DEV_DEADLINE_SECONDS
    while (status := client.get_run_status(run_id)) not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
                                                             dg.DagsterRunStatus.CANCELED):
        assert time.monotonic() < deadline, f"run {run_id[:8]} still {status.value}: the dead run blocks it"
        time.sleep(1)
    return status


def _holding_the_pool(client, home: Path) -> tuple[str, int]:
    """Launch the job that holds the writers' pool; once its step runs, the pid of the run's worker."""
    (home / "started").unlink(missing_ok=True)
    run_id = _launch(client, "outside")
    _wait_for(home / "started", DEV_DEADLINE_SECONDS)
    with dg.DagsterInstance.get() as instance:
        return run_id, int(instance.get_run_by_id(run_id).tags[PID_TAG])


@pytest.mark.slow
def test_under_dagster_dev_a_run_whose_worker_or_dagster_dev_itself_was_killed_never_blocks_the_next(
        dagster_home, tmp_path):
    """Issue 13 through `dagster dev` itself. Its run queue holds back a run of the writers' pool while a slot is
    claimed, so the next run never starts to clear a dead one: without the `dead_runs` sensor a run in flight when
    `dagster dev` was killed kept its slot after the restart, and the next run stayed QUEUED (10 minutes here). A
    run whose worker alone is killed, `dagster dev` still up, must not block the next either."""
    script = tmp_path / "ui_jobs.py"
    script.write_text(UI_JOBS)
    env = {**os.environ, "P20_HOME": str(tmp_path)}
    with _dagster_dev(script, env) as (client, _):
        worker_died, worker = _holding_the_pool(client, tmp_path)
        os.kill(worker, signal.SIGKILL)
        assert _ended(client, _launch(client, "next_run")) == dg.DagsterRunStatus.SUCCESS
    with _dagster_dev(script, env) as (client, dev):
        in_flight, worker = _holding_the_pool(client, tmp_path)
        os.killpg(dev.pid, signal.SIGKILL)
        dev.wait()
    with _dagster_dev(script, env) as (client, _):
        assert _ended(client, _launch(client, "next_run")) == dg.DagsterRunStatus.SUCCESS
    with dg.DagsterInstance.get() as instance:
        assert {instance.get_run_by_id(run).status for run in (worker_died, in_flight)} == {dg.DagsterRunStatus.FAILURE}
        assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0
    assert _process_start(worker) is None
