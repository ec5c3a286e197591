"""Audit, render and write the documents: nothing is written unless the audit passes.

`require_publishable` re-checks, from what readers will see, every table the documents use
(shown small counts, cells recoverable from margins or linked tables); on any finding it
raises `DisclosureViolation` before a file is touched. Files are written beside the old one
and renamed over it, so a reader never sees half a report.

Releases (issue 13, disclosure by differencing): the first document written for a period (a report
year's annual report; the crossover brief) is its release 1, entered in `reports/releases.json`
(checksum, time, the deliveries behind it). A later delivery never silently revises a release: a run
whose rendering differs keeps the published document as it is and records the rendering as the
document's pending revision (owner-only under `report_releases/` beside `reports/`, not published),
with why (the deliveries added or replaced since the release) and what changed (how many shown numbers
changed, how many of them by 1-10). `release_revision` publishes a pending revision as the next release,
audited: with the reason and who released it in the ledger, and refused while any shown number would
differ from the release it replaces by 1-10 (comparing the two versions would reveal a group that
small). The release it replaces stays published, unchanged, under `reports/<folder>/releases/`.
The dashboard's figures are such documents too, one per report year (`dashboard/disconnected_youth_<year>.json`,
the texts its page shows), so the page shows released figures only (`report.dashboard`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from p20_platform.run_control import replace_text
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
    revisions_pending: tuple[str, ...] = ()  # documents whose new rendering waits for `release_revision`

    def metadata(self) -> dict[str, Any]:
        return {"paths": [str(p) for p in self.paths], "cells_shown": self.cells_shown,
                "cells_suppressed": self.cells_suppressed, "audit": "passed: no disclosure found",
                "suppression_rules": list(self.policy_rules), "revisions_pending": list(self.revisions_pending)}


def publish_annual_reports(tables: AnnualReportTables, reports_dir: Path, linkage: Sequence[StrategyScores],
                           build: BuildInfo) -> Publication:
    """One HTML report per report year under `reports_dir/annual/`, after the audit passes; each links
    to the others."""
    require_publishable(tables.published)
    documents = {reports_dir / ANNUAL_DIR / f"disconnected_youth_{year}.html":
                 _render("annual_report.html.j2", annual_report_context(tables, year, linkage), build,
                         years=tables.report_years)
                 for year in tables.report_years}
    return write_releases(reports_dir, documents, tables.published, build)


def publish_crossover_brief(tables: CrossoverTables, reports_dir: Path, linkage: Sequence[StrategyScores],
                            build: BuildInfo) -> Publication:
    """The crossover brief under `reports_dir/crossover/`, after the audit passes."""
    require_publishable(tables.published)
    evaluated = {s.strategy for s in linkage}
    context = crossover_brief_context(tables, linkage)
    context["missing_strategies"] = [STRATEGY_LABELS[s] for s in BRIEF_STRATEGIES if s not in evaluated]
    return write_releases(reports_dir, {reports_dir / CROSSOVER_DIR / "crossover_brief.html":
                                _render("crossover_brief.html.j2", context, build)}, tables.published, build)


def _render(template: str, context: dict[str, Any], build: BuildInfo, **extra: Any) -> str:
    return _templates.get_template(template).render(score_names=SCORES, build=build, **context, **extra)


class RevisionRefused(Exception):
    """A pending revision may not be released (none pending, or it would disclose by differencing)."""


def _ledger(reports_dir: Path) -> dict[str, Any]:
    path = reports_dir / RELEASES
    ledger = json.loads(path.read_text()) if path.exists() else {}
    if "documents" not in ledger:  # none yet, or the earlier layout: one list of releases per document
        ledger = {"documents": ledger, "pending": {}}
    return ledger


def _save_ledger(reports_dir: Path, ledger: dict[str, Any]) -> None:
    replace_text(reports_dir / RELEASES, json.dumps(ledger, indent=2, sort_keys=True) + "\n")


def _sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# The numbers a reader sees in a document's tables and text, in order (thousands separators removed).
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w.])|(?<![\w.,])\d+(?![\w,]|\.\d)")


def _shown_numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in _NUMBER.findall(text)]


def _figure_texts(value: Any, path: tuple = ()) -> dict[tuple, str]:
    """A dashboard year's shown texts by where they stand (a group's row by its name, which stays when what it
    holds changes)."""
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            return {path: value["text"]}
        return {k: t for key, item in value.items() for k, t in _figure_texts(item, (*path, key)).items()}
    if isinstance(value, list):
        return {k: t for i, item in enumerate(value)
                for k, t in _figure_texts(item, (*path, item.get("group", i) if isinstance(item, dict) else i)).items()}
    return {}


def _changes(released: str, revision: str, suffix: str) -> dict[str, int | None]:
    """How many shown numbers changed, and how many by 1-10 (None when the layouts differ and cannot be paired).
    A document's numbers pair in reading order; a dashboard year's pair figure by figure (one suppressed in
    either version pairs with nothing: it reveals no difference)."""
    if suffix == ".json":
        old, new = _figure_texts(json.loads(released)), _figure_texts(json.loads(revision))
        paired = [(_shown_numbers(old[k]), _shown_numbers(new[k])) for k in old.keys() & new.keys()]
        pairs = [pair for a, b in paired if len(a) == len(b) for pair in zip(a, b)]
    else:
        old_numbers, new_numbers = (_shown_numbers(re.sub(r"<[^>]+>", " ", re.sub(
            r"<(script|style)\b.*?</\1>", " ", html, flags=re.S))) for html in (released, revision))
        if len(old_numbers) != len(new_numbers):
            return {"numbers_changed": None, "changed_by_1_to_10": None}
        pairs = list(zip(old_numbers, new_numbers))
    differences = [abs(a - b) for a, b in pairs if a != b]
    return {"numbers_changed": len(differences), "changed_by_1_to_10": sum(1 <= d <= 10 for d in differences)}


def _record_release(reports_dir: Path, path: Path, html: str, build: BuildInfo) -> bool:
    """Enter a document's rendering in the ledger; True when it is to be written (a first release, or the current
    release unchanged), False when it is a revision of a release, kept pending instead of published."""
    ledger = _ledger(reports_dir)
    key = str(path.relative_to(reports_dir))
    releases = ledger["documents"].setdefault(key, [])
    checksum = _sha256(html)
    if releases and releases[-1]["sha256"] == checksum:
        if ledger["pending"].pop(key, None) is not None:  # the data went back to the release's: nothing pending
            _save_ledger(reports_dir, ledger)
        return True
    if not releases:
        releases.append({"release": 1, "sha256": checksum, "published_at": _now(), "revises": None,
                         "deliveries": list(build.deliveries)})
        _save_ledger(reports_dir, ledger)
        return True
    pending = _pending(reports_dir, key)
    pending.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pending.write_text(html, encoding="utf-8")
    pending.chmod(0o600)
    released = set(releases[-1].get("deliveries", []))
    ledger["pending"][key] = {
        "sha256": checksum, "found_at": _now(), "revises": releases[-1]["release"],
        "why": {"deliveries_added": sorted(set(build.deliveries) - released),
                "deliveries_replaced": sorted(released - set(build.deliveries))},
        "what_changed": _changes(path.read_text(encoding="utf-8"), html, path.suffix) if path.exists() else None,
        "deliveries": list(build.deliveries)}
    _save_ledger(reports_dir, ledger)
    return False


def _pending(reports_dir: Path, document: str) -> Path:
    """Where a document's pending revision waits: owner-only, outside `reports/`."""
    return reports_dir.parent / SUPERSEDED_DIR / document / f"pending{Path(document).suffix}"


