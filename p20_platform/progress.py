"""One line per finished step of `p20 materialize`, with its time and the time so far.

Dagster calls an instance's event listeners for every event of a run as it happens, so the
listener sees each step start and end without polling; the console logger is kept to warnings,
and these lines replace its flood of INFO messages (which stay in the run's event log and the UI).
"""

from __future__ import annotations

import sys
import time
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
