"""Documentation analysts open from `published/`, built without touching the warehouse.

- `data_dictionary.html`: every mart, its grain and every column with its type and meaning,
  from the dbt project's own documentation (the marts' YAML), plus `marts.build_info`.
- `dbt_docs.html`: dbt's static documentation site (one file, no server, no environment
  variable). dbt builds its catalog (column types) by querying a database; here it queries a
  scratch copy of the published marts, never `warehouse.duckdb`, so it cannot block a writer.
  It is rebuilt only when the dbt project changed (its manifest's checksum).
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import tempfile
from pathlib import Path

from p20_platform.build_info import TABLE as BUILD_INFO
from p20_platform.run_control import replace_text
from p20_platform.settings import Paths
from p20_platform.transform import MART_TABLES, PUBLISHED_DATABASE, dbt_cli_resource, dbt_project

DICTIONARY, DBT_DOCS = "data_dictionary.html", "dbt_docs.html"
BUILD_INFO_COLUMNS = {
    "built_at": ("timestamp", "When this copy was built (UTC)."),
    "code_version": ("varchar", "The platform's code version (git commit; '+changes' when the work tree differed)."),
    "data_vintage": ("date", "The latest delivery date among the loaded deliveries."),
    "deliveries": ("varchar[]", "File names of the deliveries the build loaded."),
    "synthetic": ("boolean", "True when built from the platform's synthetic population."),
}
# Two slips in dbt's packaged site that each print a console error on every page: the menu icons bind
# `xlink:href="{{ ... }}"`, fetched before Angular fills it in (Angular's `ng-attr-` sets it once known),
# and the favicon link holds an unbuilt `${require(...)}` placeholder.
_DBT_DOCS_FIXES = {'xlink:href="{{ getIcon(': 'ng-attr-xlink:href="{{ getIcon(',
                   """<link rel="shortcut icon" href="${require('./assets/favicons/favicon.ico')}"/>""": ""}
_STYLE = ("<style>body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}h1,h2{color:#1f3b57}"
          "table{border-collapse:collapse;margin-bottom:1.5em}td,th{padding:3px 8px;border-bottom:1px solid #ddd;"
          "text-align:left;vertical-align:top}code{background:#f2f6fa}</style>")


def mart_columns(manifest: dict) -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """Per published mart: its description and (column, type, description) in model order."""
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    missing = [m for m in MART_TABLES if m not in models]
    if missing:
        raise ValueError(f"marts not in the dbt manifest: {missing}")
    return {m: (" ".join(models[m]["description"].split()),
                [(c["name"], c.get("data_type") or "", " ".join(c.get("description", "").split()))
                 for c in models[m]["columns"].values()]) for m in MART_TABLES}


def dictionary_page(manifest: dict) -> str:
    sections = []
    for mart, (description, columns) in mart_columns(manifest).items():
        rows = "".join(f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(kind)}</td>"
                       f"<td>{html.escape(text)}</td></tr>" for name, kind, text in columns)
        sections.append(f"<h2 id='{mart}'>marts.{mart}</h2><p>{html.escape(description)}</p>"
                        f"<table><thead><tr><th>Column</th><th>Type</th><th>Meaning</th></tr></thead>"
                        f"<tbody>{rows}</tbody></table>")
    build = "".join(f"<tr><td><code>{name}</code></td><td>{kind}</td><td>{html.escape(text)}</td></tr>"
                    for name, (kind, text) in BUILD_INFO_COLUMNS.items())
    contents = "".join(f"<li><a href='#{m}'>marts.{m}</a></li>" for m in MART_TABLES)
    return (f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>Data dictionary</title>{_STYLE}"
            "</head><body>\n<h1>Data dictionary of the published marts</h1>\n"
            f"<p>Tables in <code>published/{PUBLISHED_DATABASE}</code> (schema <code>marts</code>) and "
            "<code>published/parquet/</code>. Every row is keyed by a pseudonymous <code>p20_id</code> or is a "
            "count; no name, date of birth, SSN or SASID. Counts here are not suppressed: they are for state "
            f"staff under the data sharing agreements.</p><ul>{contents}<li><a href='#build_info'>"
            f"{BUILD_INFO}</a></li></ul>\n" + "\n".join(sections)
            + f"\n<h2 id='build_info'>{BUILD_INFO}</h2><p>One row: which build this copy holds.</p>"
            f"<table><thead><tr><th>Column</th><th>Type</th><th>Meaning</th></tr></thead><tbody>{build}"
            "</tbody></table>\n</body></html>\n")


def write_data_dictionary(home: Paths, manifest_path: Path = dbt_project.manifest_path) -> Path:
    """`published/data_dictionary.html` from the dbt manifest."""
    manifest = json.loads(manifest_path.read_text())
    return replace_text(home.published / DICTIONARY, dictionary_page(manifest))


def write_dbt_docs(home: Paths, manifest_path: Path = dbt_project.manifest_path) -> tuple[Path, bool]:
    """`published/dbt_docs.html`, dbt's static site; returns (path, rebuilt). Not rebuilt when the
    dbt project's manifest is unchanged since the last build."""
    target = home.published / DBT_DOCS
    stamp = target.with_suffix(".manifest-sha256")
    checksum = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    if target.is_file() and stamp.is_file() and stamp.read_text() == checksum:
        return target, False
    with tempfile.TemporaryDirectory(prefix="p20-dbt-docs-") as scratch:
        # dbt's profile opens <p20_home>/warehouse.duckdb: point it at a scratch copy of the published marts.
        shutil.copyfile(home.published / PUBLISHED_DATABASE, Path(scratch) / "warehouse.duckdb")
        (Path(scratch) / "target").mkdir()
        shutil.copyfile(manifest_path, Path(scratch) / "target" / "manifest.json")  # --no-compile reads it
        dbt_cli_resource().cli(["docs", "generate", "--static", "--no-compile", "--vars",
                                json.dumps({"p20_home": scratch})], target_path=Path(scratch) / "target").wait()
        site = (Path(scratch) / "target" / "static_index.html").read_text(encoding="utf-8")
        for broken, fixed in _DBT_DOCS_FIXES.items():
            site = site.replace(broken, fixed)
        replace_text(target, site)
    stamp.write_text(checksum)
    return target, True
