"""A re-run with nothing new is skipped, and everything that should rebuild does.

Real parts at small cost: the shared small population's landing files and the real archive (what the
feeds write when they load), a real Dagster instance whose runs are recorded and tagged exactly as
`p20 materialize` records its builds (`record_build`), a real DuckDB manifest for confirmations. A
full build is not repeated here: the skip only reads the run record, the archive and the manifest,
and the demo re-run is measured end to end (README).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from p20_platform.cli import main
from p20_platform.feeds.archive import archive_bytes
from p20_platform.feeds.landing import landing_files
from p20_platform.linkage.pet_key import KEY_FILE_NAME, create_demo_key
from p20_platform.settings import Paths, paths
from p20_platform.unchanged import (SYNTH_RECORD, BuildInputs, code_fingerprint, describe_skip, record_build,
                                    synth_unchanged, why_rebuild)


@dg.asset
def made() -> int:
    return 1


@dg.asset_check(asset=made)
def made_is_one(made: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=made == 1)


@dg.asset
def breaks() -> int:
    raise ValueError("a build step that fails")


def _build(instance: dg.DagsterInstance, home: Paths, *, fails: bool = False, with_evaluation: bool = False):
    """A real run recorded as `p20 materialize` records a build (its inputs taken before it starts)."""
    inputs = BuildInputs.now(home, with_evaluation)
    job = dg.Definitions(assets=[made, breaks] if fails else [made],
                         asset_checks=[made_is_one]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    record_build(instance, result, inputs)
    return result


@pytest.fixture
def built(fresh_home: Path, tmp_path: Path):
    """The small population's home as a build leaves it: every delivery archived (loaded), a PET key,
    published/ and reports/ written, and the instance's latest run that build, succeeded."""
    home = paths(fresh_home)
    for file in landing_files(home):
        archive_bytes(home.archive, file.read_bytes())
    create_demo_key(home)
    (home.published / "marts").mkdir(parents=True)
    home.reports.mkdir()
    (tmp_path / "dagster").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        assert _build(instance, home).success
        yield home, instance


def test_nothing_new_since_a_successful_build_is_skipped_and_says_what_stands(built):
    home, instance = built
    assert why_rebuild(instance, home, BuildInputs.now(home, False)) is None
    said = describe_skip(instance, home)
    assert said.startswith("nothing new since build ") and "1 assets and 1 checks" in said
    assert f"{home.published} unchanged" in said


def test_a_new_delivery_rebuilds(built):
    home, instance = built
    agency = home.landing / "SDE"
    [matching] = agency.glob("*.matching")
    (agency / "SDE.000.02_15_2026.matching").write_bytes(matching.read_bytes() + b"\n")
    reason = why_rebuild(instance, home, BuildInputs.now(home, False))
    assert reason == "1 new delivery in landing/: SDE/SDE.000.02_15_2026.matching"


def test_a_rewritten_but_identical_landing_set_does_not_rebuild(built):
    home, instance = built
    for file in landing_files(home):
        data = file.read_bytes()
        file.unlink()
        file.write_bytes(data)  # new modification times, same bytes: what a second `p20 synth` did
    assert why_rebuild(instance, home, BuildInputs.now(home, False)) is None


def test_a_changed_pet_key_rebuilds(built):
    home, instance = built
    (home.home_dir / KEY_FILE_NAME).unlink()
    create_demo_key(home)
    assert why_rebuild(instance, home, BuildInputs.now(home, False)).startswith("the PET key changed since build")


def test_changed_configuration_rebuilds(built, monkeypatch):
    home, instance = built
    monkeypatch.setenv("P20_ENGINE", "spark")  # a P20_* setting is part of the code's fingerprint
    reason = why_rebuild(instance, home, BuildInputs.now(home, False))
    assert reason.startswith("the code or its configuration changed since build")


def test_the_code_fingerprint_follows_every_code_file(tmp_path: Path):
    repository = Path(__file__).resolve().parents[1]
    copy = tmp_path / "repo"
    for name in ("assets", "dbt_project/models", "pyproject.toml"):
        source = repository / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, copy / name)
    before = code_fingerprint(copy)
    assert code_fingerprint(copy) == before
    model = next((copy / "dbt_project/models").rglob("*.sql"))
    model.write_text(model.read_text() + "\n-- changed\n")
    changed = code_fingerprint(copy)
    assert changed != before
    (copy / "assets" / "__pycache__").mkdir(exist_ok=True)
    (copy / "assets" / "__pycache__" / "x.pyc").write_bytes(b"compiled")  # not code: ignored
    assert code_fingerprint(copy) == changed


def test_a_failed_run_since_the_build_rebuilds(built):
    home, instance = built
    assert not _build(instance, home, fails=True).success
    assert "did not succeed: failure" in why_rebuild(instance, home, BuildInputs.now(home, False))


def test_a_build_without_the_evaluation_does_not_stand_in_for_one_with_it(built):
    home, instance = built
    assert why_rebuild(instance, home, BuildInputs.now(home, True)) == \
        "the last build did not include the linkage evaluation"
    assert _build(instance, home, with_evaluation=True).success
    assert why_rebuild(instance, home, BuildInputs.now(home, True)) is None
    assert why_rebuild(instance, home, BuildInputs.now(home, False)) is None  # it covers the main job too


def test_a_confirmed_held_delivery_rebuilds(built):
    home, instance = built
    with duckdb.connect(str(home.warehouse_db)) as warehouse:  # `p20 confirm` records into this table
        from p20_platform.feeds import manifest

        manifest.ensure_manifest(warehouse)
    assert why_rebuild(instance, home, BuildInputs.now(home, False)) is None  # none confirmed yet
    with duckdb.connect(str(home.warehouse_db)) as warehouse:
        warehouse.execute("INSERT INTO ops.confirmations VALUES ('abc', 'SDE.000.01_15_2026.matching', now(), 'me')")
    assert why_rebuild(instance, home, BuildInputs.now(home, False)).startswith("a held delivery was confirmed")


def test_missing_outputs_or_an_empty_instance_rebuild(built, tmp_path: Path):
    home, instance = built
    shutil.rmtree(home.reports)
    assert why_rebuild(instance, home, BuildInputs.now(home, False)).startswith("outputs of build")
    (tmp_path / "empty").mkdir()
    with dg.DagsterInstance.local_temp(str(tmp_path / "empty")) as empty:
        assert why_rebuild(empty, home, BuildInputs.now(home, False)) == "no earlier build"


def test_synth_leaves_an_identical_landing_set_alone_and_regenerates_a_changed_one(tmp_path: Path, capsys):
    arguments = ["synth", "--persons", "200", "--seed", "5", "--out", str(tmp_path), "--quiet", "--demo-faults"]
    assert main(arguments) == 0
    home = paths(tmp_path)
    record = home.truth / SYNTH_RECORD
    assert record.is_file()
    files = landing_files(home)
    written = {f: f.stat().st_mtime_ns for f in files}
    capsys.readouterr()
    assert main(arguments) == 0
    assert "not regenerated" in capsys.readouterr().out
    assert {f: f.stat().st_mtime_ns for f in files} == written  # not one file rewritten
    assert not synth_unchanged(home, {"persons": 201, "seed": 5, "bridge_rate": 1.0, "demo_faults": True})
    files[0].write_bytes(b"edited by hand")
    assert main(arguments) == 0
    assert "not regenerated" not in capsys.readouterr().out and files[0].read_bytes() != b"edited by hand"
