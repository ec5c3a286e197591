"""The `p20` command line as an agency or analyst runs it: real files, real exit codes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
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


def test_p20_ui_reaches_dagster_start_up_without_a_supersession_warning(tmp_path: Path):
    """`p20 ui` with Dagster's FutureWarnings (SupersessionWarning among them) made errors. The
    superseded `dagster dev` failed on entering its command; `dg dev` goes on to read the instance,
    where a setting made invalid on purpose stops it before any service starts (so nothing needs
    stopping and nothing is left running)."""
    home = paths(tmp_path / "home")
    home.dagster_home.mkdir(parents=True)
    (home.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: not-a-flag\n")
    result = subprocess.run([str(Path(sys.executable).with_name("p20")), "ui", "--home", str(home.home)],
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