def release_revision(reports_dir: Path, document: str, reason: str, released_by: str) -> dict[str, Any]:
    """Publish `document`'s pending revision (path relative to `reports_dir`) as its next release, audited; the
    release it replaces stays published under `<folder>/releases/`. Returns the new ledger entry."""
    ledger = _ledger(reports_dir)
    revision = ledger["pending"].get(document)
    if revision is None:
        raise RevisionRefused(f"{document}: no pending revision (the published release is current)")
    if not reason.strip() or not released_by.strip():
        raise RevisionRefused(f"{document}: a revision is released with a reason and the name of who released it")
    changed = revision["what_changed"] or {"changed_by_1_to_10": None}
    if changed["changed_by_1_to_10"] != 0:
        how = ("its tables are laid out differently, so the numbers cannot be paired and checked"
               if changed["changed_by_1_to_10"] is None else
               f"{changed['changed_by_1_to_10']} shown number(s) differ from release {revision['revises']} by 1-10")
        raise RevisionRefused(f"{document}: revision not released: {how}; comparing the two versions would reveal "
                              "groups that small. Fix: keep the release as published and carry the corrected figures "
                              "in the next period's release, or suppress the changed cells before revising")
    path = reports_dir / document
    pending = _pending(reports_dir, document)
    html = pending.read_text(encoding="utf-8")
    if _sha256(html) != revision["sha256"]:
        raise RevisionRefused(f"{document}: the pending revision's file does not match the ledger; run again")
    releases = ledger["documents"][document]
    kept = path.parent / "releases" / f"{path.stem}.release_{releases[-1]['release']}{path.suffix}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(path.read_bytes())
    kept.chmod(0o444)
    replace_text(path, html)
    pending.unlink()
    entry = {"release": releases[-1]["release"] + 1, "sha256": revision["sha256"], "published_at": _now(),
             "revises": revision["revises"], "reason": reason, "released_by": released_by,
             "why": revision["why"], "what_changed": revision["what_changed"], "deliveries": revision["deliveries"],
             "previous_release_kept_at": str(kept.relative_to(reports_dir))}
    releases.append(entry)
    del ledger["pending"][document]
    _save_ledger(reports_dir, ledger)
    return entry


def release_document(reports_dir: Path, path: Path, text: str, build: BuildInfo) -> bool:
    """Write one rendering if it is a first release or its current release unchanged (True); otherwise
    it waits as a pending revision (False)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _record_release(reports_dir, path, text, build):
        return False
    replace_text(path, text)
    return True


def write_releases(reports_dir: Path, documents: dict[Path, str], published: Sequence[PublishedTable],
                   build: BuildInfo) -> Publication:
    """Write each document that is a first release or its current release unchanged; keep the others pending."""
    pending = [str(path.relative_to(reports_dir)) for path, html in documents.items()
               if not release_document(reports_dir, path, html, build)]
    shown = sum(int(t.cells["count"].notna().sum()) for t in published)
    suppressed = sum(int(t.cells["count"].isna().sum()) for t in published)
    return Publication(paths=tuple(documents), cells_shown=shown, cells_suppressed=suppressed,
                       policy_rules=published[0].policy.rules, revisions_pending=tuple(pending))
