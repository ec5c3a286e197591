"""Every page a reader or analyst opens, loaded in a real headless Chromium: no console error, no
uncaught exception; the dashboard's filters redraw its chart; the PDF prints real pages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from browser import Browser

from p20_platform.quality.deliveries import INDEX
from p20_platform.quality.validation import quality_dir, validate_mart
from p20_platform.report.pdf import browser
from p20_platform.synth.faults import FAULTS
from p20_platform.transform import PUBLISHED_DATABASE

pytestmark = pytest.mark.skipif(browser() is None, reason="no headless Chromium (make setup installs it)")


@pytest.fixture(scope="module")
def chromium():
    session = Browser()
    yield session.page()
    session.close()


@pytest.fixture(scope="module")
def pages(run) -> dict[str, Path]:
    home, result = run
    assert result.success
    validate_mart(home, "disconnected_youth_factors")  # the mart check writes its page and the quality index
    annual = sorted((home.reports / "annual").glob("*.html"))
    return {"annual report (latest)": annual[-1], "annual report (earliest)": annual[0],
            "crossover brief": home.reports / "crossover" / "crossover_brief.html",
            "dashboard": home.home / "published" / "dashboard.html",
            "quality index": quality_dir(home) / INDEX,
            "quality page": quality_dir(home) / "disconnected_youth_factors.html"}


def test_every_page_loads_without_a_console_error(chromium, pages):
    for name, page in pages.items():
        chromium.errors.clear()
        chromium.open(page.as_uri())
        assert chromium.errors == [], name
        assert chromium.evaluate("document.querySelector('h1').textContent.trim().length") > 0, name
        text = chromium.evaluate("document.body.innerText")
        assert "None" not in text.split() and "nan" not in text.split(), name
        assert chromium.evaluate("document.querySelectorAll('script[src], link[href]').length") == 0, name


def test_the_documents_read_as_a_legislator_expects(chromium, pages):
    chromium.open(pages["annual report (latest)"].as_uri())
    text = chromium.evaluate("document.body.innerText")
    assert "Demonstration data." in text  # built from the synthetic population
    assert "Data as of" in text and "built" in text and "code version" in text
    assert "Other report years:" in text
    counts = chromium.evaluate("[...document.querySelectorAll('[data-kind=count]')].map(e => e.textContent)")
    assert any("," in c for c in counts)  # thousands separators on the large counts
    chromium.open(pages["crossover brief"].as_uri())
    methods = chromium.evaluate("document.body.innerText").split("Methods")[-1]
    assert "DCF" in methods and "CSSD" in methods
    assert not any(agency in methods for agency in ("DOL,", "OEC,", "OWS,"))


def test_a_filter_on_the_dashboard_changes_its_chart(chromium, pages, run):
    chromium.open(pages["dashboard"].as_uri())

    def chart() -> list[str]:
        return chromium.evaluate("[...document.querySelectorAll('#chart text')].map(e => e.textContent)")

    def choose(select: str, value: str) -> None:
        chromium.evaluate(f"(() => {{ const s = document.getElementById('{select}'); s.value = '{value}';"
                          " s.dispatchEvent(new Event('change')); }})()")

    towns = chart()
    choose("breakdown", "age_band")
    bands = chart()
    assert bands != towns and {"14-17", "18-21", "22-26"} <= set(bands)
    earliest = chromium.evaluate("document.getElementById('year').options[document.getElementById('year')"
                                 ".options.length - 1].value")
    choose("year", earliest)
    assert chart() != bands
    assert chromium.errors == []

    # Only published cells: every count in the page's data is a shown count of the report or suppressed.
    data = json.loads(chromium.evaluate("document.getElementById('data').textContent"))
    values = [row[m]["value"] for b in data["breakdowns"].values() for rows in b["years"].values() for row in rows
              for m in ("youth", "at_risk", "disconnected")]
    assert None in values and all(v is None or v == 0 or v > 10 for v in values)


def test_the_quality_pages_show_the_quarantined_rows(chromium, pages):
    chromium.open(pages["quality index"].as_uri())
    text = chromium.evaluate("document.body.innerText")
    planted = {fault.agency for fault in FAULTS}
    flagged = chromium.evaluate("[...document.querySelectorAll('td.bad')].map(td => td.parentElement"
                                ".cells[0].textContent.split('.')[0])")
    assert planted <= set(flagged)
    assert "YYYYMMDD calendar date" in text
    chromium.open(pages["quality page"].as_uri())
    assert "rows 2078.0" not in chromium.evaluate("document.body.innerText")


def test_the_pdf_of_the_latest_report_has_real_pages(pages, tmp_path: Path):
    pdf = pages["annual report (latest)"].with_suffix(".pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) >= 2
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == 2 and all(i.stat().st_size > 5_000 for i in images)  # rendered text, not blank
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "At-risk and disconnected youth in Connecticut" in text and "Demonstration data." in text


def test_the_published_database_says_which_build_it_holds(run):
    home, _ = run
    with duckdb.connect(str(home.home / "published" / PUBLISHED_DATABASE), read_only=True) as published:
        built_at, code, vintage, deliveries, synthetic = published.execute(
            "SELECT built_at, code_version, data_vintage, deliveries, synthetic FROM marts.build_info").fetchone()
    assert synthetic and code and vintage is not None
    assert len(deliveries) == 30 and all(d.endswith((".matching", ".analytical")) for d in deliveries)
