"""`p20 backup` and `p20 restore`: a restored home rebuilds the same marts (row counts and sorted-row checksums) and keeps
what was released as released (the release ledger and documents, the dashboard's figures among them)."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from p20_platform.backup import RELEASE_STATE
from p20_platform.build_info import BuildInfo
from p20_platform.cli import main
from p20_platform.report.publish import SUPERSEDED_DIR, release_document, release_revision
from p20_platform.settings import paths
from p20_platform.transform import DBT_PROJECT_DIR, MART_TABLES


def _marts(warehouse) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {table: connection.execute(
            f"SELECT count(*), md5(coalesce(string_agg(row, '|' ORDER BY row), '')) "
            f"FROM (SELECT CAST(t AS VARCHAR) AS row FROM marts.{table} AS t)").fetchone() for table in MART_TABLES}


def test_a_restored_home_rebuilds_the_same_marts(built_home, dbt_cli, tmp_path, capsys):
    backup, restored = tmp_path / "backup", paths(tmp_path / "restored")
    assert main(["backup", str(backup), "--home", str(built_home.home_dir)]) == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert main(["restore", str(backup), "--home", str(restored.home_dir)]) == 0
    assert main(["restore", str(backup), "--home", str(restored.home_dir)]) == 1  # never over an existing home
    assert "not restored" in capsys.readouterr().err
    assert stat.S_IMODE(restored.warehouse_db.stat().st_mode) == 0o600
    assert sorted(p.name for p in restored.archive.rglob("*") if p.is_file()) == sorted(
        p.name for p in built_home.archive.rglob("*") if p.is_file())

    # The restored stores hold no marts the test could compare by accident: rebuild them from scratch.
    with duckdb.connect(str(restored.warehouse_db)) as warehouse:
        warehouse.execute("DROP SCHEMA IF EXISTS marts CASCADE")
    result = dbt_cli(DBT_PROJECT_DIR, restored.home_dir, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert _marts(restored.warehouse_db) == _marts(built_home.warehouse_db)


def test_a_damaged_backup_is_refused(built_home, tmp_path, capsys):
    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--home", str(built_home.home_dir)]) == 0
    (backup / "warehouse.duckdb").chmod(0o600)
    with (backup / "warehouse.duckdb").open("ab") as handle:
        handle.write(b"x")
    assert main(["restore", str(backup), "--home", str(tmp_path / "elsewhere")]) == 1
    assert "damaged" in capsys.readouterr().err


def _build(*deliveries: str) -> BuildInfo:
    return BuildInfo(built_at=datetime.now(UTC), code_version="test", data_vintage=date(2026, 1, 15),
                     deliveries=deliveries, synthetic=True)


def _render(reports: Path, document: str, text: str, build: BuildInfo) -> bool:
    """What the publisher does with one rendering: written only when the release ledger says so."""
    return release_document(reports, reports / document, text, build)


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in root.rglob("*") if p.is_file()}


def test_released_reports_and_their_ledger_are_backed_up_and_restored_as_released(tmp_path, capsys):
    """Released documents are not rebuilt from the marts: a run after a restore without them would publish its own
    rendering as release 1. The ledger, every released document (the dashboard's per-year JSON among them), the
    earlier release kept under `releases/` and a pending revision come back byte for byte, with their modes."""
    home, restored = paths(tmp_path / "home"), paths(tmp_path / "restored")
    home.home_dir.mkdir()
    duckdb.connect(str(home.warehouse_db)).close()
    home.warehouse_db.chmod(0o600)
    reports, dashboard = home.reports, "dashboard/disconnected_youth_2025.json"
    first, later = _build("DOC.000.01_15_2026.matching"), _build("DOC.000.02_15_2026.matching")
    annual = "annual/disconnected_youth_2025.html"
    assert _render(reports, annual, "<td>Hartford</td><td>1,200</td>", first)
    assert _render(reports, dashboard, '{"Hartford": "1,200"}', first)
    assert not _render(reports, annual, "<td>Hartford</td><td>1,300</td>", later)
    release_revision(reports, annual, "DOC corrected its January file", "test")  # release 1 kept under releases/
    assert not _render(reports, dashboard, '{"Hartford": "1,300"}', later)  # pending, under report_releases/
    (reports / "annual" / "disconnected_youth_2025.pdf").write_bytes(b"%PDF")  # rebuilt from the release: not state
    (reports / "linkage_evaluation.md").write_text("rebuilt from the marts")
    release_state = {f"reports/{name}": content for name, content in _files(reports).items()
                     if not name.endswith((".pdf", ".md"))}
    release_state |= {f"{SUPERSEDED_DIR}/{n}": c for n, c in _files(home.home_dir / SUPERSEDED_DIR).items()}
    assert {"reports/annual/releases/disconnected_youth_2025.release_1.html", f"reports/{dashboard}",
            f"{SUPERSEDED_DIR}/{dashboard}/pending.json"} <= set(release_state)

    backup = tmp_path / "backup"
    assert main(["backup", str(backup), "--home", str(home.home_dir)]) == 0
    assert f"{len(release_state)} release file(s)" in capsys.readouterr().out
    assert main(["restore", str(backup), "--home", str(restored.home_dir)]) == 0
    back = {f"reports/{n}": c for n, c in _files(restored.reports).items()}
    back |= {f"{SUPERSEDED_DIR}/{n}": c for n, c in _files(restored.home_dir / SUPERSEDED_DIR).items()}
    assert back == release_state
    # The restored ledger still holds the release: a later rendering waits as a revision instead of replacing it.
    assert not _render(restored.reports, dashboard, '{"Hartford": "1,400"}', _build("DOC.000.03_15_2026.matching"))
    assert (restored.reports / dashboard).read_text() == '{"Hartford": "1,200"}'

    released = backup / RELEASE_STATE / "reports" / dashboard
    released.chmod(0o600)
    released.write_text('{"Hartford": "1,201"}')
    assert main(["restore", str(backup), "--home", str(tmp_path / "elsewhere")]) == 1
    assert "damaged" in capsys.readouterr().err
