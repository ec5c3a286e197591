"""The `p20` command line as an agency or analyst runs it: real files, real exit codes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from p20_platform.cli import main, run_until_stopped, ui_environment
from p20_platform.registry import AGENCIES
from p20_platform.settings import paths


def test_synth_writes_every_agency_and_the_truth(tmp_path: Path, capsys):
    assert main(["synth", "--persons", "300", "--seed", "3", "--out", str(tmp_path), "--quiet"]) == 0
    for registered in AGENCIES:
        delivered = sorted(p.suffix for p in (tmp_path / "landing" / registered.code).iterdir())
        assert delivered == [".analytical", ".matching"]
    assert (tmp_path / "truth" / "records.parquet").is_file()
    assert "300" in capsys.readouterr().out


def test_pet_key_is_created_owner_only_once_and_never_replaced(tmp_path: Path, capsys):
    assert main(["pet-key", "--home", str(tmp_path)]) == 0
    key_file = tmp_path / "pet.key"
    first = key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(first.strip()) >= 32
    assert main(["pet-key", "--home", str(tmp_path)]) == 0
    assert key_file.read_text() == first
    assert "kept" in capsys.readouterr().out


def test_validate_exits_non_zero_on_a_bad_delivery(tmp_path: Path):
    bad = tmp_path / "DOL.000.01_15_2026.matching"
    bad.write_text("LastName,FirstName,SSN,FakeID\nSMITH,J,123456789,A1\n")  # commas, not tabs
    assert main(["validate", str(bad)]) == 1



def _without_venv_on_path(path: str) -> str:
    return os.pathsep.join(folder for folder in path.split(os.pathsep) if Path(folder) != Path(sys.executable).parent)


def test_p20_ui_reaches_dagster_start_up_without_a_supersession_warning(tmp_path: Path):
    """`p20 ui` with Dagster's FutureWarnings (SupersessionWarning among them) made errors. The
    superseded `dagster dev` failed on entering its command; `dg dev` goes on to read the instance,
    where a setting made invalid on purpose stops it before any service starts (so nothing needs
    stopping and nothing is left running)."""
    home = paths(tmp_path / "home")
    home.dagster_home.mkdir(parents=True)
    (home.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: not-a-flag\n")
    result = subprocess.run([str(Path(sys.executable).with_name("p20")), "ui", "--home", str(home.home_dir)],
                            capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "error::FutureWarning"})
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "DagsterInvalidConfigError" in output, output[-3000:]
    assert "Warning" not in output, output[-3000:]


def test_the_ui_loads_the_code_location_where_the_venv_is_not_activated(tmp_path: Path, monkeypatch):
    """The code location loads as `dg dev`'s code server loads it (dagster-dbt parses the dbt project
    with the `dbt` on PATH) in the environment `p20 ui` gives it, from a shell without the venv."""
    monkeypatch.setenv("PATH", _without_venv_on_path(os.environ["PATH"]))
    for name in ("P20_HOME", "DAGSTER_HOME"):  # prepare_environment sets both; monkeypatch restores them
        monkeypatch.delenv(name, raising=False)
    env = {**ui_environment(paths(tmp_path / "home")), "DAGSTER_IS_DEV_CLI": "1"}  # what `dg dev` sets
    result = subprocess.run([sys.executable, "-W", "error::FutureWarning", "-c", "import p20_platform.definitions"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


# A process tree like `dg dev`'s: a leader that starts a child ignoring SIGINT and SIGTERM (as a
# service in the middle of a slow shutdown does), both recorded in a file, then waiting.
TREE = """
import signal, subprocess, sys, time
stubborn = ("import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)")
child = subprocess.Popen([sys.executable, "-c", stubborn])
time.sleep(0.5)  # the child has set its handlers
open(sys.argv[1], "w").write(f"{child.pid} {__import__('os').getpid()}")
time.sleep(600)
"""
RUNNER = ("import sys\nfrom p20_platform.cli import run_until_stopped\n"
          "sys.exit(run_until_stopped([sys.executable, '-c', sys.argv[1], sys.argv[2]], stop_seconds=2))\n")


def _alive(pid: int) -> bool:
    """Running (not a zombie left for an init that does not reap)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_p20_ui_stops_its_whole_process_tree_promptly(tmp_path: Path, stop: signal.Signals):
    """`p20 ui` runs `dg dev` through `run_until_stopped`: a stop signal reaches every process of the
    tree, and what ignores it is killed after the grace period, so the command returns at once."""
    pids = tmp_path / "pids"
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, TREE, str(pids)])
    deadline = time.monotonic() + 30
    while not pids.exists() or not pids.read_text():
        assert runner.poll() is None and time.monotonic() < deadline, "the tree never started"
        time.sleep(0.05)
    tree = [int(pid) for pid in pids.read_text().split()]
    assert all(_alive(pid) for pid in tree)
    started = time.monotonic()
    runner.send_signal(stop)
    assert runner.wait(timeout=15) == 128 + stop
    assert time.monotonic() - started < 2 + 3  # the grace period, and no more than a moment after it
    assert not any(_alive(pid) for pid in tree)


def test_run_until_stopped_returns_the_exit_code_of_a_command_that_ends_itself():
    started = time.monotonic()
    assert run_until_stopped([sys.executable, "-c", "raise SystemExit(3)"], stop_seconds=5) == 3
    assert time.monotonic() - started < 5
