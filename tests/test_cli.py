"""The `p20` command line as an agency or analyst runs it: real files, real exit codes."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from p20_platform.cli import main, ui_environment
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


def test_p20_ui_starts_dagster_without_a_supersession_warning(tmp_path: Path):
    """`p20 ui` with Dagster's FutureWarnings (SupersessionWarning among them) made errors: the
    superseded `dagster dev` failed here at once; the services launch and nothing warns."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        ui = subprocess.Popen([str(Path(sys.executable).with_name("p20")), "ui", "--home", str(tmp_path / "home"),
                               "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                              env={**os.environ, "PYTHONWARNINGS": "error::FutureWarning"})
    try:
        deadline = time.monotonic() + 120
        while ui.poll() is None and time.monotonic() < deadline and "Launching Dagster services" not in log.read_text():
            time.sleep(0.2)
    finally:
        ui.send_signal(signal.SIGINT)  # Ctrl-C, before the code server has loaded: `dg dev` stops what it started
        ui.wait(timeout=60)
    output = log.read_text()
    assert "Launching Dagster services" in output and "Warning" not in output, output[-3000:]


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
