"""The data-quality pages' front door: every delivery with what was loaded and quarantined, and
links to each mart's expectation results.

Read from the delivery manifest (`ops.deliveries`), which holds counts, rule names and line
numbers, never a value: the page can be shared with every agency.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import duckdb
import pandas as pd

from p20_platform.disclosure.policy import PLATFORM_BASELINE, DisclosurePolicy

INDEX = "index.html"
_STYLE = ("<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
          "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right}"
          ".bad{color:#a40000;font-weight:bold}</style>")


# The page sits under reports/: a count of 1-10 reads as the range, as in every published table (issue 13).
SMALL_COUNTS = DisclosurePolicy.strictest([PLATFORM_BASELINE])


def _count(value: object) -> str:
    if value is None or pd.isna(value):
        return "not read"
    return SMALL_COUNTS.sensitive_range if SMALL_COUNTS.is_sensitive(int(value)) else f"{int(value):,}"


def _rules(failures: object) -> str:
    """'rule: 1,234 rows (e.g. lines 4, 9, 12)' for each failing rule; a small count ('1-10 rows') with its first
    line only, since the number of example lines would tell the count."""
    parsed = json.loads(failures) if isinstance(failures, str) else (failures or {})
    parts = []
    for rule, failure in parsed.items():
        lines = failure["example_lines"][:1] if SMALL_COUNTS.is_sensitive(failure["rows"]) else failure["example_lines"]
        parts.append(f"{rule}: {_count(failure['rows'])} rows (e.g. line{'s' if len(lines) > 1 else ''} "
                     f"{', '.join(map(str, lines))})")
    return "; ".join(parts)


def deliveries(warehouse: Path) -> pd.DataFrame:
    """Every delivery in arrival order (empty when nothing was delivered yet)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        exists = connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ops' "
                                    "AND table_name = 'deliveries'").fetchone()[0]
        if not exists:
            return pd.DataFrame(columns=["file_name", "agency", "status", "reason", "rows_read", "rows_accepted",
                                         "rows_quarantined", "rule_failures", "loaded_at"])
        return connection.execute("SELECT file_name, agency, status, reason, rows_read, rows_accepted, "
                                  "rows_quarantined, rule_failures, loaded_at FROM ops.deliveries ORDER BY load_seq"
                                  ).df()


def index_page(warehouse: Path, mart_pages: list[str]) -> str:
    """The front page: quarantine per delivery, then a link per mart page."""
    rows = []
    for d in deliveries(warehouse).itertuples(index=False):
        quarantined = 0 if pd.isna(d.rows_quarantined) else int(d.rows_quarantined)
        rows.append(f"<tr><td>{html.escape(d.file_name)}</td><td>{html.escape(str(d.status))}</td>"
                    f"<td class='n'>{_count(d.rows_read)}</td><td class='n'>{_count(d.rows_accepted)}</td>"
                    f"<td class='n{' bad' if quarantined else ''}'>{_count(d.rows_quarantined)}</td>"
                    f"<td>{html.escape(_rules(d.rule_failures))}</td></tr>")
    quarantined_total = sum(1 for row in rows if " bad'" in row)
    links = "".join(f"<li><a href='{html.escape(page)}'>marts.{html.escape(Path(page).stem)}</a></li>"
                    for page in sorted(mart_pages))
    return (f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>Data quality</title>{_STYLE}"
            "</head><body>\n<h1>Data quality</h1>\n<h2>Deliveries</h2>\n"
            f"<p>{len(rows):,} deliveries; {quarantined_total:,} with quarantined rows. Rows that break a feed's "
            "contract are kept aside in quarantine with the rule they broke (below: the rule, how many rows and "
            "example line numbers in the delivered file); the good rows load.</p>\n"
            "<table><thead><tr><th>File</th><th>Status</th><th>Rows read</th><th>Rows loaded</th>"
            "<th>Rows quarantined</th><th>Rules broken</th></tr></thead><tbody>\n" + "\n".join(rows)
            + "\n</tbody></table>\n<h2>Marts: expectation results</h2>\n<ul>" + links + "</ul>\n</body></html>\n")


def write_index(directory: Path, warehouse: Path) -> Path:
    """Write `directory/index.html` listing the deliveries and every mart page in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    pages = [p.name for p in directory.glob("*.html") if p.name != INDEX]
    path = directory / INDEX
    path.write_text(index_page(warehouse, pages), encoding="utf-8")
    return path
