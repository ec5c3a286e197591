"""Audit, render and write the documents: nothing is written unless the audit passes.

`require_publishable` re-checks, from what readers will see, every table the documents use
(shown small counts, cells recoverable from margins or linked tables); on any finding it
raises `DisclosureViolation` before a file is touched. Files are written beside the old one
and renamed over it, so a reader never sees half a report.

Releases: every document written is a numbered release in `reports/releases.json` (checksum,
time, the release it revises). A later delivery that changes a published document makes a new
release there, never a silent overwrite, and the superseded release is kept owner-only under
`report_releases/` beside `reports/` for the audit (not published: two versions side by side are
what differencing needs).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from p20_platform.build_info import BuildInfo
from p20_platform.disclosure import PublishedTable, require_publishable
from p20_platform.report.crossover import CrossoverTables
from p20_platform.report.disconnected import AnnualReportTables
from p20_platform.report.linkage import SCORES, STRATEGY_LABELS, StrategyScores
from p20_platform.report.views import annual_report_context, crossover_brief_context

ANNUAL_DIR, CROSSOVER_DIR = "annual", "crossover"
RELEASES, SUPERSEDED_DIR = "releases.json", "report_releases"
BRIEF_STRATEGIES = ("deterministic", "pet-keys", "pet-bloom")  # compared with the current index in the brief

_templates = Environment(loader=PackageLoader("p20_platform.report", "templates"),
                         autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Publication:
    """What was written, for materialization metadata (counts of cells, never their values)."""

    paths: tuple[Path, ...]
    cells_shown: int
    cells_suppressed: int
    policy_rules: tuple[str, ...]

    def metadata(self) -> dict[str, Any]:
        return {"paths": [str(p) for p in self.paths], "cells_shown": self.cells_shown,
                "cells_suppressed": self.cells_suppressed, "audit": "passed: no disclosure found",
                "suppression_rules": list(self.policy_rules)}


def publish_annual_reports(tables: AnnualReportTables, reports_dir: Path, linkage: Sequence[StrategyScores],
                           build: BuildInfo) -> Publication:
    """One HTML report per report year under `reports_dir/annual/`, after the audit passes; each links
    to the others."""
    require_publishable(tables.published)
    documents = {reports_dir / ANNUAL_DIR / f"disconnected_youth_{year}.html":
                 _render("annual_report.html.j2", annual_report_context(tables, year, linkage), build,
                         years=tables.report_years)
                 for year in tables.report_years}
    return _write(reports_dir, documents, tables.published)


def publish_crossover_brief(tables: CrossoverTables, reports_dir: Path, linkage: Sequence[StrategyScores],
                            build: BuildInfo) -> Publication:
    """The crossover brief under `reports_dir/crossover/`, after the audit passes."""
    require_publishable(tables.published)
    evaluated = {s.strategy for s in linkage}
    context = crossover_brief_context(tables, linkage)
    context["missing_strategies"] = [STRATEGY_LABELS[s] for s in BRIEF_STRATEGIES if s not in evaluated]
    return _write(reports_dir, {reports_dir / CROSSOVER_DIR / "crossover_brief.html":
                                _render("crossover_brief.html.j2", context, build)}, tables.published)


def _render(template: str, context: dict[str, Any], build: BuildInfo, **extra: Any) -> str:
    return _templates.get_template(template).render(score_names=SCORES, build=build, **context, **extra)


def _record_release(reports_dir: Path, path: Path, html: str) -> None:
    """Enter a document's new content as its next release; keep the release it supersedes for the audit."""
    ledger_path = reports_dir / RELEASES
    ledger = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}
    key = str(path.relative_to(reports_dir))
    releases = ledger.setdefault(key, [])
    checksum = hashlib.sha256(html.encode("utf-8")).hexdigest()
    if releases and releases[-1]["sha256"] == checksum:
        return
    if releases and path.exists():
        kept = reports_dir.parent / SUPERSEDED_DIR / key / f"release_{releases[-1]['release']}.html"
        kept.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        kept.chmod(0o600)
    releases.append({"release": len(releases) + 1, "sha256": checksum,
                     "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "revises": releases[-1]["release"] if releases else None})
    scratch = ledger_path.with_suffix(".json.next")
    scratch.write_text(json.dumps(ledger, indent=2, sort_keys=True) + "\n")
    os.replace(scratch, ledger_path)


def _write(reports_dir: Path, documents: dict[Path, str], published: Sequence[PublishedTable]) -> Publication:
    for path, html in documents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        _record_release(reports_dir, path, html)
        scratch = path.with_suffix(".html.next")
        scratch.write_text(html, encoding="utf-8")
        os.replace(scratch, path)
    shown = sum(int(t.cells["count"].notna().sum()) for t in published)
    suppressed = sum(int(t.cells["count"].isna().sum()) for t in published)
    return Publication(paths=tuple(documents), cells_shown=shown, cells_suppressed=suppressed,
                       policy_rules=published[0].policy.rules)
