"""Run control for `p20 materialize`: a stopped run ends cleanly, and a dead one never blocks the next.

A run started here is tagged with its process (host, pid, the pid's start time), so a later run can
tell a live writer from a dead one without guessing from the clock:

- `clear_leftovers` (before a run) marks failed every run of this host whose process is gone, frees
  the `duckdb_writer` pool slots that dead or finished runs still claim (Dagster's own
  `free_concurrency_slots_for_run`), ends a `dbt build` for this data home whose parent died
  (it would hold the warehouse lock for good) and, when no live run is writing, removes the scratch
  files (`*.next`) a killed writer left beside the documents and copies under `reports/` and
  `published/`. It returns one line saying what it cleared. Every run calls it when it starts, however
  it was started (`p20 materialize` before its run; the `data_home` resource for runs of `dagster dev`),
  so a dead run of either kind is cleared by the next run of either kind.
- `die_with_parent` (for child processes such as headless Chromium): the kernel kills the child when the
  run's process dies, even by SIGKILL, so no child outlives a killed run.
- `StopGuard` (around a run) turns SIGTERM and Ctrl-C into a clean stop. Dagster captures both
  signals during execution and only acts on them inside a step; while a step waits for a pool
  slot it would ignore them. A signal wake-up descriptor lets a watcher thread see every signal at
  once: it interrupts the running DuckDB queries (`con.interrupt()`), ends the run's child
  processes (the `dbt build` subprocess), and, when the run has not ended itself within
  `STOP_GRACE_SECONDS`, reports it failed, frees its slots and exits.

Linux only (it reads /proc), like the platform's deployments.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, ExecuteInProcessResult, JobDefinition, RunsFilter

from p20_platform.feeds.stores import interrupt_open_connections
from p20_platform.settings import Paths

POOL = "duckdb_writer"
PID_TAG, PID_START_TAG, HOST_TAG = "p20/pid", "p20/pid_start", "p20/host"
IN_PROGRESS = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
               DagsterRunStatus.CANCELING]
# After a stop signal the run gets this long to end itself (interrupted query, failed step) before
# it is reported failed and the process exits; children get half of it to end after SIGTERM.
STOP_GRACE_SECONDS = 5.0
STOP_EXIT_SECONDS = 8.0  # a stopped process exits by then, whatever it still has to do
EXIT_STOPPED = 143
PR_SET_PDEATHSIG = 1  # linux/prctl.h
SCRATCH = "*.next"  # what every writer of reports/ and published/ writes before renaming it into place


def replace_text(path: Path, text: str) -> Path:
    """Write `path` whole or not at all: into its `.next` scratch file, then renamed over it (a reader never
    sees half a file; a killed writer leaves only the scratch file, which `clear_leftovers` removes)."""
    scratch = path.with_suffix(path.suffix + ".next")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)
    return path


def _process_start(pid: int) -> str | None:
    """The kernel's start time of a process (clock ticks since boot), or None when it is gone: exited,
    or a zombie whose parent has not reaped it yet (an orphan's new parent may take its time)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name before ")" may hold spaces
    return None if fields[0] == "Z" else fields[19]  # fields 3 (state) and 22 (start time)


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None


def _command(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _processes() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def run_tags() -> dict[str, str]:
    """Tags naming this process, put on every run it starts."""
    return {PID_TAG: str(os.getpid()), PID_START_TAG: _process_start(os.getpid()) or "", HOST_TAG: socket.gethostname()}


def _run_process_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process that started a run lives; None when the run is not one of this host's p20 runs."""
    if PID_TAG not in tags or tags.get(HOST_TAG) != socket.gethostname():
        return None
    return _process_start(int(tags[PID_TAG])) == tags.get(PID_START_TAG)


def die_with_parent() -> None:
    """`preexec_fn` for a child process: the kernel sends it SIGKILL when its parent dies (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _end(pids: list[int], wait_seconds: float) -> list[int]:
    """SIGTERM, then SIGKILL what is still there after `wait_seconds`; return the pids signalled."""
    ended = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            ended.append(pid)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + wait_seconds
    while any(_process_start(pid) for pid in ended) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in ended:
        if _process_start(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return ended


def _is_dbt_for(pid: int, home: Paths) -> bool:
    """A `dbt build` whose --vars name this data home (`{"p20_home": "<home>"}`, as the dbt asset passes it)."""
    command = _command(pid)
    return (any(Path(part).name == "dbt" for part in command[:2]) and "build" in command
            and any(f'"p20_home": "{home.home_dir}"' in part for part in command))


def orphaned_dbt(home: Paths) -> list[int]:
    """`dbt build` processes for this data home whose parent is gone (reparented away from a Python parent)."""
    orphans = []
    for pid in _processes():
        if pid == os.getpid() or not _is_dbt_for(pid, home):
            continue
        parent = _parent(pid)
        parent_command = " ".join(_command(parent)) if parent else ""
        if parent in (None, 1) or ("python" not in parent_command and "dagster" not in parent_command
                                   and "p20" not in parent_command):
            orphans.append(pid)
    return orphans


@dataclass
class Leftovers:
    """What `clear_leftovers` found and cleared, and which live run holds the writers' pool."""

    dead_runs: list[str] = field(default_factory=list)
    freed_slots: list[str] = field(default_factory=list)
    ended_dbt: list[int] = field(default_factory=list)
    scratch: list[str] = field(default_factory=list)
    busy_with: list[str] = field(default_factory=list)

    def describe(self) -> str | None:
        parts = []
        if self.dead_runs:
            parts.append(f"marked failed {len(self.dead_runs)} run(s) whose process is gone ({', '.join(self.dead_runs)})")
        if self.freed_slots:
            parts.append(f"freed the {POOL} slot(s) they held ({', '.join(self.freed_slots)})")
        if self.ended_dbt:
            parts.append(f"ended {len(self.ended_dbt)} orphaned dbt build(s) holding the warehouse "
                         f"(pid {', '.join(map(str, self.ended_dbt))})")
        if self.scratch:
            parts.append(f"removed {len(self.scratch)} partly written file(s) ({', '.join(self.scratch)})")
        lines = [f"p20: cleared what an earlier run left: {'; '.join(parts)}."] if parts else []
        if self.busy_with:
            lines.append(f"p20: waiting for the {POOL} pool: held by live run(s) {', '.join(self.busy_with)}; "
                         "stop them (Ctrl-C / SIGTERM) or wait.")
        return "\n".join(lines) or None


def clear_leftovers(instance: DagsterInstance, paths: Paths) -> Leftovers:
    """Fail dead runs of this host, free pool slots no live run holds, end orphaned dbt builds, and remove
    dead writers' scratch files when no other run is in progress."""
    found = Leftovers()
    others_live = False
    for record in instance.get_run_records(RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        alive = _run_process_alive(run.tags)
        if alive is False:
            instance.report_run_failed(run, f"Marked failed by p20: its process (pid {run.tags[PID_TAG]}) is gone.")
            found.dead_runs.append(run.run_id[:8])
        elif run.tags.get(PID_TAG) != str(os.getpid()):  # not the run this process is starting
            others_live = True
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        info = storage.get_concurrency_info(POOL)
        holders = {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}
        for run_id in sorted(holders):
            run = instance.get_run_by_id(run_id)
            if run is None or run.status not in IN_PROGRESS:
                storage.free_concurrency_slots_for_run(run_id)
                found.freed_slots.append(run_id[:8])
            elif run_id in {slot.run_id for slot in info.claimed_slots}:
                found.busy_with.append(f"{run_id[:8]} (pid {run.tags.get(PID_TAG, 'unknown')})")
    found.ended_dbt = _end(orphaned_dbt(paths), STOP_GRACE_SECONDS / 2)
    if not others_live:
        found.scratch = _remove_scratch(paths)
    return found


def _remove_scratch(paths: Paths) -> list[str]:
    """Remove the `*.next` files and links a killed writer left under reports/ and published/ (each writer
    writes one beside its target and renames it over the target; a leftover is never a reader's file)."""
    removed = []
    for folder in (paths.reports, paths.published):
        if not folder.is_dir():
            continue
        for leftover in sorted(folder.rglob(SCRATCH)):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink()
                removed.append(str(leftover.relative_to(paths.home_dir)))
    return removed


# Children that are not the run's work: Python's multiprocessing helper and Dagster's compute-log forwarders
# (`tail -F` and its orphan watcher), which carry the process's output to the terminal until it exits.
_HELPERS = ("multiprocessing.resource_tracker", "watch_orphans.py", "tail -F")


def _children() -> list[int]:
    """This process's children doing the run's work (the `dbt build` subprocess)."""
    me = os.getpid()
    return [pid for pid in _processes() if _parent(pid) == me
            and not any(helper in " ".join(_command(pid)) for helper in _HELPERS)]


def fail_run(instance: DagsterInstance, run_id: str, message: str) -> None:
    """Report a run failed (unless it already ended) and free every pool slot it claims."""
    run = instance.get_run_by_id(run_id)
    if run is not None and run.status in IN_PROGRESS:
        instance.report_run_failed(run, message)
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)


class StopGuard:
    """Watches for SIGTERM/SIGINT while a run executes in this (main) thread; see the module docstring."""

    def __init__(self, instance: DagsterInstance, run_id: str) -> None:
        self.instance, self.run_id = instance, run_id
        self.stopped_by: str | None = None
        self._reader, self._writer = socket.socketpair()
        self._finished = threading.Event()  # the run returned from execution
        self._recorded = threading.Event()  # ... and a stopped run is recorded failed with its slots freed

    def _watch(self) -> None:
        self._reader.settimeout(None)
        while True:
            try:
                data = self._reader.recv(1)
            except OSError:
                return
            if self._finished.is_set() or not data:
                return
            if data[0] in (signal.SIGTERM, signal.SIGINT):
                break
        self.stopped_by = signal.Signals(data[0]).name
        exit_by = time.monotonic() + STOP_EXIT_SECONDS
        print(f"p20: {self.stopped_by} received: interrupting the run's DuckDB queries and ending its child "
              "processes", file=sys.stderr, flush=True)
        interrupt_open_connections()
        _end(_children(), STOP_GRACE_SECONDS / 2)
        finished = self._finished.wait(STOP_GRACE_SECONDS)
        if finished and self._recorded.wait(max(0.0, exit_by - time.monotonic())):
            # The run is recorded failed and its slots are free: whatever the process still does (summaries,
            # shutdown of a loaded interpreter) must not keep it alive past the limit.
            time.sleep(max(0.0, exit_by - time.monotonic()))
        else:  # still in the run (e.g. a step waiting for a pool slot) or slow to record it: record it, leave now
            fail_run(self.instance, self.run_id, f"Stopped by {self.stopped_by}.")
        print(f"p20: run {self.run_id} stopped by {self.stopped_by}: marked failed, its {POOL} slot freed",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_STOPPED)

    @contextmanager
    def watching(self) -> Iterator[StopGuard]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        self._writer.setblocking(False)
        previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        # Handlers that only record: Dagster replaces them during execution; outside it they must not kill us
        # before the run is marked failed.
        previous = {s: signal.signal(s, lambda *_: None) for s in (signal.SIGTERM, signal.SIGINT)}
        watcher = threading.Thread(target=self._watch, name="p20-stop-guard", daemon=True)
        watcher.start()
        try:
            yield self
        finally:
            self._finished.set()
            signal.set_wakeup_fd(previous_fd)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._writer.send(b"\0")  # wake the watcher so it ends
            if self.stopped_by is None:
                watcher.join(timeout=1)
            self._reader.close()
            self._writer.close()
            if self.stopped_by is not None:
                fail_run(self.instance, self.run_id, f"Stopped by {self.stopped_by}.")
            self._recorded.set()


def execute_stoppable(job: JobDefinition, instance: DagsterInstance, *, listener=None,
                      **kwargs) -> tuple[ExecuteInProcessResult, str | None]:
    """Execute a job in process under a StopGuard, tagged with this process; return the result and the stop
    signal. `listener`, if given, receives the run's events as they happen (the progress lines)."""
    guard = StopGuard(instance, str(uuid.uuid4()))  # Dagster's run ids are uuid4s
    if listener is not None:
        instance.add_event_listener(guard.run_id, listener)
    with guard.watching():
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_id=guard.run_id,
                                        tags=run_tags(), **kwargs)
    return result, guard.stopped_by
