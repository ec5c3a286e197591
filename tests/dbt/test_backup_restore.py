"""`p20 backup` and `p20 restore`: a restored home rebuilds the same marts (row counts and sorted-row checksums)."""

from __future__ import annotations

import stat

import duckdb

from p20_platform.cli import main
from p20_platform.settings import paths
from p20_platform.transform import DBT_PROJECT_DIR, MART_TABLES


def _marts(warehouse) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {table: connection.execute(
            f"SELECT count(*), md5(coalesce(string_agg(row, '|' ORDER BY row), '')) "
            f"FROM (SELECT CAST(t AS VARCHAR) AS row FROM marts.{table} AS t)").fetchone() for table in MART_TABLES}


def test_a_restored_home_rebuilds_the_same_marts(built_home, dbt_cli, tmp_path, capsys):
    backup, restored = tmp_path / "backup", paths(tmp_path / "restored")
    assert main(["backup", str(backup), "--home", str(built_home.home)]) == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert main(["restore", str(backup), "--home", str(restored.home)]) == 0
    assert main(["restore", str(backup), "--home", str(restored.home)]) == 1  # never over an existing home
    assert "not restored" in capsys.readouterr().err
    assert stat.S_IMODE(restored.warehouse_db.stat().st_mode) == 0o600
    assert sorted(p.name for p in restored.archive.rglob("*") if p.is_file()) == sorted(
        p.name for p in built_home.archive.rglob("*") if p.is_file())

    # The restored stores hold no marts the test could compare by accident: rebuild them from scratch.
    with duckdb.connect(str(restored.warehouse_db)) as warehouse:
        warehouse.execute("DROP SCHEMA IF EXISTS marts CASCADE")
    result = dbt_cli(DBT_PROJECT_DIR, restored.home, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert _marts(restored.warehouse_db) == _marts(built_home.warehouse_db)


def test_a_damaged_backup_is_refused(built_home, tmp_path, capsys):
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--home", str(built_home.home)]) == 0
    (backup / "warehouse.duckdb").chmod(0o600)
    with (backup / "warehouse.duckdb").open("ab") as handle:
        handle.write(b"x")
    assert main(["restore", str(backup), "--home", str(tmp_path / "elsewhere")]) == 1
    assert "damaged" in capsys.readouterr().err
