"""The requestors' data dictionary: one static HTML page under `published/dictionary/`.

Generated from the feed contracts (what the platform receives from each agency, in which format),
the agencies' published dictionaries (definition, years available, everything else they hold) and
the dbt docs (the staging models built on each feed), with the law each agency's data falls under
in plain language, like the state's data dictionary app. A search box filters elements in the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from p20_platform.governance.dictionaries import normalise, published_dictionary
from p20_platform.registry import AGENCIES, DESIGNED_ELEMENTS, Agency, Element
from p20_platform.settings import Paths

# What each law means for a requestor, keyed by how the registry names it.
PLAIN_LAW = {
    "FERPA": "Education records (FERPA): shared only for studies that evaluate or improve education programmes, "
             "under a written agreement, and destroyed when the study ends.",
    "HIPAA": "Health information (HIPAA): shared only under a business associate agreement, minimum necessary.",
    "42 CFR Part 2": "Substance use treatment records (42 CFR Part 2): stricter than HIPAA; never re-disclosed, "
                     "never used against the person.",
    "20 CFR 603.4": "Unemployment insurance wage records (20 CFR 603.4, C.G.S. 31-254): confidential; "
                    "unit-level wage data only for state employees, with penalties for misuse.",
    "WIOA": "Workforce programme records (WIOA): performance and evaluation uses only.",
    "CAPTA": "Child welfare records (Title IV-E and IV-B, CAPTA): confidential; released only as the federal "
             "programmes allow.",
    "HMIS": "Homelessness records (HUD HMIS): the HMIS lead agency (CCEH) governs their use.",
    "7 CFR 272": "SNAP records (7 CFR 272.1(c)): only for administering or evaluating the programme.",
    "45 CFR 205.50": "TANF records (45 CFR 205.50): only for purposes connected with administering the programme.",
    "17b-90": "Medicaid and social services records (C.G.S. 17b-90): confidential; special rules for substance use "
              "and HIV/AIDS data.",
    "46b-124": "Juvenile court records (C.G.S. 46b-124): confidential; released only as the statute allows.",
    "18-81": "Corrections records (C.G.S. 18-81): under the state's agreement with the Department of Correction.",
    "Higher Education Act": "Student financial aid records (Higher Education Act): FAFSA data only for aid "
                            "administration and approved research.",
}
_templates = Environment(loader=PackageLoader("p20_platform.governance", "templates"),
                         autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True)


def plain_law(framework: str) -> list[str]:
    return [text for key, text in PLAIN_LAW.items() if key in framework]


def _format(element: Element) -> str:
    if element.allowed:
        return "one of " + ", ".join(element.allowed)
    text = {"date": "date (YYYYMMDD)", "flag": "yes/no (1/0)"}.get(element.kind, element.kind)
    if element.minimum is not None or element.maximum is not None:
        low = "" if element.minimum is None else f"{element.minimum:g}"
        high = "" if element.maximum is None else f"{element.maximum:g}"
        text += f", {low}–{high}"
    return text


def _staging_models(manifest: dict[str, Any] | None, code: str) -> list[dict[str, Any]]:
    if manifest is None:
        return []
    return [{"name": node["name"], "description": node.get("description", ""),
             "columns": {c: v.get("description", "") for c, v in node.get("columns", {}).items()}}
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1:3] == ["staging", code.lower()]]


def agency_entry(feed: Agency, manifest: dict[str, Any] | None) -> dict[str, Any]:
    published = published_dictionary(feed.code)
    by_name = {normalise(name): row for name, row in zip(published["element"], published.to_dict("records"))}
    delivered = []
    for element in feed.analytical[1:]:  # FakeID is the delivery's key, not data
        source = by_name.get(normalise(element.name))
        delivered.append({"name": element.name, "description": element.description, "format": _format(element),
                          "definition": source["definition"] if source else "",
                          "years": source["years"] if source else "",
                          "program": source["program"] if source else "",
                          "designed": DESIGNED_ELEMENTS.get(feed.code, {}).get(element.name, "")})
    used = {normalise(e.name) for e in feed.analytical}
    return {"code": feed.code, "name": feed.name, "role": feed.role, "law": feed.legal_framework,
            "plain_law": plain_law(feed.legal_framework), "identifiers": list(feed.matching_fields[:-1]),
            "delivered": delivered, "dictionary_published": not published.empty,
            "other_elements": [row for row in published.to_dict("records") if normalise(row["element"]) not in used],
            "models": _staging_models(manifest, feed.code)}


def write_dictionary(paths: Paths, manifest_path: Path | None = None) -> Path:
    """Render the dictionary to `published/dictionary/index.html`; return its path."""
    manifest = json.loads(manifest_path.read_text()) if manifest_path and manifest_path.exists() else None
    agencies = [agency_entry(feed, manifest) for feed in AGENCIES]
    html = _templates.get_template("dictionary.html.j2").render(
        agencies=agencies, elements=sum(len(a["delivered"]) for a in agencies), dbt_docs=manifest is not None)
    target = paths.published / "dictionary" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".html.next")
    scratch.write_text(html, encoding="utf-8")
    scratch.replace(target)
    return target
