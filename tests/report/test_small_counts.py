"""No unsuppressed small count (1-10) anywhere under reports/ (issue 13: "4 records" in linkage_evaluation.md): every
page of the package's run, the linkage evaluation and the data quality pages included, scanned as a reader sees it."""

from __future__ import annotations

import html
import re

from p20_platform.quality.catalog import SUITES_BY_MART
from p20_platform.quality.mart_validation import validate_mart


SMALL = "(?:[1-9]|10)"  # PLATFORM_BASELINE: counts 1-10 are suppressed, zero is shown
COUNTED = r"(?:records?|rows?|people|persons|youth|pairs|cases|individuals|students|matches|deliveries)"
PHRASE = re.compile(rf"(?<![\w.,-])({SMALL}) {COUNTED}\b")
# Table columns holding counts (markdown headers, HTML <th>): a cell 1-10 under one is a small count shown.
COUNT_HEADER = re.compile(r"^(records|true|found|correct|pairs|true_matches|non_matches|count|youth|people|persons|"
                          r"rows quarantined|quarantined|n)$", re.IGNORECASE)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _small_cells_in_markdown(page: str) -> list[str]:
    found, header = [], None
    for line in page.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(line) <= set("|:- "):
            found += [f"{h}={v}" for h, v in zip(header, cells) if COUNT_HEADER.match(h) and re.fullmatch(SMALL, v)]
    return found


def _small_cells_in_html(page: str) -> list[str]:
    found = []
    for table in re.findall(r"<table.*?</table>", page, flags=re.S):
        header = [_text(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0], re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
            cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            if len(cells) == len(header):
                found += [f"{h}={v}" for h, v in zip(header, cells) if COUNT_HEADER.match(h) and re.fullmatch(SMALL, v)]
    return found


def test_no_small_count_is_shown_anywhere_under_reports(run):
    home, result = run
    assert result.success
    for mart in SUITES_BY_MART:  # the quality pages, as the marts' checks write them in a full run
        validate_mart(home, mart)
    pages = [p for p in sorted(home.reports.rglob("*")) if p.suffix in (".html", ".md")]
    names = {str(p.relative_to(home.reports)) for p in pages}
    assert {"linkage_evaluation.md", "quality/index.html"} <= names and any(n.startswith("annual/") for n in names)
    findings = {}
    for page in pages:
        content = page.read_text(encoding="utf-8")
        small = [m.group(0) for m in PHRASE.finditer(_text(content) if page.suffix == ".html" else content)]
        small += _small_cells_in_markdown(content) if page.suffix == ".md" else _small_cells_in_html(content)
        if small:
            findings[str(page.relative_to(home.reports))] = small[:10]
    assert findings == {}
