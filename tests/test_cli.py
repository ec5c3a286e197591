"""The `p20` command line as an agency or analyst runs it: real files, real exit codes."""

from __future__ import annotations

import stat
from pathlib import Path

from p20_platform.cli import main
from p20_platform.registry import AGENCIES


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
