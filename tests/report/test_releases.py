"""Release bookkeeping (issue 13, disclosure by differencing): a later delivery never silently revises a released
document; a revision waits, recorded with why and what changed, and is published only as a new, audited release
that differencing cannot exploit; the release it replaces stays published, unchanged. The dashboard shows released
figures only, each report year's under the same rule."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from p20_platform.build_info import BuildInfo
from p20_platform.report import protect_annual_report, read_mart
from p20_platform.report.dashboard import publish_dashboard
from p20_platform.report.disconnected import COUNTS_MART, FACTORS_MART
from p20_platform.report.publish import (RELEASES, SUPERSEDED_DIR, RevisionRefused, release_document,
                                         release_revision, write_releases)
from p20_platform.settings import paths
from p20_platform.transform import PUBLISHED_DATABASE

DOCUMENT = "annual/disconnected_youth_2025.html"
P20 = str(Path(sys.executable).with_name("p20"))


def _build(*deliveries: str) -> BuildInfo:
    return BuildInfo(built_at=datetime.now(UTC), code_version="test", data_vintage=date(2026, 1, 15),
                     deliveries=deliveries, synthetic=True)


def _publish(reports, html: str, build: BuildInfo) -> bool:
    """What the publisher does with one rendering: written only when the ledger says so."""
    return release_document(reports, reports / DOCUMENT, html, build)


def _ledger(reports) -> dict:
    return json.loads((reports / RELEASES).read_text())


def test_a_later_delivery_does_not_revise_a_release_and_a_small_revision_is_refused(tmp_path):
    reports = tmp_path / "reports"
    first = _build("DSS.000.01_15_2026.matching", "DSS.000.01_15_2026.analytical")
    assert _publish(reports, "<td>East Hartford</td><td>12</td><td>1,200</td>", first)
    assert _publish(reports, "<td>East Hartford</td><td>12</td><td>1,200</td>", first)  # unchanged: nothing new

    later = _build("DSS.000.02_15_2026.matching", "DSS.000.02_15_2026.analytical")
    assert not _publish(reports, "<td>East Hartford</td><td>11</td><td>1,200</td>", later)
    assert (reports / DOCUMENT).read_text() == "<td>East Hartford</td><td>12</td><td>1,200</td>"  # not revised
    ledger = _ledger(reports)
    [release] = ledger["documents"][DOCUMENT]
    assert release["release"] == 1 and release["deliveries"] == list(first.deliveries)
    pending = ledger["pending"][DOCUMENT]
    assert pending["revises"] == 1 and pending["what_changed"] == {"numbers_changed": 1, "changed_by_1_to_10": 1}
    assert pending["why"] == {"deliveries_added": sorted(later.deliveries), "deliveries_replaced": sorted(first.deliveries)}
    kept = tmp_path / SUPERSEDED_DIR / DOCUMENT / "pending.html"  # outside reports/, owner-only
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sorted(p.name for p in reports.rglob("*") if p.is_file()) == sorted([RELEASES, "disconnected_youth_2025.html"])

    refused = subprocess.run([P20, "release-revision", DOCUMENT, "--reason", "DSS corrected its January file",
                              "--home", str(tmp_path)], capture_output=True, text=True)
    assert refused.returncode == 1
    assert re.search(r"1 shown number\(s\) differ from release 1 by 1-10.*Fix:", refused.stderr), refused.stderr
    assert (reports / DOCUMENT).read_text().endswith("<td>12</td><td>1,200</td>")


def test_a_revision_released_is_a_new_audited_release_and_the_old_one_stays_published(tmp_path):
    reports = tmp_path / "reports"
    first = _build("DOC.000.01_15_2026.matching")
    assert _publish(reports, "<td>Hartford</td><td>1,200</td><td>840</td>", first)
    revised = "<td>Hartford</td><td>1,250</td><td>840</td>"  # a correction of 50: nothing small to difference
    assert not _publish(reports, revised, _build("DOC.000.02_15_2026.matching"))
    with pytest.raises(RevisionRefused, match="reason"):
        release_revision(reports, DOCUMENT, reason=" ", released_by="operator")

    entry = release_revision(reports, DOCUMENT, reason="DOC resent admissions missing in January", released_by="ops")
    assert (entry["release"], entry["revises"], entry["released_by"]) == (2, 1, "ops")
    assert entry["what_changed"] == {"numbers_changed": 1, "changed_by_1_to_10": 0}
    assert entry["why"]["deliveries_added"] == ["DOC.000.02_15_2026.matching"]
    assert (reports / DOCUMENT).read_text() == revised
    old = reports / entry["previous_release_kept_at"]
    assert old == reports / "annual" / "releases" / "disconnected_youth_2025.release_1.html"
    assert old.read_text() == "<td>Hartford</td><td>1,200</td><td>840</td>" and not old.stat().st_mode & 0o222
    ledger = _ledger(reports)
    assert [r["release"] for r in ledger["documents"][DOCUMENT]] == [1, 2] and ledger["pending"] == {}
    with pytest.raises(RevisionRefused, match="no pending revision"):
        release_revision(reports, DOCUMENT, reason="again", released_by="ops")


def _page_data(page: Path) -> dict:
    [data] = re.findall(r'<script type="application/json" id="data">(.*?)</script>', page.read_text(), flags=re.S)
    return json.loads(data)


def test_the_dashboard_shows_each_year_as_released_and_a_revision_only_once_released(run, tmp_path):
    built, result = run
    assert result.success
    counts, factors = read_mart(built, COUNTS_MART), read_mart(built, FACTORS_MART)
    *_, earlier, latest = sorted(int(y) for y in counts["report_year"].unique())
    home = paths(tmp_path / "home")
    published = home.published
    published.mkdir(parents=True)
    shutil.copy(built.published / PUBLISHED_DATABASE, published / PUBLISHED_DATABASE)  # the build info
    tables = protect_annual_report(counts, factors, [earlier, latest])
    page, publication = publish_dashboard(tables, home.reports, published, _build("SDE.000.01_15_2026.matching"))
    released = _page_data(page)
    assert publication.revisions_pending == () and released["years"] == [earlier, latest]

    # A later delivery changes the earlier year's figures (here: the latest year's rows carry its numbers).
    later = pd.concat([counts[counts["report_year"] != earlier],
                       counts[counts["report_year"] == latest].assign(report_year=earlier)])
    document = f"dashboard/disconnected_youth_{earlier}.json"
    page, publication = publish_dashboard(protect_annual_report(later, factors, [earlier, latest]), home.reports,
                                          published, _build("SDE.000.02_15_2026.matching"))
    assert publication.revisions_pending == (document,)
    assert _page_data(page) == released  # the page still shows the release
    changed = _ledger(home.reports)["pending"][document]["what_changed"]
    assert changed["numbers_changed"] > 0 and changed["changed_by_1_to_10"] > 0
    refused = subprocess.run([P20, "release-revision", document, "--reason", "SDE resent", "--home", str(home.home_dir)],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "differ from release 1 by 1-10" in refused.stderr
    assert _page_data(page) == released

    # A revision that moves no shown number by 1-10 (the year's youth count by 100) is released, audited, and the
    # page shows it; the replaced release stays published.
    figures = json.loads((home.reports / document).read_text())
    youth = figures["overall"]["youth"]
    youth["value"] += 100
    youth["text"] = f"{int(youth['value']):,}"
    revision = write_releases(home.reports, {home.reports / document: json.dumps(figures, indent=1, sort_keys=True)},
                              tables.published, _build("SDE.000.03_15_2026.matching"))
    assert revision.revisions_pending == (document,)
    assert _page_data(page) == released
    done = subprocess.run([P20, "release-revision", document, "--reason", "SDE resent", "--home", str(home.home_dir)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shown = _page_data(page)
    assert shown["overall"][str(earlier)]["youth"] == youth and shown["overall"][str(latest)] == released["overall"][str(latest)]
    assert (home.reports / "dashboard" / "releases" / f"disconnected_youth_{earlier}.release_1.json").exists()
