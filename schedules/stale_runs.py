"""Runs that cannot still be alive must not hold the sensors back.

Stopping `dagster dev` during a run kills its worker before it can record an end, so the run stays
STARTED in the instance. Both sensors wait for their earlier runs to finish, so such a run would
stop every later load and rebuild until someone failed it by hand. Dagster's run monitoring
(enabled in the dagster.yaml that p20_platform.pipeline writes) fails it after its
`dagster/max_runtime`, but only when its daemon polls; the sensors apply the same rule on their own
tick, report the run failed with the reason, and free the pool slots it held.

A run is taken for dead when the run launcher says its worker is gone (launchers that support
`check_run_worker_health`: Docker, Kubernetes, ECS), or when it has gone on longer than its
maximum. The default run launcher `dagster dev` uses cannot check a worker, so there the maximum
is the only sign. Queued runs are never taken for dead: the run queue holds them on purpose.
"""

from __future__ import annotations

import time

from dagster import DagsterInstance, DagsterRunStatus, RunRecord, RunsFilter

# Dagster's per-run limit, read by run monitoring and by `dead_run_reason` below.
MAX_RUNTIME_TAG = "dagster/max_runtime"
# 30 minutes. Measured here: the whole demo build (20,000 persons, every load, the index, dbt,
# 313 checks, the report) takes 1 min 47 s; statewide (1.2M persons) the linkage rebuild takes
# 33 s with the saved model (45 s to retrain), and loading all 30 demo files 16 s. A rebuild or
# load still going after 30 minutes is hung or dead, with room for statewide dbt and a busy 2-core
# machine; a dead run blocks new rebuilds for at most this long.
RUN_MAX_SECONDS = 1800
RUN_MAX_RUNTIME_TAGS = {MAX_RUNTIME_TAG: str(RUN_MAX_SECONDS)}
# Unfinished and past the queue: a worker was (or should have been) started for these.
LAUNCHED = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
            DagsterRunStatus.CANCELING]
WORKER_GONE = {"NOT_FOUND", "FAILED"}


def dead_run_reason(instance: DagsterInstance, record: RunRecord, now: float) -> str | None:
    """Why this unfinished run cannot still be alive, or None when it may be."""
    run = record.dagster_run
    launcher = instance.run_launcher
    if run.status == DagsterRunStatus.STARTED and launcher.supports_check_run_worker_health:
        health = launcher.check_run_worker_health(run)
        if health.status.value in WORKER_GONE:
            return f"the run launcher reports its worker {health}"
    limit = float(run.tags.get(MAX_RUNTIME_TAG, RUN_MAX_SECONDS))
    began = record.start_time or record.create_timestamp.timestamp()
    if now - began > limit:
        return (f"it has been {run.status.value} for {(now - began) / 60:.0f} min, longer than its maximum of"
                f" {limit:.0f} s ({MAX_RUNTIME_TAG}); its worker most likely died with the process that launched"
                " it (e.g. `dagster dev` was stopped)")
    return None


def fail_dead_runs(instance: DagsterInstance, tags: dict[str, str], sensor_name: str) -> list[str]:
    """Report failed every launched run with these tags that cannot still be alive; return the messages."""
    messages = []
    for record in instance.get_run_records(RunsFilter(tags=tags, statuses=LAUNCHED)):
        reason = dead_run_reason(instance, record, time.time())
        if reason is None:
            continue
        message = f"Marked failed by the {sensor_name} sensor: {reason}."
        instance.report_run_failed(record.dagster_run, message)
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
        messages.append(f"run {record.dagster_run.run_id}: {message}")
    return messages
