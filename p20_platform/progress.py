"""One line per finished step of `p20 materialize`, with its time and the time so far.

Dagster calls an instance's event listeners for every event of a run as it happens, so the
listener sees each step start and end without polling; the console logger is kept to warnings,
and these lines replace its flood of INFO messages (which stay in the run's event log and the UI).
dagster-dbt echoes every dbt event to stdout (two lines per model and test); `dbt_summary` keeps
dbt's closing tally (`Done. PASS=244 WARN=0 ERROR=0 ...`) and any warning or failure, and drops
the rest (it is in the run's event log too).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from dagster import DagsterEventType, EventLogEntry

# The progress lines replace the console logger's INFO messages: it keeps to warnings and errors.
PROGRESS_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
_ENDS = {DagsterEventType.STEP_SUCCESS: "done", DagsterEventType.STEP_FAILURE: "FAILED",
         DagsterEventType.STEP_SKIPPED: "skipped"}


class StepProgress:
    """An event listener (`instance.add_event_listener(run_id, progress)`) printing each step's end."""

    def __init__(self, steps: int, out: TextIO = sys.stdout) -> None:
        self.steps, self.out = steps, out
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.finished = 0

    def __call__(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        now = time.monotonic()
        if event.event_type == DagsterEventType.STEP_START:
            self.step_started[event.step_key] = now
        elif event.event_type in _ENDS:
            self.finished += 1
            took = now - self.step_started.get(event.step_key, now)
            print(f"[{self.finished:>{len(str(self.steps))}}/{self.steps}] {_ENDS[event.event_type]:<7} "
                  f"{event.step_key.replace('__', '/'):<44} {took:6.1f} s   (total {_clock(now - self.started)})",
                  file=self.out, flush=True)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


_DBT_ROUTINE = re.compile(r"(\d\d:\d\d:\d\d\s+)?(\d+ of \d+ (START|PASS|OK|SKIP|NO-OP)\b|Running with dbt=|"
                          r"Registered adapter:|Found \d+ |Concurrency: |Unable to do partial parsing|"
                          r"Finished running |Completed successfully|$)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _DbtFilter:
    """A stdout that passes through every line except dbt's routine ones."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.pending = out, ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if not _DBT_ROUTINE.match(_ANSI.sub("", line).strip()):
                self.out.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def __getattr__(self, name: str):
        return getattr(self.out, name)


@contextmanager
def dbt_summary() -> Iterator[None]:
    """While active, dbt's per-model and per-test lines on stdout are dropped (see module doc)."""
    original = sys.stdout
    sys.stdout = _DbtFilter(original)
    try:
        yield
    finally:
        if sys.stdout.pending:
            original.write(sys.stdout.pending)
        sys.stdout = original
