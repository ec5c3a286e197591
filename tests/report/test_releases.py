"""Release bookkeeping: a changed document is a new, recorded release; the superseded one is kept unpublished."""

from __future__ import annotations

import json
import stat

from p20_platform.report.publish import RELEASES, SUPERSEDED_DIR, _record_release


def test_a_revision_is_a_new_release_and_the_old_one_leaves_reports(tmp_path):
    reports = tmp_path / "reports"
    document = reports / "annual" / "disconnected_youth_2025.html"
    document.parent.mkdir(parents=True)
    for html in ("<p>12</p>", "<p>12</p>", "<p>11</p>"):  # a later delivery changes one cell
        _record_release(reports, document, html)
        document.write_text(html)

    [first, second] = json.loads((reports / RELEASES).read_text())["annual/disconnected_youth_2025.html"]
    assert (first["release"], first["revises"]) == (1, None)
    assert (second["release"], second["revises"]) == (2, 1) and second["sha256"] != first["sha256"]
    kept = tmp_path / SUPERSEDED_DIR / "annual" / "disconnected_youth_2025.html" / "release_1.html"
    assert kept.read_text() == "<p>12</p>" and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sorted(p.name for p in reports.rglob("*") if p.is_file()) == sorted([RELEASES, document.name])
