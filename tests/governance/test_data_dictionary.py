"""The requestors' data dictionary, rendered and searched in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from p20_platform.governance.dictionary import write_dictionary
from p20_platform.registry import AGENCIES
from p20_platform.report.pdf import browser, headless
from p20_platform.settings import paths
from p20_platform.transform import dbt_project

CHROMIUM = browser()


def rendered(page: Path, query: str = "") -> str:
    """The page's DOM after its script ran (Chromium, headless)."""
    url = page.as_uri() + (f"?q={query}" if query else "")
    done = headless(CHROMIUM, "--dump-dom", url)
    done.check_returncode()
    return done.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dictionary(paths(tmp_path_factory.mktemp("dictionary")), dbt_project.manifest_path)


def test_every_agency_its_law_and_its_elements_are_listed(page: Path):
    html = page.read_text(encoding="utf-8")
    assert page == page.parents[2] / "published" / "dictionary" / "index.html"
    for feed in AGENCIES:
        section = html.split(f'id="agency-{feed.code}"')[1].split("</section>")[0]
        assert feed.legal_framework in section
        assert all(f"<code>{e.name}</code>" in section for e in feed.analytical[1:])
    cssd = html.split('id="agency-CSSD"')[1].split("</section>")[0]
    assert "Juvenile court records (C.G.S. 46b-124)" in cssd and "stg_cssd__juvenile_cases" in cssd  # dbt docs
    assert "DSS has not published a data dictionary" in html
    assert "Years" in html and "Date the report was received" in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make setup installs it)")
def test_the_search_box_filters_elements_in_a_browser(page: Path):
    everything = rendered(page)
    total = sum(len(feed.analytical) - 1 for feed in AGENCIES)
    assert f"{total} of {total} elements shown" in everything
    wages = rendered(page, "wage")
    shown = int(re.search(r"([0-9]+) of [0-9]+ elements shown", wages)[1])
    assert 0 < shown < total
    dol = wages.split('id="agency-DOL"')[1].split(">")[0]
    cssd = wages.split('id="agency-CSSD"')[1].split(">")[0]
    assert "hidden" not in dol and "hidden" in cssd
