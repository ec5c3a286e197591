"""The public dashboard: one self-contained HTML page of the report's published counts.

Built only from the annual report's protected tables (after the same audit as the report), so
it shows exactly the cells the report may show: youth, at risk and disconnected, with their
percentages, per report year, overall and by town or planning-region group, race/ethnicity, sex and age
band. Filters (year, breakdown, measure) and charts run in the page's own script: no server,
no external file, so it can be opened from disk or put on any web server as it is.

Released figures only (issue 13, disclosure by differencing): each report year's figures are a document
under the release rule of `report.publish` (`reports/dashboard/disconnected_youth_<year>.json`, the texts and
values the page shows); the page is assembled from the released years alone, so a later delivery that
changes a year's figures leaves that year as released until `p20 release-revision` publishes the revision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from p20_platform.build_info import BuildInfo
from p20_platform.disclosure import require_publishable
from p20_platform.report import disconnected as dy
from p20_platform.report.figures import Figure, PublishedCells, Trace
from p20_platform.report.grouping import MIN_GROUP_YOUTH
from p20_platform.report.publish import Publication, write_releases
from p20_platform.run_control import replace_text
from p20_platform.report.views import BREAKDOWN_TITLES, estimate_figures, estimate_percent

DASHBOARD, DASHBOARD_DIR = "dashboard.html", "dashboard"
# Disconnected youth counted from the records alone run high (no wage record can be found for youth
# with no SSN anywhere): the estimate, with its 90% interval, comes first, as in the annual report.
MEASURES = {"youth": "Youth aged 14-26", "at_risk": "At risk", "at_risk_percent": "% at risk",
            "disconnected_estimate": "Disconnected, estimate (90% interval)",
            "disconnected_estimate_percent": "% disconnected, estimate",
            "disconnected": "Disconnected, counted from the records alone (too high)",
            "disconnected_percent": "% disconnected, counted from the records alone (too high)"}

_templates = Environment(loader=PackageLoader("p20_platform.report", "templates"),
                         autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)


def _cell(figure: Figure) -> dict[str, Any]:
    return {"text": figure.text, "value": figure.value}


def _row(cells: PublishedCells, where: dict[str, str], estimate: dict[str, Figure]) -> dict[str, Any]:
    """The published figures of one group; the dashboard carries no mart keys, so no trace."""
    untraced = Trace("", {}, "")
    youth = cells.count(untraced, **where)
    row = {"youth": _cell(youth)}
    for category in ("at_risk", "disconnected"):
        row[category] = _cell(cells.count(untraced, category=category, **where))
        row[f"{category}_percent"] = _cell(cells.percent(untraced, "category", category, **where))
    point, lower, upper = (estimate[bound] for bound in ("estimate", "lower", "upper"))
    interval = "" if lower.suppressed or upper.suppressed else f" ({lower.text} to {upper.text})"
    row["disconnected_estimate"] = {"text": point.text + ("" if point.suppressed else interval), "value": point.value}
    row["disconnected_estimate_percent"] = _cell(estimate_percent(point, youth))
    return row


def year_figures(tables: dy.AnnualReportTables, year: int) -> dict[str, Any]:
    """Every figure the dashboard shows for one report year, as published text and value (None when suppressed)."""
    everyone = tables.estimates[(year, "all")].cells["dimension_value"].iloc[0]  # the one row of "all"
    breakdowns = {}
    for dimension in dy.BREAKDOWNS:
        cells = PublishedCells(tables.breakdowns[(year, dimension)])
        held = tables.breakdown_rows[(year, dimension)]
        groups = sorted(held, key=lambda v: (held[v] != (v,), v))
        breakdowns[dimension] = [{"group": g, "holds": list(held[g]) if held[g] != (g,) else [],
                                  **_row(cells, {dimension: g}, estimate_figures(tables, year, dimension, g))}
                                 for g in groups]
    return {"year": year, "max_small_count": tables.published[0].policy.max_small_count,
            "overall": _row(PublishedCells(tables.continuum[year]), {}, estimate_figures(tables, year, "all", everyone)),
            "breakdowns": breakdowns}


def publish_dashboard(tables: dy.AnnualReportTables, reports_dir: Path, directory: Path,
                      build: BuildInfo) -> tuple[Path, Publication]:
    """Audit, record each report year's figures under the release rule, then write `directory/dashboard.html`
    from the released years; returns its path and what the release rule did with the years."""
    require_publishable(tables.published)
    years = {reports_dir / DASHBOARD_DIR / f"disconnected_youth_{year}.json":
             json.dumps(year_figures(tables, year), indent=1, sort_keys=True) + "\n" for year in tables.report_years}
    publication = write_releases(reports_dir, years, tables.published, build)
    return render_dashboard(reports_dir, directory, build), publication


def render_dashboard(reports_dir: Path, directory: Path, build: BuildInfo) -> Path:
    """Write `directory/dashboard.html` from the released years' figures under `reports_dir/dashboard/`."""
    released = [json.loads(p.read_text(encoding="utf-8"))
                for p in sorted((reports_dir / DASHBOARD_DIR).glob("disconnected_youth_*.json"))]
    released.sort(key=lambda y: y["year"])
    data = {"years": [y["year"] for y in released], "overall": {str(y["year"]): y["overall"] for y in released},
            "breakdowns": {d: {"title": BREAKDOWN_TITLES[d], "years": {str(y["year"]): y["breakdowns"][d]
                                                                        for y in released}}
                           for d in dy.BREAKDOWNS},
            "measures": MEASURES}
    html = _templates.get_template("dashboard.html.j2").render(
        data=json.dumps(data, separators=(",", ":")).replace("</", "<\\/"), build=build,
        max_small_count=max((y["max_small_count"] for y in released), default=0), min_group_youth=MIN_GROUP_YOUTH)
    directory.mkdir(parents=True, exist_ok=True)
    return replace_text(directory / DASHBOARD, html)
