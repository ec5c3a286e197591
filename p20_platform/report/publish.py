"""Audit, render and write the documents: nothing is written unless the audit passes.

`require_publishable` re-checks, from what readers will see, every table the documents use
(shown small counts, cells recoverable from margins or linked tables); on any finding it
raises `DisclosureViolation` before a file is touched. Files are written beside the old one
and renamed over it, so a reader never sees half a report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
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
    return _write(documents, tables.published)


def publish_crossover_brief(tables: CrossoverTables, reports_dir: Path, linkage: Sequence[StrategyScores],
                            build: BuildInfo) -> Publication:
    """The crossover brief under `reports_dir/crossover/`, after the audit passes."""
    require_publishable(tables.published)
    evaluated = {s.strategy for s in linkage}
    context = crossover_brief_context(tables, linkage)
    context["missing_strategies"] = [STRATEGY_LABELS[s] for s in BRIEF_STRATEGIES if s not in evaluated]
    return _write({reports_dir / CROSSOVER_DIR / "crossover_brief.html":
                   _render("crossover_brief.html.j2", context, build)}, tables.published)


def _render(template: str, context: dict[str, Any], build: BuildInfo, **extra: Any) -> str:
    return _templates.get_template(template).render(score_names=SCORES, build=build, **context, **extra)


def _write(documents: dict[Path, str], published: Sequence[PublishedTable]) -> Publication:
    for path, html in documents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".html.next")
        scratch.write_text(html, encoding="utf-8")
        os.replace(scratch, path)
    shown = sum(int(t.cells["count"].notna().sum()) for t in published)
    suppressed = sum(int(t.cells["count"].isna().sum()) for t in published)
    return Publication(paths=tuple(documents), cells_shown=shown, cells_suppressed=suppressed,
                       policy_rules=published[0].policy.rules)
